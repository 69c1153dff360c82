/*
 * faults.c - the fault matrix of the runtime core, one sub-command
 * per defect. Each one checks its own results (FAIL file:line on stderr,
 * exit 1); tests/core.bats drives them, every run under a timeout, so a
 * hang is a failure too.
 *
 *     faults d1 [CALLS]          crashes while another thread submits: no SIGPIPE
 *     faults d2 close|terminate [ROUNDS]
 *                                submit while another thread closes the pool
 *     faults d3 pools|fork       pool_join of A with pool B / a forked helper alive
 *     faults d4                  a pool made by a thread that then exits
 *     faults d5 never|later      a replacement worker cannot be started
 *     faults d6 PIDFILE          a task forks a child that lives on, then crashes
 *     faults d7 first|replaced   a task calls its own pool
 *     faults d8 PIDFILE          a task forks and both processes return (5 times)
 *     faults d9a                 100 calls, then the master is killed (SIGKILL)
 *     faults d9b                 a call running, one queued; waits for a signal
 *     faults d10 [N]             N crashes interleaved with N healthy calls (30)
 *     faults d11 LOGFILE         exit() in a task: stdio and atexit of the master
 *     faults d12 ignore|reap     SIGCHLD ignored / children reaped by the program
 *                                (3 crashes each)
 *     faults d13                 a few calls (POOL_TRACE names a FIFO)
 *     faults d14a PATH1 PATH2    pool_trace_open to a second file in mid-run
 *     faults d14b PATH           two pools given one trace path
 *     faults d14c                nested pools in tasks and a second pool (POOL_TRACE)
 *     faults race                a planted data race, for ThreadSanitizer to find
 *
 * Each prints one line "dN: ..." when all its checks pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static pool *P;             /* the pool the tasks of d7 call */
static gate started, release;

/* --- tasks ------------------------------------------------------------------ */

static pool_value add(pool_args a)
{
    pool_expect_args(a, 2);
    return pool_int(pool_arg_int(a, 0) + pool_arg_int(a, 1));
}

static pool_value mul(pool_args a)
{
    pool_expect_args(a, 2);
    return pool_int(pool_arg_int(a, 0) * pool_arg_int(a, 1));
}

/* strlen(s) + i: a call with a big argument, slow to encode. */
static pool_value len_plus(pool_args a)
{
    pool_expect_args(a, 2);
    return pool_int((long)strlen(pool_arg_str(a, 0)) + pool_arg_int(a, 1));
}

static pool_value segv(pool_args a)
{
    pool_expect_args(a, 0);
    raise(SIGSEGV);
    return pool_str("still alive after SIGSEGV");
}

static pool_value killself(pool_args a)
{
    pool_expect_args(a, 0);
    raise(SIGKILL);
    return pool_str("still alive after SIGKILL");
}

static pool_value aborts(pool_args a)
{
    pool_expect_args(a, 0);
    abort();
}

static pool_value exit3(pool_args a)
{
    pool_expect_args(a, 0);
    exit(3);
}

/* Tell the master it runs, wait for the gate, return 10 * x. */
static pool_value held(pool_args a)
{
    pool_expect_args(a, 1);
    gate_open(&started, 1);
    gate_pass(&release);
    return pool_int(10 * pool_arg_int(a, 0));
}

/* Tell the master it runs, then sleep (until a signal ends the program). */
static pool_value long_sleep(pool_args a)
{
    pool_expect_args(a, 1);
    gate_open(&started, 1);
    pool_sleep(pool_arg_double(a, 0));
    return pool_none();
}

/* --- helpers ---------------------------------------------------------------- */

static pool *mkpool(int n)
{
    pool *p = pool_create(n);
    CHECK(p != NULL, "pool_create(%d): %s", n, pool_last_error());
    return p;
}

/* f completes within 10 s. */
#define WAIT10(f)                                                           \
    CHECK(future_wait_for((f), 10), "task %lu did not complete within 10 s", \
          future_id(f))

