/*
 * retry.c - run a call again when its worker dies.
 *
 * With pool_set_retries(p, 2), a call whose worker dies gets two more
 * tries. Call 0 is killed from outside in the middle of its first try, as
 * the kernel kills a process when memory runs out: its second try runs,
 * and it returns. Call 1 has a real bug, and dies on every try: after its
 * third, it fails with WorkerDied. Retries help against the first kind of
 * death, never against the second.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

/* Sleep for nsecs seconds, then return x * x. */
static pool_value slow_square(pool_args a)
{
    pool_expect_args(a, 2);
    int nsecs = pool_arg_int(a, 0), x = pool_arg_int(a, 1);
    pool_sleep(nsecs);
    return pool_int(x * x);
}

/* A short form of a name, or NULL if it has none. */
static const char *nickname(const char *name)
{
    return strcmp(name, "Robert") == 0 ? "Bob" : NULL;
}

/* The first letter of name's nickname, after a second. */
static pool_value initial(pool_args a)
{
    pool_expect_args(a, 1);
    const char *nick = nickname(pool_arg_str(a, 0));
    pool_sleep(1);
    return pool_int(nick[0]);   /* the bug: nick may be NULL */
}

/* Print call i's result, or its error, and how many tries it took. */
static void report(int i, future *f)
{
    pool_value v = future_get(f);
    if (pool_is_error(v))
        printf("Call %d failed after %d tries: %s : %s\n", i, future_tries(f),
               pool_error_type(v), pool_error_message(v));
    else
        printf("Call %d returned %ld after %d tries\n", i, pool_as_int(v), future_tries(f));
}

int main(void)
{
    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }
    pool_set_retries(p, 2);     /* every call from now on: 2 more tries */

    future *calls[2];
    calls[0] = pool_apply_async(p, slow_square, 2, 6);
    calls[1] = pool_apply_async(p, initial, "Alice");

    /* Call 0 runs for two seconds; kill its worker after one. (A PID
     * of 0 would mean "not started", and kill(0, ...) hits the master's
     * whole process group: check it.) */
    pool_sleep(1);
    pid_t pid = future_pid(calls[0]);
    if (pid > 0) {
        printf("Killing process %d, which runs call 0\n", (int)pid);
        kill(pid, SIGKILL);
    }

    report(0, calls[0]);
    report(1, calls[1]);

    pool_destroy(p);
    return 0;
}
