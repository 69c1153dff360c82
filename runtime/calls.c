/*
 * calls.c - the master's side of a call: submit it, put it in the queue
 * (or on the overflow list while the ring is full), take its result back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "calls.h"
#include "base.h"
#include "blob.h"
#include "fork.h"
#include "handle.h"
#include "master.h"
#include "queue.h"
#include "shared.h"
#include "trace.h"
#include "tracefile.h"
#include "wire.h"
#include "worker.h"

/* Write a record of f, which ended in the master, to the trace. */
static void trace_here(pool *p, future *f, const char *err)
{
    if (p->overwritten || !atomic_load(&p->sh->trace_gen))
        return;     /* a region written over: nothing in it is trusted */
    pool__call c = {.id = f->id, .nitems = f->nitems, .first = f->first,
                    .submit = f->submit, .start = f->start, .end = f->end,
                    .pid = f->pid, .worker = f->worker, .rank = f->rank,
                    .status = (uint32_t)f->status};
    memcpy(c.name, f->name, sizeof c.name);
    pool__buf b = {0};
    pool__trace_format(&b, p->sh, &c, err);
    pool__trace_write(p->sh, b.data, b.len);
    pool__buf_free(&b);
}

/* The strings of v, copied into one block owned by f. */
static void keep_result(future *f, pool_value v)
{
    size_t need = 0;
    if (v.kind == POOL_STR)
        need = strlen(v.as.s) + 1;
    else if (v.kind == POOL_ERROR)
        need = strlen(v.as.err.type) + strlen(v.as.err.msg) + 2;
    if (need) {
        f->data = malloc(need);
        if (f->data == NULL)
            pool__die("out of memory");
        if (v.kind == POOL_STR) {
            memcpy(f->data, v.as.s, need);
            v.as.s = f->data;
        } else {
            size_t t = strlen(v.as.err.type) + 1;
            memcpy(f->data, v.as.err.type, t);
            strcpy(f->data + t, v.as.err.msg);
            v.as.err.type = f->data;
            v.as.err.msg = f->data + t;
        }
    }
    f->result = v;
}

pool_value pool__value_dup(pool_value v)
{
    if (v.kind == POOL_BYTES) {
        v = pool__bytes_copy(v);
    } else if (v.kind == POOL_STR) {
        v.as.s = strdup(v.as.s);
        if (v.as.s == NULL)
            pool__die("out of memory");
    } else if (v.kind == POOL_ERROR) {
        v = pool_error(v.as.err.type, "%s", v.as.err.msg);
    }
    return v;
}

/* Let go of f's encoded arguments (kept in the future itself when small). */
static void args_free(future *f)
{
    pool__payload_free(f->p->sh, &f->placed);
    if (f->args.data == f->small)
        f->args = (pool__buf){0};
    else
        pool__buf_free(&f->args);
}

/* p->lock held. f is done: wake whoever waits, free it if nobody will. */
static void done(pool *p, future *f)
{
    f->done = true;
    args_free(f);
    pthread_cond_broadcast(&p->moved);
    if (f->user_gone && !f->cb_pending)     /* else freed after its callback */
        pool__release(f);
}

void pool__complete_here(pool *p, future *f, int st, const char *type, const char *msg)
{
    f->status = st;
    f->start = f->end = pool__now();
    char err[1200];
    snprintf(err, sizeof err, "%s: %s", type, msg);
    trace_here(p, f, err);
    pool_value v = {.kind = POOL_ERROR, .as.err = {type, msg}};
    if (f->out) {
        for (uint32_t i = 0; i < f->nitems; i++)
            f->out[i] = pool__value_dup(v);
        f->failed = (int)f->nitems;
    }
    keep_result(f, v);
    done(p, f);
    pool__finished_notify(p->sh);   /* wait.c: waiters for several look again */
}