/* The process has ended: no such process, or a zombie. */
static bool gone(pid_t pid)
{
    if (kill(pid, 0) == -1 && errno == ESRCH)
        return true;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return true;
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = '\0';
    char *close = strrchr(buf, ')');
    char state = '?';
    if (close)
        sscanf(close + 1, " %c", &state);
    return state == 'Z' || state == 'X';
}

/* pid ends within seconds (polled). */
static bool gone_within(pid_t pid, double seconds)
{
    double end = now() + seconds;
    while (!gone(pid)) {
        if (now() > end)
            return false;
        usleep(20000);
    }
    return true;
}

static pid_t read_pid(const char *path, double seconds)
{
    double end = now() + seconds;
    for (;;) {
        FILE *f = fopen(path, "r");
        long pid = 0;
        if (f) {
            int ok = fscanf(f, "%ld", &pid);
            fclose(f);
            if (ok == 1 && pid > 0)
                return (pid_t)pid;
        }
        if (now() > end)
            return 0;
        usleep(20000);
    }
}

static void write_pid(const char *path, pid_t pid)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return;
    fprintf(f, "%d\n", (int)pid);
    fclose(f);
    rename(tmp, path);
}

/* A small xorshift generator, one state per thread. */
/* --- D1: no master death by SIGPIPE ----------------------------------------- */

enum { D1_BATCH = 100 };

typedef struct {
    pool *p;
    int calls, crashes;
} d1_job;

/* Submit in batches of 100, one of them (at a random place) a crash; wait for
 * the batch and check every result. */
static void *d1_submit(void *arg)
{
    d1_job *j = arg;
    unsigned seed = (unsigned)getpid() * 2654435761u | 1;
    future *f[D1_BATCH];
    int crash_at[D1_BATCH];
    for (int done = 0; done < j->calls; done += D1_BATCH) {
        int n = j->calls - done < D1_BATCH ? j->calls - done : D1_BATCH;
        int c = (int)(next_rand(&seed) % (unsigned)n);
        for (int i = 0; i < n; i++) {
            crash_at[i] = i == c;
            f[i] = crash_at[i] ? pool_apply_async(j->p, segv)
                               : pool_apply_async(j->p, add, done + i, 1);
            CHECK(f[i] != NULL, "pool_apply_async: %s", pool_last_error());
        }
        for (int i = 0; i < n; i++) {
            WAIT10(f[i]);
            if (crash_at[i]) {
                CHECK_ERROR(future_get(f[i]), "WorkerDied", "SIGSEGV");
                j->crashes++;
            } else {
                CHECK_INT(future_get(f[i]), done + i + 1);
            }
            future_free(f[i]);
        }
    }
    return NULL;
}

static int d1(int argc, char **argv)
{
    d1_job j = {.p = mkpool(2), .calls = argc > 0 ? atoi(argv[0]) : 3000};
    CHECK(j.calls > 0, "bad call count");
    pthread_t t;
    CHECK(pthread_create(&t, NULL, d1_submit, &j) == 0, "pthread_create");
    pthread_join(t, NULL);
    pool_destroy(j.p);
    printf("d1: %d calls, %d crashed with SIGSEGV, every other result right\n",
           j.calls, j.crashes);
    return 0;
}

/* --- D2: submit while the pool is closed or terminated ---------------------- */

enum { D2_MAX = 400 };

typedef struct {
    pool *p;
    future *f[D2_MAX];
    atomic_int n;           /* futures made so far */
    atomic_bool stopped;    /* pool_close / pool_terminate has returned */
    const char *big;
} d2_round;

/* Submit until 3 calls after the pool was stopped (or D2_MAX in all). */
static void *d2_submit(void *arg)
{
    d2_round *r = arg;
    int after = 0;
    for (int i = 0; i < D2_MAX && after < 3; i++) {
        if (atomic_load(&r->stopped))
            after++;
        future *f = pool_apply_async(r->p, len_plus, r->big, i);
        CHECK(f != NULL, "pool_apply_async: %s", pool_last_error());
        r->f[i] = f;
        atomic_store(&r->n, i + 1);
    }
    return NULL;
}

