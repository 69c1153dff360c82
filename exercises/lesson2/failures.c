/*
 * failures.c - exercise: a failed call is not a result.
 *
 * Six calls go out; three of them fail. A task fails by returning
 * pool_error(type, message), and a call made with the wrong number of
 * arguments fails with a TypeError from pool_expect_args. The failure is
 * kept in the call's future: future_successful() says 0, and future_get()
 * gives the error, whose type and message pool_error_type() and
 * pool_error_message() read.
 *
 * As shipped, the program prints every future as if it held a result.
 *
 * What to do (README.md beside this file says more):
 *   1. Ask future_successful() before using a result. For a call that
 *      worked, print "Call 0 returned 3" as now. For one that failed, print
 *          Call 1 failed with DivideByZero: cannot divide 1 by zero
 *      that is, the error's type, a colon, and its message.
 *   2. At the end, print how many calls failed: "3 of 6 calls failed".
 *
 * Build and run:  make build/exercises/lesson2/failures
 *                 ./build/exercises/lesson2/failures
 * Grade:          EXERCISE=failures make grade
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

    for (int i = 0; i < NCALLS; i++) {
        /* TODO 1: this prints a failed call's error as if it were a
         * result. Check future_successful(futures[i]) first, and print a
         * failure as "Call 1 failed with TYPE: MESSAGE". */
        char text[200];
        pool_value v = future_get(futures[i]);
        printf("Call %d returned %s\n", i, pool_value_format(v, text, sizeof text));
    }

    /* TODO 2: count the failed calls and print "3 of 6 calls failed". */

    pool_destroy(p);
    return 0;
}
