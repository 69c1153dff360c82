/*
 * bytesbench.c - how fast bytes go to a task and back (issue 11).
 *
 *   bytesbench [RUNS]
 *
 * A round trip: the master sends n bytes as an argument (pool_bytes: one
 * copy, into shared memory), the task copies them into a result of the
 * same size that it writes in place (pool_bytes_alloc + memcpy: one copy),
 * and the master reads the result where it landed (no copy) and frees it.
 * So a round trip moves 2n bytes with two memcpy's of n; beside it, a plain
 * memcpy of n bytes between two buffers already in memory, on this machine,
 * in the same run. For 1 MB and 100 MB; RUNS runs of each (default 7),
 * printed as median (min-max). Every result is checked. Not a test:
 * figures for `make bench`.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "check.h"

#define MB (1024 * 1024)

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

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

/* Rates in GB/s (1e9 bytes a second): median (min-max) of t[0..runs). */
static void report(const char *what, double bytes, double *t, int runs)
{
    qsort(t, (size_t)runs, sizeof *t, cmp);
    printf("  %-34s %7.2f GB/s  (%.2f-%.2f)   %8.3f ms\n", what, bytes / t[runs / 2] / 1e9,
           bytes / t[runs - 1] / 1e9, bytes / t[0] / 1e9, t[runs / 2] * 1e3);
}

static void one_size(pool *p, size_t n, int trips, int runs)
{
    unsigned char *src = malloc(n), *dst = malloc(n);
    CHECK(src && dst, "out of memory");
    for (size_t i = 0; i < n; i++)
        src[i] = (unsigned char)(i * 7 + 1);
    memset(dst, 0, n);
    double copy[64], trip[64];
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
    report(what, (double)n, copy, runs);
    snprintf(what, sizeof what, "round trip (2 x %zu MB moved)", n / MB);
    report(what, 2.0 * (double)n, trip, runs);
    qsort(copy, (size_t)runs, sizeof *copy, cmp);
    printf("  a round trip takes %.2f times two memcpy's (1.00: no cost but the copies)\n",
           trip[runs / 2] / (2 * copy[runs / 2]));
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
