/*
 * future.c - watching futures: ready, successful, get.
 *
 * Five calls go out at once. Once a second the master asks each future
 * whether it is ready, until all are; then it prints every result, or the
 * error that a failed call left in its future. The rounds fall on the half
 * seconds, when no call is ending.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "pool.h"

/* Sleep for nsecs seconds, then return x + y. */
static pool_value slow_add(pool_args a)
{
    pool_expect_args(a, 3);
    int nsecs = pool_arg_int(a, 0), x = pool_arg_int(a, 1), y = pool_arg_int(a, 2);
    pool_sleep(nsecs);
    return pool_int(x + y);
}

/* Sleep for nsecs seconds, then return x - y. */
static pool_value slow_diff(pool_args a)
{
    pool_expect_args(a, 3);
    int nsecs = pool_arg_int(a, 0), x = pool_arg_int(a, 1), y = pool_arg_int(a, 2);
    pool_sleep(nsecs);
    return pool_int(x - y);
}

/* Sleep for nsecs seconds, then fail on purpose. */
static pool_value broken_function(pool_args a)
{
    pool_expect_args(a, 1);
    int nsecs = pool_arg_int(a, 0);
    pool_sleep(nsecs);
    return pool_error("ValueError", "Called broken function");
}

int main(void)
{
    future *futures[5];
    int n = 0;

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    futures[n++] = pool_apply_async(p, slow_add, 3, 6, 7);
    futures[n++] = pool_apply_async(p, slow_diff, 2, 5, 2);
    futures[n++] = pool_apply_async(p, slow_add, 1, 8, 1);
    futures[n++] = pool_apply_async(p, slow_diff, 5, 9, 2);
    futures[n++] = pool_apply_async(p, broken_function, 4);

    /*
     * The calls end on whole seconds. A round reads the futures one after
     * another, not all at one instant: one that fell just as a call ended
     * could see it running and the next call already started. So the
     * rounds start half a second in.
     */
    pool_sleep(0.5);

    while (true) {
        bool all_finished = true;

        printf("\nHave the workers finished?\n");

        for (int i = 0; i < n; i++) {
            if (future_ready(futures[i])) {
                printf("Process %d has finished\n", i);
            } else if (future_pid(futures[i]) == 0) {
                all_finished = false;   /* no worker has taken it yet */
                printf("Process %d is waiting in the queue...\n", i);
            } else {
                all_finished = false;
                printf("Process %d is running...\n", i);
            }
        }

        if (all_finished)
            break;

        pool_sleep(1);
    }

    printf("\nHere are the results.\n");

    for (int i = 0; i < n; i++) {
        if (future_successful(futures[i]) == 1) {   /* 1: ok, 0: failed */
            printf("Process %d was successful. Result is %ld\n",
                   i, pool_as_int(future_get(futures[i])));
        } else {
            printf("Process %d failed!\n", i);

            pool_value e = future_get(futures[i]);
            printf("    Error = %s : %s\n", pool_error_type(e), pool_error_message(e));
        }
    }

    pool_destroy(p);    /* every future is ready: no work is lost */
    return 0;
}
