/*
 * callevents.c - one call through each public way of making calls, for the
 * trace's call events (runtime/TRACE.md): tests/trace.bats compares the
 * events with what this program says it made.
 *
 *     callevents
 *
 * On 2 workers: pool_apply_async, pool_apply_async_retries,
 * pool_apply_async_limit, pool_apply, pool_map (4 inputs, chunks of 2),
 * pool_starmap (2 rows), pool_map_async (3 inputs, chunks of 1),
 * pool_imap_unordered (2 inputs), pool_map_array (2 doubles, a chunk each),
 * a call with a string, a double and none, and a call on a closed pool.
 * Prints one line per task id it expects: "ID API FUNCTION".
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

static pool_value add(pool_args a)
{
    pool_expect_args(a, 2);
    return pool_int(pool_arg_int(a, 0) + pool_arg_int(a, 1));
}

static pool_value square(pool_args a)
{
    pool_expect_args(a, 1);
    return pool_int(pool_arg_int(a, 0) * pool_arg_int(a, 0));
}

static pool_value kinds(pool_args a)
{
    pool_expect_args(a, 3);
    return pool_none();
}

static void twice(const void *in, void *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((double *)out)[i] = 2 * ((const double *)in)[i];
}

/* The next task id, and a line for each id of a call just made. */
static unsigned long id;

static void made(const char *api, const char *fn, int tasks)
{
    for (int i = 0; i < tasks; i++)
        printf("%lu %s %s\n", id++, api, fn);
}

int main(void)
{
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());

    future *f = pool_apply_async(p, add, 1, 2);
    made("pool_apply_async", "add", 1);
    CHECK(pool_as_int(future_get(f)) == 3, "add");
    future_free(f);

    f = pool_apply_async_retries(p, 2, add, 3, 4);
    made("pool_apply_async_retries", "add", 1);
    CHECK(pool_as_int(future_get(f)) == 7, "retries");
    future_free(f);

    f = pool_apply_async_limit(p, 30, square, 5);
    made("pool_apply_async_limit", "square", 1);
    CHECK(pool_as_int(future_get(f)) == 25, "limit");
    future_free(f);

    CHECK(pool_as_int(pool_apply(p, add, 10, 20)) == 30, "apply");
    made("pool_apply", "add", 1);

    pool_value in[4] = { pool_int(1), pool_int(2), pool_int(3), pool_int(4) }, out[4];
    CHECK(pool_map_chunked(p, square, in, 4, out, 2) == 0, "map");
    made("pool_map", "square", 2);

    pool_value rows[4] = { pool_int(1), pool_int(2), pool_int(3), pool_int(4) };
    CHECK(pool_starmap_chunked(p, add, rows, 2, 2, out, 2) == 0, "starmap");
    made("pool_starmap", "add", 1);

    pool_map_result *m = pool_map_async_start(p, square, "square", in, 3, out, 1);
    CHECK(m != NULL && pool_map_wait(m, -1) == 0, "map_async");
    pool_map_free(m);
    made("pool_map_async", "square", 3);

    pool_imap *it = pool_imap_start(p, square, "square", in, 2, 1);
    size_t k;
    pool_value v;
    while (pool_imap_next(it, &k, &v) == 1)
        pool_value_free(v);
    pool_imap_free(it);
    made("pool_imap_unordered", "square", 2);

    double d[2] = { 1.5, 2.5 }, d2[2];
    CHECK(pool_map_array(p, twice, d, sizeof *d, d2, sizeof *d2, 2) == 0, "map_array");
    made("pool_map_array", "twice[0..0]", 1);     /* pool_map's rule: chunks of 1 here */
    made("pool_map_array", "twice[1..1]", 1);

    f = pool_apply_async(p, kinds, "a \"quoted\"\tword", 2.0, pool_none());
    made("pool_apply_async", "kinds", 1);
    future_wait(f);
    future_free(f);

    pool_close(p);
    f = pool_apply_async(p, add, 5, 6);     /* refused by the closed pool: a record all the same */
    made("pool_apply_async", "add", 1);
    future_wait(f);
    future_free(f);
    pool_join(p);
    pool_destroy(p);
    return 0;
}
