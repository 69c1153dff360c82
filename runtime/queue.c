/*
 * queue.c - the shared region and the queue of calls in it.
 *
 * This file is the transport: how a call gets from the master to a worker
 * and its result back. Its verbs are put (master), claim (worker), finish
 * (whoever ends a call) and fail (a dead worker, terminate). Everything
 * above it (futures, maps, the trace) speaks only these verbs, so a message
 * transport can take this file's place: see pool.c's DESIGN comment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define SPIN 4000       /* checks before a worker sleeps (a few microseconds each) */


void pool__futex_wait(_Atomic uint32_t *word, uint32_t seen, double seconds)
{
    struct timespec ts, *t = NULL;
    if (seconds >= 0) {
        ts.tv_sec = (time_t)seconds;
        ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
        t = &ts;
    }
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, seen, t, NULL, 0);
}

void pool__futex_wake(_Atomic uint32_t *word, int n)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, n, NULL, NULL, 0);
}

/* The region. -------------------------------------------------------------- */

pool__shared *pool__shared_map(int n)
{
    size_t head = (sizeof(pool__shared) + 4095) & ~(size_t)4095;
    /* Room for the most workers a pool may have, so that pool_resize can
     * grow it; a slot's pages are touched only once a worker uses it. */
    size_t size = head + (size_t)POOL_MAX_WORKERS * sizeof(pool__wslot) +
                  (size_t)POOL__RING * sizeof(pool__call);
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    pool__shared *sh = m;
    int fd = memfd_create("pool-blobs", MFD_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        munmap(m, size);
        errno = e;
        return NULL;
    }
    sh->size = size;
    static _Atomic uint32_t made;
    sh->serial = (uint64_t)getpid() << 32 | (atomic_fetch_add(&made, 1) + 1);
    sh->n = n;
    sh->want = n;
    sh->memfd = fd;
    sh->ev_fd = -1;
    sh->w = (pool__wslot *)((char *)m + head);
    sh->ring = (pool__call *)((char *)sh->w + (size_t)POOL_MAX_WORKERS * sizeof(pool__wslot));
    sh->head = sh->tail = 1;        /* seq 0 means "none" */
    sh->blob_end = 4096;            /* offset 0 means "inline" */
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&sh->blob_lock, &a);
    pthread_mutex_init(&sh->init_lock, &a);
    pthread_mutexattr_destroy(&a);
    for (int i = 0; i < n; i++)
        sh->w[i].exit_status = -1;
    return sh;
}

void pool__shared_unmap(pool__shared *sh)
{
    if (sh == NULL)
        return;
    pool__blob_forget(sh, false);
    if (sh->memfd >= 0)
        close(sh->memfd);
    munmap(sh, sh->size);
}

/* The verbs. --------------------------------------------------------------- */

void pool__put(pool__shared *sh)
{
    uint64_t seq = atomic_load_explicit(&sh->tail, memory_order_relaxed);
    atomic_store_explicit(&pool__slot(sh, seq)->state,
                          POOL__STATE(seq, CALL_QUEUED, 0), memory_order_release);
    atomic_store(&sh->tail, seq + 1);
    atomic_fetch_add(&sh->work, 1);
    /* A worker that spins will take it: wake one only when none does (a
     * spinner that gives up looks once more after saying it sleeps). */
    if (atomic_load(&sh->spinning) == 0 && atomic_load(&sh->idle) > 0)
        pool__futex_wake(&sh->work, 1);
}

/* Take entry k of the calls to try again off the list, if it still says
 * seq (whoever clears it counts it). */
static void again_clear(pool__shared *sh, int k, uint64_t seq)
{
    if (atomic_compare_exchange_strong(&sh->again[k], &seq, 0))
        atomic_fetch_sub(&sh->nagain, 1);
}

/* Worker w: claim a call that waits to be tried again; its seq, or 0 if
 * none does. An entry whose call has ended meanwhile (cancelled,
 * terminated) is dropped. */
