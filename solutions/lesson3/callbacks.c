/*
 * callbacks.c - report each call the moment it ends.
 *
 * Eight calls of different lengths go out at once. Each future has a
 * callback that reports its call as soon as it ends, with a count of the
 * calls reported so far (the reference answer to
 * exercises/lesson3/callbacks.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "pool.h"

#define NCALLS 8

/* The count of calls reported, shared by the callbacks (and the master,
 * which runs a callback itself if its call ended before it was added). */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int reported;

/* Sleep for nsecs seconds, then return x * x * x. */
static pool_value slow_cube(pool_args a)
{
    pool_expect_args(a, 2);
    int nsecs = pool_arg_int(a, 0), x = pool_arg_int(a, 1);
    pool_sleep(nsecs);
    return pool_int((long)x * x * x);
}

/* Run once call *arg has succeeded. */
static void on_ok(future *f, void *arg)
{
    pthread_mutex_lock(&lock);
    reported++;
    printf("Call %d done: %ld (%d of %d)\n", *(int *)arg, pool_as_int(future_get(f)),
           reported, NCALLS);
    pthread_mutex_unlock(&lock);
}

/* Run once call *arg has failed. */
static void on_error(future *f, void *arg)
{
    pool_value e = future_get(f);
    pthread_mutex_lock(&lock);
    reported++;
    printf("Call %d failed: %s : %s (%d of %d)\n", *(int *)arg, pool_error_type(e),
           pool_error_message(e), reported, NCALLS);
    pthread_mutex_unlock(&lock);
}

int main(void)
{
    static const int seconds[NCALLS] = { 7, 6, 5, 1, 1, 1, 1, 5 };
    static int index[NCALLS];   /* what each callback's arg points to */
    future *calls[NCALLS];

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    for (int i = 0; i < NCALLS; i++) {
        index[i] = i;
        calls[i] = pool_apply_async(p, slow_cube, seconds[i], i);
        if (calls[i] == NULL || future_on_done(calls[i], on_ok, on_error, &index[i]) != 0) {
            pool_perror("pool_apply_async");
            exit(1);
        }
    }

    pool_close(p);
    pool_join(p);       /* every call has ended, and its callback has run */
    pool_destroy(p);
    return 0;
}
