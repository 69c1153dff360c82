/*
 * futures.c - waiting for several futures, one sub-command each:
 *
 *   any        future_wait_any: a time limit with nothing done; then the one let go
 *   order      future_as_completed hands futures out in the order they end
 *   batch      calls that ended while nobody looked come by end time (1 worker)
 *   all        FUTURE_ALL_COMPLETED with a time limit, then without
 *   first_error  FUTURE_FIRST_EXCEPTION: returns at the first failure, or when all are done
 *   crash      a worker segfaults in a call being waited for: WorkerDied, the rest go on
 *   killed     a worker is killed (SIGKILL) while a thread sleeps in future_wait_many
 *   terminate  pool_terminate while another thread waits for all, without a limit
 *   supervisor the pool's supervisor is killed while a thread waits for all
 *              (the two running calls fail, the queued one runs)
 *   closed     futures that fail in the master (a closed pool) wake a waiter too
 *   overflow   6000 calls (more than the ring holds) through one as-completed iteration
 *   threads    4 threads iterate over their own calls and 2 over the same ones
 *   errors     NULL, two pools, n = 0, a bad `when`
 *   cancel     future_cancel: a queued call goes, a running one is refused (EBUSY)
 *   cancel_overflow  cancel calls in the ring and on the overflow list (ring full)
 *   kill       future_kill stops a running call; its worker is replaced
 *   kill_masked  the task blocks every signal: future_kill still stops it
 *   kill_race  future_kill on calls that are ending: never an innocent call hurt
 *   kill_crash future_kill as the task segfaults: Cancelled or WorkerDied, pool whole
 *   cancel_race  a thread cancels calls as workers claim them: each runs or is cancelled, never both
 *   kill_terminate  future_kill races pool_terminate: Cancelled or Terminated, no hang
 *   kill_supervisor future_kill after the supervisor was killed: EALREADY, PoolError, no hang
 *   limit      a call past its time limit fails Timeout; one within it is fine
 *   limit_queued  the limit counts from the start, not while the call waits
 *   limit_crash   a call with a limit that segfaults is WorkerDied, not Timeout
 *   limit_race    limits that run out as calls end: the next call is never hit
 *   join_for   pool_join_for and future_get_for give up in time, then succeed
 *   callback   on_ok and on_error run once each, on the watcher thread
 *   imap       pool_imap_unordered: every input once, right; in the order they end
 *   imap_crash an input that kills its worker: only it fails, its chunk runs again
 *   imap_free  freed early, with calls running and queued
 *   map_async  pool_map_async: the master goes on; a time limit on the wait; crashes; freed early
 *   callback_done  a future done already: its callback runs at once, here
 *   callback_end   callbacks when a worker dies, and when the pool is terminated
 *   callback_free  future_free before its callback ran; a callback that frees
 *   callback_chain a callback that makes the next call (and cancels one)
 *
 * Every task that must still run when the master looks waits on its own
 * gate (a pipe made before pool_create), so "not finished" is a fact and
 * the order in which calls end is the order the master opens the gates.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "check.h"

#define GATES 8
static gate gates[GATES];

/* gated(i, value, how): wait on gate i, then return value (how 0), fail
 * (how 1) or segfault (how 2). */
static pool_value gated(pool_args a)
{
    pool_expect_args(a, 3);
    int i = (int)pool_arg_int(a, 0);
    long v = pool_arg_int(a, 1), how = pool_arg_int(a, 2);
    gate_pass(&gates[i]);
    if (how == 1)
        return pool_error("ValueError", "gated call %d failed", i);
    if (how == 2)
        raise(SIGSEGV);
    return pool_int(v);
}

/* Take back the bytes nobody passed through gate g. */
static void gate_drain(gate *g)
{
    struct pollfd pfd = {.fd = g->fd[0], .events = POLLIN};
    while (poll(&pfd, 1, 0) == 1)
        gate_pass(g);
}

/* gate_by_input(i): wait on gate i, return 100 + i. */
static pool_value gate_by_input(pool_args a)
{
    long i = pool_arg_int(a, 0);
    gate_pass(&gates[i]);
    return pool_int(100 + i);
}

static pool_value square(pool_args a)
{
    long x = pool_arg_int(a, 0);
    return pool_int(x * x);
}

static pool *make(int n)
{
    pool *p = pool_create(n);
    CHECK(p != NULL, "pool_create(%d): %s", n, pool_last_error());
    return p;
}

static void any(void)
{
    pool *p = make(4);
    future *fs[4];
    for (int i = 0; i < 4; i++)
        fs[i] = pool_apply_async(p, gated, i, 10 + i, 0);
    /* Nothing can end: every call waits on its gate. */
    errno = 0;
    CHECK(future_wait_any(fs, 4, 0.05) == -1 && errno == ETIMEDOUT,
          "wait_any with every call held: errno %d", errno);
    CHECK(future_wait_many(fs, 4, FUTURE_FIRST_COMPLETED, 0) == 0, "none is done yet");
    gate_open(&gates[2], 1);
    long i = future_wait_any(fs, 4, -1);
    CHECK(i == 2, "wait_any gave %ld, not 2", i);
    CHECK_INT(future_get(fs[2]), 12);
    CHECK(!future_ready(fs[0]) && !future_ready(fs[1]) && !future_ready(fs[3]),
          "only call 2 may be done");
    /* A done future is found again at once. */
    CHECK(future_wait_any(fs, 4, 0) == 2, "wait_any again");
    for (int k = 0; k < 4; k++)
        if (k != 2)
            gate_open(&gates[k], 1);
    CHECK(future_wait_many(fs, 4, FUTURE_ALL_COMPLETED, -1) == 4, "all four");
    pool_destroy(p);
    printf("any: ok\n");
}

static void order(void)
{
    static const int perm[6] = {3, 0, 5, 1, 4, 2};
    pool *p = make(6);
    future *fs[6];
    for (int i = 0; i < 6; i++)
        fs[i] = pool_apply_async(p, gated, i, 100 + i, 0);
    future_iter *it = future_as_completed(fs, 6);
    CHECK(it != NULL, "future_as_completed: %s", pool_last_error());
    CHECK(future_iter_left(it) == 6, "6 left");
    errno = 0;
    CHECK(future_iter_next(it, 0.02) == NULL && errno == ETIMEDOUT, "nothing ended yet");
    for (int k = 0; k < 6; k++) {
        gate_open(&gates[perm[k]], 1);
        future *f = future_iter_next(it, -1);
        CHECK(f == fs[perm[k]], "step %d: got task %lu, not task %lu", k,
              future_id(f), future_id(fs[perm[k]]));
        CHECK_INT(future_get(f), 100 + perm[k]);
        printf("%lu\n", future_id(f));
    }
    errno = EINVAL;
    CHECK(future_iter_next(it, -1) == NULL && errno == 0, "the end: NULL, errno 0");
    CHECK(future_iter_left(it) == 0, "none left");
    future_iter_free(it);
    pool_destroy(p);
    printf("order: ok\n");
}

