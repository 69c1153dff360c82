/*
 * queue.c - the shared region and the queue of calls in it.
 *
 * This file is the transport: how a call gets from the master to a worker
 * and its result back. Its verbs are in queue.h: put (master), claim
 * (worker), finish (whoever ends a call), fail (a dead worker, terminate),
 * and the questions about a call (done? who holds it? ...). Everything
 * above it (futures, maps, the trace) speaks only these verbs, so a message
 * transport can take this file's place: see pool.c's DESIGN comment.
 *
 * A call slot's life is one 64-bit state word, changed only by atomic
 * steps, and read or written only here:
 *
 *   FREE --put (master)--> QUEUED --claim (a worker, CAS)--> HELD by w
 *     --finish (whoever wins the CAS)--> FINISHING --> DONE --harvest--> FREE
 *
 * The state word also holds the call's sequence number (which call is in the
 * slot now) and, when HELD, the worker's index: so the claim and the record
 * of who holds the call are one compare-and-swap. A QUEUED call may also go
 * straight to FINISHING (cancelled, terminated, or failed for want of
 * workers).
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

#include "queue.h"
#include "remote.h"
#include "base.h"
#include "blob.h"
#include "namer.h"
#include "shared.h"
#include "trace.h"
#include "tracefile.h"
#include "wire.h"

/* In a spin loop: let the other hyperthread (or the host) run a moment. */
static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

enum { CALL_FREE, CALL_QUEUED, CALL_HELD, CALL_FINISHING, CALL_DONE };

#define POOL__STATE(seq, st, w) (((uint64_t)(seq) << 16) | ((uint64_t)(st) << 12) | (uint64_t)(w))
#define POOL__SEQ(s)    ((s) >> 16)
#define POOL__ST(s)     ((int)(((s) >> 12) & 0xf))
#define POOL__WORKER(s) ((int)((s) & 0xfff))
#define NO_WORKER 0xfff /* FINISHING, by whoever is not a worker */

#define SPIN 4000       /* checks before a worker sleeps (a few microseconds each) */
#define WAIT_SPIN 2000  /* looks at a slot before a waiter sleeps (~50-100 us) */
#define SLEEP_S 0.2     /* a sleeping worker looks again after this long, woken or not */
#define STALE_S 0.1     /* a spinner seen this long without a change is stopped or dead */


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

int pool__futex_wake(_Atomic uint32_t *word, int n)
{
    long woke = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, n, NULL, NULL, 0);
    return woke > 0 ? (int)woke : 0;
}

/* The region. -------------------------------------------------------------- */