static int d2(int argc, char **argv)
{
    bool terminate = argc > 0 && strcmp(argv[0], "terminate") == 0;
    CHECK(argc > 0 && (terminate || strcmp(argv[0], "close") == 0),
          "usage: faults d2 close|terminate [ROUNDS]");
    int rounds = argc > 1 ? atoi(argv[1]) : 100;
    size_t bigsize = 16384;
    char *big = malloc(bigsize + 1);
    CHECK(big != NULL, "out of memory");
    memset(big, 'x', bigsize);
    big[bigsize] = '\0';
    unsigned seed = (unsigned)getpid() | 1;
    int ok = 0, refused = 0;
    for (int round = 0; round < rounds; round++) {
        d2_round *r = calloc(1, sizeof *r);
        CHECK(r != NULL, "out of memory");
        r->p = mkpool(2);
        r->big = big;
        pthread_t t;
        CHECK(pthread_create(&t, NULL, d2_submit, r) == 0, "pthread_create");
        /* Stop the pool after a random number of calls, while they flow. */
        int when = (int)(next_rand(&seed) % 40);
        while (atomic_load(&r->n) < when)
            sched_yield();
        if (terminate)
            pool_terminate(r->p);
        else
            pool_close(r->p);
        atomic_store(&r->stopped, true);
        pthread_join(t, NULL);
        int n = atomic_load(&r->n);
        for (int i = 0; i < n; i++) {
            CHECK(future_wait_for(r->f[i], 10),
                  "round %d: call %d of %d (task %lu) did not complete within 10 s",
                  round, i + 1, n, future_id(r->f[i]));
            pool_value v = future_get(r->f[i]);
            if (v.kind == POOL_INT) {
                CHECK_INT(v, (long)bigsize + i);
                ok++;
            } else {
                /* refused (closed), or stopped by pool_terminate */
                bool term = terminate && strcmp(pool_error_type(v), "Terminated") == 0;
                CHECK_ERROR(v, term ? "Terminated" : "ValueError");
                refused++;
            }
        }
        if (!terminate)
            CHECK(pool_join(r->p) == 0, "pool_join: %s", pool_last_error());
        pool_destroy(r->p);
        free(r);
    }
    free(big);
    printf("d2: %d rounds of submit against pool_%s: every future completed "
           "(%d ran, %d refused or terminated)\n",
           rounds, terminate ? "terminate" : "close", ok, refused);
    return 0;
}

/* --- D3: pool_join with another pool or a forked helper alive ---------------- */

static int d3(int argc, char **argv)
{
    bool fork_mode = argc > 0 && strcmp(argv[0], "fork") == 0;
    CHECK(argc > 0 && (fork_mode || strcmp(argv[0], "pools") == 0),
          "usage: faults d3 pools|fork");
    pool *a = mkpool(2), *b = NULL;
    pid_t helper = 0;
    if (fork_mode) {
        helper = fork();
        CHECK(helper >= 0, "fork: %s", strerror(errno));
        if (helper == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);   /* tidy if the test fails */
            for (int i = 0; i < 60; i++)
                sleep(1);
            _exit(0);
        }
    } else {
        b = mkpool(2);
    }
    for (int i = 0; i < 10; i++)
        CHECK_INT(pool_apply(a, add, i, 1), i + 1);
    if (b)
        CHECK_INT(pool_apply(b, mul, 6, 7), 42);
    pool_close(a);
    CHECK(pool_join(a) == 0, "pool_join: %s", pool_last_error());
    CHECK(helper == 0 || !gone(helper),
          "the helper ended before pool_join returned: the check proved nothing");
    printf("d3: pool_join of A returned while %s\n",
           fork_mode ? "a forked helper lives" : "pool B exists");
    pool_destroy(a);
    if (b) {
        CHECK_INT(pool_apply(b, mul, 6, 7), 42);
        pool_destroy(b);
    }
    if (helper > 0) {
        kill(helper, SIGKILL);
        waitpid(helper, NULL, 0);
    }
    return 0;
}