static void batch(void)
{
    /* One worker: calls end in the order they were made. They all end
     * before the iteration looks; it still gives them in that order. */
    pool *p = make(1);
    future *fs[50];
    for (int i = 0; i < 50; i++)
        fs[49 - i] = pool_apply_async(p, square, i);   /* listed backwards */
    future_wait(fs[0]);     /* the last made: all have ended */
    future_iter *it = future_as_completed(fs, 50);
    for (int i = 0; i < 50; i++) {
        future *f = future_iter_next(it, 0);
        CHECK(f == fs[49 - i], "place %d: task %lu", i, future_id(f));
    }
    CHECK(future_iter_next(it, 0) == NULL && errno == 0, "the end");
    future_iter_free(it);
    pool_destroy(p);
    printf("batch: ok\n");
}

static void all(void)
{
    pool *p = make(3);
    future *fs[3];
    for (int i = 0; i < 3; i++)
        fs[i] = pool_apply_async(p, gated, i, i, 0);
    gate_open(&gates[0], 1);
    gate_open(&gates[2], 1);
    /* Two can end, one cannot: the limit passes with two done. */
    future *two[2] = {fs[0], fs[2]};
    CHECK(future_wait_many(two, 2, FUTURE_ALL_COMPLETED, -1) == 2, "0 and 2");
    int d = future_wait_many(fs, 3, FUTURE_ALL_COMPLETED, 0.05);
    CHECK(d == 2, "ALL_COMPLETED with one held: %d done, not 2", d);
    gate_open(&gates[1], 1);
    CHECK(future_wait_many(fs, 3, FUTURE_ALL_COMPLETED, -1) == 3, "all three");
    /* The same future twice is fine. */
    future *dup[3] = {fs[1], fs[1], fs[0]};
    CHECK(future_wait_many(dup, 3, FUTURE_ALL_COMPLETED, 0) == 3, "duplicates");
    pool_destroy(p);
    printf("all: ok\n");
}

static void first_error(void)
{
    pool *p = make(4);
    future *fs[4];
    fs[0] = pool_apply_async(p, gated, 0, 0, 0);
    fs[1] = pool_apply_async(p, gated, 1, 1, 1);     /* fails */
    fs[2] = pool_apply_async(p, gated, 2, 2, 0);
    fs[3] = pool_apply_async(p, gated, 3, 3, 0);
    gate_open(&gates[0], 1);
    future_wait(fs[0]);
    /* One success is not enough to return. */
    CHECK(future_wait_many(fs, 4, FUTURE_FIRST_EXCEPTION, 0.05) == 1, "one ok, no failure");
    gate_open(&gates[1], 1);
    CHECK(future_wait_many(fs, 4, FUTURE_FIRST_EXCEPTION, -1) == 2, "returns at the failure");
    CHECK(future_successful(fs[1]) == 0, "call 1 failed");
    CHECK_ERROR(future_get(fs[1]), "ValueError", "gated call 1 failed");
    CHECK(!future_ready(fs[2]) && !future_ready(fs[3]), "2 and 3 still run");
    /* Without a failure it waits for all. */
    future *ok[2] = {fs[2], fs[3]};
    gate_open(&gates[2], 1);
    gate_open(&gates[3], 1);
    CHECK(future_wait_many(ok, 2, FUTURE_FIRST_EXCEPTION, -1) == 2, "all, no failure");
    pool_destroy(p);
    printf("first_error: ok\n");
}

static void crash(void)
{
    pool *p = make(3);
    future *fs[3];
    fs[0] = pool_apply_async(p, gated, 0, 0, 0);
    fs[1] = pool_apply_async(p, gated, 1, 1, 2);     /* segfaults */
    fs[2] = pool_apply_async(p, gated, 2, 2, 0);
    future_iter *it = future_as_completed(fs, 3);
    gate_open(&gates[1], 1);
    future *f = future_iter_next(it, -1);
    CHECK(f == fs[1], "the crashed call first");
    CHECK_ERROR(future_get(f), "WorkerDied", "SIGSEGV", "gated");
    gate_open(&gates[0], 1);
    CHECK(future_iter_next(it, -1) == fs[0], "then call 0");
    gate_open(&gates[2], 1);
    CHECK(future_iter_next(it, -1) == fs[2], "then call 2");
    CHECK_INT(future_get(fs[2]), 2);
    future_iter_free(it);
    /* The pool is whole again. */
    CHECK_INT(pool_apply(p, square, 7), 49);
    pool_destroy(p);
    printf("crash: ok\n");
}

struct waiter {
    future **fs;
    size_t n;
    int done;
    gate *started;
};

static void *wait_all_thread(void *arg)
{
    struct waiter *w = arg;
    if (w->started)
        gate_open(w->started, 1);
    w->done = future_wait_many(w->fs, w->n, FUTURE_ALL_COMPLETED, -1);
    return NULL;
}

/* Run a thread that waits for all of fs without a limit; have it started. */
static pthread_t start_waiter(struct waiter *w, future **fs, size_t n)
{
    static gate started;
    gate_make(&started);
    *w = (struct waiter){.fs = fs, .n = n, .done = -2, .started = &started};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, wait_all_thread, w) == 0, "pthread_create");
    gate_wait(&started, 1);
    close(started.fd[0]);
    close(started.fd[1]);
    w->started = NULL;
    return t;
}

static void kill_worker(void)
{
    pool *p = make(2);
    future *fs[2];
    fs[0] = pool_apply_async(p, gated, 0, 0, 0);
    fs[1] = pool_apply_async(p, gated, 1, 1, 0);
    struct waiter w;
    pthread_t t = start_waiter(&w, fs, 2);
    pid_t pid = 0;
    while ((pid = future_pid(fs[1])) == 0)
        usleep(1000);   /* until the call has a worker */
    CHECK(kill(pid, SIGKILL) == 0, "kill");
    gate_open(&gates[0], 1);
    pthread_join(t, NULL);
    CHECK(w.done == 2, "the waiter saw %d done", w.done);
    CHECK_INT(future_get(fs[0]), 0);
    CHECK_ERROR(future_get(fs[1]), "WorkerDied", "SIGKILL");
    pool_destroy(p);
    printf("killed: ok\n");
}

