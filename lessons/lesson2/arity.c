/*
 * arity.c - what a call with the wrong number of arguments does.
 *
 * slow_add wants three arguments. A call with two or with four does not
 * crash anything: the task fails with a TypeError, and the error waits in
 * its future like any other result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"

/* Sleep for nsecs seconds, then return x + y. */
static pool_value slow_add(pool_args a)
{
    pool_expect_args(a, 3);     /* a wrong count ends the task here */
    int nsecs = pool_arg_int(a, 0), x = pool_arg_int(a, 1), y = pool_arg_int(a, 2);

    printf("Process %d going to sleep for %d second(s)\n", getpid(), nsecs);

    pool_sleep(nsecs);

    printf("Process %d waking up\n", getpid());

    return pool_int(x + y);
}

/* Wait for f, then print its result or its error. */
static void report(const char *call, future *f)
{
    future_wait(f);
    if (future_successful(f) == 1) {
        printf("%s was successful. Result is %ld\n", call, pool_as_int(future_get(f)));
    } else {
        pool_value e = future_get(f);
        printf("%s failed!\n", call);
        printf("    Error = %s : %s\n", pool_error_type(e), pool_error_message(e));
    }
}

int main(void)
{
    printf("Master process is PID %d\n", getpid());

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    future *right = pool_apply_async(p, slow_add, 1, 6, 7);
    future *too_few = pool_apply_async(p, slow_add, 1, 6);
    future *too_many = pool_apply_async(p, slow_add, 1, 6, 7, 8);

    report("slow_add(1, 6, 7)", right);
    report("slow_add(1, 6)", too_few);
    report("slow_add(1, 6, 7, 8)", too_many);

    pool_destroy(p);    /* all three futures are done */
    return 0;
}
