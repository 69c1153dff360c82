/*
 * crash.c - a worker dies in the middle of a task; the pool goes on.
 *
 *     crash segv | null | abort | exit | kill | external | helper | overflow | smash
 *
 * Two workers. After 100 warm-up calls (short, so the pool hands several
 * calls to a worker at once), one call dies in the chosen way while 300
 * short calls run around it, some of them already handed to the same
 * worker. "external" waits for a kill -9 from outside: its task prints
 * "sleeper pid PID" and sleeps until then. "helper" writes through a null
 * pointer in a function the task calls; "overflow" recurses until the
 * stack runs out; "smash" overwrites its helper's return address. The
 * message then says where (the backtrace; runtime.bats checks it).
 *
 * Checks: that call fails with WorkerDied naming the signal or exit status
 * and the dead PID; the 300 others give the right results; the pool then
 * still has two live workers, none of them the dead one. Prints "died: ..."
 * (the error message), "dead PID" and "worker PID" per live worker.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

enum { WORKERS = 2, WARM = 100, AROUND = 300 };

static gate release;
static gate arrived, leave;     /* two calls that run at once (meet) */
static const char *mode;
static int *volatile nowhere;   /* NULL, and the compiler cannot know it */

static pool_value add(pool_args a)
{
    pool_expect_args(a, 2);
    return pool_int(pool_arg_int(a, 0) + pool_arg_int(a, 1));
}

/* Wait until the master has queued the calls around it, then die. */
/* Runs until another meet has started too: two of them need two workers. */
static pool_value meet(pool_args a)
{
    (void)a;
    gate_open(&arrived, 1);
    gate_pass(&leave);
    return pool_int(getpid());
}

/* Not inlined, so that each is a frame of its own in the backtrace. */
static __attribute__((noinline)) void poke_null(int v)
{
    *nowhere = v;
}

static volatile long depth_limit = 1L << 40;    /* never reached */

static __attribute__((noinline)) long recurse(long n)
{
    volatile char pad[256];
    pad[n % 256] = (char)n;
    if (n > depth_limit)
        return 0;
    return recurse(n + 1) + pad[0];     /* not a tail call */
}

/* Overwrite its own saved frame pointer and return address (where x86-64
 * keeps them) with an address nothing is mapped at, as an overflowing
 * buffer would. */
static __attribute__((noinline)) void smash(void)
{
    void **volatile frame = __builtin_frame_address(0);
    frame[0] = frame[1] = (void *)0x41414141;
}

static pool_value crasher(pool_args a)
{
    pool_expect_args(a, 0);
    if (strcmp(mode, "external") == 0) {
        printf("sleeper pid %d\n", (int)getpid());
        fflush(stdout);
        for (int i = 0; i < 60; i++)
            sleep(1);
        return pool_str("the kill never came");
    }
    gate_pass(&release);
    if (strcmp(mode, "segv") == 0)
        raise(SIGSEGV);
    else if (strcmp(mode, "null") == 0)
        *nowhere = 1;
    else if (strcmp(mode, "abort") == 0)
        abort();
    else if (strcmp(mode, "exit") == 0)
        exit(3);
    else if (strcmp(mode, "kill") == 0)
        raise(SIGKILL);
    else if (strcmp(mode, "helper") == 0)
        poke_null(7);
    else if (strcmp(mode, "overflow") == 0)
        recurse(0);
    else if (strcmp(mode, "smash") == 0)
        smash();
    return pool_str("still alive");
}

static pool_value whoami(pool_args a)
{
    pool_expect_args(a, 0);
    return pool_int(getpid());
}

int main(int argc, char **argv)
{
    static const char *modes[][2] = {
        {"segv", "was killed by signal 11 (SIGSEGV"},
        {"null", "was killed by signal 11 (SIGSEGV"},
        {"abort", "was killed by signal 6 (SIGABRT"},
        {"exit", "exited with status 3 "},
        {"kill", "was killed by signal 9 (SIGKILL"},
        {"external", "was killed by signal 9 (SIGKILL"},
        {"helper", "was killed by signal 11 (SIGSEGV"},
        {"overflow", "was killed by signal 11 (SIGSEGV"},
        {"smash", "was killed by signal "},     /* SIGSEGV, or SIGABRT with a stack protector */
    };
    const char *how = NULL;
    mode = argc == 2 ? argv[1] : "";
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(mode, modes[i][0]) == 0)
            how = modes[i][1];
    if (how == NULL) {
        fprintf(stderr, "usage: crash segv|null|abort|exit|kill|external|helper|overflow|smash\n");
        return 2;
    }
    gate_make(&release);
    gate_make(&arrived);
    gate_make(&leave);
    pool *p = pool_create(WORKERS);
    if (p == NULL) {
        pool_perror("pool_create");
        return 1;
    }

    for (int i = 0; i < WARM; i++)
        CHECK_INT(pool_apply(p, add, i, 1), i + 1);

    future *dies = pool_apply_async(p, crasher);
    future *around[AROUND];
    for (int i = 0; i < AROUND; i++)
        around[i] = pool_apply_async(p, add, i, i);
    if (strcmp(mode, "external") != 0)
        gate_open(&release, 1);

    future_wait(dies);
    pool_value v = future_get(dies);
    pid_t dead = future_pid(dies);
    printf("died: %s\n", pool_error_message(v));
    printf("dead %d\n", (int)dead);
    CHECK(future_successful(dies) == 0, "the dying call succeeded");
    char pid_text[64];
    snprintf(pid_text, sizeof pid_text, "(pid %d)", (int)dead);
    CHECK_ERROR(v, "WorkerDied", how, pid_text, "while running crasher");
    CHECK(dead > 0 && dead != getpid(), "future_pid of the dead call is %d", (int)dead);

    for (int i = 0; i < AROUND; i++) {
        CHECK_INT(future_get(around[i]), 2 * i);
        future_free(around[i]);
    }

    /* The pool still has its two workers, the dead one not among them,
     * and they take calls. */
    pid_t kids[8];
    int nkids = workers(kids, 8);
    CHECK(nkids == WORKERS, "%d child processes (zombies included), not %d", nkids, WORKERS);
    CHECK(!pid_in(dead, kids, nkids), "the dead PID %d is still a child", (int)dead);
    for (int i = 0; i < nkids; i++)
        printf("worker %d\n", (int)kids[i]);
    for (int i = 0; i < 50; i++) {
        pool_value w = pool_apply(p, whoami);
        CHECK(w.kind == POOL_INT, "a call after the death failed: %s", pool_error_message(w));
        CHECK(pid_in((pid_t)w.as.i, kids, nkids), "PID %ld is not a live worker", w.as.i);
    }
    /* Both workers take calls: two that must run at once. */
    future *m1 = pool_apply_async(p, meet), *m2 = pool_apply_async(p, meet);
    CHECK(gate_wait_for(&arrived, 2, 10), "two calls did not run at once on two workers");
    gate_open(&leave, 2);
    CHECK(pool_as_int(future_get(m1)) != pool_as_int(future_get(m2)), "one worker ran both meets");
    pool_destroy(p);
    return 0;
}
