/*
 * lifecycle.c - how a pool ends, one scenario per command:
 *
 *     lifecycle closejoin    pool_close + pool_join finish every queued call
 *     lifecycle closebig     the same with more calls than the queue holds
 *     lifecycle terminate    pool_terminate fails every unfinished future
 *     lifecycle destroy      pool_destroy with calls still running and queued
 *     lifecycle joinopen     pool_join without pool_close is refused
 *
 * Every scenario checks that no worker process is left once the pool ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

enum { WORKERS = 2, QUEUED = 10 };

static gate started, release;

static pool_value slow_triple(pool_args a)
{
    pool_expect_args(a, 1);
    pool_sleep(0.2);
    return pool_int(3 * pool_arg_int(a, 0));
}

/* Say it has begun, then wait for a gate that never opens. */
static pool_value stuck(pool_args a)
{
    pool_expect_args(a, 0);
    gate_open(&started, 1);
    gate_pass(&release);
    return pool_str("released");
}

static pool_value add(pool_args a)
{
    pool_expect_args(a, 2);
    return pool_int(pool_arg_int(a, 0) + pool_arg_int(a, 1));
}

static pool *start(void)
{
    pool *p = pool_create(WORKERS);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }
    return p;
}

static void no_children(const char *when)
{
    pid_t kids[8];
    int n = children(kids, 8);
    CHECK(n == 0, "%d worker process(es) left %s, the first PID %d", n, when, (int)kids[0]);
}

/* Queued calls still run after pool_close; pool_join waits for them all. */
/* More calls than the shared queue holds (the rest wait on the master's
 * overflow list), then pool_close + pool_join: every one runs. */
static void closebig(void)
{
    enum { N = 20000 };
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    static future *f[N];
    for (int i = 0; i < N; i++)
        f[i] = pool_apply_async(p, add, i, 1);
    pool_close(p);
    CHECK(pool_join(p) == 0, "pool_join: %s", pool_last_error());
    for (int i = 0; i < N; i++)
        CHECK_INT(future_get(f[i]), i + 1);
    printf("closebig: %d calls done\n", N);
    pool_destroy(p);
}

static void closejoin(void)
{
    enum { N = 20 };
    pool *p = start();
    future *f[N];
    for (int i = 0; i < N; i++)
        f[i] = pool_apply_async(p, slow_triple, i);
    pool_close(p);
    CHECK(!future_ready(f[N - 1]), "the last call ended before pool_join");
    CHECK(pool_join(p) == 0, "pool_join: %s", pool_last_error());
    for (int i = 0; i < N; i++) {
        CHECK(future_ready(f[i]), "call %d not done after pool_join", i);
        CHECK_INT(future_get(f[i]), 3 * i);
    }
    no_children("after pool_join");
    printf("closejoin: %d calls done\n", N);

    /* A call on a closed pool: a future that has already failed. */
    future *late = pool_apply_async(p, add, 1, 2);
    CHECK(late != NULL, "pool_apply_async on a closed pool gave NULL");
    CHECK(future_ready(late), "a call on a closed pool is not done at once");
    CHECK(future_successful(late) == 0, "a call on a closed pool succeeded");
    pool_value v = future_get(late);
    CHECK_ERROR(v, "ValueError", "not running");
    printf("late: %s: %s\n", pool_error_type(v), pool_error_message(v));
    v = pool_apply(p, add, 1, 2);
    CHECK_ERROR(v, "ValueError");
    pool_value_free(v);
    CHECK(pool_join(p) == 0, "a second pool_join failed");
    pool_destroy(p);
}

/* Two calls stuck in the workers, ten queued: pool_terminate ends all of
 * them with Terminated, at once. */
