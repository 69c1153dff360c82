/*
 * map.c - one function over an array: a for loop, then pool_map.
 *
 * The for loop squares the numbers one after another, in the master.
 * pool_map hands the same inputs to the workers, which square them side
 * by side; out[i] still gets the square of in[i].
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"

#define NINPUTS 10

/* Seconds on a clock that only goes forward, in the program's own
 * seconds: pool_sleep's scale (POOL_TIME_SCALE) is taken out. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec + t.tv_nsec / 1e9) / pool_time_scale();
}

/* x * x, the slow way: it takes half a second. */
static long square_slowly(long x)
{
    pool_sleep(0.5);
    return x * x;
}

/* The same work as a task: one argument in, one value out. */
static pool_value square(pool_args a)
{
    pool_expect_args(a, 1);
    long x = pool_arg_int(a, 0);

    printf("Process %d squares %ld\n", getpid(), x);
    return pool_int(square_slowly(x));
}

int main(void)
{
    printf("Master process is PID %d\n", getpid());

    long serial[NINPUTS];
    double t0 = now();
    for (int i = 0; i < NINPUTS; i++)
        serial[i] = square_slowly(i);
    printf("The for loop, in the master: %d squares in %.1f s\n", NINPUTS, now() - t0);

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    pool_value in[NINPUTS], out[NINPUTS];
    for (int i = 0; i < NINPUTS; i++)
        in[i] = pool_int(i);

    t0 = now();
    int failed = pool_map(p, square, in, NINPUTS, out);
    double took = now() - t0;
    if (failed != 0) {
        if (failed < 0)
            pool_perror("pool_map");
        else
            fprintf(stderr, "map: %d of %d inputs failed\n", failed, NINPUTS);
        pool_destroy(p);
        exit(1);
    }
    printf("pool_map: %d squares in %.1f s (workers: %d)\n", NINPUTS, took, pool_size(p));
    pool_destroy(p);

    for (int i = 0; i < NINPUTS; i++)
        printf("square(%d) = %ld%s\n", i, pool_as_int(out[i]),
               pool_as_int(out[i]) == serial[i] ? "" : " (the for loop said otherwise!)");
    return 0;
}
