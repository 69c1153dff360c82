/*
 * many.c - ten thousand tiny calls, every result checked.
 *
 *     many WORKERS [CALLS]      (CALLS defaults to 10000)
 *
 * Prints "many: CALLS calls on WORKERS workers, all right".
 * The trace (POOL_TRACE) shows which worker ran which call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

static pool_value affine(pool_args a)
{
    pool_expect_args(a, 1);
    long x = pool_arg_int(a, 0);
    return pool_int(x * 3 + 1);
}

static pool_value pid_of(pool_args a)
{
    pool_expect_args(a, 0);
    return pool_int(getpid());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: many WORKERS [CALLS]\n");
        return 2;
    }
    int nworkers = atoi(argv[1]);
    int n = argc > 2 ? atoi(argv[2]) : 10000;
    CHECK(n > 0, "bad call count %s", argv[2]);
    pool *p = pool_create(nworkers);
    if (p == NULL) {
        pool_perror("pool_create");
        return 1;
    }
    future **f = malloc((size_t)n * sizeof *f);
    CHECK(f != NULL, "out of memory");
    for (int i = 0; i < n; i++) {
        f[i] = pool_apply_async(p, affine, i);
        CHECK(f[i] != NULL, "pool_apply_async: %s", pool_last_error());
    }
    for (int i = 0; i < n; i++) {
        CHECK_INT(future_get(f[i]), 3L * i + 1);
        CHECK(future_id(f[i]) == (unsigned long)i, "call %d has id %lu", i,
              future_id(f[i]));
        CHECK(future_pid(f[i]) > 0 && future_pid(f[i]) != getpid(), "call %d: pid %d", i,
              (int)future_pid(f[i]));
        future_free(f[i]);
    }
    free(f);
    printf("many: %d calls on %d workers, all right\n", n, pool_size(p));
    /* The workers are the children of the pool's supervisor process. */
    pid_t kids[POOL_MAX_WORKERS];
    int nkids = workers(kids, POOL_MAX_WORKERS);
    CHECK(nkids == pool_size(p), "%d children for %d workers", nkids, pool_size(p));
    pool_value v = pool_apply(p, pid_of);
    CHECK(v.kind == POOL_INT && pid_in((pid_t)v.as.i, kids, nkids), "a call ran outside");
    pool_destroy(p);
    return 0;
}