static void terminate(void)
{
    pool *p = start();
    future *run[WORKERS], *queued[QUEUED];
    for (int i = 0; i < WORKERS; i++)
        run[i] = pool_apply_async(p, stuck);
    for (int i = 0; i < QUEUED; i++)
        queued[i] = pool_apply_async(p, add, i, i);
    CHECK(gate_wait_for(&started, WORKERS, 10), "the stuck calls did not start");
    pool_terminate(p);
    no_children("after pool_terminate");
    for (int i = 0; i < WORKERS; i++) {
        CHECK(future_ready(run[i]), "a running call is not done after pool_terminate");
        CHECK_ERROR(future_get(run[i]), "Terminated", "before the task finished");
        CHECK(future_pid(run[i]) > 0, "a call that ran has no PID");
    }
    for (int i = 0; i < QUEUED; i++) {
        CHECK(future_ready(queued[i]), "a queued call is not done after pool_terminate");
        CHECK(future_successful(queued[i]) == 0, "a queued call succeeded");
        CHECK_ERROR(future_get(queued[i]), "Terminated", "before the task started");
        CHECK(future_pid(queued[i]) == 0, "a call that never ran has a PID");
    }
    printf("terminate: %s: %s\n", pool_error_type(future_get(run[0])),
           pool_error_message(future_get(run[0])));
    printf("terminate: %s: %s\n", pool_error_type(future_get(queued[0])),
           pool_error_message(future_get(queued[0])));
    /* A waiter never blocks after the end, and the pool takes no more calls. */
    future_wait(queued[QUEUED - 1]);
    future *late = pool_apply_async(p, add, 1, 1);
    CHECK(future_ready(late) && future_successful(late) == 0, "a call after terminate ran");
    pool_terminate(p);      /* a second time does nothing */
    pool_destroy(p);
}

/* pool_destroy with work in flight and in the queue, futures never read:
 * no hang, no leak (valgrind and ASan run this too), no worker left. */
static void destroy(void)
{
    pool *p = start();
    for (int i = 0; i < WORKERS; i++)
        pool_apply_async(p, stuck);
    for (int i = 0; i < QUEUED; i++)
        pool_apply_async(p, add, i, i);
    future *freed = pool_apply_async(p, add, 0, 0);
    future_free(freed);     /* freed by the caller while pending */
    CHECK(gate_wait_for(&started, WORKERS, 10), "the stuck calls did not start");
    pool_destroy(p);
    no_children("after pool_destroy");
    printf("destroy: ok\n");
}

static void joinopen(void)
{
    pool *p = start();
    errno = 0;
    CHECK(pool_join(p) == -1, "pool_join on an open pool did not fail");
    CHECK(errno == EINVAL, "errno %d, not EINVAL", errno);
    printf("joinopen: %s\n", pool_last_error());
    CHECK_INT(pool_apply(p, add, 2, 3), 5);     /* still usable */
    pool_destroy(p);
    no_children("after pool_destroy");
}

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != NULL, "cannot read /proc/self/fd");
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

static void cycles(void)
{
    int before = open_fds();
    for (int i = 0; i < 100; i++) {
        pool *p = start();
        CHECK_INT(pool_apply(p, add, i, 1), i + 1);
        pool_destroy(p);
    }
    int after = open_fds();
    CHECK(after == before, "%d descriptors open before 100 pools, %d after", before, after);
    no_children("after 100 pools");
    printf("cycles: ok\n");
}

/* Leave main with a call running and calls waiting behind it, without
 * pool_destroy: the workers must not outlive the program, and the trace
 * must say what became of every call. One worker, warmed up with short
 * calls, so the waiting calls may already be handed to it. */
static void noend(void)
{
    pool *p = pool_create(1);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    for (int i = 0; i < 50; i++)
        CHECK_INT(pool_apply(p, add, i, 0), i);
    pool_apply_async(p, stuck);
    for (int i = 0; i < 5; i++)
        pool_apply_async(p, add, i, i);
    CHECK(gate_wait_for(&started, 1, 10), "the stuck call did not start");
    printf("noend: leaving main\n");
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    gate_make(&started);
    gate_make(&release);
    if (strcmp(what, "closejoin") == 0)
        closejoin();
    else if (strcmp(what, "closebig") == 0)
        closebig();
    else if (strcmp(what, "terminate") == 0)
        terminate();
    else if (strcmp(what, "destroy") == 0)
        destroy();
    else if (strcmp(what, "joinopen") == 0)
        joinopen();
    else if (strcmp(what, "cycles") == 0)
        cycles();
    else if (strcmp(what, "noend") == 0)
        noend();
    else {
        fprintf(stderr, "usage: lifecycle closejoin|closebig|terminate|destroy|joinopen|cycles|noend\n");
        return 2;
    }
    return 0;
}