static void terminate(void)
{
    pool *p = make(2);
    future *fs[4];
    for (int i = 0; i < 4; i++)
        fs[i] = pool_apply_async(p, gated, i, i, 0);    /* 2 run, 2 queued */
    struct waiter w;
    pthread_t t = start_waiter(&w, fs, 4);
    pool_terminate(p);
    pthread_join(t, NULL);
    CHECK(w.done == 4, "the waiter saw %d done", w.done);
    for (int i = 0; i < 4; i++)
        CHECK_ERROR(future_get(fs[i]), "Terminated");
    pool_destroy(p);
    printf("terminate: ok\n");
}

static void supervisor(void)
{
    pool *p = make(2);
    future *fs[3];
    for (int i = 0; i < 3; i++)
        fs[i] = pool_apply_async(p, gated, i, i, 0);
    struct waiter w;
    pthread_t t = start_waiter(&w, fs, 3);
    while (future_pid(fs[0]) == 0 || future_pid(fs[1]) == 0)
        usleep(500);    /* two run, one waits in the queue */
    pid_t kids[4];
    CHECK(children(kids, 4) == 1, "one supervisor");
    CHECK(kill(kids[0], SIGKILL) == 0, "kill the supervisor");
    gate_open(&gates[2], 1);    /* the call not begun runs under a new supervisor */
    pthread_join(t, NULL);
    CHECK(w.done == 3, "the waiter saw %d done", w.done);
    for (int i = 0; i < 2; i++)
        CHECK_ERROR(future_get(fs[i]), "PoolError", "supervisor", "died while the task ran");
    CHECK_INT(future_get(fs[2]), 2);
    pool_destroy(p);
    printf("supervisor: ok\n");
}

static void closed(void)
{
    pool *p = make(1);
    future *fs[2];
    fs[0] = pool_apply_async(p, gated, 0, 0, 0);
    struct waiter w;
    pthread_t t;
    /* The waiter sleeps on both; the second call fails in the master. */
    pool_close(p);
    fs[1] = pool_apply_async(p, square, 3);
    CHECK(future_wait_any(fs, 2, -1) == 1, "the refused call");
    CHECK_ERROR(future_get(fs[1]), "ValueError", "not running");
    t = start_waiter(&w, fs, 1);
    gate_open(&gates[0], 1);
    pthread_join(t, NULL);
    CHECK(w.done == 1, "call 0");
    CHECK(pool_join(p) == 0, "pool_join");
    pool_destroy(p);
    printf("closed: ok\n");
}

static void overflow(void)
{
    enum { N = 6000 };
    pool *p = make(2);
    static future *fs[N];
    static bool seen[N];
    for (int i = 0; i < N; i++)
        fs[i] = pool_apply_async(p, square, i);
    future_iter *it = future_as_completed(fs, N);
    CHECK(it != NULL, "future_as_completed");
    future *f;
    int got = 0;
    while ((f = future_iter_next(it, -1)) != NULL) {
        long i = (long)future_id(f);    /* ids count from 0, as i does */
        CHECK(i >= 0 && i < N && fs[i] == f && !seen[i], "task %ld twice or unknown", i);
        seen[i] = true;
        CHECK_INT(future_get(f), i * i);
        got++;
    }
    CHECK(errno == 0 && got == N, "%d of %d, errno %d", got, N, errno);
    future_iter_free(it);
    pool_destroy(p);
    printf("overflow: ok\n");
}

struct iter_job {
    pool *p;
    future **fs;
    int n, got;
    long sum;
};

static void *iterate(void *arg)
{
    struct iter_job *j = arg;
    future_iter *it = future_as_completed(j->fs, (size_t)j->n);
    future *f;
    while ((f = future_iter_next(it, -1)) != NULL) {
        j->sum += pool_as_int(future_get(f));
        j->got++;
    }
    future_iter_free(it);
    return NULL;
}

static void threads(void)
{
    enum { PER = 300 };
    pool *p = make(3);
    static future *fs[5][PER];
    struct iter_job jobs[6];
    pthread_t t[6];
    for (int k = 0; k < 5; k++)
        for (int i = 0; i < PER; i++)
            fs[k][i] = pool_apply_async(p, square, i);
    /* Threads 0-3 each have their own calls; 4 and 5 share calls 4. */
    for (int k = 0; k < 6; k++) {
        jobs[k] = (struct iter_job){.p = p, .fs = fs[k < 5 ? k : 4], .n = PER};
        CHECK(pthread_create(&t[k], NULL, iterate, &jobs[k]) == 0, "pthread_create");
    }
    long want = 0;
    for (int i = 0; i < PER; i++)
        want += (long)i * i;
    for (int k = 0; k < 6; k++) {
        pthread_join(t[k], NULL);
        CHECK(jobs[k].got == PER && jobs[k].sum == want, "thread %d: %d calls, sum %ld",
              k, jobs[k].got, jobs[k].sum);
    }
    pool_destroy(p);
    printf("threads: ok\n");
}

static void errors(void)
{
    pool *p = make(1), *q = make(1);
    future *a = pool_apply_async(p, square, 2), *b = pool_apply_async(q, square, 3);
    future *two[2] = {a, b}, *none[2] = {a, NULL};
    errno = 0;
    CHECK(future_wait_many(two, 2, FUTURE_ALL_COMPLETED, -1) == -1 && errno == EINVAL,
          "two pools");
    CHECK(strstr(pool_last_error(), "two pools") != NULL, "says two pools: %s",
          pool_last_error());
    CHECK(future_wait_any(none, 2, -1) == -1 && errno == EINVAL, "a NULL future");
    CHECK(future_as_completed(two, 2) == NULL && errno == EINVAL, "iteration, two pools");
    CHECK(future_wait_any(two, 0, -1) == -1 && errno == EINVAL, "wait_any of none");
    CHECK(future_wait_many(NULL, 0, FUTURE_ALL_COMPLETED, -1) == 0, "wait_many of none");
    CHECK(future_wait_many(two, 1, (future_when)7, -1) == -1 && errno == EINVAL, "bad when");
    future_iter *it = future_as_completed(NULL, 0);
    CHECK(it != NULL && future_iter_next(it, -1) == NULL && errno == 0, "empty iteration");
    future_iter_free(it);
    future_iter_free(NULL);
    CHECK(future_iter_next(NULL, 0) == NULL && errno == EINVAL, "NULL iteration");
    pool_destroy(p);
    pool_destroy(q);
    printf("errors: ok\n");
}

