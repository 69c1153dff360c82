/*
 * workload.c - one run through most of the runtime, for the memory checkers.
 *
 *     workload
 *
 * Built twice: as usual (run under valgrind) and with AddressSanitizer and
 * UndefinedBehaviorSanitizer compiled into the runtime itself
 * (build/asan/tests/runtime/workload). Workers die by exit() and SIGKILL
 * only: a deliberate segfault would make the sanitizer report it.
 * Prints "workload: ok" at the end; any CHECK failure exits 1.
 *
 * WORKLOAD_BUG=leak or =overflow adds one deliberate bug at the end, so the
 * tests can see that the checkers do catch one.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static gate started, release;

static pool_value add(pool_args a)
{
    pool_expect_args(a, 2);
    return pool_int(pool_arg_int(a, 0) + pool_arg_int(a, 1));
}

static pool_value greet(pool_args a)
{
    pool_expect_args(a, 2);
    char buf[128];
    snprintf(buf, sizeof buf, "%s, %s!", pool_arg_str(a, 0), pool_arg_str(a, 1));
    return pool_str(buf);
}

static pool_value halve(pool_args a)
{
    pool_expect_args(a, 1);
    return pool_double(pool_arg_double(a, 0) / 2);
}

static pool_value broken(pool_args a)
{
    pool_expect_args(a, 0);
    pool_raise("ValueError", "Called broken function, %s", "deliberately");
}

static pool_value refuse(pool_args a)
{
    pool_expect_args(a, 1);
    return pool_error("KeyError", "no %s here", pool_arg_str(a, 0));
}

static pool_value quit(pool_args a)
{
    pool_expect_args(a, 1);
    if (pool_arg_int(a, 0) == 9)
        raise(SIGKILL);
    exit((int)pool_arg_int(a, 0));
}

static pool_value stuck(pool_args a)
{
    pool_expect_args(a, 0);
    gate_open(&started, 1);
    gate_pass(&release);
    return pool_str("released");
}

static pool *start(int n)
{
    pool *p = pool_create(n);
    CHECK(p != NULL, "pool_create(%d): %s", n, pool_last_error());
    return p;
}

int main(void)
{
    gate_make(&started);
    gate_make(&release);
    CHECK(pool_create(-1) == NULL, "pool_create(-1) made a pool");

    /* Calls of every kind, results and errors, on three workers. */
    pool *p = start(3);
    CHECK_INT(pool_apply(p, add, 20, 22), 42);
    pool_value v = pool_apply(p, greet, "hello", "world");
    CHECK(v.kind == POOL_STR && strcmp(v.as.s, "hello, world!") == 0, "greet");
    pool_value_free(v);
    v = pool_apply(p, broken);
    CHECK_ERROR(v, "ValueError", "deliberately");
    pool_value_free(v);
    v = pool_apply(p, add, 1);
    CHECK_ERROR(v, "TypeError", "add()");
    pool_value_free(v);
    v = pool_apply(p, add, 1, "x");
    CHECK_ERROR(v, "TypeError", "add()");
    pool_value_free(v);
    future *r = pool_apply_async(p, refuse, "key");
    CHECK_ERROR(future_get(r), "KeyError", "no key here");
    future_free(r);

    enum { N = 500 };
    pool_value in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = i % 5 ? pool_double(i) : pool_str("not a number");
    CHECK(pool_map(p, halve, in, N, out) == N / 5, "pool_map failures");
    for (int i = 0; i < N; i++) {
        if (i % 5)
            CHECK(out[i].kind == POOL_DOUBLE && out[i].as.d == i / 2.0, "halve(%d)", i);
        else
            CHECK_ERROR(out[i], "TypeError", "halve()");
        pool_value_free(out[i]);
    }

    /* Workers that die: by exit() and by SIGKILL; the pool goes on. */
    v = pool_apply(p, quit, 3);
    CHECK_ERROR(v, "WorkerDied", "exited with status 3");
    pool_value_free(v);
    v = pool_apply(p, quit, 9);
    CHECK_ERROR(v, "WorkerDied", "signal 9");
    pool_value_free(v);
    future *many[200];
    for (int i = 0; i < 200; i++)
        many[i] = pool_apply_async(p, add, i, 1);
    for (int i = 0; i < 200; i++) {
        CHECK_INT(future_get(many[i]), i + 1);
        future_free(many[i]);
    }

    /* A future freed while pending, one freed when done; close and join. */
    future *done = pool_apply_async(p, add, 2, 2);
    CHECK_INT(future_get(done), 4);
    future *pending = pool_apply_async(p, stuck);
    CHECK(gate_wait_for(&started, 1, 10), "stuck did not start");
    future_free(pending);
    future_free(done);
    gate_open(&release, 1);
    pool_close(p);
    CHECK(pool_join(p) == 0, "pool_join: %s", pool_last_error());
    future *late = pool_apply_async(p, add, 1, 1);
    CHECK_ERROR(future_get(late), "ValueError");
    pool_destroy(p);

    /* Terminate with calls running and queued, then destroy. */
    p = start(2);
    future *run[2], *queued[5];
    for (int i = 0; i < 2; i++)
        run[i] = pool_apply_async(p, stuck);
    for (int i = 0; i < 5; i++)
        queued[i] = pool_apply_async(p, greet, "queued", "call");
    CHECK(gate_wait_for(&started, 2, 10), "the stuck calls did not start");
    pool_terminate(p);
    for (int i = 0; i < 2; i++)
        CHECK_ERROR(future_get(run[i]), "Terminated");
    for (int i = 0; i < 5; i++)
        CHECK_ERROR(future_get(queued[i]), "Terminated");
    future_free(queued[0]);
    pool_destroy(p);

    /* Destroy with work in flight, futures never read. */
    p = start(2);
    for (int i = 0; i < 2; i++)
        pool_apply_async(p, stuck);
    for (int i = 0; i < 5; i++)
        pool_apply_async(p, greet, "never", "read");
    CHECK(gate_wait_for(&started, 2, 10), "the stuck calls did not start");
    pool_destroy(p);

    const char *bug = getenv("WORKLOAD_BUG");
    if (bug && strcmp(bug, "leak") == 0) {
        char *volatile lost = malloc(64);
        snprintf(lost, 64, "never freed");
        lost = NULL;
    } else if (bug && strcmp(bug, "overflow") == 0) {
        volatile int big = 2147483647;
        big = big + 1;
    }
    printf("workload: ok\n");
    return 0;
}