pool__shared *pool__shared_map(int n)
{
    /* Room for the most workers a pool may have, so that pool_resize can
     * grow it; a slot's pages are touched only once a worker uses it. */
    size_t size = pool__shared_size();
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    pool__shared *sh = m;
    if (pool__blob_open(sh) == -1) {
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
        pool__wslots(sh)[i].exit_status = -1;
    return sh;
}

void pool__shared_unmap(pool__shared *sh)
{
    if (sh == NULL)
        return;
    pool__blob_forget(sh, false);     /* and its descriptor */
    munmap(sh, pool__shared_size());   /* not sh->size: a task could write it */
}

/* Waking workers. -----------------------------------------------------------
 *
 * A put wakes a sleeping worker only when no worker spins (the spinner will
 * take the call) and no wake is on its way already (the worker it wakes
 * wakes the next, in claimed, if more calls wait): at most one wake is
 * outstanding, so a burst of puts costs one futex call, not one each.
 *
 * A worker that goes to sleep clears the flag too: the wake went to a
 * worker already up, or to nobody; so a wake is never owed to a sleeper,
 * and there are at most as many wakes more as there are sleeps.
 *
 * None of this state is a count. The spinner is one owner word (its token:
 * the worker and how many times it has spun); each sleeper is one bit; the
 * wake on its way is one flag. Each changes in one atomic step, so a worker
 * killed at any instant leaves at worst its own bit, the spinner word or
 * the flag set, and the supervisor clears those when it reaps the worker
 * (pool__worker_gone). A worker that is stopped, not dead, is not reaped:
 * sleepers wait at most SLEEP_S, then look again (and clear the flag), and
 * a spinner word is cleared by a sleeper that saw it unchanged for STALE_S
 * (a spinner gives up within milliseconds) or by a worker that claims a
 * call that waited STALE_S while it was set (spinner_stale). So nothing
 * waits forever even if this state were wrong, and a stopped spinner holds
 * calls up for at most about SLEEP_S; an idle worker costs one futex call
 * per SLEEP_S (5 a second).
 */

static bool anyone_asleep(pool__shared *sh)
{
    int words = (atomic_load_explicit(&sh->n, memory_order_relaxed) + 63) / 64;
    for (int i = 0; i < words; i++)
        if (atomic_load(&sh->sleepers[i]) != 0)
            return true;
    return false;
}

/* A call waits: wake one sleeping worker, unless a worker spins, none
 * sleeps, or a wake is on its way. */
static void wake_one(pool__shared *sh)
{
    if (pool__is_remote(sh)) {
        /* Its calls are claimed by the transport thread: ring it (from any
         * process of the pool: the master, its supervisor). */
        pool__remote->ring();
        return;
    }
    if (atomic_load(&sh->spinner) != 0 || !anyone_asleep(sh))
        return;
    uint32_t none = 0;
    if (atomic_load_explicit(&sh->wake_sent, memory_order_relaxed) != 0 ||
        !atomic_compare_exchange_strong(&sh->wake_sent, &none, 1))
        return;
    if (pool__futex_wake(&sh->work, 1) == 0 && !anyone_asleep(sh)) {
        /* It found nobody, and no worker that could clear the flag is
         * left: a sleeper clears it before it waits (sleep_on_work) and
         * when it takes its bit back (wake_seen), and one that set its bit
         * before this look does so later. */
        uint32_t sent = 1;
        atomic_compare_exchange_strong(&sh->wake_sent, &sent, 0);
    }
}

/* A worker takes its sleeper's bit back: the wake on its way, if one is,
 * may have been for it, and it looks for work now anyway (and wakes the
 * next worker if more calls wait). Clearing the flag too soon costs at
 * most a wake more. */
static void wake_seen(pool__shared *sh, _Atomic uint64_t *asleep, uint64_t bit)
{
    atomic_fetch_and(asleep, ~bit);
    if (atomic_load(&sh->wake_sent) != 0)
        atomic_store(&sh->wake_sent, 0);
}

/* Worker w: become the spinner if none is; its token, or 0. */
static uint64_t spin_take(pool__shared *sh, int w)
{
    uint64_t none = 0;
    if (atomic_load_explicit(&sh->spinner, memory_order_relaxed) != 0)
        return 0;
    uint64_t me = (uint64_t)++pool__wslots(sh)[w].spins << 16 | (uint64_t)(w + 1);
    return atomic_compare_exchange_strong(&sh->spinner, &none, me) ? me : 0;
}

/* Stop being the spinner (unless a sleeper or the supervisor has cleared
 * the word meanwhile: then it is no longer ours). */
static void spin_give(pool__shared *sh, uint64_t me)
{
    if (me != 0)
        atomic_compare_exchange_strong(&sh->spinner, &me, 0);
}

/* Worker w, not the spinner, has claimed call seq. A spinner takes a call
 * within microseconds of its put: if one is named and this call waited
 * over STALE_S, it looks no more (stopped, or dead and not reaped yet).
 * Clear the word, so that puts wake sleepers again. */
static void spinner_stale(pool__shared *sh, uint64_t seq)
{
    uint64_t sp = atomic_load_explicit(&sh->spinner, memory_order_relaxed);
    if (sp != 0 && pool__now() - pool__slot(sh, seq)->submit > STALE_S)
        atomic_compare_exchange_strong(&sh->spinner, &sp, 0);
}

/* Sleep on sh->work (seen: its value before the last look), at most
 * SLEEP_S. Then clear the spinner word if it has not changed the whole
 * time. */
static void sleep_on_work(pool__shared *sh, uint32_t seen)
{
    /* A wake on its way now went to a worker that is up already, or to
     * nobody (it found this one between its bit and its wait): the next put
     * must wake this one. A put that comes between this and the wait has
     * changed work, so the wait returns at once. */
    if (atomic_load(&sh->wake_sent) != 0)
        atomic_store(&sh->wake_sent, 0);
    uint64_t sp = atomic_load(&sh->spinner);
    double t0 = sp ? pool__now() : 0;
    pool__futex_wait(&sh->work, seen, SLEEP_S);
    if (sp != 0 && atomic_load(&sh->spinner) == sp && pool__now() - t0 >= STALE_S)
        atomic_compare_exchange_strong(&sh->spinner, &sp, 0);
}

/* The verbs. --------------------------------------------------------------- */

void pool__put(pool__shared *sh, bool wake)
{
    uint64_t seq = atomic_load_explicit(&sh->tail, memory_order_relaxed);
    atomic_store_explicit(&pool__slot(sh, seq)->state_word,
                          POOL__STATE(seq, CALL_QUEUED, 0), memory_order_release);
    atomic_store(&sh->tail, seq + 1);
    atomic_fetch_add(&sh->work, 1);
    if (wake)
        wake_one(sh);
}

void pool__publish(pool__shared *sh)
{
    wake_one(sh);
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
        bool mine = atomic_compare_exchange_strong(&pool__slot(sh, seq)->state_word, &s,
                                                   POOL__STATE(seq, CALL_HELD, w));
        if (mine)
            atomic_store_explicit(&pool__wslots(sh)[w].holding, seq, memory_order_relaxed);
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
        pool__trace_write_call(sh, seq, b.data, b.len);
        pool__buf_free(&b);
    }
    /* The arguments are still in the slot: a worker frees them only once
     * it has finished the call. The next try has no end yet. */
    c->end = 0;
    atomic_store(&c->state_word, POOL__STATE(seq, CALL_QUEUED, 0));
    atomic_fetch_add(&sh->nagain, 1);
    atomic_store(&sh->again[k], seq);
    atomic_fetch_add(&sh->work, 1);
    wake_one(sh);
    return true;
}

