/*
 * limit.c - a time limit for every call.
 *
 * Five lookups go to a server. Most answer within two seconds, but one
 * server is stuck and takes thirty. As shipped, the master waits for it,
 * and so does everyone who waits for the master.
 *
 * Give every call a limit of three seconds; report a call that runs past
 * it as timed out: see exercises/lesson3/README.md.
 */
#include <stdio.h>
#include <stdlib.h>

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
    (void)limit;    /* TODO: use it, then delete this line */

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    /* TODO: give each call the limit (pool_apply_async_limit). */
    for (int i = 0; i < NCALLS; i++)
        calls[i] = pool_apply_async(p, lookup, seconds[i], i);

    /* TODO: a call stopped by its limit fails with a "Timeout" error:
     * print "Call i timed out" for it. */
    for (int i = 0; i < NCALLS; i++)
        printf("Call %d returned %ld\n", i, pool_as_int(future_get(calls[i])));

    pool_destroy(p);
    return 0;
}
