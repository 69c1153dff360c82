/*
 * retry.c - calls whose worker dies, tried again (pool_set_retries).
 *
 *     retry CMD...     each CMD prints "CMD: ok" when its checks pass
 *
 *   fault ID N     pool_set_retries(p, N), then calls until the call with
 *                  future id ID (POOL_FAULT=crash:ID or crash1:ID from the
 *                  caller) has run; prints "fault: result R tries T" or
 *                  "fault: error TYPE: MESSAGE tries T"
 *   always         a call that always crashes, 2 retries: 3 tries, WorkerDied
 *   once           a call that crashes on its first try, 1 retry: its result
 *   none           0 retries: a crash fails the call at once, as without retries
 *   error          a call that returns an error is not tried again
 *   timeout        nor one that runs past its time limit
 *   kill           nor one that future_kill stops
 *   percall        pool_apply_async_retries beside the pool's setting
 *   queued         a worker dies while another call waits to be tried again
 *   chunk          pool_map with an input that crashes its chunk once, and
 *                  one that always does
 *   limit          a call with a time limit whose first try dies: the
 *                  second try gets the whole limit again, and is held to it
 *   closing        pool_close while a call waits to be tried again: pool_join
 *                  waits for its second try
 *   bad            bad settings are refused
 *   cancelgap      future_cancel asked again and again while a call's
 *                  first try dies and its second is queued: it never
 *                  answers "ended already" (EALREADY) for a call that is
 *                  not done
 *
 *   cancelnamed    a call's retry cancelled in the queue while its first
 *                  try's death is still being named: both in the trace
 *                  (run with POOL_FAULT=spawn:1, so that no worker is free)
 *
 * Tasks count their tries in a page shared with the workers (made before
 * pool_create), so "crash on the first try" needs no clock.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

static _Atomic int *tries;      /* tries[k]: how often task k has begun */
static gate held, release;      /* a call that runs until the master says */

static pool_value add(pool_args a)
{
    pool_expect_args(a, 2);
    return pool_int(pool_arg_int(a, 0) + pool_arg_int(a, 1));
}

/* flaky(k, n): crash on the first n tries of counter k, then give k * 10. */
static pool_value flaky(pool_args a)
{
    pool_expect_args(a, 2);
    long k = pool_arg_int(a, 0), n = pool_arg_int(a, 1);
    if (atomic_fetch_add(&tries[k], 1) < n)
        raise(SIGSEGV);     /* not a NULL store: UBSan would stop the program */
    return pool_int(k * 10);
}

static pool_value failing(pool_args a)
{
    (void)a;
    atomic_fetch_add(&tries[0], 1);
    return pool_error("ValueError", "no luck");
}

/* Tell the master it runs, then wait for the gate; crash if asked. */
static pool_value holding(pool_args a)
{
    pool_expect_args(a, 1);
    gate_open(&held, 1);
    gate_pass(&release);
    if (pool_arg_int(a, 0))
        raise(SIGSEGV);
    return pool_int(getpid());
}

static pool_value hang(pool_args a)
{
    (void)a;
    atomic_fetch_add(&tries[0], 1);
    gate_open(&held, 1);
    gate_pass(&release);
    return pool_none();
}

/* An input of a map: 3 crashes its chunk's first try, 5 always crashes. */
static pool_value square_or_crash(pool_args a)
{
    long x = pool_arg_int(a, 0);
    if ((x == 3 && atomic_fetch_add(&tries[1], 1) == 0) || x == 5) {
        atomic_fetch_add(&tries[2], 1);
        raise(SIGSEGV);
    }
    return pool_int(x * x);
}

static void reset(void)
{
    for (int k = 0; k < 8; k++)
        atomic_store(&tries[k], 0);
}

static pool *make(int n, int retries)
{
    pool *p = pool_create(n);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    CHECK(pool_set_retries(p, retries) == 0, "pool_set_retries: %s", pool_last_error());
    return p;
}

/* The pool still runs calls on all its n workers. */
static void usable(pool *p)
{
    for (int i = 0; i < 20; i++)
        CHECK_INT(pool_apply(p, add, i, 1), i + 1);
    int n = pool_size(p);
    future *f[POOL_MAX_WORKERS];
    for (int i = 0; i < n; i++)
        f[i] = pool_apply_async(p, holding, 0);
    CHECK(gate_wait_for(&held, n, 10), "%d calls did not run at once on %d workers", n, n);
    gate_open(&release, n);
    for (int i = 0; i < n; i++)
        CHECK(future_get(f[i]).kind == POOL_INT, "a call failed");
}

