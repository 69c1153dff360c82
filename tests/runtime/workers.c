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
 *     workers grow         pool_resize 1 -> 3: three calls run at once, in
 *                          three workers
 *     workers shrink       pool_resize 3 -> 1 while three calls run: none is
 *                          stopped; then one worker is left, and runs all
 *     workers resizedeath  the one worker left after a shrink is killed: it
 *                          is replaced, the two that left are not
 *     workers resizebad    bad sizes, a closed pool: EINVAL; the size holds
 *
 * Each sub-command prints "NAME: ok" and exits 0, or prints FAIL and exits 1.
 */
#include <errno.h>
#include <signal.h>
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

/* Held at the gate until the master opens it; then the worker's PID. */
static gate held, release;
static pool_value hold(pool_args a)
{
    (void)a;
    gate_open(&held, 1);
    gate_pass(&release);
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

/* Wait (10 s at most) until this process's pools have n worker processes. */
static void wait_workers(int n)
{
    pid_t w[64];
    int k = 0;
    for (int i = 0; i < 1000 && (k = workers(w, 64)) != n; i++)
        usleep(10000);
    CHECK(k == n, "%d worker processes, not %d", k, n);
}

/* n calls of hold at once; their PIDs, all different, into pids. */
static void all_at_once(pool *p, int n, pid_t *pids)
{
    future *f[8];
    for (int i = 0; i < n; i++)
        f[i] = pool_apply_async(p, hold, i);
    CHECK(gate_wait_for(&held, n, 10), "%d calls did not run at once", n);
    gate_open(&release, n);
    for (int i = 0; i < n; i++) {
        pool_value v = future_get(f[i]);
        CHECK(v.kind == POOL_INT, "call %d failed", i);
        pids[i] = (pid_t)pool_as_int(v);
        for (int j = 0; j < i; j++)
            CHECK(pids[j] != pids[i], "calls %d and %d ran in one worker", j, i);
        future_free(f[i]);
    }
}

static void grow(void)
{
    pool *p = pool_create(1);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    CHECK(pool_resize(p, 3) == 0, "pool_resize: %s", pool_last_error());
    CHECK(pool_size(p) == 3, "pool_size says %d", pool_size(p));
    pid_t pids[3];
    all_at_once(p, 3, pids);
    wait_workers(3);
    pool_destroy(p);
    printf("grow: ok\n");
}

static void shrink(void)
{
    pool *p = pool_create(3);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    future *f[3];
    for (int i = 0; i < 3; i++)
        f[i] = pool_apply_async(p, hold, i);
    CHECK(gate_wait_for(&held, 3, 10), "three calls did not run at once");
    CHECK(pool_resize(p, 1) == 0, "pool_resize: %s", pool_last_error());
    CHECK(pool_size(p) == 1, "pool_size says %d", pool_size(p));
    gate_open(&release, 3);
    for (int i = 0; i < 3; i++) {
        future_wait(f[i]);
        CHECK(future_successful(f[i]) == 1, "call %d, running when the pool shrank, failed", i);
        future_free(f[i]);
    }
    wait_workers(1);
    pid_t w[4];
    CHECK(workers(w, 4) == 1, "not one worker");
    for (int i = 0; i < 6; i++) {
        pool_value v = pool_apply(p, who, i);
        CHECK(v.kind == POOL_INT && pool_as_int(v) == w[0], "call %d ran in %ld, not in %d",
              i, v.kind == POOL_INT ? pool_as_int(v) : -1L, (int)w[0]);
    }
    pool_destroy(p);
    printf("shrink: ok\n");
}

static void resizedeath(void)
{
    pool *p = pool_create(3);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    CHECK(pool_resize(p, 1) == 0, "pool_resize: %s", pool_last_error());
    wait_workers(1);
    pid_t w[4];
    CHECK(workers(w, 4) == 1, "not one worker");
    CHECK(kill(w[0], SIGKILL) == 0, "kill: %s", strerror(errno));
    pool_value v = pool_apply(p, who, 0);       /* runs in the replacement */
    CHECK(v.kind == POOL_INT && pool_as_int(v) != w[0], "no new worker ran the call");
    usleep(100000);
    wait_workers(1);
    CHECK(pool_resize(p, 2) == 0, "pool_resize: %s", pool_last_error());
    pid_t pids[2];
    all_at_once(p, 2, pids);
    pool_destroy(p);
    printf("resizedeath: ok\n");
}

static void resizebad(void)
{
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    errno = 0;
    CHECK(pool_resize(p, 0) == -1 && errno == EINVAL, "size 0 accepted");
    CHECK(pool_resize(p, POOL_MAX_WORKERS + 1) == -1 && errno == EINVAL, "size 257 accepted");
    CHECK(pool_resize(NULL, 2) == -1 && errno == EINVAL, "no pool accepted");
    CHECK(strstr(pool_last_error(), "from 1 to") != NULL, "message: %s", pool_last_error());
    CHECK(pool_size(p) == 2, "pool_size says %d after refusals", pool_size(p));
    pool_close(p);
    CHECK(pool_resize(p, 3) == -1 && errno == EINVAL, "a closed pool resized");
    CHECK(pool_join(p) == 0, "pool_join: %s", pool_last_error());
    pool_destroy(p);
    printf("resizebad: ok\n");
}

int main(int argc, char **argv)
{
    gate_make(&held);
    gate_make(&release);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "maxcalls") == 0)
            maxcalls();
        else if (strcmp(argv[i], "init") == 0)
            init();
        else if (strcmp(argv[i], "initfail") == 0)
            initfail();
        else if (strcmp(argv[i], "bad") == 0)
            bad();
        else if (strcmp(argv[i], "grow") == 0)
            grow();
        else if (strcmp(argv[i], "shrink") == 0)
            shrink();
        else if (strcmp(argv[i], "resizedeath") == 0)
            resizedeath();
        else if (strcmp(argv[i], "resizebad") == 0)
            resizebad();
        else {
            fprintf(stderr, "usage: workers maxcalls|init|initfail|bad|grow|shrink|"
                    "resizedeath|resizebad ...\n");
            return 2;
        }
    }
    return 0;
}