/* --- D4: a pool made by a thread that exits --------------------------------- */

static future *d4_f[2];

static void *d4_maker(void *arg)
{
    (void)arg;
    P = mkpool(2);
    d4_f[0] = pool_apply_async(P, held, 1);
    d4_f[1] = pool_apply_async(P, held, 2);
    CHECK(d4_f[0] && d4_f[1], "pool_apply_async: %s", pool_last_error());
    CHECK(gate_wait_for(&started, 2, 10), "the two calls did not both start");
    return NULL;    /* the thread ends with both calls running */
}

static int d4(void)
{
    gate_make(&started);
    gate_make(&release);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, d4_maker, NULL) == 0, "pthread_create");
    pthread_join(t, NULL);
    usleep(300000);     /* time for the workers to die, if they do */
    gate_open(&release, 2);
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        WAIT10(d4_f[i]);
        CHECK_INT(future_get(d4_f[i]), 10 * (i + 1));
        pids[i] = future_pid(d4_f[i]);
    }
    CHECK(pids[0] != pids[1], "both running calls had one worker");
    for (int i = 0; i < 20; i++) {
        future *f = pool_apply_async(P, add, i, 100);
        CHECK(f != NULL, "pool_apply_async: %s", pool_last_error());
        WAIT10(f);
        CHECK_INT(future_get(f), i + 100);
        CHECK(pid_in(future_pid(f), pids, 2),
              "call %d ran in pid %d, not one of the pool's workers %d, %d: a worker "
              "was replaced", i, (int)future_pid(f), (int)pids[0], (int)pids[1]);
        future_free(f);
    }
    pool_destroy(P);
    printf("d4: the pool outlived the thread that made it; its workers stayed\n");
    return 0;
}

/* --- D5: no replacement worker can be started ------------------------------- */

static int d5(int argc, char **argv)
{
    bool later = argc > 0 && strcmp(argv[0], "later") == 0;
    CHECK(argc > 0 && (later || strcmp(argv[0], "never") == 0),
          "usage: faults d5 never|later");
    pool *p = mkpool(1);
    CHECK_INT(pool_apply(p, add, 1, 2), 3);
    /* No new descriptor from here on (the old core needs pipes to start a
     * worker; the new one is also told so by POOL_FAULT=spawn:N). */
    struct rlimit old, low;
    CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0, "getrlimit");
    int lowest = dup(0);
    CHECK(lowest >= 0, "dup: %s", strerror(errno));
    close(lowest);
    low = old;
    low.rlim_cur = (rlim_t)lowest;
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0, "setrlimit: %s", strerror(errno));

    future *f1 = pool_apply_async(p, segv);
    CHECK(f1 != NULL, "pool_apply_async: %s", pool_last_error());
    WAIT10(f1);
    CHECK_ERROR(future_get(f1), "WorkerDied", "SIGSEGV");
    if (later) {
        CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0, "setrlimit: %s", strerror(errno));
        sleep(3);
        future *f2 = pool_apply_async(p, add, 2, 3);
        CHECK(f2 != NULL, "pool_apply_async: %s", pool_last_error());
        WAIT10(f2);
        CHECK_INT(future_get(f2), 5);
        printf("d5: a call 3 s after the failed replacement ran\n");
    } else {
        future *f2 = pool_apply_async(p, add, 2, 3);
        CHECK(f2 != NULL, "pool_apply_async: %s", pool_last_error());
        WAIT10(f2);
        CHECK_ERROR(future_get(f2), "WorkerDied", "start");
        printf("d5: %s\n", pool_error_message(future_get(f2)));
        CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0, "setrlimit: %s", strerror(errno));
    }
    pool_destroy(p);
    return 0;
}

/* --- D6: a task forks a child that lives on, then crashes ------------------- */

static const char *pidfile;

static pool_value fork_then_crash(pool_args a)
{
    pool_expect_args(a, 0);
    pid_t c = fork();
    if (c == 0) {
        for (int i = 0; i < 60; i++)
            sleep(1);
        _exit(0);
    }
    write_pid(pidfile, c);
    raise(SIGSEGV);
    return pool_str("still alive after SIGSEGV");
}