static void cancel(void)
{
    pool *p = make(1);
    future *fs[3];
    for (int i = 0; i < 3; i++)
        fs[i] = pool_apply_async(p, gated, i, i, 0);
    /* fs[0] runs (its pid is known once it does); 1 and 2 wait. */
    while (future_pid(fs[0]) == 0)
        usleep(1000);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    CHECK(future_host(fs[0]) && strcmp(future_host(fs[0]), host) == 0,
          "future_host of a running call: this host's name, not %s",
          future_host(fs[0]) ? future_host(fs[0]) : "NULL");
    CHECK(future_host(fs[2]) == NULL, "future_host of a call not begun: NULL");
    future_iter *it = future_as_completed(fs, 3);
    CHECK(future_cancel(fs[1]) == 0, "cancel a queued call: %s", pool_last_error());
    CHECK(future_iter_next(it, -1) == fs[1], "the iteration hands out the cancelled call");
    CHECK(future_ready(fs[1]) && future_cancelled(fs[1]), "cancelled");
    CHECK(future_successful(fs[1]) == 0, "a cancelled call is not successful");
    CHECK_ERROR(future_get(fs[1]), "Cancelled", "before it started");
    CHECK(future_pid(fs[1]) == 0, "it never ran");
    CHECK(future_host(fs[1]) == NULL, "nor on any host");
    errno = 0;
    CHECK(future_cancel(fs[0]) == -1 && errno == EBUSY, "a running call: EBUSY");
    CHECK(strstr(pool_last_error(), "future_kill") != NULL, "the message says what to do");
    CHECK(future_cancel(fs[1]) == -1 && errno == EALREADY, "twice: EALREADY");
    CHECK(!future_cancelled(fs[0]), "fs[0] is not cancelled");
    gate_open(&gates[0], 1);
    gate_open(&gates[2], 1);
    CHECK_INT(future_get(fs[0]), 0);
    CHECK_INT(future_get(fs[2]), 2);
    CHECK(future_cancel(fs[2]) == -1 && errno == EALREADY, "an ended call: EALREADY");
    CHECK(future_iter_next(it, -1) != NULL && future_iter_next(it, -1) != NULL &&
          future_iter_next(it, -1) == NULL, "three in all");
    future_iter_free(it);
    CHECK(future_cancel(NULL) == -1 && errno == EINVAL, "NULL");
    pool_destroy(p);
    printf("cancel: ok\n");
}

static void cancel_overflow(void)
{
    enum { N = 4200 };      /* more than the ring's 4096 slots */
    pool *p = make(1);
    static future *fs[N];
    fs[0] = pool_apply_async(p, gated, 0, 0, 0);
    for (int i = 1; i < N; i++)
        fs[i] = pool_apply_async(p, square, i);
    CHECK(future_cancel(fs[10]) == 0, "in the ring: %s", pool_last_error());
    CHECK(future_cancel(fs[N - 1]) == 0, "on the overflow list: %s", pool_last_error());
    CHECK(future_cancel(fs[N - 50]) == 0, "in the middle of the list: %s", pool_last_error());
    gate_open(&gates[0], 1);
    CHECK(future_wait_many(fs, N, FUTURE_ALL_COMPLETED, -1) == N, "all done");
    for (int i = 1; i < N; i++) {
        if (i == 10 || i == N - 1 || i == N - 50)
            CHECK_ERROR(future_get(fs[i]), "Cancelled");
        else
            CHECK_INT(future_get(fs[i]), (long)i * i);
    }
    pool_destroy(p);
    printf("cancel_overflow: ok\n");
}

static void kill_running(void)
{
    pool *p = make(2);
    future *fs[2];
    fs[0] = pool_apply_async(p, gated, 0, 0, 0);
    fs[1] = pool_apply_async(p, gated, 1, 1, 0);
    pid_t pid;
    while ((pid = future_pid(fs[0])) == 0)
        usleep(1000);
    CHECK(future_kill(fs[0]) == 0, "future_kill: %s", pool_last_error());
    CHECK(future_cancelled(fs[0]), "cancelled");
    CHECK_ERROR(future_get(fs[0]), "Cancelled", "while it ran", "killed");
    /* Its worker is dead and has been replaced; the other call runs on. */
    CHECK_INT(pool_apply(p, square, 9), 81);
    CHECK(!future_ready(fs[1]), "call 1 still runs");
    gate_open(&gates[1], 1);
    CHECK_INT(future_get(fs[1]), 1);
    CHECK(future_kill(fs[1]) == -1 && errno == EALREADY, "an ended call: EALREADY");
    printf("killed %d\n", (int)pid);
    pool_destroy(p);
    printf("kill: ok\n");
}

static pool_value masked(pool_args a)
{
    (void)a;
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    for (int i = 0; i < SIGRTMAX; i++)
        signal(i, SIG_IGN);
    gate_pass(&gates[0]);
    return pool_int(1);
}

static void kill_masked(void)
{
    pool *p = make(1);
    future *f = pool_apply_async(p, masked);
    while (future_pid(f) == 0)
        usleep(1000);
    CHECK(future_kill(f) == 0, "future_kill: %s", pool_last_error());
    CHECK_ERROR(future_get(f), "Cancelled");
    CHECK_INT(pool_apply(p, square, 5), 25);
    pool_destroy(p);
    printf("kill_masked: ok\n");
}

/* spin(us): busy for us microseconds, then return us. */
static pool_value spin(pool_args a)
{
    long us = pool_arg_int(a, 0);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000 < us);
    return pool_int(us);
}

static void kill_race(void)
{
    /* One worker: f, then g, run on it one after the other. f is killed as
     * it runs, as it ends, or after; the kill must never hit g (which runs
     * long enough to be there when the supervisor looks). */
    pool *p = make(1);
    int cancelled = 0, ended = 0;
    for (int i = 0; i < 300; i++) {
        future *f = pool_apply_async(p, spin, (i % 40) * 5);
        future *g = pool_apply_async(p, spin, 2000);
        if (i % 2)
            while (future_pid(f) == 0 && !future_ready(f))
                ;   /* until it runs */
        int r = future_kill(f);
        if (r == 0) {
            CHECK_ERROR(future_get(f), "Cancelled");
            cancelled++;
        } else {
            CHECK(errno == EALREADY, "future_kill: errno %d", errno);
            CHECK_INT(future_get(f), (i % 40) * 5);
            ended++;
        }
        CHECK_INT(future_get(g), 2000);
        future_free(f);
        future_free(g);
    }
    printf("kill_race: %d cancelled, %d ended first\n", cancelled, ended);
    pool_destroy(p);
    printf("kill_race: ok\n");
}

struct killer {
    future *f;
    int r, err;
};

static void *kill_thread(void *arg)
{
    struct killer *k = arg;
    k->r = future_kill(k->f);
    k->err = errno;
    return NULL;
}