static void fault(long id, int n)
{
    pool *p = make(2, n);
    future *f = pool_apply_async(p, add, 20, 22);
    while (future_id(f) < (unsigned long)id) {
        CHECK_INT(future_get(f), 42);
        future_free(f);
        f = pool_apply_async(p, add, 20, 22);
    }
    CHECK(future_id(f) == (unsigned long)id, "no call has id %ld", id);
    pool_value v = future_get(f);
    if (pool_is_error(v))
        printf("fault: error %s: %s tries %d\n", pool_error_type(v), pool_error_message(v),
               future_tries(f));
    else
        printf("fault: result %ld tries %d\n", pool_as_int(v), future_tries(f));
    usable(p);
    pool_destroy(p);
}

static void always(void)
{
    pool *p = make(2, 2);
    future *f = pool_apply_async(p, flaky, 0, 1000);
    CHECK_ERROR(future_get(f), "WorkerDied", "SIGSEGV", "while running flaky", "(try 3 of 3)");
    CHECK(future_tries(f) == 3, "tries %d, not 3", future_tries(f));
    CHECK(atomic_load(&tries[0]) == 3, "the task began %d times", atomic_load(&tries[0]));
    usable(p);
    pool_destroy(p);
}

static void once(void)
{
    pool *p = make(1, 1);
    future *f = pool_apply_async(p, flaky, 0, 1);
    CHECK_INT(future_get(f), 0);
    CHECK(future_tries(f) == 2, "tries %d, not 2", future_tries(f));
    CHECK(future_successful(f) == 1, "not successful");
    /* pool_apply too */
    CHECK_INT(pool_apply(p, flaky, 1, 1), 10);
    CHECK(atomic_load(&tries[1]) == 2, "the task began %d times", atomic_load(&tries[1]));
    usable(p);
    pool_destroy(p);
}

static void none(void)
{
    pool *p = make(1, 0);
    future *f = pool_apply_async(p, flaky, 0, 1);
    pool_value v = future_get(f);
    CHECK_ERROR(v, "WorkerDied", "SIGSEGV", "while running flaky");
    CHECK(strstr(pool_error_message(v), "(try") == NULL, "0 retries names a try: %s",
          pool_error_message(v));
    CHECK(future_tries(f) == 1, "tries %d, not 1", future_tries(f));
    CHECK(atomic_load(&tries[0]) == 1, "the task began %d times", atomic_load(&tries[0]));
    usable(p);
    pool_destroy(p);
}

static void error(void)
{
    pool *p = make(1, 3);
    future *f = pool_apply_async(p, failing);
    CHECK_ERROR(future_get(f), "ValueError", "no luck");
    CHECK(future_tries(f) == 1 && atomic_load(&tries[0]) == 1, "an error was tried again");
    pool_destroy(p);
}

static void timeout(void)
{
    pool *p = make(1, 3);
    future *f = pool_apply_async_limit(p, 0.2, hang);
    CHECK(gate_wait_for(&held, 1, 10), "the call did not start");
    CHECK_ERROR(future_get(f), "Timeout", "ran past its limit");
    CHECK(future_tries(f) == 1 && atomic_load(&tries[0]) == 1, "a timeout was tried again");
    usable(p);
    pool_destroy(p);
}

static void killed(void)
{
    pool *p = make(1, 3);
    future *f = pool_apply_async(p, hang);
    CHECK(gate_wait_for(&held, 1, 10), "the call did not start");
    CHECK(future_kill(f) == 0, "future_kill: %s", pool_last_error());
    CHECK_ERROR(future_get(f), "Cancelled");
    CHECK(future_tries(f) == 1 && atomic_load(&tries[0]) == 1, "a killed call was tried again");
    /* A call that never began: 0 tries. */
    future *a = pool_apply_async(p, hang), *b = pool_apply_async(p, add, 1, 2);
    CHECK(gate_wait_for(&held, 1, 10), "the call did not start");
    CHECK(future_cancel(b) == 0, "future_cancel: %s", pool_last_error());
    CHECK(future_tries(b) == 0, "a cancelled call has %d tries", future_tries(b));
    gate_open(&release, 1);
    future_wait(a);
    usable(p);
    pool_destroy(p);
}