static int d6(int argc, char **argv)
{
    CHECK(argc > 0, "usage: faults d6 PIDFILE");
    pidfile = argv[0];
    pool *p = mkpool(1);
    future *f = pool_apply_async(p, fork_then_crash);
    CHECK(f != NULL, "pool_apply_async: %s", pool_last_error());
    bool done = future_wait_for(f, 10);
    pid_t child = read_pid(pidfile, 2);
    if (!done && child > 0)
        kill(child, SIGKILL);   /* the check below fails; leave nothing behind */
    CHECK(done, "the crash was not seen within 10 s (the task's child lives on)");
    CHECK_ERROR(future_get(f), "WorkerDied", "SIGSEGV");
    CHECK(child > 0, "the task wrote no child PID to %s", pidfile);
    CHECK_INT(pool_apply(p, add, 2, 2), 4);
    pool_destroy(p);
    bool ended = gone_within(child, 2);
    if (!ended)
        kill(child, SIGKILL);
    CHECK(ended, "the task's child %d still runs 2 s after pool_destroy", (int)child);
    printf("d6: crash seen at once; the task's child is gone after pool_destroy\n");
    return 0;
}

/* --- D7: a task calls its own pool ------------------------------------------ */

/* Call the pool that runs this task; give back what that call gave. */
static pool_value nested(pool_args a)
{
    pool_expect_args(a, 0);
    future *f = pool_apply_async(P, add, 1, 2);
    if (f == NULL)
        return pool_error("PoolError", "%s", pool_last_error());
    if (!future_wait_for(f, 5))
        return pool_error("Hang", "the nested call did not complete within 5 s");
    pool_value v = future_get(f);
    if (v.kind == POOL_ERROR)
        return pool_error(pool_error_type(v), "%s", pool_error_message(v));
    char buf[200];
    return pool_error("NoError", "the nested call gave %s",
                      pool_value_format(v, buf, sizeof buf));
}

static int d7(int argc, char **argv)
{
    bool replaced = argc > 0 && strcmp(argv[0], "replaced") == 0;
    CHECK(argc > 0 && (replaced || strcmp(argv[0], "first") == 0),
          "usage: faults d7 first|replaced");
    P = mkpool(1);
    if (replaced) {
        future *c = pool_apply_async(P, segv);
        CHECK(c != NULL, "pool_apply_async: %s", pool_last_error());
        WAIT10(c);
        CHECK_ERROR(future_get(c), "WorkerDied", "SIGSEGV");
    }
    future *f = pool_apply_async(P, nested);
    CHECK(f != NULL, "pool_apply_async: %s", pool_last_error());
    WAIT10(f);
    CHECK_ERROR(future_get(f), "PoolError", "own pool");
    printf("d7: %s\n", pool_error_message(future_get(f)));
    CHECK_INT(pool_apply(P, add, 20, 22), 42);
    pool_close(P);
    CHECK(pool_join(P) == 0, "pool_join: %s", pool_last_error());
    pool_destroy(P);
    return 0;
}

/* --- D8: a task forks and both processes return ----------------------------- */

/* Append pid to the file, one line each (O_APPEND: one write, whole). */
static void append_pid(const char *path, pid_t pid)
{
    FILE *f = fopen(path, "a");
    if (f == NULL)
        return;
    fprintf(f, "%d\n", (int)pid);
    fclose(f);
}

static pool_value fork_both_return(pool_args a)
{
    pool_expect_args(a, 0);
    pid_t c = fork();
    if (c == 0)
        return pool_int(2);     /* the child returns too */
    append_pid(pidfile, c);
    return pool_int(1);
}