static void kill_crash(void)
{
    pool *p = make(2);
    for (int i = 0; i < 20; i++) {
        /* It segfaults once let go. A byte the last round left in the gate
         * (its call was killed before it read it) lets it go at once. */
        future *f = pool_apply_async(p, gated, 0, 0, 2);
        while (future_pid(f) == 0 && !future_ready(f))
            usleep(500);
        struct killer k = {.f = f};
        pthread_t t;
        CHECK(pthread_create(&t, NULL, kill_thread, &k) == 0, "pthread_create");
        gate_open(&gates[0], 1);
        pthread_join(t, NULL);
        pool_value v = future_get(f);
        if (k.r == 0)
            CHECK_ERROR(v, "Cancelled");
        else
            CHECK_ERROR(v, "WorkerDied", "SIGSEGV");
        future_free(f);
        CHECK_INT(pool_apply(p, square, i), (long)i * i);
    }
    pool_destroy(p);
    gate_drain(&gates[0]);
    printf("kill_crash: ok\n");
}

struct canceller {
    future **fs;
    int n, cancelled;
};

static void *cancel_thread(void *arg)
{
    struct canceller *c = arg;
    for (int i = c->n - 1; i >= 0; i -= 2)      /* from the end: they are still queued */
        if (future_cancel(c->fs[i]) == 0)
            c->cancelled++;
    return NULL;
}

static void cancel_race(void)
{
    enum { N = 3000 };
    pool *p = make(2);
    static future *fs[N];
    /* Both workers wait on the gate; once let go they take calls from the
     * front while the thread cancels from the back: they meet somewhere. */
    for (int i = 0; i < N; i++)
        fs[i] = i < 2 ? pool_apply_async(p, gated, 0, (long)i * i, 0)
                      : pool_apply_async(p, square, i);
    /* Calls 0 and 1 run before the canceller starts (it asks them too, last). */
    while (future_pid(fs[0]) == 0 || future_pid(fs[1]) == 0)
        usleep(500);
    struct canceller c = {.fs = fs, .n = N};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, cancel_thread, &c) == 0, "pthread_create");
    gate_open(&gates[0], 2);
    pthread_join(t, NULL);
    int cancelled = 0;
    for (int i = 0; i < N; i++) {
        pool_value v = future_get(fs[i]);
        if (future_cancelled(fs[i])) {
            CHECK(i % 2 == 1 && i >= 2, "call %d was never asked to cancel", i);
            CHECK_ERROR(v, "Cancelled", "before it started");
            CHECK(future_pid(fs[i]) == 0, "a cancelled call never ran");
            cancelled++;
        } else {
            CHECK_INT(v, (long)i * i);
        }
    }
    CHECK(cancelled == c.cancelled, "%d cancelled, %d said so", cancelled, c.cancelled);
    printf("cancel_race: %d of %d cancelled\n", cancelled, N / 2);
    pool_destroy(p);
    printf("cancel_race: ok\n");
}

static void kill_terminate(void)
{
    for (int round = 0; round < 10; round++) {
        pool *p = make(2);
        future *f = pool_apply_async(p, gated, 0, 0, 0);    /* never let go */
        while (future_pid(f) == 0)
            usleep(500);
        struct killer k = {.f = f};
        pthread_t t;
        CHECK(pthread_create(&t, NULL, kill_thread, &k) == 0, "pthread_create");
        if (round % 2)
            usleep(200);
        pool_terminate(p);
        pthread_join(t, NULL);
        pool_value v = future_get(f);
        if (k.r == 0)
            CHECK_ERROR(v, "Cancelled");
        else
            CHECK(k.err == EALREADY && strcmp(pool_error_type(v), "Terminated") == 0,
                  "kill gave errno %d, the future %s", k.err, pool_error_type(v));
        pool_destroy(p);
    }
    printf("kill_terminate: ok\n");
}

static void kill_supervisor(void)
{
    pool *p = make(1);
    future *f = pool_apply_async(p, gated, 0, 0, 0);
    while (future_pid(f) == 0)
        usleep(500);
    pid_t kids[4];
    CHECK(children(kids, 4) == 1, "one supervisor");
    CHECK(kill(kids[0], SIGKILL) == 0, "kill the supervisor");
    errno = 0;
    CHECK(future_kill(f) == -1 && errno == EALREADY, "future_kill: errno %d", errno);
    CHECK_ERROR(future_get(f), "PoolError", "supervisor");
    pool_destroy(p);
    printf("kill_supervisor: ok\n");
}

static void limit(void)
{
    pool *p = make(2);
    future *f = pool_apply_async_limit(p, 0.2, gated, 0, 0, 0);    /* never let go */
    future *g = pool_apply_async_limit(p, 30.0, square, 6);
    CHECK(f != NULL && g != NULL, "pool_apply_async_limit: %s", pool_last_error());
    CHECK_INT(future_get(g), 36);
    pid_t pid;
    while ((pid = future_pid(f)) == 0 && !future_ready(f))
        usleep(1000);
    CHECK_ERROR(future_get(f), "Timeout", "gated", "limit of 0.2 s", "killed");
    CHECK(!future_cancelled(f), "a timeout is not a cancel");
    CHECK_INT(pool_apply(p, square, 4), 16);
    errno = 0;
    CHECK(pool_apply_async_limit(p, 0, square, 1) == NULL && errno == EINVAL, "limit 0");
    CHECK(pool_apply_async_limit(p, -1, square, 1) == NULL && errno == EINVAL, "limit -1");
    printf("timed out %d\n", (int)pid);
    pool_destroy(p);
    printf("limit: ok\n");
}

static void limit_queued(void)
{
    pool *p = make(1);
    future *f0 = pool_apply_async(p, gated, 0, 0, 0);
    future *f1 = pool_apply_async_limit(p, 0.05, square, 3);    /* waits behind f0 */
    /* Three times its limit while it waits: a waiting call is not timed. */
    CHECK(!future_wait_for(f1, 0.15), "f1 cannot have run");
    gate_open(&gates[0], 1);
    CHECK_INT(future_get(f0), 0);
    CHECK_INT(future_get(f1), 9);
    pool_destroy(p);
    printf("limit_queued: ok\n");
}

static void limit_crash(void)
{
    pool *p = make(1);
    future *f = pool_apply_async_limit(p, 30.0, gated, 0, 0, 2);
    gate_open(&gates[0], 1);
    CHECK_ERROR(future_get(f), "WorkerDied", "SIGSEGV");
    CHECK_INT(pool_apply(p, square, 2), 4);
    pool_destroy(p);
    printf("limit_crash: ok\n");
}

static void limit_race(void)
{
    /* One worker; f has a limit close to its own length, g none and runs
     * long enough to be there when the supervisor looks. */
    pool *p = make(1);
    int timed = 0, ended = 0;
    for (int i = 0; i < 60; i++) {
        future *f = pool_apply_async_limit(p, 0.002 + (i % 6) * 0.002, spin, 4000 + (i % 5) * 1000);
        future *g = pool_apply_async(p, spin, 20000);
        pool_value v = future_get(f);
        if (v.kind == POOL_ERROR) {
            CHECK_ERROR(v, "Timeout");
            timed++;
        } else {
            ended++;
        }
        CHECK_INT(future_get(g), 20000);
        future_free(f);
        future_free(g);
    }
    printf("limit_race: %d timed out, %d ended first\n", timed, ended);
    pool_destroy(p);
    printf("limit_race: ok\n");
}

