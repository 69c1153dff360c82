/*
 * poolapply.c - pool_apply with an argument list of three.
 *
 * slow_add takes three arguments; the call lists them in the order the
 * task reads them: pool_apply(p, slow_add, 1, 6, 7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"

/* Sleep for nsecs seconds, then return x + y. */
static pool_value slow_add(pool_args a)
{
    pool_expect_args(a, 3);
    int nsecs = pool_arg_int(a, 0), x = pool_arg_int(a, 1), y = pool_arg_int(a, 2);

    printf("Process %d going to sleep for %d second(s)\n", getpid(), nsecs);

    pool_sleep(nsecs);

    printf("Process %d waking up\n", getpid());

    return pool_int(x + y);
}

int main(void)
{
    printf("Master process is PID %d\n", getpid());

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }
    pool_value r = pool_apply(p, slow_add, 1, 6, 7);
    pool_destroy(p);

    printf("Result is %ld\n", pool_as_int(r));
    return 0;
}
