/*
 * limit.c - a time limit for every call.
 *
 * Five lookups go to a server. Most answer within two seconds, but one
 * server is stuck and takes thirty.
 *
 * Every call gets a limit of three seconds; a call that runs past it is
 * reported as timed out (the reference answer to exercises/lesson3/limit.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#define NCALLS 5

/* Look x up: the answer, x * 10, comes after nsecs seconds. */
static pool_value lookup(pool_args a)
{
    pool_expect_args(a, 2);
    int nsecs = pool_arg_int(a, 0), x = pool_arg_int(a, 1);
    pool_sleep(nsecs);
    return pool_int(x * 10);
}

int main(void)
{
    static const int seconds[NCALLS] = { 1, 2, 30, 1, 2 };
    future *calls[NCALLS];

    /* Three seconds. A limit counts the program's seconds, as pool_sleep
     * does: POOL_TIME_SCALE speeds both up alike. */
    double limit = 3;

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    for (int i = 0; i < NCALLS; i++)
        calls[i] = pool_apply_async_limit(p, limit, lookup, seconds[i], i);

    for (int i = 0; i < NCALLS; i++) {
        pool_value v = future_get(calls[i]);
        if (!pool_is_error(v))
            printf("Call %d returned %ld\n", i, pool_as_int(v));
        else if (strcmp(pool_error_type(v), "Timeout") == 0)
            printf("Call %d timed out\n", i);
        else
            printf("Call %d failed: %s : %s\n", i, pool_error_type(v), pool_error_message(v));
    }

    pool_destroy(p);
    return 0;
}