/* f's results as the error type: msg, for a chunk each of its inputs. */
static void harvest_error(future *f, const char *type, const char *msg)
{
    pool_value v = {.kind = POOL_ERROR, .as.err = {type, msg}};
    if (f->status == ST_OK)
        f->status = ST_ERROR;
    for (uint32_t i = 0; f->out && i < f->nitems; i++) {
        pool_value_free(f->out[i]);
        f->out[i] = pool__value_dup(v);
    }
    f->failed = f->out ? (int)f->nitems : 1;
    free(f->data);
    f->data = NULL;
    keep_result(f, v);
}

/* Decode call c's result into f. Nothing in the slot is trusted: a task
 * could have written over it. A result that cannot be read fails the call
 * with a sentence; it never ends the program. */
static void decode_result(pool__shared *sh, pool__call *c, future *f)
{
    char why[400];
    const char *bytes = pool__payload_view(sh, c, &c->result, false);
    if (bytes == NULL) {
        pool__payload_error(why, sizeof why, c->result.len, errno);
        harvest_error(f, "PoolError", why);
        return;
    }
    pool__rd r = {.p = bytes, .left = c->result.len};
    if (f->out && (c->flags & POOL__RAW_RESULT)) {
        /* A chunk whose results are all numbers: copied as they are, if
         * they are that. */
        if (c->result.len != (size_t)f->nitems * sizeof *f->out) {
            snprintf(why, sizeof why, "chunk %llu came back with %u bytes for %u results",
                     (unsigned long long)f->id, c->result.len, f->nitems);
            harvest_error(f, "PoolError", why);
            return;
        }
        memcpy(f->out, bytes, (size_t)f->nitems * sizeof *f->out);
        for (uint32_t i = 0; i < f->nitems; i++)
            if (f->out[i].kind != POOL_INT && f->out[i].kind != POOL_DOUBLE &&
                f->out[i].kind != POOL_NONE) {
                memset(f->out, 0, (size_t)f->nitems * sizeof *f->out);
                snprintf(why, sizeof why, "chunk %llu came back garbled",
                         (unsigned long long)f->id);
                harvest_error(f, "PoolError", why);
                return;
            }
        keep_result(f, pool_none());
        return;
    }
    if (f->out) {
        /* A chunk: one value per input, or one error for all of them when
         * the chunk itself ended (crash, terminate). */
        bool each = f->status == ST_OK || f->status == ST_ERROR;
        pool_value v = pool_none();
        for (uint32_t i = 0; i < f->nitems; i++) {
            if (each || i == 0)
                v = pool__rd_value(&r);
            f->out[i] = r.bad ? pool_none() : pool__value_dup(v);
            f->failed += v.kind == POOL_ERROR;
        }
        keep_result(f, each || r.bad ? pool_none() : v);
    } else {
        pool_value v = pool__rd_value(&r);
        if (r.left != 0)
            r.bad = true;
        if (v.kind == POOL_BYTES && !r.bad)
            v = pool__bytes_keep(sh, &c->result, v);     /* the future holds them */
        if (!r.bad)
            keep_result(f, v);
    }
    if (r.bad || r.left != 0) {
        snprintf(why, sizeof why, "call %llu came back garbled (%u bytes that are not %s)",
                 (unsigned long long)f->id, c->result.len,
                 f->out ? "its chunk's values" : "one value");
        harvest_error(f, "PoolError", why);
    }
}

#define KEEP_CLASS 2     /* extents up to 16 KiB are kept for arguments */

/* p->lock held. Keep call c's result extent for a later call's arguments,
 * if it is small and there is room; else give it back. */
static void keep_extent(pool *p, pool__call *c)
{
    pool__payload e = c->result;
    int max = (int)(sizeof p->kept / sizeof p->kept[0]);
    if (e.blob != 0 && e.class <= KEEP_CLASS && p->nkept < max &&
        (e.blob & (pool__blob_class_size(e.class) - 1)) == 0) {
        p->kept[p->nkept++] = e;
        c->result = (pool__payload){0};
    } else {
        pool__payload_free(p->sh, &c->result);
    }
}

