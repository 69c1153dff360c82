/*
 * misuse: a pool and its futures used after pool_destroy. Each sub-command
 * destroys a pool, then calls into it the way a slip would, and prints one
 * line per call: what it returned, errno's name and pool_last_error().
 * tests/lib.bats reads the lines; under AddressSanitizer (build/asan/...)
 * none of these calls may read freed memory.
 *
 *   pool       every pool function on a destroyed pool
 *   twice      pool_destroy twice
 *   future     every future function on a finished future of a destroyed pool
 *   running    the same on a future whose call still ran at pool_destroy
 *   many       futures of several destroyed pools, then one of the first
 *   freed      a future freed with future_free before pool_destroy: its
 *              pool_destroy runs clean (nothing to check after)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"

static pool_value add(pool_args a)
{
    pool_expect_args(a, 2);
    return pool_int(pool_arg_int(a, 0) + pool_arg_int(a, 1));
}

static pool_value nap(pool_args a)
{
    pool_sleep(pool_arg_double(a, 0));
    return pool_none();
}

static void on_any(future *f, void *arg)
{
    (void)f;
    (void)arg;
    printf("callback ran: wrong\n");
}

static const char *ename(int e)
{
    return e == EINVAL ? "EINVAL" : e == EPERM ? "EPERM" : e == EAGAIN ? "EAGAIN" :
           e == 0 ? "0" : strerror(e);
}

/* One line: name, what it gave, errno, the message. */
static void said(const char *what, long r)
{
    printf("%s: %ld %s: %s\n", what, r, ename(errno), pool_last_error());
}

static pool *made(int n)
{
    pool *p = pool_create(n);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }
    return p;
}

static void use_pool(pool *p)
{
    errno = 0;
    future *f = pool_apply_async(p, add, 1, 2);
    said("pool_apply_async", f != NULL);
    errno = 0;
    pool_value v = pool_apply(p, add, 1, 2);
    printf("pool_apply: %s: %s\n", pool_error_type(v), pool_error_message(v));
    pool_value_free(v);
    errno = 0;
    said("pool_apply_async_limit", pool_apply_async_limit(p, 1, add, 1, 2) != NULL);
    errno = 0;
    pool_value in[2] = {pool_int(1), pool_int(2)}, out[2];
    said("pool_map", pool_map(p, add, in, 2, out));
    errno = 0;
    said("pool_resize", pool_resize(p, 2));
    errno = 0;
    said("pool_set_retries", pool_set_retries(p, 1));
    errno = 0;
    said("pool_trace_open", pool_trace_open(p, "/dev/null"));
    errno = 0;
    said("pool_imap_unordered", pool_imap_unordered(p, add, in, 2, 0) != NULL);
    errno = 0;
    pool_close(p);
    said("pool_close", 0);
    errno = 0;
    said("pool_join", pool_join(p));
    errno = 0;
    pool_terminate(p);
    said("pool_terminate", 0);
    said("pool_size", pool_size(p));
}

static void use_future(future *f)
{
    errno = 0;
    pool_value v = future_get(f);
    printf("future_get: %s: %s\n", pool_error_type(v), pool_error_message(v));
    errno = 0;
    said("future_ready", future_ready(f));
    errno = 0;
    said("future_successful", future_successful(f));
    errno = 0;
    future_wait(f);
    said("future_wait", 0);
    errno = 0;
    said("future_wait_for", future_wait_for(f, 1));
    errno = 0;
    v = future_get_for(f, 1);
    printf("future_get_for: %s: %s\n", pool_error_type(v), pool_error_message(v));
    errno = 0;
    said("future_cancel", future_cancel(f));
    errno = 0;
    said("future_kill", future_kill(f));
    errno = 0;
    said("future_on_done", future_on_done(f, on_any, on_any, NULL));
    errno = 0;
    said("future_wait_any", future_wait_any(&f, 1, 1));
    errno = 0;
    said("future_wait_many", future_wait_many(&f, 1, FUTURE_ALL_COMPLETED, 1));
    errno = 0;
    said("future_as_completed", future_as_completed(&f, 1) != NULL);
    errno = 0;
    said("future_pid", future_pid(f));
    errno = 0;
    said("future_tries", future_tries(f));
    errno = 0;
    future_free(f);
    said("future_free", 0);
    said("future_id", (long)future_id(f));
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    if (strcmp(cmd, "pool") == 0) {
        pool *p = made(1);
        pool_destroy(p);
        use_pool(p);
    } else if (strcmp(cmd, "twice") == 0) {
        pool *p = made(1);
        pool_destroy(p);
        errno = 0;
        pool_destroy(p);
        said("pool_destroy", 0);
    } else if (strcmp(cmd, "future") == 0) {
        pool *p = made(1);
        future *f = pool_apply_async(p, add, 20, 22);
        printf("before: %ld\n", pool_as_int(future_get(f)));
        pool_destroy(p);
        use_future(f);
    } else if (strcmp(cmd, "running") == 0) {
        pool *p = made(1);
        future *f = pool_apply_async(p, nap, 30.0);
        pool_destroy(p);
        use_future(f);
    } else if (strcmp(cmd, "many") == 0) {
        pool *p = made(1);
        future *first = pool_apply_async(p, add, 1, 1);
        future_wait(first);
        pool_destroy(p);
        for (int i = 0; i < 3; i++) {
            pool *q = made(1);
            for (int k = 0; k < 5; k++)
                pool_apply_async(q, add, i, k);
            pool_destroy(q);
            errno = 0;
            said("pool_destroy of the first again", (pool_destroy(p), 0));
        }
        errno = 0;
        pool_value v = future_get(first);
        printf("future_get: %s: %s\n", pool_error_type(v), pool_error_message(v));
    } else if (strcmp(cmd, "freed") == 0) {
        pool *p = made(1);
        future *f = pool_apply_async(p, add, 1, 1);
        future *g = pool_apply_async(p, nap, 30.0);
        future_wait(f);
        future_free(f);
        future_free(g);     /* still running: freed when it ends, or by pool_destroy */
        pool_destroy(p);
        printf("destroyed\n");
    } else {
        fprintf(stderr, "usage: misuse pool|twice|future|running|many|freed\n");
        return 2;
    }
    return 0;
}
