/*
 * future.c - a reference answer to exercises/lesson2/future.c.
 *
 * The worker count comes from argv[1] (none: one per CPU, or
 * $POOL_WORKERS); ten calls go out, so that with few workers some wait in
 * the queue, and the trace shows how they spread.
 */
#include <errno.h>
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

/* The worker count written in s, or -1 if s is not a whole number from 1
 * to POOL_MAX_WORKERS. */
static int parse_workers(const char *s)
{
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || n < 1 || n > POOL_MAX_WORKERS)
        return -1;
    return (int)n;
}

int main(int argc, char *argv[])
{
    future *futures[MAX_CALLS];
    int n = 0;

    int workers = 0;                    /* 0: one worker per CPU */
    if (argc > 1 && (workers = parse_workers(argv[1])) < 0) {
        fprintf(stderr, "usage: future [WORKERS]   (WORKERS: 1 to %d)\n", POOL_MAX_WORKERS);
        return 2;
    }

    pool *p = pool_create(workers);
    if (p == NULL) {
        pool_perror("future");
        return 1;
    }
    printf("The pool has %d workers\n", pool_size(p));

    futures[n++] = pool_apply_async(p, slow_add, 3, 6, 7);
    futures[n++] = pool_apply_async(p, slow_diff, 2, 5, 2);
    futures[n++] = pool_apply_async(p, slow_add, 1, 8, 1);
    futures[n++] = pool_apply_async(p, slow_diff, 5, 9, 2);
    futures[n++] = pool_apply_async(p, broken_function, 4);
    futures[n++] = pool_apply_async(p, slow_add, 2, 20, 22);
    futures[n++] = pool_apply_async(p, slow_diff, 1, 3, 10);
    futures[n++] = pool_apply_async(p, slow_add, 4, -5, 5);
    futures[n++] = pool_apply_async(p, broken_function, 1);
    futures[n++] = pool_apply_async(p, slow_diff, 3, 100, 1);

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
        if (future_successful(futures[i]) == 1) {
            printf("Process %d was successful. Result is %ld (worker %d)\n",
                   i, pool_as_int(future_get(futures[i])), (int)future_pid(futures[i]));
        } else {
            pool_value e = future_get(futures[i]);
            printf("Process %d failed!\n", i);
            printf("    Error = %s : %s\n", pool_error_type(e), pool_error_message(e));
        }
    }

    pool_destroy(p);
    return 0;
}