/* p->lock held. f's encoded arguments into call c's slot, or an extent: one
 * kept from a result (keep_extent) if they fit, else a new one. -1 with
 * errno if none can be had. */
static int put_args(pool *p, pool__call *c, future *f)
{
    if (f->args.len > POOL__INLINE && p->nkept > 0 &&
        pool__payload_reuse(p->sh, &c->args, &p->kept[p->nkept - 1], f->args.data,
                            f->args.len) == 0) {
        p->nkept--;
        return 0;
    }
    return pool__payload_put(p->sh, c, &c->args, f->args.data, f->args.len);
}

void pool__harvest(pool *p, future *f)
{
    pool__shared *sh = p->sh;
    pool__call *c = pool__slot(sh, f->seq);
    f->status = (int)c->status;
    f->start = c->start;
    f->end = c->end;
    f->pid = c->pid;
    f->worker = c->worker;
    f->rank = c->rank;
    f->tries = (int)c->tries;
    decode_result(sh, c, f);
    keep_extent(p, c);
    p->owner[f->seq & (POOL__RING - 1)] = NULL;
    pool__call_free(sh, f->seq);
    done(p, f);
}

void pool__slot_lost(pool *p, future *f, const char *msg)
{
    p->owner[f->seq & (POOL__RING - 1)] = NULL;
    pool__complete_here(p, f, ST_CRASH, "PoolError", msg);
}

/* p->lock held. Put f into the ring if the next slot is free (harvesting a
 * DONE call that left it); false if the ring is full there. */
static bool put(pool *p, future *f)
{
    pool__shared *sh = p->sh;
    uint64_t seq = atomic_load_explicit(&sh->tail, memory_order_relaxed);
    pool__call *c = pool__slot(sh, seq);
    future *old = p->owner[seq & (POOL__RING - 1)];
    if (old != NULL) {
        if (!pool__call_done(sh, old->seq))
            return false;
        pool__harvest(p, old);
    }
    c->id = f->id;
    c->fn = (uint64_t)(uintptr_t)f->fn;
    c->nitems = f->nitems;
    c->argc = f->argc;
    c->first = f->first;
    c->submit = f->submit;
    memcpy(c->name, f->name, sizeof c->name);
    c->flags = f->raw ? POOL__RAW_ARGS : 0;
    c->limit = f->limit;
    c->retries = f->retries;
    c->tries = 0;
    c->rank = -1;   /* sent to no station yet (a pool whose calls run elsewhere) */
    c->end = 0;     /* no finisher has written who ran it (pool__fail_begin) */
    c->result = (pool__payload){0};
    if (f->placed.blob) {
        c->args = f->placed;        /* encoded in shared memory at submit */
        f->placed = (pool__payload){0};
    } else if (put_args(p, c, f) == -1) {
        char msg[200];
        snprintf(msg, sizeof msg, "the arguments (%zu bytes) cannot be sent: %s",
                 f->args.len, strerror(errno));
        pool__complete_here(p, f, ST_ERROR, "MemoryError", msg);
        return true;
    }
    args_free(f);
    f->seq = seq;
    p->owner[seq & (POOL__RING - 1)] = f;
    pool__put(sh, p->batch == 0);
    p->held |= p->batch > 0;
    return true;
}

void pool__batch_begin(pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->batch++;
    pthread_mutex_unlock(&p->lock);
}

void pool__batch_end(pool *p)
{
    pthread_mutex_lock(&p->lock);
    if (--p->batch == 0 && p->held) {
        p->held = false;
        pool__publish(p->sh);
    }
    pthread_mutex_unlock(&p->lock);
}

/* p->lock held. Put what waits on the overflow list, in order, while the
 * ring has room. */