static void percall(void)
{
    pool *p = make(1, 0);
    future *f = pool_apply_async_retries(p, 2, flaky, 0, 2);
    future *g = pool_apply_async(p, flaky, 1, 1);
    CHECK(pool_set_retries(p, 1) == 0, "pool_set_retries");
    future *h = pool_apply_async(p, flaky, 2, 1);   /* made after the setting */
    CHECK_INT(future_get(f), 0);
    CHECK(future_tries(f) == 3, "tries %d, not 3", future_tries(f));
    CHECK_ERROR(future_get(g), "WorkerDied");       /* made before it: 0 retries */
    CHECK_INT(future_get(h), 20);
    CHECK(future_tries(h) == 2, "tries %d, not 2", future_tries(h));
    CHECK(pool_apply_async_retries(p, -1, add, 1, 2) == NULL, "-1 retries taken");
    pool_destroy(p);
}

/* Two workers: A holds one until the master lets it crash; B crashes on its
 * first try. POOL_FAULT=spawn:1 (from the caller) keeps B's worker from
 * being replaced at once, so B waits to be tried again while A's worker
 * dies too. Whatever the order, B gets its second try and its result; A
 * (no retries) fails; the pool has both workers again. */
static void queued(void)
{
    pool *p = make(2, 0);
    future *a = pool_apply_async(p, holding, 1);
    CHECK(gate_wait_for(&held, 1, 10), "A did not start");
    future *b = pool_apply_async_retries(p, 1, flaky, 0, 1);
    gate_open(&release, 1);
    CHECK_ERROR(future_get(a), "WorkerDied", "while running holding");
    CHECK_INT(future_get(b), 0);
    CHECK(future_tries(b) == 2, "B tries %d, not 2", future_tries(b));
    usable(p);
    pool_destroy(p);
}

static void chunk(void)
{
    enum { N = 12 };
    pool *p = make(2, 1);
    pool_value in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = pool_int(i);
    int failed = pool_map_chunked(p, square_or_crash, in, N, out, 4);
    CHECK(failed == 1, "%d inputs failed, not 1", failed);
    for (int i = 0; i < N; i++) {
        if (i == 5)
            CHECK_ERROR(out[i], "WorkerDied", "while running square_or_crash", "(try 2 of 2)");
        else
            CHECK_INT(out[i], i * i);
        pool_value_free(out[i]);
    }
    /* 3 crashes once (its chunk, then it passes on the retry); 5 crashes
     * its chunk's two tries, then its own two tries, one input a task. */
    CHECK(atomic_load(&tries[2]) == 5, "%d crashes, not 5", atomic_load(&tries[2]));
    usable(p);
    pool_destroy(p);
}

/* Sleep 0.6 s, then crash on the first try. */
static pool_value slow_flaky(pool_args a)
{
    (void)a;
    usleep(600 * 1000);
    if (atomic_fetch_add(&tries[0], 1) == 0)
        raise(SIGSEGV);
    return pool_int(1);
}

/* Crash on the first try; hang on the second. */
static pool_value flaky_hang(pool_args a)
{
    (void)a;
    if (atomic_fetch_add(&tries[1], 1) == 0)
        raise(SIGSEGV);
    gate_pass(&release);
    return pool_int(2);
}

static void limit(void)
{
    pool *p = make(1, 1);
    future *f = pool_apply_async_limit(p, 1.0, slow_flaky);
    CHECK_INT(future_get(f), 1);
    CHECK(future_tries(f) == 2, "tries %d, not 2", future_tries(f));
    future *g = pool_apply_async_limit(p, 0.3, flaky_hang);
    CHECK_ERROR(future_get(g), "Timeout", "ran past its limit");
    CHECK(future_tries(g) == 2, "tries %d, not 2", future_tries(g));
    pool_destroy(p);
}

static void closing(void)
{
    pool *p = make(2, 1);
    future *f[4];
    for (int k = 0; k < 4; k++)
        f[k] = pool_apply_async(p, flaky, k, 1);
    pool_close(p);
    CHECK(pool_join(p) == 0, "pool_join: %s", pool_last_error());
    for (int k = 0; k < 4; k++) {
        CHECK(future_ready(f[k]), "call %d not done after pool_join", k);
        CHECK_INT(future_get(f[k]), k * 10);
        CHECK(future_tries(f[k]) == 2, "call %d: tries %d, not 2", k, future_tries(f[k]));
    }
    pool_destroy(p);
}