/* Five times: the task forks, both return; 4 calls after each. */
static int d8(int argc, char **argv)
{
    enum { ROUNDS = 5 };
    CHECK(argc > 0, "usage: faults d8 PIDFILE");
    pidfile = argv[0];
    pool *p = mkpool(2);
    for (int r = 0; r < ROUNDS; r++) {
        future *f = pool_apply_async(p, fork_both_return);
        CHECK(f != NULL, "pool_apply_async: %s", pool_last_error());
        WAIT10(f);
        CHECK_INT(future_get(f), 1);
        for (int i = 0; i < 4; i++)
            CHECK_INT(pool_apply(p, add, i, 1), i + 1);
    }
    pool_destroy(p);
    FILE *f = fopen(pidfile, "r");
    CHECK(f != NULL, "the task wrote no child PID to %s", pidfile);
    long pid;
    int n = 0;
    bool all_gone = true;
    while (fscanf(f, "%ld", &pid) == 1) {
        n++;
        if (!gone_within((pid_t)pid, 2)) {
            kill((pid_t)pid, SIGKILL);
            fprintf(stderr, "FAIL %s:%d: the task's forked child %ld still runs after "
                    "pool_destroy\n", __FILE__, __LINE__, pid);
            all_gone = false;
        }
    }
    fclose(f);
    CHECK(all_gone, "forked children left running");
    CHECK(n == ROUNDS, "%d child PIDs written, not %d", n, ROUNDS);
    printf("d8: 5 times the future had the parent's value; the children are gone\n");
    return 0;
}

/* --- D9: a master that dies abnormally --------------------------------------- */

static int d9a(void)
{
    pool *p = mkpool(2);
    future *f[100];
    for (int i = 0; i < 100; i++) {
        f[i] = pool_apply_async(p, add, i, 1);
        CHECK(f[i] != NULL, "pool_apply_async: %s", pool_last_error());
    }
    for (int i = 0; i < 100; i++) {
        WAIT10(f[i]);
        CHECK_INT(future_get(f[i]), i + 1);
    }
    printf("d9a: 100 calls done; dying by SIGKILL\n");
    fflush(stdout);
    raise(SIGKILL);
    return 1;
}

static int d9b(void)
{
    gate_make(&started);
    pool *p = mkpool(1);
    future *run = pool_apply_async(p, long_sleep, 600.0);
    future *queued = pool_apply_async(p, add, 1, 2);
    CHECK(run && queued, "pool_apply_async: %s", pool_last_error());
    CHECK(gate_wait_for(&started, 1, 10), "the long call did not start");
    printf("d9b: pid %d ready\n", (int)getpid());
    fflush(stdout);
    future_wait(queued);    /* until the signal ends the program */
    printf("d9b: the queued call ended\n");
    return 1;
}

/* --- D10: crashes interleaved with healthy calls ----------------------------- */

static int d10(int argc, char **argv)
{
    enum { MOST = 60 };
    int half = argc > 0 ? atoi(argv[0]) : MOST / 2;
    CHECK(half >= 1 && half <= MOST / 2, "usage: faults d10 [N], N from 1 to %d", MOST / 2);
    int N = 2 * half;
    pool *p = mkpool(2);
    future *f[MOST];
    for (int i = 0; i < N; i++) {
        f[i] = i % 2 == 0 ? pool_apply_async(p, killself) : pool_apply_async(p, add, i, 1);
        CHECK(f[i] != NULL, "pool_apply_async: %s", pool_last_error());
    }
    for (int i = 0; i < N; i++) {
        CHECK(future_wait_for(f[i], 20), "call %d did not complete within 20 s", i);
        if (i % 2 == 0)
            CHECK_ERROR(future_get(f[i]), "WorkerDied", "SIGKILL");
        else
            CHECK_INT(future_get(f[i]), i + 1);
    }
    pool_destroy(p);
    printf("d10: %d crashes, %d healthy calls all right\n", half, half);
    return 0;
}

/* --- D11: exit() in a task -------------------------------------------------- */

static void at_exit(void)
{
    printf("ATEXIT\n");
}

