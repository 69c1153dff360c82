/*
 * map.c - pool_apply, pool_map and pool_starmap: blocking calls built on
 * futures.
 *
 * A map sends its inputs in chunks, several inputs to a task, as Python's
 * Pool.map does: fewer trips through the queue when each input is cheap.
 * Each input still gets its own result or error. If a chunk's worker dies,
 * the chunk's inputs are sent again one to a task, so that only the input
 * that kills a worker fails (the ones before it run a second time).
 * pool_starmap is the same map over rows of several values: an input is a
 * row, and the task gets the row as its argument list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "calls.h"
#include "fork.h"
#include "future.h"
#include "master.h"

#define MAP_WINDOW 1024     /* tasks of one map out at once */

pool_value pool_call(pool *p, pool_fn fn, const char *name,
                     const pool_value *args, int count)
{
    struct pool__call_opts opts = {.limit = 0, .retries = -1, .api = "pool_apply"};
    future *f = pool__submit_call(p, fn, name, args, count, &opts);
    if (f == NULL)
        return pool_error("ValueError", "%s", pool_last_error());
    return pool__wait_result(f, "pool_apply");
}

/* Python's rule: about four chunks per worker. */
static size_t auto_chunk(const pool *p, size_t n)
{
    size_t per = (size_t)p->n * 4;
    size_t c = n / per + (n % per != 0);
    return c ? c : 1;
}

/* The map of n rows of width values each (width 0: one value, pool_map). */
static int map_rows(pool *p, pool_fn fn, const char *name, const pool_value *in,
                    size_t n, int width, pool_value *out, size_t chunksize, const char *what)
{
    if (p == NULL || fn == NULL || (n > 0 && (in == NULL || out == NULL))) {
        pool__set_error("%s needs a pool, a function, inputs and room for the results", what);
        errno = EINVAL;
        return -1;
    }
    if (pool__foreign(p, what))
        return -1;
    size_t row = width ? (size_t)width : 1;
    if (chunksize == 0)
        chunksize = auto_chunk(p, n);
    if (chunksize > UINT32_MAX / 2)
        chunksize = UINT32_MAX / 2;

    /* A ring of futures: task t lives in fs[t % MAP_WINDOW]. Chunks whose
     * worker died are sent again one input to a task, after the rest. */
    future *fs[MAP_WINDOW];
    size_t made = 0, waited = 0, next = 0;
    size_t *again = NULL, nagain = 0, sent_again = 0;
    int failed = 0;
    bool refused = false;
    struct pool__call_opts opts = {.limit = 0, .retries = -1, .api = what};
    for (;;) {
        pool__batch_begin(p);
        while (!refused && made - waited < MAP_WINDOW &&
               (next < n || sent_again < nagain)) {
            size_t first, count;
            if (next < n) {
                first = next;
                count = n - next < chunksize ? n - next : chunksize;
            } else {
                first = again[sent_again];
                count = 1;
            }
            future *f = pool__submit(p, fn, name, &in[first * row], width,
                                     (uint32_t)count, first, &out[first], &opts);
            if (f == NULL) {
                refused = true;
                break;
            }
            fs[made++ % MAP_WINDOW] = f;
            if (next < n)
                next += count;
            else
                sent_again++;
        }
        pool__batch_end(p);
        if (waited == made)
            break;
        future *f = fs[waited++ % MAP_WINDOW];
        pool__wait_in(f, what);
        if (f->status == ST_CRASH && f->nitems > 1 && !f->p->broken) {
            for (uint32_t i = 0; i < f->nitems; i++)
                pool_value_free(out[f->first + i]);
            size_t *grown = realloc(again, (nagain + f->nitems) * sizeof *again);
            if (grown == NULL)
                pool__die("out of memory");
            again = grown;
            for (uint32_t i = 0; i < f->nitems; i++)
                again[nagain++] = f->first + i;
        } else {
            failed += f->failed;
        }
        future_free(f);
    }
    free(again);
    if (refused) {
        /* Every task made has been waited for; give back what came. */
        for (size_t i = 0; i < next; i++)
            pool_value_free(out[i]);
        return -1;
    }
    return failed;
}

int pool_map_chunks(pool *p, pool_fn fn, const char *name, const pool_value *in,
                    size_t n, pool_value *out, size_t chunksize)
{
    return map_rows(p, fn, name, in, n, 0, out, chunksize, "pool_map");
}

int pool_map_named(pool *p, pool_fn fn, const char *name,
                   const pool_value *in, size_t n, pool_value *out)
{
    return pool_map_chunks(p, fn, name, in, n, out, 0);
}

int pool_starmap_chunks(pool *p, pool_fn fn, const char *name, const pool_value *in,
                        size_t n, int argc, pool_value *out, size_t chunksize)
{
    if (argc < 1 || argc > POOL_MAX_ARGS) {
        pool__set_error("pool_starmap: rows of %d values: each row holds 1 to %d",
                        argc, POOL_MAX_ARGS);
        errno = EINVAL;
        return -1;
    }
    return map_rows(p, fn, name, in, n, argc, out, chunksize, "pool_starmap");
}