static uint64_t claim_again(pool__shared *sh, int w)
{
    for (int k = 0; k < POOL__AGAIN && atomic_load(&sh->nagain) > 0; k++) {
        uint64_t seq = atomic_load(&sh->again[k]);
        if (seq == 0 || seq == UINT64_MAX)
            continue;       /* empty, or being filled */
        uint64_t s = POOL__STATE(seq, CALL_QUEUED, 0);
        bool mine = atomic_compare_exchange_strong(&pool__slot(sh, seq)->state, &s,
                                                   POOL__STATE(seq, CALL_HELD, w));
        if (mine)
            atomic_store_explicit(&sh->w[w].holding, seq, memory_order_relaxed);
        again_clear(sh, k, seq);
        if (mine)
            return seq;
    }
    return 0;
}

bool pool__requeue(pool__shared *sh, uint64_t seq, const char *err)
{
    int k = 0;
    for (uint64_t none = 0; k < POOL__AGAIN; k++, none = 0)
        if (atomic_load(&sh->again[k]) == 0 &&
            atomic_compare_exchange_strong(&sh->again[k], &none, UINT64_MAX))
            break;      /* reserved: only the supervisor fills entries */
    if (k == POOL__AGAIN)
        return false;
    pool__call *c = pool__slot(sh, seq);
    c->status = ST_RETRIED;
    if (err && atomic_load(&sh->trace_gen)) {
        pool__buf b = {0};
        pool__trace_format(&b, sh, c, err);
        pool__trace_write(sh, b.data, b.len);
        pool__buf_free(&b);
    }
    /* The arguments are still in the slot: a worker frees them only once
     * it has finished the call. The next try has no end yet. */
    c->end = 0;
    atomic_store(&c->state, POOL__STATE(seq, CALL_QUEUED, 0));
    atomic_fetch_add(&sh->nagain, 1);
    atomic_store(&sh->again[k], seq);
    atomic_fetch_add(&sh->work, 1);
    if (atomic_load(&sh->spinning) == 0 && atomic_load(&sh->idle) > 0)
        pool__futex_wake(&sh->work, 1);
    return true;
}

bool pool__queue_waiting(pool__shared *sh)
{
    /* Entries whose call ended while it waited (cancelled) are dropped. */
    for (int k = 0; k < POOL__AGAIN && atomic_load(&sh->nagain) > 0; k++) {
        uint64_t seq = atomic_load(&sh->again[k]);
        if (seq == UINT64_MAX ||
            (seq != 0 && atomic_load(&pool__slot(sh, seq)->state) ==
                             POOL__STATE(seq, CALL_QUEUED, 0)))
            return true;
        if (seq != 0)
            again_clear(sh, k, seq);
    }
    return atomic_load(&sh->head) < atomic_load(&sh->tail);
}

/* One try at claiming the call at head for worker w: its seq, 0 if the
 * queue is empty, or UINT64_MAX to try again (someone moved first). Calls
 * to be tried again come first. */
static uint64_t try_claim(pool__shared *sh, int w)
{
    if (atomic_load_explicit(&sh->state, memory_order_relaxed) == POOL_TERMINATING)
        return 0;   /* no call begins in a pool being ended */
    if (atomic_load_explicit(&sh->nagain, memory_order_relaxed) > 0) {
        uint64_t seq = claim_again(sh, w);
        if (seq != 0)
            return seq;
    }
    uint64_t h = atomic_load(&sh->head);
    if (h >= atomic_load(&sh->tail))
        return 0;
    pool__call *c = pool__slot(sh, h);
    uint64_t s = POOL__STATE(h, CALL_QUEUED, 0);
    if (atomic_compare_exchange_strong(&c->state, &s, POOL__STATE(h, CALL_HELD, w))) {
        atomic_store_explicit(&sh->w[w].holding, h, memory_order_relaxed);
        uint64_t expect = h;    /* a failed CAS writes into it */
        atomic_compare_exchange_strong(&sh->head, &expect, h + 1);
        return h;
    }
    /* Taken by another worker, or ended before it began (terminate, or
     * cancelled: then its slot may even hold a later call already): step
     * the head past it for everyone. */
    if ((POOL__SEQ(s) == h && POOL__ST(s) != CALL_QUEUED) || POOL__SEQ(s) > h)
        atomic_compare_exchange_strong(&sh->head, &h, h + 1);
    return UINT64_MAX;
}