static void join_for(void)
{
    pool *p = make(1);
    future *f = pool_apply_async(p, gated, 0, 7, 0);
    CHECK_ERROR(future_get_for(f, 0.05), "TimeoutError");
    errno = 0;
    CHECK(pool_join_for(p, 0.05) == -1 && errno == EINVAL, "a running pool: EINVAL");
    pool_close(p);
    CHECK(pool_join_for(p, 0.05) == -1 && errno == ETIMEDOUT, "a call still runs: ETIMEDOUT");
    CHECK(!future_ready(f), "it still runs");
    gate_open(&gates[0], 1);
    CHECK_INT(future_get_for(f, -1), 7);
    CHECK(pool_join_for(p, 30) == 0, "then it joins: %s", pool_last_error());
    CHECK(pool_join_for(p, 0) == 0, "twice is fine");
    CHECK(pool_join(p) == 0, "and pool_join after it");
    pool_destroy(p);
    printf("join_for: ok\n");
}

/* What callbacks saw: counted under a lock; the master waits on a condition. */
static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cb_cond = PTHREAD_COND_INITIALIZER;
static int cb_ok, cb_err;
static long cb_sum;
static pthread_t cb_thread;
static bool cb_one_thread;

static void cb_seen(bool ok, long v)
{
    pthread_mutex_lock(&cb_lock);
    if (cb_ok + cb_err == 0)
        cb_thread = pthread_self();
    cb_one_thread &= pthread_equal(cb_thread, pthread_self()) != 0;
    if (ok)
        cb_ok++;
    else
        cb_err++;
    cb_sum += v;
    pthread_cond_broadcast(&cb_cond);
    pthread_mutex_unlock(&cb_lock);
}

static void cb_reset(void)
{
    pthread_mutex_lock(&cb_lock);
    cb_ok = cb_err = 0;
    cb_sum = 0;
    cb_one_thread = true;
    pthread_mutex_unlock(&cb_lock);
}

/* Wait (the test's own timeout guards it) until n callbacks have run. */
static void cb_wait(int n)
{
    pthread_mutex_lock(&cb_lock);
    while (cb_ok + cb_err < n)
        pthread_cond_wait(&cb_cond, &cb_lock);
    pthread_mutex_unlock(&cb_lock);
}

static void on_ok(future *f, void *arg)
{
    CHECK(arg == (void *)&cb_ok, "the callback's argument");
    CHECK(future_ready(f) && future_successful(f) == 1, "done and successful");
    cb_seen(true, pool_as_int(future_get(f)));
}

static void on_err(future *f, void *arg)
{
    (void)arg;
    CHECK(future_ready(f) && future_successful(f) == 0, "done and failed");
    CHECK(pool_is_error(future_get(f)), "an error");
    cb_seen(false, 0);
}

static void callback(void)
{
    enum { N = 300 };
    cb_reset();
    pool *p = make(3);
    static future *fs[N];
    long want = 0;
    /* Every call waits on the gate until every callback is in place, so
     * none runs at once in this thread. */
    for (int i = 0; i < N; i++) {
        fs[i] = pool_apply_async(p, gated, 0, i, i == 17);     /* 17 fails */
        want += i == 17 ? 0 : i;
        CHECK(future_on_done(fs[i], on_ok, on_err, &cb_ok) == 0, "future_on_done: %s",
              pool_last_error());
    }
    errno = 0;
    CHECK(future_on_done(fs[0], on_ok, NULL, NULL) == -1 && errno == EBUSY, "a second: EBUSY");
    CHECK(future_on_done(fs[0], NULL, NULL, NULL) == -1 && errno == EINVAL, "none: EINVAL");
    gate_open(&gates[0], N);
    cb_wait(N);
    pthread_mutex_lock(&cb_lock);
    CHECK(cb_ok == N - 1 && cb_err == 1 && cb_sum == want, "%d ok, %d errors, sum %ld",
          cb_ok, cb_err, cb_sum);
    CHECK(cb_one_thread && !pthread_equal(cb_thread, pthread_self()),
          "every callback on the watcher thread");
    pthread_mutex_unlock(&cb_lock);
    pool_close(p);
    CHECK(pool_join(p) == 0, "pool_join");
    pthread_mutex_lock(&cb_lock);
    CHECK(cb_ok + cb_err == N, "each once: %d", cb_ok + cb_err);
    pthread_mutex_unlock(&cb_lock);
    pool_destroy(p);
    printf("callback: ok\n");
}

static void callback_done(void)
{
    cb_reset();
    pool *p = make(1);
    future *f = pool_apply_async(p, square, 5);
    future_wait(f);
    CHECK(future_on_done(f, on_ok, on_err, &cb_ok) == 0, "future_on_done");
    pthread_mutex_lock(&cb_lock);
    CHECK(cb_ok == 1 && cb_sum == 25 && pthread_equal(cb_thread, pthread_self()),
          "ran at once, in this thread");
    pthread_mutex_unlock(&cb_lock);
    CHECK(future_on_done(f, on_ok, NULL, &cb_ok) == -1 && errno == EBUSY, "a second: EBUSY");
    pool_close(p);
    future *g = pool_apply_async(p, square, 1);    /* fails at once: closed */
    CHECK(future_on_done(g, on_ok, on_err, &cb_ok) == 0, "future_on_done");
    CHECK(cb_err == 1, "its on_error ran at once");
    pool_destroy(p);
    printf("callback_done: ok\n");
}

static void callback_end(void)
{
    cb_reset();
    pool *p = make(2);
    future *crash = pool_apply_async(p, gated, 0, 0, 2);    /* segfaults */
    future *held = pool_apply_async(p, gated, 1, 0, 0);    /* never let go */
    future *queued[3];
    for (int i = 0; i < 3; i++)
        queued[i] = pool_apply_async(p, gated, 1, 0, 0);
    CHECK(future_on_done(crash, on_ok, on_err, &cb_ok) == 0, "on crash");
    CHECK(future_on_done(held, on_ok, on_err, &cb_ok) == 0, "on held");
    for (int i = 0; i < 3; i++)
        CHECK(future_on_done(queued[i], on_ok, on_err, &cb_ok) == 0, "on queued");
    gate_open(&gates[0], 1);
    cb_wait(1);
    CHECK_ERROR(future_get(crash), "WorkerDied");
    /* Terminate with four callbacks waiting: each runs once, Terminated. */
    pool_terminate(p);
    pthread_mutex_lock(&cb_lock);
    CHECK(cb_err == 5 && cb_ok == 0, "%d errors, %d ok after terminate", cb_err, cb_ok);
    pthread_mutex_unlock(&cb_lock);
    CHECK_ERROR(future_get(held), "Terminated");
    pool_destroy(p);
    printf("callback_end: ok\n");
}

