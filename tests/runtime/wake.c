/*
 * wake.c - waking workers: it survives workers killed or stopped at any
 * instant, and a burst of calls costs few futex calls.
 *
 *     wake CMD...      each CMD prints "CMD: ok" when its checks pass
 *
 *   kills N    3 workers; N times: a call, then, after a random pause of 0
 *              to 1000 us, kill -9 of the worker that ran it (idle by then:
 *              spinning for work, going to sleep, or asleep). Every call's
 *              result must be right and none may fail; every wait is
 *              bounded (10 s), so a hang fails instead of waiting forever
 *   stopped R  2 workers; R rounds: a call, then SIGSTOP of the worker
 *              that ran it, caught while it spins for more work; then 4
 *              calls that the other worker must run, then SIGCONT
 *   burst N    2 workers; three times: N apply_async calls, then every
 *              result; then a map of N inputs in chunks of 1. Run under
 *              strace by the bats suite, which counts the futex calls
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define WAIT_S 10.0     /* far longer than any call here takes */

static long count = 1000;

/* square(x): x * x, and the pid of the worker that ran it (x * x * 2^20 + pid). */
static pool_value square_pid(pool_args a)
{
    pool_expect_args(a, 1);
    long x = pool_arg_int(a, 0);
    return pool_int(x * x * (1L << 22) + getpid());
}

static pool_value echo(pool_args a)
{
    pool_expect_args(a, 1);
    return pool_int(pool_arg_int(a, 0));
}

/* Run square_pid(x) on p, bounded: the pid that ran it. */
static pid_t square_on(pool *p, long x)
{
    future *f = pool_apply_async(p, square_pid, x);
    CHECK(f != NULL, "pool_apply_async: %s", pool_last_error());
    CHECK(future_wait_for(f, WAIT_S), "call %ld did not end within %g s (a hang)", x,
          WAIT_S);
    pool_value v = future_get(f);
    char b[256];
    CHECK(v.kind == POOL_INT, "call %ld: %s", x, pool_value_format(v, b, sizeof b));
    long pid = v.as.i & ((1L << 22) - 1);
    CHECK(v.as.i >> 22 == x * x, "call %ld: %ld is not its square", x, v.as.i >> 22);
    future_free(f);
    return (pid_t)pid;
}

static void pause_us(long us)
{
    struct timespec t = {.tv_sec = us / 1000000, .tv_nsec = us % 1000000 * 1000};
    nanosleep(&t, NULL);
}

/* The state letter (R, S, T, ...) in a /proc/PID/stat kept open as fd. */
static char proc_state(int fd)
{
    char buf[512];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    CHECK(n > 0, "cannot read a worker's /proc/PID/stat");
    buf[n] = '\0';
    char *close = strrchr(buf, ')');
    return close && close[1] == ' ' ? close[2] : 0;
}

/* /proc/PID/stat of pid, opened. */
static int proc_open(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
    return fd;
}

static void kills(void)
{
    pool *p = pool_create(3);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    unsigned seed = (unsigned)getpid();
    long killed = 0;
    for (long i = 0; i < count; i++) {
        pid_t pid = square_on(p, i);
        /* Now idle: spinning for work for a few milliseconds, then asleep.
         * A third of the kills land at once, the rest spread over 1 ms. */
        long us = rand_r(&seed) % 3 == 0 ? 0 : rand_r(&seed) % 1000;
        if (us)
            pause_us(us);
        /* It ran the call just now and only this loop kills: it lives. */
        CHECK(kill(pid, SIGKILL) == 0, "kill %d: %s", (int)pid, strerror(errno));
        killed++;
    }
    /* And the pool still runs calls on every worker slot. */
    for (long i = 0; i < 30; i++)
        square_on(p, i);
    pool_destroy(p);
    printf("kills: %ld workers killed, every call right\n", killed);
    printf("kills: ok\n");
}

static void stopped(void)
{
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    pid_t pids[2];
    int stat[2];
    CHECK(workers(pids, 2) == 2, "the pool does not have 2 workers");
    for (int i = 0; i < 2; i++)
        stat[i] = proc_open(pids[i]);
    for (long r = 0; r < count; r++) {
        /* A call, then its worker caught while it runs (state R) with no
         * call to run: it spins for more, for some tens of microseconds. */
        int a = -1;
        for (int k = 0; a < 0; k++) {
            CHECK(k < 10000, "no worker was seen spinning after a call");
            pid_t pid = square_on(p, r);
            a = pid == pids[0] ? 0 : 1;
            CHECK(pid == pids[a], "a call ran in %d, not a worker of the pool", (int)pid);
            pause_us(k % 3 * 5);
            if (proc_state(stat[a]) != 'R')
                a = -1;
        }
        CHECK(kill(pids[a], SIGSTOP) == 0, "SIGSTOP %d: %s", (int)pids[a], strerror(errno));
        for (int i = 0; i < 1000 && proc_state(stat[a]) != 'T'; i++)
            pause_us(1000);
        CHECK(proc_state(stat[a]) == 'T', "worker %d did not stop", (int)pids[a]);
        for (long i = 0; i < 4; i++) {
            pid_t b = square_on(p, r * 4 + i);
            CHECK(b == pids[1 - a], "call %ld ran in %d, not in the running worker %d",
                  r * 4 + i, (int)b, (int)pids[1 - a]);
        }
        CHECK(kill(pids[a], SIGCONT) == 0, "SIGCONT %d: %s", (int)pids[a], strerror(errno));
    }
    close(stat[0]);
    close(stat[1]);
    pool_destroy(p);
    printf("stopped: ok\n");
}

static void burst(void)
{
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    future **f = calloc((size_t)count, sizeof *f);
    pool_value *in = calloc((size_t)count, sizeof *in), *out = calloc((size_t)count, sizeof *out);
    CHECK(f && in && out, "out of memory");
    for (long i = 0; i < count; i++)
        in[i] = pool_int(i);
    for (int round = 0; round < 3; round++) {
        for (long i = 0; i < count; i++) {
            f[i] = pool_apply_async(p, echo, i);
            CHECK(f[i] != NULL, "pool_apply_async: %s", pool_last_error());
        }
        for (long i = 0; i < count; i++) {
            CHECK_INT(future_get(f[i]), i);
            future_free(f[i]);
        }
        CHECK(pool_map_chunked(p, echo, in, (size_t)count, out, 1) == 0, "the map failed");
        for (long i = 0; i < count; i++)
            CHECK_INT(out[i], i);
    }
    pool_destroy(p);
    free(f);
    free(in);
    free(out);
    printf("burst: %ld calls and %ld map inputs\n", 3 * count, 3 * count);
    printf("burst: ok\n");
}

int main(int argc, char **argv)
{
    static const check_cmd cmds[] = {
        {"kills", kills},
        {"stopped", stopped},
        {"burst", burst},
    };
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The count comes after the command: wake kills 1000 */
    if (argc == 3) {
        count = strtol(argv[2], NULL, 10);
        CHECK(count > 0 && count <= 1000000, "a count from 1 to 1000000, not %s", argv[2]);
        argc = 2;
    }
    check_run(cmds, sizeof cmds / sizeof *cmds, argc, argv);
    return 0;
}
