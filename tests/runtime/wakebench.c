/*
 * wakebench.c - how soon a waiter wakes after a call ends.
 *
 *   wakebench [CALLS]
 *
 * Each call sleeps a while (0, or 2 ms: long enough that the waiter has
 * stopped spinning and sleeps on its futex), reads CLOCK_MONOTONIC as its
 * last act and returns it. The master notes the clock when its wait
 * returns; the difference is the wake latency: result write, finish, wake,
 * harvest. For future_wait (one future), future_wait_any (that future and
 * 15 others still running) and future_iter_next. Prints the median, p90
 * and p99 in microseconds. Not a test: figures for `make bench`.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"

static gate hold;

static pool_value stamp(pool_args a)
{
    long us = pool_arg_int(a, 0);
    if (us > 0) {
        struct timespec t = {.tv_sec = 0, .tv_nsec = us * 1000L};
        nanosleep(&t, NULL);
    }
    return pool_double(now());
}

static pool_value held(pool_args a)
{
    (void)a;
    gate_pass(&hold);
    return pool_none();
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, long us, double *lat, int n)
{
    qsort(lat, (size_t)n, sizeof *lat, cmp);
    printf("%-18s call sleeps %4ld us: median %7.1f us  p90 %7.1f us  p99 %7.1f us  (%d calls)\n",
           what, us, lat[n / 2] * 1e6, lat[n * 9 / 10] * 1e6, lat[n * 99 / 100] * 1e6, n);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    CHECK(n >= 10 && n <= 4000, "10 to 4000 calls");
    gate_make(&hold);
    pool *p = pool_create(16);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    double *lat = malloc((size_t)n * sizeof *lat);
    /* 15 calls that stay running on 15 workers: wait_any looks past them.
     * The 16th worker runs the stamps. */
    future *others[16];
    static const long sleeps[2] = {0, 2000};
    for (int s = 0; s < 2; s++) {
        for (int mode = 0; mode < 3; mode++) {
            /* Fresh ones each round: a call that runs while 4096 more are
             * made holds up the ring (see runtime/README.md). */
            for (int i = 1; i < 16; i++)
                others[i] = pool_apply_async(p, held);
            for (int i = 0; i < n; i++) {
                future *f = pool_apply_async(p, stamp, sleeps[s]);
                double t;
                if (mode == 0) {
                    future_wait(f);
                    t = now();
                } else if (mode == 1) {
                    future *fs[16];
                    fs[0] = f;
                    for (int k = 1; k < 16; k++)
                        fs[k] = others[k];
                    CHECK(future_wait_any(fs, 16, -1) == 0, "wait_any");
                    t = now();
                } else {
                    future_iter *it = future_as_completed(&f, 1);
                    CHECK(future_iter_next(it, -1) == f, "iter");
                    t = now();
                    future_iter_free(it);
                }
                lat[i] = t - pool_as_double(future_get(f));
                future_free(f);
            }
            static const char *names[3] = {"future_wait", "future_wait_any", "future_iter_next"};
            report(names[mode], sleeps[s], lat, n);
            gate_open(&hold, 15);
            CHECK(future_wait_many(others + 1, 15, FUTURE_ALL_COMPLETED, -1) == 15,
                  "the held calls");
            for (int i = 1; i < 16; i++)
                future_free(others[i]);
        }
    }
    free(lat);
    pool_destroy(p);
    return 0;
}
