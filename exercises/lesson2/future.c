/*
 * future.c - exercise: choose the number of workers, add calls, and watch
 * how the calls spread over the workers.
 *
 * As shipped, this is lesson 2's future program: five calls, a table of
 * which futures are ready once a second, then every result or error.
 *
 * What to do (README.md beside this file says more):
 *   1. Take the worker count from the command line: ./future 3 makes a pool
 *      of 3 workers. With no argument, keep pool_create(0): one worker per
 *      CPU, or $POOL_WORKERS. An argument that is not a whole number, or is
 *      zero or negative, prints a line starting "usage:" on stderr and exits
 *      with status 2.
 *   2. Add more asynchronous calls (more than five in all). Every one must
 *      be waited for and reported, as the first five are.
 *   3. Run it with 1, 2, 4 and 8 workers. Which worker ran which call?
 *          POOL_TRACE=trace.csv ./build/exercises/lesson2/future 2
 *      writes one line per call, with the PID of the worker that ran it.
 *
 * Build and run:  make build/exercises/lesson2/future
 *                 ./build/exercises/lesson2/future
 * Grade:          EXERCISE=future make grade
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "pool.h"

#define MAX_CALLS 32

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
    pool_sleep(pool_arg_int(a, 0));
    return pool_error("ValueError", "Called broken function");
}

int main(int argc, char *argv[])
{
    future *futures[MAX_CALLS];
    int n = 0;

    /* TODO 1: if argv[1] is there, turn it into the worker count (strtol,
     * then check the end pointer and the range). A bad count: print
     * "usage: future [WORKERS]" on stderr and return 2. */
    (void)argc;
    (void)argv;
    int workers = 0;                    /* 0: one worker per CPU */

    pool *p = pool_create(workers);
    if (p == NULL) {
        pool_perror("future");
        return 1;
    }

    futures[n++] = pool_apply_async(p, slow_add, 3, 6, 7);
    futures[n++] = pool_apply_async(p, slow_diff, 2, 5, 2);
    futures[n++] = pool_apply_async(p, slow_add, 1, 8, 1);
    futures[n++] = pool_apply_async(p, slow_diff, 5, 9, 2);
    futures[n++] = pool_apply_async(p, broken_function, 4);
    /* TODO 2: add more calls here, up to MAX_CALLS in all. */

    /* The rounds start half a second in: the calls end on whole seconds,
     * and a round read just as one ended could show it running and the
     * next call already started (lessons/lesson2/README.md says more). */
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
        if (future_successful(futures[i]) == 1) {     /* 1: ok, 0: failed */
            printf("Process %d was successful. Result is %ld\n",
                   i, pool_as_int(future_get(futures[i])));
        } else {
            pool_value e = future_get(futures[i]);
            printf("Process %d failed!\n", i);
            printf("    Error = %s : %s\n", pool_error_type(e), pool_error_message(e));
        }
    }

    pool_destroy(p);    /* every future is ready: no work is lost */
    return 0;
}
