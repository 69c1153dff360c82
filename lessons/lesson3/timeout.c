/*
 * timeout.c - a call that hangs, stopped by its time limit.
 *
 * Each call may run for at most two seconds. One call waits for a message
 * that never comes; another is simply too slow. Both are stopped: their
 * workers are killed and replaced, and their futures fail with a Timeout.
 * The quick call is not touched, and the pool takes calls afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"

/* Sleep for nsecs seconds, then return x * x. */
static pool_value slow_square(pool_args a)
{
    pool_expect_args(a, 2);
    int nsecs = pool_arg_int(a, 0), x = pool_arg_int(a, 1);
    pool_sleep(nsecs);
    return pool_int(x * x);
}

/* Wait for a signal that nobody sends: this never returns. */
static pool_value wait_forever(pool_args a)
{
    pool_expect_args(a, 0);
    for (;;)
        pause();
    return pool_none();     /* never reached */
}

/* Print call i's result, or its error. */
static void report(int i, future *f)
{
    pool_value v = future_get(f);
    if (pool_is_error(v))
        printf("Call %d failed: %s : %s\n", i, pool_error_type(v), pool_error_message(v));
    else
        printf("Call %d returned %ld\n", i, pool_as_int(v));
}

int main(void)
{
    /* Two seconds, counted as pool_sleep counts them: POOL_TIME_SCALE
     * speeds both up alike. */
    double limit = 2;
    future *calls[3];

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    calls[0] = pool_apply_async_limit(p, limit, slow_square, 1, 3);
    calls[1] = pool_apply_async_limit(p, limit, wait_forever);
    calls[2] = pool_apply_async_limit(p, limit, slow_square, 5, 4);

    for (int i = 0; i < 3; i++)
        report(i, calls[i]);

    /* The workers that were killed have been replaced. */
    future *after = pool_apply_async(p, slow_square, 1, 5);
    report(3, after);

    pool_destroy(p);
    return 0;
}
