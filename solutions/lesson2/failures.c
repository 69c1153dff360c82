/*
 * failures.c - a reference answer to exercises/lesson2/failures.c.
 *
 * Each future is asked whether its call worked before its value is used;
 * a failure is reported with its error's type and message, and counted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "pool.h"

#define NCALLS 6

/* Return x / y; fail with a DivideByZero when y is 0. */
static pool_value safe_divide(pool_args a)
{
    pool_expect_args(a, 2);
    long x = pool_arg_int(a, 0), y = pool_arg_int(a, 1);
    pool_sleep(1);
    if (y == 0)
        return pool_error("DivideByZero", "cannot divide %ld by zero", x);
    return pool_int(x / y);
}

/* Return the whole number written in the string; fail with a ValueError
 * when it is not one. */
static pool_value parse_number(pool_args a)
{
    pool_expect_args(a, 1);
    const char *s = pool_arg_str(a, 0);
    char *end;
    pool_sleep(1);
    errno = 0;
    long n = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0)
        return pool_error("ValueError", "not a whole number: '%s'", s);
    return pool_int(n);
}

int main(void)
{
    future *futures[NCALLS];

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("failures");
        return 1;
    }

    futures[0] = pool_apply_async(p, safe_divide, 12, 4);
    futures[1] = pool_apply_async(p, safe_divide, 1, 0);
    futures[2] = pool_apply_async(p, parse_number, "42");
    futures[3] = pool_apply_async(p, parse_number, "forty-two");
    futures[4] = pool_apply_async(p, safe_divide, 7);        /* one argument short */
    futures[5] = pool_apply_async(p, safe_divide, 100, 7);

    int failed = 0;
    for (int i = 0; i < NCALLS; i++) {
        future_wait(futures[i]);
        pool_value v = future_get(futures[i]);
        if (future_successful(futures[i]) == 1) {
            printf("Call %d returned %ld\n", i, pool_as_int(v));
        } else {
            printf("Call %d failed with %s: %s\n", i, pool_error_type(v), pool_error_message(v));
            failed++;
        }
    }
    printf("%d of %d calls failed\n", failed, NCALLS);

    pool_destroy(p);
    return 0;
}