void pool__pump(pool *p)
{
    while (p->ovf_head && put(p, p->ovf_head)) {
        future *f = p->ovf_head;
        p->ovf_head = f->onext;
        if (p->ovf_head == NULL)
            p->ovf_tail = NULL;
        f->onext = NULL;
        pthread_cond_broadcast(&p->moved);
    }
    atomic_store(&p->sh->want_done, p->ovf_head != NULL || p->cbs != NULL);
    if (p->ovf_head == NULL && p->state == POOL_CLOSED)
        pool__share_state(p);   /* a close that waited for the list */
}

void pool__enqueue(pool *p, future *f)
{
    if (p->ovf_head == NULL && put(p, f))
        return;
    if (p->ovf_tail) {
        p->ovf_tail->onext = f;
    } else {
        /* The list begins: the watcher thread will put its calls as
         * slots free up. */
        p->ovf_head = f;
        atomic_store(&p->sh->want_done, 1);
        uint64_t one = 1;
        if (write(p->ev_fd, &one, sizeof one) < 0) {
            /* the counter is full: the watcher is awake anyway */
        }
    }
    p->ovf_tail = f;
    pool__pump(p);    /* a slot may have freed since */
}

#define SPARE_MAX 4096  /* freed futures a pool keeps for its next calls */

/* A future to fill in: one freed before (no malloc per call), or a new one. */
static future *future_take(pool *p)
{
    pthread_mutex_lock(&p->lock);
    future *f = p->spare;
    if (f) {
        p->spare = f->next;
        p->nspare--;
    }
    pthread_mutex_unlock(&p->lock);
    return f ? f : malloc(sizeof *f);
}

void pool__spares_free(pool *p)
{
    while (p->spare) {
        future *f = p->spare;
        p->spare = f->next;
        free(f);
    }
    p->nspare = 0;
}

void pool__release(future *f)
{
    pool *p = f->p;
    if (f->prev)
        f->prev->next = f->next;
    else
        p->all = f->next;
    if (f->next)
        f->next->prev = f->prev;
    if (f->seq && !f->done && p->owner[f->seq & (POOL__RING - 1)] == f)
        p->owner[f->seq & (POOL__RING - 1)] = NULL;     /* the pool is gone */
    args_free(f);
    if (f->result.kind == POOL_BYTES)
        pool_value_free(f->result);
    free(f->data);
    if (f->tomb != POOL__TOMB && p->nspare < SPARE_MAX) {
        f->next = p->spare;     /* for the pool's next call */
        p->spare = f;
        p->nspare++;
    } else {
        pool__future_free(f);   /* a destroyed pool's: kept as a tombstone */
    }
}