/* Worker w has claimed a call. If more wait and no worker is looking for
 * them, wake one: a put made while this worker was still spinning woke
 * nobody, counting on it. */
static uint64_t claimed(pool__shared *sh, uint64_t seq)
{
    if (atomic_load(&sh->head) < atomic_load(&sh->tail) &&
        atomic_load(&sh->spinning) == 0 && atomic_load(&sh->idle) > 0)
        pool__futex_wake(&sh->work, 1);
    return seq;
}

uint64_t pool__claim(pool__shared *sh, int w)
{
    for (;;) {
        if (w >= atomic_load(&sh->want))
            return 0;       /* pool_resize made the pool smaller: leave */
        /* One worker spins at a time; the others sleep at once, so that
         * idle workers do not take the CPUs from the busy ones. */
        int spin = atomic_fetch_add(&sh->spinning, 1) == 0 ? SPIN : 1;
        for (int i = 0; i < spin; i++) {
            uint64_t seq = try_claim(sh, w);
            if (seq != 0 && seq != UINT64_MAX) {
                atomic_fetch_sub(&sh->spinning, 1);
                return claimed(sh, seq);
            }
            if (seq == 0) {
                uint32_t st = atomic_load(&sh->state);
                if (st == POOL_TERMINATING || (st != POOL_RUNNING && !pool__queue_waiting(sh)) ||
                    w >= atomic_load(&sh->want)) {
                    atomic_fetch_sub(&sh->spinning, 1);
                    return 0;
                }
                pool__relax();
            }
        }
        /* Nothing for a while: sleep until a put. The count of sleepers
         * goes up before the last look, so a put either sees it or is seen. */
        uint32_t seen = atomic_load(&sh->work);
        atomic_fetch_add(&sh->idle, 1);
        atomic_fetch_sub(&sh->spinning, 1);
        pool__trace_flush_worker(sh, w);
        uint64_t seq = try_claim(sh, w);
        if (seq == 0 && atomic_load(&sh->state) == POOL_RUNNING)
            pool__futex_wait(&sh->work, seen, -1);
        atomic_fetch_sub(&sh->idle, 1);
        if (seq != 0 && seq != UINT64_MAX)
            return claimed(sh, seq);
        if (seq == 0 && atomic_load(&sh->state) != POOL_RUNNING &&
            !pool__queue_waiting(sh))
            return 0;
    }
}

bool pool__finish_begin(pool__shared *sh, uint64_t seq, uint64_t from)
{
    uint64_t s = from;
    return atomic_compare_exchange_strong(&pool__slot(sh, seq)->state, &s,
                                          POOL__STATE(seq, CALL_FINISHING,
                                                      POOL__ST(from) == CALL_HELD ? POOL__WORKER(from) : 0xfff));
}

void pool__finish_end(pool__shared *sh, uint64_t seq)
{
    pool__call *c = pool__slot(sh, seq);
    atomic_store_explicit(&c->state, POOL__STATE(seq, CALL_DONE, 0), memory_order_release);
    atomic_fetch_add(&c->wake, 1);
    if (atomic_load(&c->sleepers) > 0)
        pool__futex_wake(&c->wake, INT_MAX);
    pool__finished_notify(sh);
    if (atomic_load(&sh->want_done)) {
        atomic_fetch_add(&sh->done, 1);
        if (atomic_load(&sh->watching))
            pool__futex_wake(&sh->done, 1);
    }
}