static int d11(int argc, char **argv)
{
    CHECK(argc > 0, "usage: faults d11 LOGFILE");
    FILE *log = fopen(argv[0], "w");
    CHECK(log != NULL, "fopen %s: %s", argv[0], strerror(errno));
    fprintf(log, "a line of the master's log\n");   /* left in the buffer */
    atexit(at_exit);
    pool *p = mkpool(2);
    future *f = pool_apply_async(p, exit3);
    CHECK(f != NULL, "pool_apply_async: %s", pool_last_error());
    WAIT10(f);
    CHECK_ERROR(future_get(f), "WorkerDied", "exited with status 3");
    for (int i = 0; i < 10; i++)
        CHECK_INT(pool_apply(p, add, i, 1), i + 1);
    pool_destroy(p);
    printf("d11: exit(3) in a task failed its call\n");
    return 0;   /* exit flushes the log and prints ATEXIT, once */
}

/* --- D12: SIGCHLD ignored, children reaped by the program -------------------- */

static atomic_bool reaper_stop;
static atomic_int reaped;

static void *reaper(void *arg)
{
    (void)arg;
    while (!atomic_load(&reaper_stop)) {
        int st;
        if (waitpid(-1, &st, 0) > 0)
            atomic_fetch_add(&reaped, 1);
        else
            usleep(1000);
    }
    return NULL;
}

static int d12(int argc, char **argv)
{
    bool reap = argc > 0 && strcmp(argv[0], "reap") == 0;
    CHECK(argc > 0 && (reap || strcmp(argv[0], "ignore") == 0),
          "usage: faults d12 ignore|reap");
    pthread_t t;
    if (reap)
        CHECK(pthread_create(&t, NULL, reaper, NULL) == 0, "pthread_create");
    else
        signal(SIGCHLD, SIG_IGN);
    pool *p = mkpool(2);
    for (int i = 0; i < 5; i++)
        CHECK_INT(pool_apply(p, add, i, 1), i + 1);
    for (int round = 0; round < 3; round++) {
        future *f = reap ? pool_apply_async(p, aborts) : pool_apply_async(p, segv);
        CHECK(f != NULL, "pool_apply_async: %s", pool_last_error());
        WAIT10(f);
        CHECK_ERROR(future_get(f), "WorkerDied", reap ? "SIGABRT" : "SIGSEGV");
        if (round == 0)
            printf("d12: %s\n", pool_error_message(future_get(f)));
        future_free(f);
        for (int i = 0; i < 5; i++)
            CHECK_INT(pool_apply(p, add, i, 2), i + 2);
    }
    pool_destroy(p);
    if (reap) {
        atomic_store(&reaper_stop, true);
        pthread_detach(t);  /* it may sit in waitpid */
    }
    return 0;
}

/* --- D13: a few calls (the test points POOL_TRACE at a FIFO) ----------------- */

static int d13(void)
{
    double t0 = now();
    pool *p = mkpool(2);
    double took = now() - t0;
    CHECK(took < 3, "pool_create took %.1f s", took);
    for (int i = 0; i < 10; i++)
        CHECK_INT(pool_apply(p, add, i, 1), i + 1);
    pool_destroy(p);
    printf("d13: pool_create returned; 10 calls ran\n");
    return 0;
}

/* --- D14: trace files ------------------------------------------------------- */

static void calls(pool *p, pool_fn fn, const char *name, int n, int base)
{
    future *f[64];
    for (int i = 0; i < n; i++) {
        f[i] = pool_submit(p, fn, name, (pool_value[]){pool_int(base + i), pool_int(2)}, 2);
        CHECK(f[i] != NULL, "pool_submit: %s", pool_last_error());
    }
    for (int i = 0; i < n; i++) {
        WAIT10(f[i]);
        CHECK(future_get(f[i]).kind == POOL_INT, "call %d of %s failed", i, name);
        future_free(f[i]);
    }
}

static int d14a(int argc, char **argv)
{
    CHECK(argc > 1, "usage: faults d14a PATH1 PATH2");
    pool *p = mkpool(2);
    CHECK(pool_trace_open(p, argv[0]) == 0, "pool_trace_open: %s", pool_last_error());
    calls(p, add, "add", 10, 0);
    CHECK(pool_trace_open(p, argv[1]) == 0, "pool_trace_open: %s", pool_last_error());
    calls(p, mul, "mul", 10, 0);
    pool_destroy(p);
    printf("d14a: 10 calls traced to one file, 10 to the next\n");
    return 0;
}

