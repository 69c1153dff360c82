/*
 * crash.c - a worker that crashes in the middle of a call, and a pool
 * that carries on.
 *
 * population() has a real bug: it does not check whether the country was
 * found, and follows a NULL pointer when it was not. The worker that runs
 * that call dies with SIGSEGV. Its call fails with a WorkerDied error; the
 * other calls are not touched; the pool starts a new worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"

struct country {
    const char *name;
    long millions;
};

static const struct country countries[] = {
    { "France", 68 }, { "Japan", 124 }, { "Kenya", 55 }, { "Peru", 34 },
};

/* The country called name, or NULL if there is none. */
static const struct country *find(const char *name)
{
    for (size_t i = 0; i < sizeof countries / sizeof countries[0]; i++)
        if (strcmp(countries[i].name, name) == 0)
            return &countries[i];
    return NULL;
}

/* The population of a country, in millions, after nsecs seconds. */
static pool_value population(pool_args a)
{
    pool_expect_args(a, 2);
    int nsecs = pool_arg_int(a, 0);
    const struct country *c = find(pool_arg_str(a, 1));
    pool_sleep(nsecs);
    return pool_int(c->millions);   /* the bug: c may be NULL */
}

int main(void)
{
    const char *names[] = { "Japan", "Peru", "Atlantis", "Kenya", "France" };
    int n = sizeof names / sizeof names[0];
    future *calls[5];

    pool *p = pool_create(0);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }

    for (int i = 0; i < n; i++)
        calls[i] = pool_apply_async(p, population, 1, names[i]);

    for (int i = 0; i < n; i++) {
        pool_value v = future_get(calls[i]);
        if (pool_is_error(v))
            printf("Call %d (%s) failed: %s : %s\n", i, names[i],
                   pool_error_type(v), pool_error_message(v));
        else
            printf("Call %d (%s): %ld million people\n", i, names[i], pool_as_int(v));
    }

    /* The dead worker has been replaced: the pool takes new calls. */
    future *after = pool_apply_async(p, population, 1, "Peru");
    printf("A new call (Peru): %ld million people\n", pool_as_int(future_get(after)));

    pool_destroy(p);
    return 0;
}