bool pool__queue_waiting(pool__shared *sh)
{
    /* Entries whose call ended while it waited (cancelled) are dropped. */
    for (int k = 0; k < POOL__AGAIN && atomic_load(&sh->nagain) > 0; k++) {
        uint64_t seq = atomic_load(&sh->again[k]);
        if (seq == UINT64_MAX ||
            (seq != 0 && atomic_load(&pool__slot(sh, seq)->state_word) ==
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
    if (atomic_compare_exchange_strong(&c->state_word, &s, POOL__STATE(h, CALL_HELD, w))) {
        atomic_store_explicit(&pool__wslots(sh)[w].holding, h, memory_order_relaxed);
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
    if (atomic_load(&sh->head) < atomic_load(&sh->tail))
        wake_one(sh);
    return seq;
}

uint64_t pool__claim(pool__shared *sh, int w)
{
    _Atomic uint64_t *asleep = &sh->sleepers[w / 64];
    uint64_t bit = 1ull << (w % 64);
    for (;;) {
        if (w >= atomic_load(&sh->want))
            return 0;       /* pool_resize made the pool smaller: leave */
        /* One worker spins at a time; the others sleep at once, so that
         * idle workers do not take the CPUs from the busy ones. */
        uint64_t me = spin_take(sh, w);
        int spin = me ? SPIN : 1;
        for (int i = 0; i < spin; i++) {
            uint64_t seq = try_claim(sh, w);
            if (seq != 0 && seq != UINT64_MAX) {
                if (me)
                    spin_give(sh, me);
                else
                    spinner_stale(sh, seq);
                return claimed(sh, seq);
            }
            if (seq == 0) {
                uint32_t st = atomic_load(&sh->state);
                if (st == POOL_TERMINATING || (st != POOL_RUNNING && !pool__queue_waiting(sh)) ||
                    w >= atomic_load(&sh->want)) {
                    spin_give(sh, me);
                    return 0;
                }
                relax();
            }
        }
        /* Nothing for a while: sleep until a put. The sleeper's bit is set
         * before the spinner word is given back and before the last look,
         * so a put either sees one of them or is seen. */
        uint32_t seen = atomic_load(&sh->work);
        atomic_fetch_or(asleep, bit);
        spin_give(sh, me);
        pool__trace_flush_worker(sh, w);
        uint64_t seq = try_claim(sh, w);
        if (seq == 0 && atomic_load(&sh->state) == POOL_RUNNING)
            sleep_on_work(sh, seen);
        wake_seen(sh, asleep, bit);
        if (seq != 0 && seq != UINT64_MAX) {
            spinner_stale(sh, seq);
            return claimed(sh, seq);
        }
        if (seq == 0 && atomic_load(&sh->state) != POOL_RUNNING &&
            !pool__queue_waiting(sh))
            return 0;
    }
}

uint64_t pool__claim_now(pool__shared *sh, int w)
{
    for (;;) {
        uint64_t seq = try_claim(sh, w);
        if (seq != UINT64_MAX)
            return seq;     /* the transport looks for more itself */
    }
}

void pool__worker_gone(pool__shared *sh, int w)
{
    uint64_t sp = atomic_load(&sh->spinner);
    if ((sp & 0xffff) == (uint64_t)w + 1)
        atomic_compare_exchange_strong(&sh->spinner, &sp, 0);
    atomic_fetch_and(&sh->sleepers[w / 64], ~(1ull << (w % 64)));
    atomic_store(&sh->wake_sent, 0);    /* it may have been the one woken */
    if (pool__queue_waiting(sh))
        wake_one(sh);
}

/* Whoever ends call seq: from state word `from` (QUEUED, or HELD by w) to
 * FINISHING. False if someone else got there first. */
static bool finish_from(pool__shared *sh, uint64_t seq, uint64_t from)
{
    uint64_t s = from;
    int w = POOL__ST(from) == CALL_HELD ? POOL__WORKER(from) : NO_WORKER;
    return atomic_compare_exchange_strong(&pool__slot(sh, seq)->state_word, &s,
                                          POOL__STATE(seq, CALL_FINISHING, w));
}

bool pool__finish_begin(pool__shared *sh, uint64_t seq, int w)
{
    return finish_from(sh, seq, POOL__STATE(seq, CALL_HELD, w));
}

bool pool__cancel_queued(pool__shared *sh, uint64_t seq)
{
    return finish_from(sh, seq, POOL__STATE(seq, CALL_QUEUED, 0));
}

void pool__finish_end(pool__shared *sh, uint64_t seq)
{
    pool__call *c = pool__slot(sh, seq);
    atomic_store_explicit(&c->state_word, POOL__STATE(seq, CALL_DONE, 0), memory_order_release);
    atomic_fetch_add(&c->wake, 1);
    if (atomic_load(&c->sleepers) > 0)
        pool__futex_wake(&c->wake, INT_MAX);
    pool__finished_notify(sh);
    if (atomic_load(&sh->want_done)) {
        /* The watcher asks for one wake per look (watching), once enough
         * calls have finished (done_at) or the call that holds up the
         * overflow list has (blocker): the finish that sees that sends it,
         * the others only count. It arms the request before its last look
         * at done, so either it sees the count or the finish sees it. */
        uint32_t n = atomic_fetch_add(&sh->done, 1) + 1;
        if (atomic_load(&sh->watching) &&
            ((int32_t)(n - atomic_load(&sh->done_at)) >= 0 ||
             atomic_load(&sh->blocker) == seq) &&
            atomic_exchange(&sh->watching, 0))
            pool__futex_wake(&sh->done, 1);
    }
}

bool pool__fail_begin(pool__shared *sh, uint64_t seq)
{
    pool__call *c = pool__slot(sh, seq);
    uint64_t s = atomic_load(&c->state_word);
    if (POOL__SEQ(s) != seq)
        return false;
    int was = POOL__ST(s);
    /* A call in FINISHING is its finisher's, unless the caller knows that
     * finisher is dead (a worker that died finishing it). */
    if (was != CALL_QUEUED && was != CALL_HELD && was != CALL_FINISHING)
        return false;
    if (was != CALL_FINISHING && !finish_from(sh, seq, s))
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
        c->pid = atomic_load(&pool__wslots(sh)[w].pid);
        c->worker = w;
        /* 0: its worker had not begun it (pool__trace_not_begun says so).
         * A start before the call was made is a last call's: it began no
         * sooner than it was made. */
        double start = atomic_load(&pool__wslots(sh)[w].start);
        c->start = start > 0 && start < c->submit ? c->submit : start;
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
        pool__trace_write_call(sh, seq, b.data, b.len);
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

uint64_t pool__take_held(pool__shared *sh, int w)
{
    for (int k = 0; k < POOL__RING; k++) {
        uint64_t s = atomic_load(&pool__ring(sh)[k].state_word);
        int st = POOL__ST(s);
        if ((st == CALL_HELD || st == CALL_FINISHING) && POOL__WORKER(s) == w &&
            !pool__naming_holds(POOL__SEQ(s)) && pool__fail_begin(sh, POOL__SEQ(s)))
            return POOL__SEQ(s);
    }
    return 0;
}

uint64_t pool__finishing_by(pool__shared *sh, int w)
{
    for (int k = 0; k < POOL__RING; k++) {
        uint64_t s = atomic_load(&pool__ring(sh)[k].state_word);
        if (POOL__ST(s) == CALL_FINISHING && POOL__WORKER(s) == w &&
            !pool__naming_holds(POOL__SEQ(s)))
            return POOL__SEQ(s);
    }
    return 0;
}

/* Questions about a call. ------------------------------------------------------ */

/* Call seq's state (CALL_*), or -1 if its slot holds another call now. */
static int phase(pool__shared *sh, uint64_t seq, int *w)
{
    uint64_t s = atomic_load(&pool__slot(sh, seq)->state_word);
    if (w)
        *w = POOL__WORKER(s);
    return POOL__SEQ(s) == seq ? POOL__ST(s) : -1;
}

bool pool__call_done(pool__shared *sh, uint64_t seq)
{
    return phase(sh, seq, NULL) == CALL_DONE;
}

bool pool__call_over(pool__shared *sh, uint64_t seq)
{
    int st = phase(sh, seq, NULL);
    return st == -1 || st == CALL_DONE || st == CALL_FREE;
}

bool pool__call_finishing(pool__shared *sh, uint64_t seq)
{
    return phase(sh, seq, NULL) == CALL_FINISHING;
}

bool pool__call_queued(pool__shared *sh, uint64_t seq)
{
    return phase(sh, seq, NULL) == CALL_QUEUED;
}

bool pool__call_unfinished(pool__shared *sh, uint64_t seq)
{
    int st = phase(sh, seq, NULL);
    return st == CALL_QUEUED || st == CALL_HELD || st == CALL_FINISHING;
}

int pool__call_runner(pool__shared *sh, uint64_t seq)
{
    int w;
    return phase(sh, seq, &w) == CALL_HELD ? w : -1;
}

int pool__call_holder(pool__shared *sh, uint64_t seq)
{
    int w, st = phase(sh, seq, &w);
    return (st == CALL_HELD || st == CALL_FINISHING) && w < atomic_load(&sh->n) ? w : -1;
}

void pool__call_free(pool__shared *sh, uint64_t seq)
{
    atomic_store(&pool__slot(sh, seq)->state_word, POOL__STATE(seq, CALL_FREE, 0));
}

bool pool__call_wait(pool__shared *sh, uint64_t seq, double until)
{
    /* A short call's result is often there within microseconds. */
    for (int i = 0; i < WAIT_SPIN; i++) {
        if (pool__call_over(sh, seq))
            return true;
        relax();
    }
    /* Then sleep on the slot's wake word. The count of sleepers goes up
     * before the last look, so a finish either sees it or is seen. */
    pool__call *c = pool__slot(sh, seq);
    for (;;) {
        uint32_t seen = atomic_load(&c->wake);
        atomic_fetch_add(&c->sleepers, 1);
        bool over = pool__call_over(sh, seq);
        double left = until < 0 ? -1 : until - pool__now();
        if (!over && (until < 0 || left > 0))
            pool__futex_wait(&c->wake, seen, left);
        atomic_fetch_sub(&c->sleepers, 1);
        if (over)
            return true;
        if (until >= 0 && left <= 0)
            return false;
    }
}