static int d14b(int argc, char **argv)
{
    CHECK(argc > 0, "usage: faults d14b PATH");
    pool *a = mkpool(2), *b = mkpool(2);
    CHECK(pool_trace_open(a, argv[0]) == 0, "pool_trace_open: %s", pool_last_error());
    errno = 0;
    int r = pool_trace_open(b, argv[0]);
    int e = errno;
    CHECK(r == -1, "a second pool was given the trace file of the first");
    CHECK(e == EBUSY, "errno is %d (%s), not EBUSY", e, strerror(e));
    CHECK(*pool_last_error() != '\0', "no message in pool_last_error()");
    printf("d14b: refused: %s\n", pool_last_error());
    calls(a, add, "add", 5, 0);
    calls(b, mul, "mul", 5, 0);
    pool_destroy(a);
    pool_destroy(b);
    return 0;
}

/* In a worker: a pool of its own, one call, and its end. */
static pool_value nest_pool(pool_args a)
{
    pool_expect_args(a, 1);
    pool *q = pool_create(1);
    if (q == NULL)
        return pool_error("PoolError", "nested pool_create: %s", pool_last_error());
    pool_value v = pool_apply(q, add, pool_arg_int(a, 0), 1);
    pool_destroy(q);
    return v;
}

static int d14c(void)
{
    enum { NEST = 4 };
    pool *a = mkpool(2);
    future *f[NEST];
    for (int i = 0; i < NEST; i++) {
        f[i] = pool_apply_async(a, nest_pool, i);
        CHECK(f[i] != NULL, "pool_apply_async: %s", pool_last_error());
    }
    pool *b = mkpool(1);
    calls(b, mul, "mul", 3, 0);
    for (int i = 0; i < NEST; i++) {
        CHECK(future_wait_for(f[i], 20), "nested call %d did not complete", i);
        CHECK_INT(future_get(f[i]), i + 1);
    }
    pool_destroy(b);
    pool_destroy(a);
    printf("d14c: 4 nested pools and a second pool ran\n");
    return 0;
}

/* --- a planted bug: two threads add to one int without a lock -------------- */

static long racy;

static void *race_adder(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100000; i++)
        racy++;
    return NULL;
}

static int race(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, race_adder, NULL) == 0, "pthread_create");
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("race: %ld\n", racy);
    return 0;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    int n = argc - 2;
    char **rest = argv + 2;
    if (strcmp(what, "d1") == 0)
        return d1(n, rest);
    if (strcmp(what, "d2") == 0)
        return d2(n, rest);
    if (strcmp(what, "d3") == 0)
        return d3(n, rest);
    if (strcmp(what, "d4") == 0)
        return d4();
    if (strcmp(what, "d5") == 0)
        return d5(n, rest);
    if (strcmp(what, "d6") == 0)
        return d6(n, rest);
    if (strcmp(what, "d7") == 0)
        return d7(n, rest);
    if (strcmp(what, "d8") == 0)
        return d8(n, rest);
    if (strcmp(what, "d9a") == 0)
        return d9a();
    if (strcmp(what, "d9b") == 0)
        return d9b();
    if (strcmp(what, "d10") == 0)
        return d10(n, rest);
    if (strcmp(what, "d11") == 0)
        return d11(n, rest);
    if (strcmp(what, "d12") == 0)
        return d12(n, rest);
    if (strcmp(what, "d13") == 0)
        return d13();
    if (strcmp(what, "d14a") == 0)
        return d14a(n, rest);
    if (strcmp(what, "d14b") == 0)
        return d14b(n, rest);
    if (strcmp(what, "d14c") == 0)
        return d14c();
    if (strcmp(what, "race") == 0)
        return race();
    fprintf(stderr, "usage: faults d1|d2|...|d14c [ARGS]  (see faults.c)\n");
    return 2;
}
