/*
 * schedule.c - the schedule case: each call to the first free worker.
 *
 *     schedule
 *
 * Two workers; one 2 s call, one call that fails at once (wrong arity), then
 * four 1 s calls, all submitted at once, in that order. Sleeps are real
 * seconds (pool_sleep with POOL_TIME_SCALE unset: the program refuses to run
 * otherwise). The best schedule ends at 3.0 s: one worker runs the 2 s call
 * then a 1 s call, the other the failing call and three 1 s calls.
 *
 * Checks every result; prints "elapsed S" (seconds, CLOCK_MONOTONIC, from
 * just before the first call to the end of the last). tests/core.bats
 * bounds it, and the makespan in the trace when POOL_TRACE is set.
 */
#include <time.h>

#include "check.h"

static pool_value nap(pool_args a)
{
    pool_expect_args(a, 1);
    double s = pool_arg_double(a, 0);
    pool_sleep(s);
    return pool_double(s);
}

/* Takes one argument; the program gives it two. */
static pool_value one_arg(pool_args a)
{
    pool_expect_args(a, 1);
    return pool_int(pool_arg_int(a, 0));
}

int main(void)
{
    CHECK(pool_time_scale() == 1.0, "POOL_TIME_SCALE is set: the schedule needs real seconds");
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    future *f[6];
    double t0 = now();
    f[0] = pool_apply_async(p, nap, 2.0);
    f[1] = pool_apply_async(p, one_arg, 1, 2);
    for (int i = 2; i < 6; i++)
        f[i] = pool_apply_async(p, nap, 1.0);
    for (int i = 0; i < 6; i++) {
        CHECK(f[i] != NULL, "pool_apply_async: %s", pool_last_error());
        CHECK(future_wait_for(f[i], 30), "call %d did not complete within 30 s", i + 1);
    }
    double elapsed = now() - t0;
    CHECK(pool_as_double(future_get(f[0])) == 2.0, "the 2 s call gave a wrong value");
    CHECK_ERROR(future_get(f[1]), "TypeError", "one_arg");
    for (int i = 2; i < 6; i++)
        CHECK(future_get(f[i]).kind == POOL_DOUBLE && pool_as_double(future_get(f[i])) == 1.0,
              "call %d gave a wrong value", i + 1);
    pool_destroy(p);
    printf("elapsed %.3f\n", elapsed);
    return 0;
}
