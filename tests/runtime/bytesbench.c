/*
 * bytesbench.c - how fast bytes go to a task and back.
 *
 *   bytesbench [RUNS]
 *
 * A round trip: the master sends n bytes as an argument (pool_bytes: one
 * copy, into shared memory), the task copies them into a result of the
 * same size that it writes in place (pool_bytes_alloc + memcpy: one copy),
 * and the master reads the result where it landed (no copy) and frees it.
 * So a round trip moves 2n bytes with two memcpy's of n. Beside it, in the
 * same run: a plain memcpy of n bytes between two buffers already in
 * memory, and the same two copies between two processes that share memory
 * with no pool at all (the master copies into a shared buffer and raises a
 * flag; a child copies that buffer into a second one and answers; both
 * spin): what any pool of processes must do, as plainly as C can. For 1 MB and 100 MB; RUNS runs of
 * each (default 7), printed as median (min-max). Every result is checked.
 * Not a test: figures for `make bench`.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"

#define MB (1024 * 1024)

/* (bytes): the same bytes, copied into a result written in place. */
static pool_value echo(pool_args a)
{
    size_t n;
    const void *in = pool_arg_bytes(a, 0, &n);
    void *out;
    pool_value v = pool_bytes_alloc(n, &out);
    memcpy(out, in, n);
    return v;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Rates in GB/s (1e9 bytes a second): median (min-max) of t[0..runs).
 * Before it, the same times for the bench's table to read, as a line
 * "result figure=FIGURE_NMB side=ours unit=us ... check=ok" (the bench
 * takes these lines out of the text it shows). */
static void report(const char *what, const char *figure, size_t n, double bytes, double *t,
                   int runs)
{
    qsort(t, (size_t)runs, sizeof *t, cmp);
    printf("result figure=%s_%zumb side=ours unit=us reps=%d median=%.6g min=%.6g max=%.6g "
           "check=ok\n", figure, n / MB, runs, t[runs / 2] * 1e6, t[0] * 1e6,
           t[runs - 1] * 1e6);
    printf("  %-34s %7.2f GB/s  (%.2f-%.2f)   %8.3f ms\n", what, bytes / t[runs / 2] / 1e9,
           bytes / t[runs - 1] / 1e9, bytes / t[0] / 1e9, t[runs / 2] * 1e3);
}

/* No pool: runs + 1 times (the first a warm-up), trips round trips of
 * two copies of n bytes between this process and a child, through shared
 * memory; seconds per trip into t[0..runs). */
static void floor_trips(const unsigned char *src, size_t n, int trips, int runs, double *t)
{
    char *m = mmap(NULL, 4096 + 2 * n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap: %s", strerror(errno));
    _Atomic long *flag = (_Atomic long *)m;     /* 2k+1: copy k asked; 2k+2: done; -1: end */
    unsigned char *a = (unsigned char *)m + 4096, *b = a + n;
    memset(a, 0, 2 * n);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        long seen = 0, f;
        while ((f = atomic_load(flag)) != -1) {
            if (f == seen + 1) {
                memcpy(b, a, n);
                seen = f + 1;
                atomic_store(flag, seen);
            }
        }
        _exit(0);
    }
    long k = 0;
    for (int r = -1; r < runs; r++) {
        double t0 = now();
        for (int i = 0; i < trips; i++) {
            memcpy(a, src, n);
            atomic_store(flag, 2 * k + 1);
            while (atomic_load(flag) != 2 * k + 2)
                ;
            k++;
        }
        if (r >= 0)
            t[r] = (now() - t0) / trips;
    }
    CHECK(memcmp(b, src, n) == 0, "the copy with no pool came back changed");
    atomic_store(flag, -1);
    waitpid(pid, NULL, 0);
    munmap(m, 4096 + 2 * n);
}

static void one_size(pool *p, size_t n, int trips, int runs)
{
    unsigned char *src = malloc(n), *dst = malloc(n);
    CHECK(src && dst, "out of memory");
    for (size_t i = 0; i < n; i++)
        src[i] = (unsigned char)(i * 7 + 1);
    memset(dst, 0, n);
    double copy[64], trip[64], base[64];
    floor_trips(src, n, trips, runs, base);
    for (int r = -1; r < runs; r++) {       /* run -1: a warm-up, not counted */
        double t0 = now();
        for (int k = 0; k < trips; k++) {
            memcpy(dst, src, n);
            __asm__ volatile("" : : "r"(dst) : "memory");
        }
        double t1 = now();
        for (int k = 0; k < trips; k++) {
            pool_value v = pool_apply(p, echo, pool_bytes(src, n));
            size_t got;
            const unsigned char *b = pool_as_bytes(v, &got);
            CHECK(got == n && b[0] == src[0] && b[n / 2] == src[n / 2] && b[n - 1] == src[n - 1],
                  "a round trip of %zu bytes came back wrong", n);
            pool_value_free(v);
        }
        double t2 = now();
        if (r >= 0) {
            copy[r] = (t1 - t0) / trips;
            trip[r] = (t2 - t1) / trips;
        }
    }
    /* The last result, checked whole. */
    pool_value v = pool_apply(p, echo, pool_bytes(src, n));
    CHECK(v.kind == POOL_BYTES && v.as.b.n == n && memcmp(v.as.b.p, src, n) == 0,
          "the bytes came back changed");
    pool_value_free(v);

    char what[80];
    printf("%zu MB (%d runs of %d round trips; GB/s = bytes moved / time):\n", n / MB, runs,
           trips);
    snprintf(what, sizeof what, "memcpy of %zu MB", n / MB);
    report(what, "bytes_memcpy", n, (double)n, copy, runs);
    snprintf(what, sizeof what, "no pool: 2 processes, 2 x %zu MB", n / MB);
    report(what, "bytes_nopool", n, 2.0 * (double)n, base, runs);
    snprintf(what, sizeof what, "round trip (2 x %zu MB moved)", n / MB);
    report(what, "bytes_trip", n, 2.0 * (double)n, trip, runs);
    printf("  a round trip takes %.2f times two memcpy's, %.2f times no pool\n",
           trip[runs / 2] / (2 * copy[runs / 2]), trip[runs / 2] / base[runs / 2]);
    free(src);
    free(dst);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 7;
    if (runs < 1 || runs > 64) {
        fprintf(stderr, "usage: bytesbench [RUNS (1 to 64)]\n");
        return 2;
    }
    /* 100 MB go in an extent of 128 MB, and an argument and a result are
     * out at once: the pool's memory file must be allowed to grow to
     * 512 MB. Raise the file size limit that far if it is lower (as far as
     * its hard limit allows), else say so and skip 100 MB. */
    const rlim_t need = (rlim_t)512 * MB;
    bool big = true;
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
        big = setrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur >= need;
    }
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    one_size(p, MB, 200, runs);
    if (big)
        one_size(p, 100 * MB, 3, runs);
    else
        printf("100 MB: skipped: the file size limit (ulimit -f) is %llu bytes and cannot be "
               "raised to the 512 MB this needs (ulimit -f unlimited)\n",
               (unsigned long long)rl.rlim_cur);
    pool_destroy(p);
    return 0;
}
