/*
 * tasks.c - a small, fast pool program for the plot tool's tests.
 *
 *     tasks [N]
 *
 * Twelve short tasks go out at once; task 6 fails on purpose. The pool has
 * N workers, or POOL_WORKERS (else one per CPU) without an argument. With
 * TASKS_CRASH=1 in the environment, task 9 kills its own worker (SIGKILL),
 * so that the pool must replace it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"

#define NTASKS 12

/* Sleep for ms milliseconds (times POOL_TIME_SCALE), then return ms. */
static pool_value nap(pool_args a)
{
    pool_expect_args(a, 1);
    int ms = pool_arg_int(a, 0);
    pool_sleep(ms / 1000.0);
    return pool_int(ms);
}

/* Sleep a little, then fail. */
static pool_value fail(pool_args a)
{
    pool_expect_args(a, 1);
    pool_sleep(pool_arg_int(a, 0) / 1000.0);
    return pool_error("ValueError", "task failed on purpose");
}

/* Sleep a little, then kill this worker process. */
static pool_value crash(pool_args a)
{
    pool_expect_args(a, 1);
    pool_sleep(pool_arg_int(a, 0) / 1000.0);
    kill(getpid(), SIGKILL);
    return pool_int(0);
}

int main(int argc, char **argv)
{
    future *f[NTASKS];
    int n = 0;
    const char *c = getenv("TASKS_CRASH");
    int crashing = c != NULL && strcmp(c, "1") == 0;

    if (argc > 1) {
        char *end;
        long v = strtol(argv[1], &end, 10);
        if (*argv[1] == '\0' || *end != '\0' || v < 1) {
            fprintf(stderr, "tasks: worker count '%s' is not a positive number\n", argv[1]);
            return 1;
        }
        n = (int)v;
    }
    pool *p = pool_create(n);
    if (p == NULL) {
        pool_perror("pool_create");
        return 1;
    }
    for (int i = 0; i < NTASKS; i++) {
        int ms = 20 + 10 * (i % 3);
        if (i == 9 && crashing)
            f[i] = pool_apply_async(p, crash, ms);
        else
            f[i] = i == 6 ? pool_apply_async(p, fail, ms) : pool_apply_async(p, nap, ms);
    }
    int failed = 0;
    for (int i = 0; i < NTASKS; i++)
        failed += pool_is_error(future_get(f[i]));
    printf("%d tasks on %d workers, %d failed\n", NTASKS, pool_size(p), failed);
    pool_destroy(p);
    return 0;
}
