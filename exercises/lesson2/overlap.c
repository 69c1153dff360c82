/*
 * overlap.c - exercise: make blocking calls overlap.
 *
 * As shipped, the loop below calls pool_apply eight times. pool_apply waits
 * for its result, so the master makes one call, waits a second, makes the
 * next: the pool has several workers but only one is ever busy, and the
 * program takes eight seconds.
 *
 * What to do (README.md beside this file says more):
 *   Make all eight calls first with pool_apply_async, keeping the futures in
 *   an array; then, in a second loop, get each result and print it, in call
 *   order, with the same line as now ("Square of 3 is 9"). With four
 *   workers the program should take about two seconds.
 *
 * Build and run:  make build/exercises/lesson2/overlap
 *                 POOL_WORKERS=4 ./build/exercises/lesson2/overlap
 * Grade:          EXERCISE=overlap make grade
 *                 (it runs the program with POOL_WORKERS=4 and reads the
 *                 trace: which calls ran at the same time)
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

    /* TODO: each pool_apply waits for its result before the loop goes on.
     * Make every call first with pool_apply_async (future *futures[NCALLS]),
     * then get and print the results in a second loop. */
    for (int i = 0; i < NCALLS; i++) {
        pool_value r = pool_apply(p, slow_square, 1, i);
        printf("Square of %d is %ld\n", i, pool_as_int(r));
    }

    printf("%d calls took %.1f seconds\n", NCALLS, now() - start);
    pool_destroy(p);
    return 0;
}
