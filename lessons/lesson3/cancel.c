/*
 * cancel.c - cancel calls: those still waiting in the queue, and those
 * that already run.
 *
 * Six calls of two seconds go out. One second later the master changes its
 * mind and cancels them all. A call no worker has taken yet is simply
 * removed. A call that runs can only be stopped by killing its worker; the
 * pool then starts a new one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "pool.h"

#define NCALLS 6

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
    future *calls[NCALLS];
    int queued = 0, killed = 0;

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    for (int i = 0; i < NCALLS; i++)
        calls[i] = pool_apply_async(p, slow_square, 2, i);

    pool_sleep(1);

    /* First the calls still in the queue: future_cancel removes them. */
    for (int i = 0; i < NCALLS; i++) {
        if (future_cancel(calls[i]) == 0) {
            printf("Call %d was waiting in the queue: cancelled\n", i);
            queued++;
        }
    }

    /* Then the ones that run (future_cancel said EBUSY): kill them. */
    for (int i = 0; i < NCALLS; i++) {
        if (future_cancelled(calls[i]))
            continue;
        pid_t pid = future_pid(calls[i]);
        if (future_kill(calls[i]) == 0) {
            printf("Call %d was running in process %d: killed\n", i, (int)pid);
            killed++;
        } else if (errno == EALREADY) {
            printf("Call %d had finished: result is %ld\n", i, pool_as_int(future_get(calls[i])));
        }
    }

    printf("%d call(s) cancelled in the queue, %d killed while running\n", queued, killed);

    /* Every cancelled future holds an error, like a failed call. */
    pool_value e = future_get(calls[NCALLS - 1]);
    printf("Call %d holds %s : %s\n", NCALLS - 1, pool_error_type(e), pool_error_message(e));

    /* The pool has replaced the killed workers: it takes new calls. */
    future *after = pool_apply_async(p, slow_square, 1, 7);
    printf("A new call: 7 squared is %ld\n", pool_as_int(future_get(after)));

    pool_destroy(p);
    return 0;
}
