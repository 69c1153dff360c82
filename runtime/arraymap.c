/*
 * arraymap.c - pool_map_array: a map over a plain C array.
 *
 * pool_map moves each input and result as a pool_value (24 bytes, a kind
 * and a union) and calls the task once per input. For a big array of
 * numbers that is most of the cost. Here a task gets a whole slice: its
 * inputs as one read-only bytes value (one copy into shared memory), its
 * outputs as one room it fills (one copy back), and the function runs in
 * a plain loop, as an OpenMP loop body would. A chunk is an ordinary call
 * (traced as name[a..b]), so crashes, the trace and the walls hold as for
 * any call: a function that writes past its slice of out dies at the
 * room's guard, and only its chunk fails.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base.h"
#include "calls.h"
#include "fork.h"
#include "master.h"

#define IN_FLIGHT 64        /* chunks out at once */

/* A chunk in a worker: fn over count inputs of its bytes argument. */
static pool_value array_chunk(pool_args a)
{
    pool_array_fn fn = (pool_array_fn)(uintptr_t)pool_arg_int(a, 0);
    size_t out_size = (size_t)pool_arg_int(a, 1);
    size_t count = (size_t)pool_arg_int(a, 2);
    size_t n;
    const void *in = pool_arg_bytes(a, 3, &n);
    void *out;
    pool_value v = pool_bytes_alloc(count * out_size, &out);
    if (v.kind == POOL_BYTES)
        fn(in, out, count);
    return v;
}

int pool_map_array_named(pool *p, pool_array_fn fn, const char *name, const void *in,
                         size_t in_size, void *out, size_t out_size, size_t n,
                         size_t chunk)
{
    if (p == NULL || fn == NULL || in_size == 0 || out_size == 0 ||
        (n > 0 && (in == NULL || out == NULL))) {
        pool__set_error("pool_map_array needs a pool, a function, inputs, room for the "
                        "results and sizes above 0");
        errno = EINVAL;
        return -1;
    }
    if (pool__foreign(p, "pool_map_array"))
        return -1;
    size_t most = POOL_MAX_BYTES / (in_size > out_size ? in_size : out_size);
    if (chunk == 0) {
        size_t per = (size_t)pool_size(p) * 4;     /* as pool_map: four a worker */
        chunk = n / per + (n % per != 0);
    }
    if (chunk == 0)
        chunk = 1;
    if (chunk > most)
        chunk = most;
    size_t nchunks = n / chunk + (n % chunk != 0);
    future *f[IN_FLIGHT];
    size_t sent = 0, got = 0;
    int failed = 0;
    char first[600] = "";
    while (got < nchunks) {
        while (sent < nchunks && sent - got < IN_FLIGHT) {
            size_t at = sent * chunk, count = n - at < chunk ? n - at : chunk;
            char label[80];
            snprintf(label, sizeof label, "%.40s[%zu..%zu]", name ? name : "?", at,
                     at + count - 1);
            pool_value args[4] = {
                pool_int((long)(uintptr_t)fn), pool_int((long)out_size), pool_int((long)count),
                pool_bytes((const char *)in + at * in_size, count * in_size)};
            struct pool__call_opts opts = {.limit = 0, .retries = -1, .api = "pool_map_array"};
            f[sent % IN_FLIGHT] = pool__submit_call(p, array_chunk, label, args, 4, &opts);
            if (f[sent % IN_FLIGHT] == NULL && failed++ == 0)
                snprintf(first, sizeof first, "%s: %s", label, pool_last_error());
            sent++;
        }
        future *g = f[got % IN_FLIGHT];
        size_t at = got * chunk, count = n - at < chunk ? n - at : chunk;
        if (g != NULL) {
            pool_value v = future_get(g);
            size_t len;
            if (v.kind == POOL_BYTES) {
                const void *bytes = pool_as_bytes(v, &len);
                if (len == count * out_size)
                    memcpy((char *)out + at * out_size, bytes, len);
            } else if (failed++ == 0) {
                char text[500];
                snprintf(first, sizeof first, "inputs %zu to %zu: %s", at, at + count - 1,
                         pool_value_format(v, text, sizeof text));
            }
            future_free(g);
        }
        got++;
    }
    if (failed) {
        pool__set_error("pool_map_array: %d of %zu chunks failed; the first: %s", failed,
                        nchunks, first);
        errno = EIO;
        return -1;
    }
    return 0;
}