static void free_self(future *f, void *arg)
{
    (void)arg;
    long v = pool_as_int(future_get(f));
    future_free(f);
    cb_seen(true, v);
}

static void callback_free(void)
{
    cb_reset();
    pool *p = make(1);
    future *f0 = pool_apply_async(p, gated, 0, 3, 0);
    future *f1 = pool_apply_async(p, gated, 0, 4, 0);
    CHECK(future_on_done(f0, on_ok, on_err, &cb_ok) == 0, "on f0");
    CHECK(future_on_done(f1, free_self, NULL, NULL) == 0, "on f1");
    future_free(f0);    /* before it ran: freed after its callback */
    gate_open(&gates[0], 2);
    cb_wait(2);
    pthread_mutex_lock(&cb_lock);
    CHECK(cb_sum == 7, "both values: %ld", cb_sum);
    pthread_mutex_unlock(&cb_lock);
    pool_destroy(p);
    printf("callback_free: ok\n");
}

static pool *chain_pool;

static void chain_next(future *f, void *arg)
{
    long left = (long)(intptr_t)arg;
    long v = pool_as_int(future_get(f));
    future_free(f);
    if (left > 0) {
        future *g = pool_apply_async(chain_pool, square, v % 1000 + 1);
        CHECK(g != NULL, "a call from a callback");
        CHECK(future_on_done(g, chain_next, NULL, (void *)(intptr_t)(left - 1)) == 0,
              "a callback from a callback");
        /* And one cancelled from here. */
        future *h = pool_apply_async(chain_pool, gated, 0, 0, 0);
        int r = future_cancel(h);
        CHECK(r == 0 || errno == EBUSY, "cancel from a callback");
        if (r != 0)
            CHECK(future_kill(h) == 0 || errno == EALREADY, "kill from a callback");
        future_free(h);
    }
    cb_seen(true, 0);
}

static void callback_chain(void)
{
    cb_reset();
    chain_pool = make(2);
    future *f = pool_apply_async(chain_pool, square, 2);
    CHECK(future_on_done(f, chain_next, NULL, (void *)(intptr_t)20) == 0, "the first");
    cb_wait(21);
    pool_destroy(chain_pool);
    printf("callback_chain: ok\n");
}

/* square, but input 13 kills its worker and input 21 fails. */
static pool_value square_or_die(pool_args a)
{
    long x = pool_arg_int(a, 0);
    if (x == 13)
        raise(SIGSEGV);
    if (x == 21)
        return pool_error("ValueError", "21 is unlucky");
    return pool_str(x % 2 ? "odd" : "even");
}

static void imap(void)
{
    enum { N = 1000 };
    pool *p = make(3);
    static pool_value in[N];
    static bool seen[N];
    for (int i = 0; i < N; i++)
        in[i] = pool_int(i);
    pool_imap *m = pool_imap_unordered(p, square, in, N, 7);
    CHECK(m != NULL, "pool_imap_unordered: %s", pool_last_error());
    size_t i;
    pool_value v;
    int got = 0, r;
    while ((r = pool_imap_next(m, &i, &v)) == 1) {
        CHECK(i < N && !seen[i], "index %zu twice or out of range", i);
        seen[i] = true;
        CHECK_INT(v, (long)i * (long)i);
        got++;
    }
    CHECK(r == 0 && got == N, "%d of %d, last %d", got, N, r);
    CHECK(pool_imap_next(m, &i, &v) == 0, "the end stays the end");
    pool_imap_free(m);

    /* In the order they end: one input a task, each on its gate. */
    static const int perm[4] = {2, 0, 3, 1};
    pool_value g[4];
    for (int k = 0; k < 4; k++)
        g[k] = pool_int(k);
    m = pool_imap_unordered(p, gate_by_input, g, 4, 1);
    for (int k = 0; k < 4; k++) {
        gate_open(&gates[perm[k]], 1);
        CHECK(pool_imap_next(m, &i, &v) == 1 && i == (size_t)perm[k], "step %d: index %zu", k, i);
        CHECK_INT(v, 100 + perm[k]);
    }
    CHECK(pool_imap_next(m, &i, &v) == 0, "four in all");
    pool_imap_free(m);

    errno = 0;
    CHECK(pool_imap_unordered(p, square, NULL, 3, 0) == NULL && errno == EINVAL, "no inputs");
    m = pool_imap_unordered(p, square, NULL, 0, 0);
    CHECK(m != NULL && pool_imap_next(m, NULL, NULL) == 0, "no inputs, n = 0");
    pool_imap_free(m);
    CHECK(pool_imap_next(NULL, &i, &v) == -1 && errno == EINVAL, "NULL");
    pool_destroy(p);
    printf("imap: ok\n");
}

static void imap_crash(void)
{
    enum { N = 60 };
    pool *p = make(2);
    pool_value in[N];
    bool seen[N] = {0};
    for (int i = 0; i < N; i++)
        in[i] = pool_int(i);
    pool_imap *m = pool_imap_unordered(p, square_or_die, in, N, 10);
    size_t i;
    pool_value v;
    int got = 0;
    while (pool_imap_next(m, &i, &v) == 1) {
        CHECK(i < N && !seen[i], "index %zu twice", i);
        seen[i] = true;
        if (i == 13)
            CHECK_ERROR(v, "WorkerDied", "SIGSEGV");
        else if (i == 21)
            CHECK_ERROR(v, "ValueError", "unlucky");
        else
            CHECK(v.kind == POOL_STR && strcmp(v.as.s, i % 2 ? "odd" : "even") == 0,
                  "input %zu", i);
        pool_value_free(v);
        got++;
    }
    CHECK(got == N, "%d of %d", got, N);
    pool_imap_free(m);
    pool_destroy(p);
    printf("imap_crash: ok\n");
}

/* announce(): say it started (a byte on gate 7), then wait on gate 0. */
static pool_value announce(pool_args a)
{
    (void)a;
    gate_open(&gates[7], 1);
    gate_pass(&gates[0]);
    return pool_int(1);
}

static _Atomic bool imap_freed;
static _Atomic int imap_started;

/* Give each task that starts its byte of gate 0, until imap_freed. It
 * begins 50 ms late, so that the master's free usually finds calls still
 * queued to cancel; the checks hold however late it begins. */
