/*
 * calls.h - the master's side of a call (calls.c): submit it, put it
 * (or hold it on the overflow list), take its result back. p->lock held
 * where a function says so.
 * Private to runtime/.
 */
#ifndef POOL_CALLS_H
#define POOL_CALLS_H

#include <stdbool.h>
#include <stdint.h>

#include "pool.h"

/* Take a DONE call's result into its future. */
void pool__harvest(pool *p, future *f);
/* A new future's call: into the queue, or onto the overflow list. */
void pool__enqueue(pool *p, future *f);
/* f was put, but its slot no longer holds it (written over): fail it with
 * PoolError msg, from the master's own records. */
void pool__slot_lost(pool *p, future *f, const char *msg);
/* Complete f in the master (a closed pool, a broken one) with error
 * type: msg and status st: its trace record is written here. */
void pool__complete_here(pool *p, future *f, int st, const char *type, const char *msg);
/* Put what waits on the overflow list while the ring has room. */
void pool__pump(pool *p);
/* Submits that come together (a map's chunks): between these, puts wake
 * no worker; the end wakes one if a put needed it (takes p->lock). */
void pool__batch_begin(pool *p);
void pool__batch_end(pool *p);
/* A copy of v whose strings are the caller's (pool_value_free). */
pool_value pool__value_dup(pool_value v);
/* Unlink f from the pool and free it (onto the pool's spares). */
void pool__release(future *f);
/* Free the pool's spare futures (pool_free). */
void pool__spares_free(pool *p);
/* What one call carries besides its function and arguments, set by the
 * public call that makes it and passed down to pool__submit. */
struct pool__call_opts {
    double limit;       /* seconds it may run once begun, scaled (cancel.c); 0: none */
    int retries;        /* tries it may have after its worker died; < 0: the
                           pool's setting (pool_set_retries) */
    const char *api;    /* the public call that made it, for the trace's call
                           event (TRACE.md); NULL: pool_apply_async */
};
/* Submit a map chunk (nitems > 0 rows of count values, count 0 meaning
 * one) or a call of count values, with opts (NULL: no limit, the pool's
 * retries): the future, or NULL. */
future *pool__submit(pool *p, pool_fn fn, const char *name, const pool_value *args,
                     int count, uint32_t nitems, uint64_t first, pool_value *out,
                     const struct pool__call_opts *opts);
/* A call of count values, its arguments checked as pool_submit checks
 * them (pool_submit, pool_submit_limit, pool_submit_retries). */
future *pool__submit_call(pool *p, pool_fn fn, const char *name, const pool_value *args,
                          int count, const struct pool__call_opts *opts);

#endif
