/*
 * waitany.c - wait for the first of several calls, not for one chosen
 * in advance.
 *
 * Three calls go out at once: 3, 1 and 2 seconds long. The master first
 * waits half a second for any of them (none is done so soon), then as long
 * as it takes for the first, then for all three.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "pool.h"

/* Sleep for nsecs seconds, then return x * x. */
static pool_value slow_square(pool_args a)
{
    pool_expect_args(a, 2);
    int nsecs = pool_arg_int(a, 0), x = pool_arg_int(a, 1);
    pool_sleep(nsecs);
    return pool_int(x * x);
}

int main(void)
{
    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    future *calls[3];
    calls[0] = pool_apply_async(p, slow_square, 3, 3);
    calls[1] = pool_apply_async(p, slow_square, 1, 1);
    calls[2] = pool_apply_async(p, slow_square, 2, 2);

    /* A time limit on the wait: the shortest call needs a whole second. */
    long first = future_wait_any(calls, 3, 0.5 * pool_time_scale());
    if (first < 0 && errno == ETIMEDOUT)
        printf("After half a second, no call has finished yet\n");

    /* No limit: return as soon as one of them is done. */
    first = future_wait_any(calls, 3, -1);
    printf("Call %ld finished first. Result is %ld\n",
           first, pool_as_int(future_get(calls[first])));

    /* Now wait for the other two as well. */
    future_wait_many(calls, 3, FUTURE_ALL_COMPLETED, -1);
    for (int i = 0; i < 3; i++)
        printf("Call %d: result is %ld\n", i, pool_as_int(future_get(calls[i])));

    pool_destroy(p);    /* every call is done */
    return 0;
}