static void *feed_thread(void *arg)
{
    (void)arg;
    usleep(50000);
    gate_open(&gates[0], 1);    /* the second call that started */
    while (!imap_freed) {
        struct pollfd pfd = {.fd = gates[7].fd[0], .events = POLLIN};
        if (poll(&pfd, 1, 20) == 1) {
            gate_pass(&gates[7]);
            gate_open(&gates[0], 1);
            imap_started++;
        }
    }
    return NULL;
}

static void imap_free(void)
{
    pool *p = make(2);
    pool_value in[40];
    for (int i = 0; i < 40; i++)
        in[i] = pool_int(i);
    /* Every task says when it starts, then waits for one byte of gate 0;
     * each start gets one byte, so no task waits for ever. The iteration
     * is freed with calls running and queued. */
    pool_imap *m = pool_imap_unordered(p, announce, in, 40, 1);
    gate_wait(&gates[7], 2);    /* both workers hold a call; 38 wait */
    imap_started = 2;
    gate_open(&gates[0], 1);
    size_t i;
    pool_value v;
    CHECK(pool_imap_next(m, &i, &v) == 1, "one result");
    imap_freed = false;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, feed_thread, NULL) == 0, "pthread_create");
    pool_imap_free(m);
    imap_freed = true;
    pthread_join(t, NULL);
    gate_drain(&gates[7]);
    CHECK_INT(pool_apply(p, square, 3), 9);
    printf("imap_free: %d ran\n", (int)imap_started);
    pool_destroy(p);
    printf("imap_free: ok\n");
}

/* square, but input -1 waits on gate 0 (and gives 1), 13 kills its
 * worker and 21 fails. */
static pool_value square_or_gate(pool_args a)
{
    long x = pool_arg_int(a, 0);
    if (x == -1) {
        gate_pass(&gates[0]);
        return pool_int(1);
    }
    if (x == 13)
        raise(SIGSEGV);
    if (x == 21)
        return pool_error("ValueError", "21 is unlucky");
    return pool_int(x * x);
}

static void map_async(void)
{
    enum { N = 500 };
    pool *p = make(2);
    static pool_value in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = pool_int(i);
    /* Held by one input on a gate: the map cannot be done until it opens. */
    in[N - 1] = pool_int(-1);
    pool_map_result *m = pool_map_async(p, square_or_gate, in, N, out);
    CHECK(m != NULL, "pool_map_async: %s", pool_last_error());
    CHECK(!pool_map_ready(m), "not ready while input %d waits", N - 1);
    errno = 0;
    CHECK(pool_map_wait(m, 0.05) == -1 && errno == ETIMEDOUT, "a time limit: ETIMEDOUT");
    gate_open(&gates[0], 1);
    int failed = pool_map_wait(m, -1);
    CHECK(failed == 2, "inputs 13 (crash) and 21 (error) fail: %d", failed);
    CHECK(pool_map_ready(m), "ready");
    for (int i = 0; i < N; i++) {
        if (i == 13)
            CHECK_ERROR(out[i], "WorkerDied", "SIGSEGV");
        else if (i == 21)
            CHECK_ERROR(out[i], "ValueError");
        else if (i == N - 1)
            CHECK_INT(out[i], 1);
        else
            CHECK_INT(out[i], (long)i * i);
        pool_value_free(out[i]);
    }
    pool_map_free(m);

    /* Freed early, with two calls running and 38 queued (see imap_free). */
    m = pool_map_async_start(p, announce, "announce", in, 40, out, 1);
    gate_wait(&gates[7], 2);
    imap_started = 2;
    imap_freed = false;
    gate_open(&gates[0], 1);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, feed_thread, NULL) == 0, "pthread_create");
    pool_map_free(m);
    imap_freed = true;
    pthread_join(t, NULL);
    gate_drain(&gates[7]);
    int ran = 0, cancelled = 0;
    for (int i = 0; i < 40; i++) {
        if (out[i].kind == POOL_INT)
            ran++;
        else
            CHECK_ERROR(out[i], "Cancelled"), cancelled++;
        pool_value_free(out[i]);
    }
    CHECK(ran == imap_started && ran + cancelled == 40, "%d ran, %d started, %d cancelled",
          ran, (int)imap_started, cancelled);
    printf("map_async: %d ran, %d cancelled\n", ran, cancelled);
    pool_destroy(p);
    printf("map_async: ok\n");
}

/* Ended by SIGINT with 20 calls that have callbacks, 2 running and 18
 * queued: the pool records them as terminated, and the program dies of
 * the signal; no callback runs meanwhile (each would print a line). */
static void said_ended(future *f, void *arg)
{
    (void)arg;
    printf("callback_sigint: a callback ran for call %lu\n", future_id(f));
    fflush(stdout);
}

static void callback_sigint(void)
{
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    future *f[20];
    for (int i = 0; i < 20; i++) {
        f[i] = pool_apply_async(p, gated, 0, i, 0);
        CHECK(future_on_done(f[i], said_ended, said_ended, NULL) == 0, "future_on_done");
    }
    gate_drain(&gates[0]);
    usleep(20000);      /* two calls wait at their gate */
    printf("callback_sigint: raising SIGINT\n");
    fflush(stdout);
    raise(SIGINT);
    CHECK(0, "the program lived on after SIGINT");
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*run)(void);
    } cmds[] = {
        {"any", any}, {"order", order}, {"batch", batch}, {"all", all},
        {"first_error", first_error}, {"crash", crash}, {"killed", kill_worker},
        {"terminate", terminate}, {"supervisor", supervisor}, {"closed", closed},
        {"overflow", overflow}, {"threads", threads}, {"errors", errors},
        {"cancel", cancel}, {"cancel_overflow", cancel_overflow}, {"kill", kill_running},
        {"kill_masked", kill_masked}, {"kill_race", kill_race}, {"kill_crash", kill_crash},
        {"cancel_race", cancel_race}, {"kill_terminate", kill_terminate},
        {"kill_supervisor", kill_supervisor},
        {"limit", limit}, {"limit_queued", limit_queued}, {"limit_crash", limit_crash},
        {"limit_race", limit_race}, {"join_for", join_for},
        {"callback", callback}, {"callback_done", callback_done},
        {"callback_end", callback_end}, {"callback_free", callback_free},
        {"callback_chain", callback_chain},
        {"imap", imap}, {"imap_crash", imap_crash}, {"imap_free", imap_free},
        {"map_async", map_async}, {"callback_sigint", callback_sigint},
    };
    for (int i = 0; i < GATES; i++)
        gate_make(&gates[i]);
    for (int a = 1; a < argc; a++) {
        size_t k = 0;
        while (k < sizeof cmds / sizeof cmds[0] && strcmp(cmds[k].name, argv[a]) != 0)
            k++;
        CHECK(k < sizeof cmds / sizeof cmds[0], "unknown sub-command %s", argv[a]);
        cmds[k].run();
    }
    return 0;
}