bool pool__fail_begin(pool__shared *sh, uint64_t seq)
{
    pool__call *c = pool__slot(sh, seq);
    uint64_t s = atomic_load(&c->state);
    if (POOL__SEQ(s) != seq)
        return false;
    int was = POOL__ST(s);
    /* A call in FINISHING is its finisher's, unless the caller knows that
     * finisher is dead (a worker that died finishing it). */
    if (was != CALL_QUEUED && was != CALL_HELD && was != CALL_FINISHING)
        return false;
    if (was != CALL_FINISHING && !pool__finish_begin(sh, seq, s))
        return false;
    int w = POOL__WORKER(s);
    /* A finisher that died once it had written who ran the call and when
     * (end last): those stay (the worker's slot may be its replacement's
     * by now). */
    if (was == CALL_FINISHING && c->end > 0)
        return true;
    double now = pool__now();
    if (was == CALL_QUEUED || w >= sh->n) {
        c->pid = 0;
        c->worker = -1;
        c->start = now;
    } else {
        c->pid = atomic_load(&sh->w[w].pid);
        c->worker = w;
        c->start = atomic_load(&sh->w[w].start);
    }
    c->end = now;
    pool__trace_not_begun(c);   /* held, but its worker had not begun it */
    return true;
}

void pool__fail_end(pool__shared *sh, uint64_t seq, int st, const char *type,
                    const char *msg)
{
    pool__call *c = pool__slot(sh, seq);
    c->status = (uint32_t)st;
    c->flags = 0;
    pool__payload_free(sh, &c->args);
    pool__buf b = {0};
    pool_value v = {.kind = POOL_ERROR, .as.err = {type, msg}};
    pool__buf_put_value(&b, v);
    if (pool__payload_put(sh, c, &c->result, b.data, b.len) == -1) {
        /* No room for the message: keep its type, cut the message. */
        b.len = 0;
        v.as.err.msg = "(the message did not fit)";
        pool__buf_put_value(&b, v);
        pool__payload_put(sh, c, &c->result, b.data, b.len);
    }
    b.len = 0;
    if (atomic_load(&sh->trace_gen)) {
        char err[1200];
        snprintf(err, sizeof err, "%s: %s", type, msg);
        pool__trace_format(&b, sh, c, err);
        pool__trace_write(sh, b.data, b.len);
    }
    pool__buf_free(&b);
    pool__finish_end(sh, seq);
}

bool pool__fail(pool__shared *sh, uint64_t seq, int st, const char *type, const char *msg)
{
    if (!pool__fail_begin(sh, seq))
        return false;
    pool__fail_end(sh, seq, st, type, msg);
    return true;
}

/* Payloads. ---------------------------------------------------------------- */

int pool__payload_put(pool__shared *sh, pool__call *c, pool__payload *p,
                      const char *bytes, size_t len)
{
    p->len = (uint32_t)len;
    if (len <= POOL__INLINE) {
        p->blob = 0;
        if (len)
            memcpy(c->data, bytes, len);
        return 0;
    }
    if (len > UINT32_MAX) {
        errno = EFBIG;
        return -1;
    }
    if (pool__blob_alloc(sh, len, &p->blob, &p->class) == -1)
        return -1;
    char *m = pool__blob_map(sh, p->blob, p->class);
    if (m == NULL) {
        int e = errno;
        pool__blob_free(sh, p->blob, p->class);
        p->blob = 0;
        errno = e;
        return -1;
    }
    memcpy(m, bytes, len);
    pool__blob_unmap(m, p->class);
    return 0;
}

const char *pool__payload_get(pool__shared *sh, pool__call *c,
                              const pool__payload *p, void **map)
{
    *map = NULL;
    if (p->blob == 0)
        return c->data;
    char *m = pool__blob_map(sh, p->blob, p->class);
    if (m == NULL)
        pool__die("cannot map a payload of %u bytes: %s", p->len, strerror(errno));
    *map = m;
    return m;
}

void pool__payload_done(const pool__payload *p, void *map)
{
    if (map)
        pool__blob_unmap(map, p->class);
}

void pool__payload_free(pool__shared *sh, pool__payload *p)
{
    if (p->blob)
        pool__blob_free(sh, p->blob, p->class);
    p->blob = 0;
    p->len = 0;
}