static void bad(void)
{
    pool *p = make(1, 0);
    CHECK(pool_set_retries(p, -1) == -1 && errno == EINVAL, "-1 retries taken");
    CHECK(pool_set_retries(p, POOL_MAX_RETRIES + 1) == -1 && errno == EINVAL,
          "too many retries taken");
    CHECK(strstr(pool_last_error(), "pool_set_retries") != NULL, "message: %s",
          pool_last_error());
    CHECK(pool_set_retries(NULL, 1) == -1 && errno == EINVAL, "no pool taken");
    CHECK(future_tries(NULL) == -1, "future_tries(NULL)");
    pool_destroy(p);
}

/* A call that dies on its first try, with a retry, cancelled over and over
 * from the moment it begins: each answer must be true when given. EBUSY:
 * it runs (or its dead try is being dealt with); 0: cancelled, the future
 * says Cancelled; EALREADY: the future is done. 100 rounds, since the
 * moment between a try's death and its retry is short. */
static void cancelnamed(void)
{
    pool *p = make(2, 0);
    future *a = pool_apply_async(p, holding, 0);
    CHECK(gate_wait_for(&held, 1, 10), "A did not start");
    future *b = pool_apply_async_retries(p, 1, flaky, 0, 1);
    while (atomic_load(&tries[0]) == 0)
        usleep(1000);
    /* Its worker dies and is not replaced (for 1 s): the retry waits in
     * the queue. Until then the first try runs, or is being failed. */
    int r;
    while ((r = future_cancel(b)) == -1 && (errno == EBUSY || errno == EINPROGRESS))
        usleep(1000);
    CHECK(r == 0, "future_cancel: %s", strerror(errno));
    CHECK_ERROR(future_get(b), "Cancelled", "before it started");
    gate_open(&release, 1);
    CHECK_INT(future_get(a), (long)future_pid(a));
    pool_destroy(p);
}

static void cancelgap(void)
{
    for (int round = 0; round < 100; round++) {
        reset();
        pool *p = make(1, 1);
        future *f = pool_apply_async(p, flaky, 0, 1);
        while (atomic_load(&tries[0]) == 0)
            ;
        int r;
        while ((r = future_cancel(f)) == -1 && errno == EBUSY)
            ;
        if (r == 0) {
            CHECK(future_cancelled(f), "round %d: cancelled, but the future says otherwise", round);
        } else {
            CHECK(errno == EALREADY, "round %d: future_cancel: %s", round, strerror(errno));
            CHECK(future_ready(f), "round %d: EALREADY, but the call is not done", round);
            CHECK_INT(future_get(f), 0);
        }
        future_free(f);
        pool_destroy(p);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: retry fault ID N | always | once | none | error | timeout "
                "| kill | percall | queued | chunk | limit | closing | bad | cancelgap | cancelnamed ...\n");
        return 2;
    }
    void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap");
    tries = m;
    gate_make(&held);
    gate_make(&release);
    for (int i = 1; i < argc; i++) {
        const char *cmd = argv[i];
        reset();
        if (strcmp(cmd, "fault") == 0 && i + 2 < argc) {
            fault(atol(argv[i + 1]), atoi(argv[i + 2]));
            i += 2;
        } else if (strcmp(cmd, "always") == 0) {
            always();
        } else if (strcmp(cmd, "once") == 0) {
            once();
        } else if (strcmp(cmd, "none") == 0) {
            none();
        } else if (strcmp(cmd, "error") == 0) {
            error();
        } else if (strcmp(cmd, "timeout") == 0) {
            timeout();
        } else if (strcmp(cmd, "kill") == 0) {
            killed();
        } else if (strcmp(cmd, "percall") == 0) {
            percall();
        } else if (strcmp(cmd, "queued") == 0) {
            queued();
        } else if (strcmp(cmd, "chunk") == 0) {
            chunk();
        } else if (strcmp(cmd, "cancelnamed") == 0) {
            cancelnamed();
        } else if (strcmp(cmd, "limit") == 0) {
            limit();
        } else if (strcmp(cmd, "closing") == 0) {
            closing();
        } else if (strcmp(cmd, "bad") == 0) {
            bad();
        } else if (strcmp(cmd, "cancelgap") == 0) {
            cancelgap();
        } else {
            fprintf(stderr, "retry: unknown command %s\n", cmd);
            return 2;
        }
        printf("%s: ok\n", cmd);
    }
    return 0;
}
