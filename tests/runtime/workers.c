/*
 * workers.c - the worker options: pool_set_max_calls (a worker is replaced
 * after n calls) and pool_set_initializer (each worker runs a function once,
 * before its next call). Driven by tests/futures.bats.
 *
 *     workers maxcalls     2 workers, at most 3 calls each: 20 calls, right
 *                          results, no PID runs more than 3
 *     workers init         an initializer sets what each worker's calls
 *                          read, in the first workers and in replacements
 *     workers initfail     an initializer that fails: the calls fail with
 *                          InitializerError, none hangs; a good one mends it
 *     workers bad          bad settings are refused with EINVAL
 *
 * Each sub-command prints "NAME: ok" and exits 0, or prints FAIL and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pool.h"

/* What the initializer gives each worker: a number it keeps. */
static long worker_value;

static pool_value setup(pool_args a)
{
    pool_expect_args(a, 1);
    worker_value = pool_arg_int(a, 0);
    return pool_none();
}

static pool_value broken_setup(pool_args a)
{
    (void)a;
    return pool_error("OSError", "the table could not be read");
}

/* The worker's PID. */
static pool_value who(pool_args a)
{
    (void)a;
    return pool_int(getpid());
}

static pool_value value(pool_args a)
{
    return pool_int(worker_value * 100 + pool_arg_int(a, 0));
}

static void maxcalls(void)
{
    enum { N = 20, MAX = 3 };
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    CHECK(pool_set_max_calls(p, MAX) == 0, "pool_set_max_calls: %s", pool_last_error());
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pool_value v = pool_apply(p, who, i);
        CHECK(v.kind == POOL_INT, "call %d: %s", i, pool_error_message(v));
        pids[i] = (pid_t)v.as.i;
    }
    for (int i = 0; i < N; i++) {
        int same = 0;
        for (int j = 0; j < N; j++)
            same += pids[j] == pids[i];
        CHECK(same <= MAX, "worker %d ran %d calls, more than %d", (int)pids[i], same, MAX);
    }
    /* pool_map's tasks count as calls too: results stay right. */
    pool_value in[100], out[100];
    for (int i = 0; i < 100; i++)
        in[i] = pool_int(i);
    CHECK(pool_map_chunked(p, value, in, 100, out, 1) == 0, "a map failed");
    for (int i = 0; i < 100; i++)
        CHECK_INT(out[i], i);
    pool_destroy(p);
    printf("maxcalls: ok\n");
}

static void init(void)
{
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    CHECK(pool_set_initializer(p, setup, 7) == 0, "pool_set_initializer: %s", pool_last_error());
    CHECK(pool_set_max_calls(p, 4) == 0, "pool_set_max_calls");
    /* 30 calls on workers replaced every 4 calls: each new worker ran it. */
    for (int i = 0; i < 30; i++)
        CHECK_INT(pool_apply(p, value, i), 700 + i);
    /* A new setting reaches every worker before its next call. */
    CHECK(pool_set_initializer(p, setup, 9) == 0, "pool_set_initializer again");
    future *f[10];
    for (int i = 0; i < 10; i++)
        f[i] = pool_apply_async(p, value, i);
    for (int i = 0; i < 10; i++)
        CHECK_INT(future_get(f[i]), 900 + i);
    pool_destroy(p);
    printf("init: ok\n");
}

static void initfail(void)
{
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    CHECK(pool_set_initializer(p, broken_setup) == 0, "pool_set_initializer");
    future *f[6];
    for (int i = 0; i < 6; i++)
        f[i] = pool_apply_async(p, value, i);
    for (int i = 0; i < 6; i++) {
        CHECK(future_wait_for(f[i], 20), "call %d never ended", i);
        CHECK_ERROR(future_get(f[i]), "InitializerError", "broken_setup()",
                    "OSError: the table could not be read");
    }
    /* Wrong arguments to it are its failure too, not the call's. */
    CHECK(pool_set_initializer(p, setup, "seven") == 0, "pool_set_initializer");
    pool_value v = pool_apply(p, value, 1);     /* the caller's: freed below */
    CHECK_ERROR(v, "InitializerError", "setup()", "TypeError");
    pool_value_free(v);
    /* A good one mends the workers. */
    CHECK(pool_set_initializer(p, setup, 3) == 0, "pool_set_initializer");
    CHECK_INT(pool_apply(p, value, 1), 301);
    pool_destroy(p);
    printf("initfail: ok\n");
}

static void bad(void)
{
    pool *p = pool_create(1);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    errno = 0;
    CHECK(pool_set_max_calls(p, -1) == -1 && errno == EINVAL, "max calls -1 accepted");
    CHECK(pool_set_max_calls(NULL, 1) == -1 && errno == EINVAL, "no pool accepted");
    CHECK(pool_initializer(p, NULL, "x", NULL, 0) == -1 && errno == EINVAL, "no function accepted");
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(pool_set_initializer(p, setup, big) == -1 && errno == E2BIG, "2 KB of arguments accepted");
    CHECK(strstr(pool_last_error(), "at most") != NULL, "message: %s", pool_last_error());
    CHECK_INT(pool_apply(p, value, 5), 5);     /* no initializer was set */
    pool_destroy(p);
    printf("bad: ok\n");
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "maxcalls") == 0)
            maxcalls();
        else if (strcmp(argv[i], "init") == 0)
            init();
        else if (strcmp(argv[i], "initfail") == 0)
            initfail();
        else if (strcmp(argv[i], "bad") == 0)
            bad();
        else {
            fprintf(stderr, "usage: workers maxcalls|init|initfail|bad ...\n");
            return 2;
        }
    }
    return 0;
}
