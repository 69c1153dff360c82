/* dialect: every macro of pool.h that takes a call's arguments, with none,
 * one and sixteen of them, in plain C11. tests/runtime.bats compiles this
 * file itself with -std=c11 -pedantic -Werror (and with clang when it is
 * there): a student who asks the compiler for standard C gets no warning.
 * Prints one line per call, the result; exits 1 on a wrong one. */
#include "pool.h"

#include <stdio.h>

static pool_value seven(pool_args a)
{
    (void)a;
    return pool_int(7);
}

static pool_value sum(pool_args a)
{
    long s = 0;
    for (int i = 0; i < a.count; i++)
        s += pool_arg_int(a, i);
    return pool_int(s);
}

static pool_value set_up(pool_args a)
{
    (void)a;
    return pool_none();
}

static int check(const char *what, pool_value v, long want)
{
    if (v.kind != POOL_INT || pool_as_int(v) != want) {
        printf("%s: wrong result\n", what);
        return 1;
    }
    printf("%s: %ld\n", what, pool_as_int(v));
    return 0;
}

static int check_future(const char *what, future *f, long want)
{
    if (f == NULL) {
        printf("%s: no future\n", what);
        return 1;
    }
    int bad = check(what, future_get(f), want);
    future_free(f);
    return bad;
}

int main(void)
{
    pool *p = pool_create(2);
    if (p == NULL) {
        pool_perror("pool_create");
        return 1;
    }
    int bad = pool_set_initializer(p, set_up) != 0;
    bad |= pool_set_initializer(p, set_up, 1, 2.5, "three") != 0;
    bad |= check("apply0", pool_apply(p, seven), 7);
    bad |= check("apply1", pool_apply(p, sum, 5), 5);
    bad |= check("apply16", pool_apply(p, sum, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                       13, 14, 15, 16), 136);
    bad |= check_future("async0", pool_apply_async(p, seven), 7);
    bad |= check_future("async2", pool_apply_async(p, sum, 2, 3), 5);
    bad |= check_future("limit0", pool_apply_async_limit(p, 30.0, seven), 7);
    bad |= check_future("limit3", pool_apply_async_limit(p, 30.0, sum, 1, 2, 3), 6);
    bad |= check_future("retries0", pool_apply_async_retries(p, 1, seven), 7);
    bad |= check_future("retries1", pool_apply_async_retries(p, 1, sum, 9), 9);
    pool_destroy(p);
    return bad;
}
