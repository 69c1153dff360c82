/*
 * ascompleted.c - take results in the order the calls finish.
 *
 * Five calls of different lengths go out at once. An as-completed
 * iteration hands back each future as soon as its call is done, so the
 * master prints the quick results first instead of waiting for call 0.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pool.h"

#define NCALLS 5

/* Sleep for nsecs seconds, then return x * x. */
static pool_value slow_square(pool_args a)
{
    pool_expect_args(a, 2);
    int nsecs = pool_arg_int(a, 0), x = pool_arg_int(a, 1);
    pool_sleep(nsecs);
    return pool_int(x * x);
}

/* The place of f in calls[0..n), or -1. */
static int index_of(future *const *calls, int n, const future *f)
{
    for (int i = 0; i < n; i++)
        if (calls[i] == f)
            return i;
    return -1;
}

int main(void)
{
    static const int seconds[NCALLS] = { 5, 1, 4, 2, 3 };
    future *calls[NCALLS];

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    for (int i = 0; i < NCALLS; i++) {
        calls[i] = pool_apply_async(p, slow_square, seconds[i], i + 10);
        printf("Call %d sleeps %d second(s)\n", i, seconds[i]);
    }

    future_iter *it = future_as_completed(calls, NCALLS);
    if (it == NULL) {
        pool_perror("future_as_completed");
        exit(1);
    }
    future *f;
    while ((f = future_iter_next(it, -1)) != NULL) {
        int i = index_of(calls, NCALLS, f);
        printf("Call %d is done: %d squared is %ld\n", i, i + 10, pool_as_int(future_get(f)));
    }
    future_iter_free(it);

    pool_destroy(p);    /* the iteration handed out every future: all are done */
    return 0;
}