future *pool__submit(pool *p, pool_fn fn, const char *name, const pool_value *args,
                     int count, uint32_t nitems, uint64_t first, pool_value *out,
                     const struct pool__call_opts *opts)
{
    future *f = future_take(p);
    if (f == NULL) {
        pool__set_error("out of memory");
        errno = ENOMEM;
        return NULL;
    }
    memset(f, 0, offsetof(future, name));
    memset((char *)f + offsetof(future, name) + sizeof f->name, 0,
           sizeof *f - offsetof(future, name) - sizeof f->name);
    if (name == NULL || *name == '\0')
        name = "?";
    size_t len = strnlen(name, sizeof f->name - 1);
    memcpy(f->name, name, len);
    memset(f->name + len, 0, sizeof f->name - len);
    f->p = p;
    f->fn = fn;
    f->worker = -1;
    f->rank = -1;
    f->nitems = nitems;
    f->first = first;
    f->out = out;
    f->limit = opts ? opts->limit : 0;
    /* pool_submit_retries, else the pool's setting (pool_set_retries) */
    f->retries = opts && opts->retries >= 0 ? (uint32_t)opts->retries
                                            : atomic_load(&p->sh->retries);
    f->argc = (uint32_t)count;
    /* Encoded now, outside the lock: the caller may reuse its strings and
     * bytes at once. A chunk of numbers goes as its pool_values, as they
     * are; large arguments go straight to shared memory (one copy). */
    size_t n = nitems ? (size_t)nitems * (count ? (size_t)count : 1) : (size_t)count;
    f->raw = nitems > 0;
    for (size_t i = 0; i < n && f->raw; i++)
        f->raw = args[i].kind == POOL_INT || args[i].kind == POOL_DOUBLE ||
                 args[i].kind == POOL_NONE;
    size_t size = f->raw ? n * sizeof *args : pool__values_size(args, n);
    if (size <= sizeof f->small)
        f->args = (pool__buf){.data = f->small, .cap = sizeof f->small};  /* no malloc */
    if (f->raw) {
        pool__buf_put(&f->args, args, size);
    } else if (size > POOL__INLINE) {
        if (pool__values_place(p->sh, args, n, size, &f->placed) == -1)
            f->place_errno = errno ? errno : ENOMEM;
    } else {
        pool__buf_reserve(&f->args, size);
        for (size_t i = 0; i < n; i++)
            pool__buf_put_value(&f->args, args[i]);
    }

    pthread_mutex_lock(&p->lock);
    f->id = p->next_id++;
    f->submit = pool__now();
    f->next = p->all;
    if (p->all)
        p->all->prev = f;
    p->all = f;
    if (p->broken)
        pool__complete_here(p, f, ST_ERROR, "PoolError",
                            "the pool's supervisor process died; the pool cannot run calls");
    else if (p->state != POOL_RUNNING)
        pool__complete_here(p, f, ST_ERROR, "ValueError",
                            "the pool is not running (closed or terminated)");
    else if (f->place_errno) {
        char why[300];
        pool__place_error(why, sizeof why, size, f->place_errno);
        pool__complete_here(p, f, ST_ERROR, "PoolError", why);
    } else
        pool__enqueue(p, f);
    pool__trace_call(p, f, args, count, opts && opts->api ? opts->api : "pool_apply_async");
    pthread_mutex_unlock(&p->lock);
    return f;
}

future *pool__submit_call(pool *p, pool_fn fn, const char *name, const pool_value *args,
                          int count, const struct pool__call_opts *opts)
{
    if (p == NULL && pool__in_worker)
        pool_raise("PoolError", "pool_submit: no pool (NULL). A task cannot use its own "
                   "pool: its workers started before pool_create returned it. Make a new "
                   "pool inside the task if it needs one");
    if (p == NULL || fn == NULL || count < 0 || count > POOL_MAX_ARGS ||
        (count > 0 && args == NULL)) {
        if (count > POOL_MAX_ARGS)
            pool__set_error("%d arguments for %s: at most %d go in one call",
                            count, name ? name : "a call", POOL_MAX_ARGS);
        else
            pool__set_error("%s", p == NULL ? "no pool" :
                            fn == NULL ? "no function" : "a bad argument list");
        errno = EINVAL;
        return NULL;
    }
    if (pool__foreign(p, "pool_submit"))
        return NULL;
    return pool__submit(p, fn, name, args, count, 0, 0, NULL, opts);
}

future *pool_submit(pool *p, pool_fn fn, const char *name,
                    const pool_value *args, int count)
{
    return pool__submit_call(p, fn, name, args, count, NULL);
}

future *pool_submit_retries(pool *p, int retries, pool_fn fn, const char *name,
                            const pool_value *args, int count)
{
    if (retries < 0 || retries > POOL_MAX_RETRIES) {
        pool__set_error("pool_submit_retries: %d is not a count of retries (0 to %d)",
                        retries, POOL_MAX_RETRIES);
        errno = EINVAL;
        return NULL;
    }
    struct pool__call_opts opts = {.limit = 0, .retries = retries,
                                   .api = "pool_apply_async_retries"};
    return pool__submit_call(p, fn, name, args, count, &opts);
}
