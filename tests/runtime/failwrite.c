/*
 * failwrite.so - LD_PRELOAD it to make writes to one file fail with EIO
 * once the file holds $FAILWRITE_BYTES bytes or more (default 4096), as a
 * disk that goes bad does. The file is the one whose path ends with
 * $FAILWRITE_PATH. A fault injector for the trace: every process of a pool
 * (master, supervisor, workers) sees the same error from then on.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* fd is the file, and it has grown past the limit. */
static int failing(int fd)
{
    const char *want = getenv("FAILWRITE_PATH");
    const char *lim = getenv("FAILWRITE_BYTES");
    char link[64], path[4096];
    struct stat st;
    if (want == NULL || *want == '\0')
        return 0;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = '\0';
    size_t lw = strlen(want);
    if ((size_t)n < lw || strcmp(path + n - lw, want) != 0)
        return 0;
    return fstat(fd, &st) == 0 && st.st_size >= (lim ? atol(lim) : 4096);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    static ssize_t (*real)(int, const void *, size_t, off_t);
    if (real == NULL)
        real = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
    if (failing(fd))
        return errno = EIO, -1;
    return real(fd, buf, n, off);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    static ssize_t (*real)(int, const void *, size_t);
    if (real == NULL)
        real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (failing(fd))
        return errno = EIO, -1;
    return real(fd, buf, n);
}
