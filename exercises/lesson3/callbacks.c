/*
 * callbacks.c - report each call the moment it ends.
 *
 * Eight calls of different lengths go out at once. As shipped, the master
 * waits for all of them and only then reports them, in call order. Give
 * each future a callback that reports its call as soon as it ends: see
 * exercises/lesson3/README.md.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pool.h"

#define NCALLS 8

/* Sleep for nsecs seconds, then return x * x * x. */
static pool_value slow_cube(pool_args a)
{
    pool_expect_args(a, 2);
    int nsecs = pool_arg_int(a, 0), x = pool_arg_int(a, 1);
    pool_sleep(nsecs);
    return pool_int((long)x * x * x);
}

int main(void)
{
    static const int seconds[NCALLS] = { 7, 6, 5, 1, 1, 1, 1, 5 };
    future *calls[NCALLS];

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    for (int i = 0; i < NCALLS; i++)
        calls[i] = pool_apply_async(p, slow_cube, seconds[i], i);

    /* TODO: give each future a callback (future_on_done) that prints
     * "Call i done: v (k of 8)" when call i succeeds, or
     * "Call i failed: TYPE : MESSAGE (k of 8)" when it fails, where k
     * counts the calls reported so far. Then replace the loop below:
     * the master only waits (pool_close, then pool_join). */
    future_wait_many(calls, NCALLS, FUTURE_ALL_COMPLETED, -1);
    for (int i = 0; i < NCALLS; i++)
        printf("Call %d done: %ld (%d of %d)\n", i, pool_as_int(future_get(calls[i])), i + 1, NCALLS);

    pool_destroy(p);
    return 0;
}
