/*
 * poolapply_function.c - pool_apply: one call, run in a worker, waited for.
 *
 * The master asks one worker of the pool to run slow_function(5) and
 * blocks until the result comes back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"

/* Sleep for nsecs seconds, then return nsecs. */
static pool_value slow_function(pool_args a)
{
    pool_expect_args(a, 1);
    int nsecs = pool_arg_int(a, 0);

    printf("Process %d going to sleep for %d second(s)\n", getpid(), nsecs);

    pool_sleep(nsecs);

    printf("Process %d waking up\n", getpid());

    return pool_int(nsecs);
}

int main(void)
{
    printf("Master process is PID %d\n", getpid());

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }
    pool_value r = pool_apply(p, slow_function, 5);
    pool_destroy(p);

    printf("Result is %ld\n", pool_as_int(r));
    return 0;
}
