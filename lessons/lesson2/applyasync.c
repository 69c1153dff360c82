/*
 * applyasync.c - two calls at once with pool_apply_async.
 *
 * pool_apply_async hands the call to the pool and returns a future at
 * once, so the master can make the second call while the first runs.
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

    future *r1 = pool_apply_async(p, slow_add, 1, 6, 7);
    future *r2 = pool_apply_async(p, slow_add, 1, 2, 3);

    future_wait(r1);
    printf("Result one is %ld\n", pool_as_int(future_get(r1)));

    future_wait(r2);
    printf("Result two is %ld\n", pool_as_int(future_get(r2)));

    pool_destroy(p);    /* both futures are done: no work is lost */
    return 0;
}
