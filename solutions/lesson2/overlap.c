/*
 * overlap.c - a reference answer to exercises/lesson2/overlap.c.
 *
 * Every call is made before any result is asked for, so the calls run on
 * all the workers at once; the results are then read in call order.
 */
#include <stdio.h>
#include <time.h>

#include "pool.h"

#define NCALLS 8

/* Sleep for nsecs seconds, then return x * x. */
static pool_value slow_square(pool_args a)
{
    pool_expect_args(a, 2);
    int nsecs = pool_arg_int(a, 0), x = pool_arg_int(a, 1);
    pool_sleep(nsecs);
    return pool_int((long)x * x);
}

/* Seconds since some fixed point, to time the calls. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
    pool *p = pool_create(0);           /* $POOL_WORKERS, else one per CPU */
    if (p == NULL) {
        pool_perror("overlap");
        return 1;
    }
    printf("The pool has %d workers\n", pool_size(p));

    double start = now();
    future *futures[NCALLS];

    for (int i = 0; i < NCALLS; i++)    /* never blocks */
        futures[i] = pool_apply_async(p, slow_square, 1, i);

    for (int i = 0; i < NCALLS; i++)    /* blocks until call i is done */
        printf("Square of %d is %ld\n", i, pool_as_int(future_get(futures[i])));

    printf("%d calls took %.1f seconds\n", NCALLS, now() - start);
    pool_destroy(p);
    return 0;
}
