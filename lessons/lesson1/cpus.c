/*
 * cpus.c - more workers make a map faster, until they outnumber the CPUs.
 *
 * Two kinds of work, eight inputs of a quarter second each, mapped on 1,
 * 2, 4 and 8 workers. Sleeping work (pool_sleep) needs no CPU, so every
 * worker added helps. Busy work (a loop that computes) needs a CPU all the
 * time: once every CPU has a worker, more workers only take turns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"

#define NINPUTS 8
#define SECONDS 0.25            /* of work per input */

/* The program's own seconds (POOL_TIME_SCALE taken out) on clock c. */
static double seconds(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (t.tv_sec + t.tv_nsec / 1e9) / pool_time_scale();
}

/* Work that waits: the process sleeps and leaves its CPU free. */
static pool_value sleepy(pool_args a)
{
    pool_expect_args(a, 1);
    pool_sleep(SECONDS);
    return pool_int(pool_arg_int(a, 0));
}

/* Work that computes: loop until this process has used SECONDS of CPU. */
static pool_value busy(pool_args a)
{
    pool_expect_args(a, 1);
    double until = seconds(CLOCK_THREAD_CPUTIME_ID) + SECONDS;
    volatile unsigned long spins = 0;  /* volatile: the loop must really run */
    while (seconds(CLOCK_THREAD_CPUTIME_ID) < until)
        spins++;
    return pool_int(pool_arg_int(a, 0));
}

/* How long mapping fn over NINPUTS inputs takes on a pool of n workers. */
static double time_map(int n, pool_fn fn, const char *name)
{
    pool *p = pool_create(n);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }
    pool_value in[NINPUTS], out[NINPUTS];
    for (int i = 0; i < NINPUTS; i++)
        in[i] = pool_int(i);

    double t0 = seconds(CLOCK_MONOTONIC);
    int failed = pool_map_chunks(p, fn, name, in, NINPUTS, out, 1);
    double took = seconds(CLOCK_MONOTONIC) - t0;
    pool_destroy(p);
    if (failed != 0) {
        fprintf(stderr, "cpus: mapping %s on %d workers failed\n", name, n);
        exit(1);
    }
    return took;
}

int main(void)
{
    printf("This machine has %ld CPU(s).\n", sysconf(_SC_NPROCESSORS_ONLN));
    printf("%d inputs of %.2f s of work each, one input per task\n", NINPUTS, SECONDS);
    printf("workers   sleeping work      busy work\n");

    double sleep1 = 0, busy1 = 0;
    for (int n = 1; n <= 8; n *= 2) {
        double s = time_map(n, sleepy, "sleepy");
        double b = time_map(n, busy, "busy");
        if (n == 1) {
            sleep1 = s;
            busy1 = b;
        }
        printf("%7d   %5.2f s  x%-5.2f   %5.2f s  x%.2f\n", n, s, sleep1 / s, b, busy1 / b);
    }
    return 0;
}
