/*
 * completed.c - save each result as soon as it is there.
 *
 * Four downloads run in the pool, of 4, 1, 3 and 2 seconds. Each result
 * must then be saved, and saving takes one second: the master does it
 * with pool_apply, one result at a time.
 *
 * As shipped, the master saves the results in call order, so nothing is
 * saved until the slowest download, call 0, is done. Save each result as
 * soon as its download ends: see exercises/lesson3/README.md.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pool.h"

#define NCALLS 4

/* Download item x in nsecs seconds: its value is x * x. */
static pool_value download(pool_args a)
{
    pool_expect_args(a, 2);
    int nsecs = pool_arg_int(a, 0), x = pool_arg_int(a, 1);
    pool_sleep(nsecs);
    return pool_int(x * x);
}

/* Save the value of call i: one second, one call at a time. */
static pool_value save(pool_args a)
{
    pool_expect_args(a, 2);
    long value = pool_arg_int(a, 1);
    pool_sleep(1);
    return pool_int(value);
}

int main(void)
{
    static const int seconds[NCALLS] = { 4, 1, 3, 2 };
    future *calls[NCALLS];

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    for (int i = 0; i < NCALLS; i++)
        calls[i] = pool_apply_async(p, download, seconds[i], i + 2);

    /* TODO: take the downloads in the order they end
     * (future_as_completed), not in call order. */
    for (int i = 0; i < NCALLS; i++) {
        long value = pool_as_int(future_get(calls[i]));
        pool_value saved = pool_apply(p, save, i, value);
        printf("Saved call %d: %ld\n", i, pool_as_int(saved));
    }

    pool_destroy(p);
    return 0;
}
