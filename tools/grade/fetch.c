/*
 * fetch.c - copy one file the grader does not trust, without following a
 * link, so that a symbolic link cannot make the grader read or write a
 * file it did not mean to.
 *
 * usage: fetch [-u UID] [-m BYTES] SRC DST
 *
 * SRC is opened with O_NOFOLLOW and must be a regular file (owned by UID
 * with -u). At most BYTES of it (default 16 MiB) are copied to DST, which
 * must not exist yet: it is made with O_EXCL, mode 600, so a link planted
 * at DST is refused as well.
 *
 * Exit status: 0 copied; 1 SRC is missing; 3 SRC is a symbolic link;
 * 4 SRC is not a regular file; 5 SRC has another owner; 6 SRC was longer
 * than BYTES (the first BYTES are copied); 2 anything else (usage, DST
 * cannot be made, a read or write fails). A sentence on stderr says which.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(void)
{
    fprintf(stderr, "usage: fetch [-u UID] [-m BYTES] SRC DST\n");
    exit(2);
}

/* Parse a whole non-negative number, or stop with the usage line. */
static long long number(const char *s)
{
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || n < 0)
        usage();
    return n;
}

int main(int argc, char *argv[])
{
    long long owner = -1, max = 16LL << 20;
    int opt;
    while ((opt = getopt(argc, argv, "u:m:")) != -1) {
        switch (opt) {
        case 'u': owner = number(optarg); break;
        case 'm': max = number(optarg); break;
        default: usage();
        }
    }
    if (argc - optind != 2)
        usage();
    const char *src = argv[optind], *dst = argv[optind + 1];

    /* O_NONBLOCK: a FIFO planted at SRC must not block the grader. */
    int in = open(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (in < 0) {
        if (errno == ENOENT) {
            fprintf(stderr, "fetch: %s: no such file\n", src);
            return 1;
        }
        if (errno == ELOOP) {
            fprintf(stderr, "fetch: %s: a symbolic link, refused\n", src);
            return 3;
        }
        fprintf(stderr, "fetch: %s: %s\n", src, strerror(errno));
        return 2;
    }
    struct stat st;
    if (fstat(in, &st) != 0) {
        fprintf(stderr, "fetch: %s: %s\n", src, strerror(errno));
        return 2;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "fetch: %s: not a regular file, refused\n", src);
        return 4;
    }
    if (owner >= 0 && (long long)st.st_uid != owner) {
        fprintf(stderr, "fetch: %s: owned by UID %ld, not %lld, refused\n",
                src, (long)st.st_uid, owner);
        return 5;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
        fprintf(stderr, "fetch: %s: %s\n", dst, strerror(errno));
        return 2;
    }
    char buf[65536];
    long long copied = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "fetch: %s: %s\n", src, strerror(errno));
            return 2;
        }
        if (n == 0)
            break;
        if (copied + n > max) {
            n = (ssize_t)(max - copied);
            if (n > 0 && write(out, buf, (size_t)n) != n) {
                fprintf(stderr, "fetch: %s: %s\n", dst, strerror(errno));
                return 2;
            }
            fprintf(stderr, "fetch: %s: longer than %lld bytes, cut\n", src, max);
            return 6;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                fprintf(stderr, "fetch: %s: %s\n", dst, strerror(errno));
                return 2;
            }
            off += w;
        }
        copied += n;
    }
    if (close(out) != 0) {
        fprintf(stderr, "fetch: %s: %s\n", dst, strerror(errno));
        return 2;
    }
    close(in);
    return 0;
}
