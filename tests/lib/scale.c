/*
 * scale: a time limit counts the program's seconds, as pool_sleep does.
 * Run with POOL_TIME_SCALE (tests/lib.bats uses 0.1): a task that sleeps 5
 * of its seconds runs past a limit of 2, and one that sleeps 1 does not,
 * whatever the scale. Prints one line per call.
 */
#include <stdio.h>

#include "pool.h"

static pool_value nap(pool_args a)
{
    pool_expect_args(a, 1);
    pool_sleep(pool_arg_int(a, 0));
    return pool_int(pool_arg_int(a, 0));
}

int main(void)
{
    pool *p = pool_create(2);
    if (p == NULL) {
        pool_perror("pool_create");
        return 1;
    }
    int limit = 2;      /* an int will do: no scale to multiply by */
    future *f[2] = {pool_apply_async_limit(p, limit, nap, 5),
                    pool_apply_async_limit(p, limit, nap, 1)};
    for (int i = 0; i < 2; i++) {
        pool_value v = future_get(f[i]);
        if (pool_is_error(v))
            printf("call %d: %s: %s\n", i, pool_error_type(v), pool_error_message(v));
        else
            printf("call %d: %ld\n", i, pool_as_int(v));
    }
    pool_destroy(p);
    return 0;
}
