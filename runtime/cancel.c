/*
 * cancel.c - cancelling calls, the master's half: one not yet begun, or
 * one that runs; and time limits (pool_submit_limit).
 *
 * A call not yet begun is cancelled by the master alone. On the overflow
 * list it is unlinked and failed there. In the ring it is taken with the
 * one compare-and-swap QUEUED -> FINISHING, so a worker's claim and the
 * cancel cannot both win; the loser sees the other's state. The call then
 * fails as any other does (pool__fail_end: its error, its trace record with
 * status "cancelled", DONE), and workers step past its slot.
 *
 * A running call is stopped by killing its worker, which the supervisor
 * then replaces; the pool survives that already. The kill must hit only
 * that call, yet the worker may finish it and claim another at any instant.
 * So the master only asks (pool__wslots(sh)[w].cancel = seq, then a poke on
 * ctl_fd); the supervisor, the worker's parent, does the rest
 * (supervise.c: stopping calls on purpose).
 *
 * Time limits use the same kill. A call made with a limit carries it in
 * its slot (struct pool__call_opts, passed to pool__submit); the master
 * pokes the supervisor, which watches the limits from then on
 * (supervise.c). A limit is in the program's seconds, as pool_sleep's are:
 * the slot carries it times POOL_TIME_SCALE, so that a limit and the
 * sleeps of the task it bounds stay in step at any scale; the Timeout
 * message gives it back as the program wrote it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "callback.h"
#include "calls.h"
#include "handle.h"
#include "master.h"
#include "queue.h"
#include "shared.h"

/* p->lock held. Take f off the overflow list; false if it is not on it. */
static bool unlink_overflow(pool *p, future *f)
{
    future *prev = NULL;
    for (future *g = p->ovf_head; g; prev = g, g = g->onext) {
        if (g != f)
            continue;
        if (prev)
            prev->onext = f->onext;
        else
            p->ovf_head = f->onext;
        if (p->ovf_tail == f)
            p->ovf_tail = prev;
        f->onext = NULL;
        atomic_store(&p->sh->want_done, p->ovf_head != NULL || p->cbs != NULL);
        return true;
    }
    return false;
}

static const char not_begun[] = "the call was cancelled before it started";

/* p->lock held. Cancel f if its call has not begun: 0, or -1 with errno
 * EBUSY (it runs), EALREADY (it has ended) or EINPROGRESS (it is being
 * finished: it may end, or, with retries, be queued again; ask again once
 * it is not, with settle). */
static int cancel_queued(pool *p, future *f)
{
    pool__shared *sh = p->sh;
    if (f->done)
        return errno = EALREADY, -1;
    if (f->seq == 0) {
        if (!unlink_overflow(p, f))
            pool__die("future %llu is neither in the ring nor waiting for it",
                      (unsigned long long)f->id);
        pool__complete_here(p, f, ST_CANCELLED, "Cancelled", not_begun);
        if (p->cbs)
            pool__poke_watcher(p);      /* its callback, if it has one */
        return 0;
    }
    pool__call *c = pool__slot(sh, f->seq);
    if (pool__cancel_queued(sh, f->seq)) {
        c->end = c->start = pool__now();
        c->pid = 0;
        c->worker = -1;
        pool__fail_end(sh, f->seq, ST_CANCELLED, "Cancelled", not_begun);
        pool__harvest(p, f);
        return 0;
    }
    /* Finishing first: a call seen finishing and then done is done. */
    bool finishing = pool__call_finishing(sh, f->seq);
    if (!finishing && pool__call_done(sh, f->seq))
        pool__harvest(p, f);
    if (f->done)
        return errno = EALREADY, -1;
    if (finishing)
        return errno = EINPROGRESS, -1;
    return errno = EBUSY, -1;
}

/* p->lock not held. Wait, a little at a time, while f's call is being
 * finished (a worker writing its result, the supervisor failing a dead
 * try: microseconds, a few milliseconds when it names a crash's place).
 * false if that takes over 5 s (the supervisor is stuck or gone). */
static bool settle(future *f)
{
    for (int i = 0; i < 50000; i++) {
        if (!pool__call_finishing(f->p->sh, f->seq))
            return true;
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* p->lock held: cancel_queued, asked again while the call is being
 * finished, with the lock let go meanwhile; EALREADY if it stays so. */
static int cancel_settled(pool *p, future *f)
{
    int r;
    while ((r = cancel_queued(p, f)) == -1 && errno == EINPROGRESS) {
        pthread_mutex_unlock(&p->lock);
        bool settled = settle(f);
        pthread_mutex_lock(&p->lock);
        if (!settled)
            return errno = EALREADY, -1;
    }
    return r;
}

static bool usable(future *f, const char *what)
{
    return !pool__future_gone(f, what);
}

int future_cancel(future *f)
{
    if (!usable(f, "future_cancel"))
        return -1;
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    int r = cancel_settled(p, f);
    int e = errno;
    pthread_mutex_unlock(&p->lock);
    if (r == -1) {
        pool__set_error(e == EBUSY ? "task %lu is running (future_kill stops it)"
                                   : "task %lu has ended already", (unsigned long)f->id);
        errno = e;
    }
    return r;
}

int future_kill(future *f)
{
    if (!usable(f, "future_kill"))
        return -1;
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    int r = cancel_settled(p, f);
    int e = errno;
    if (r == -1 && e == EBUSY) {
        /* It runs, on the worker the slot names: ask the supervisor. */
        int w = pool__call_runner(p->sh, f->seq);
        if (w >= 0) {
            atomic_store(&pool__wslots(p->sh)[w].cancel, f->seq);
            pool__poke_supervisor(p);
        }
    }
    pthread_mutex_unlock(&p->lock);
    if (r == 0)
        return 0;
    if (e != EBUSY) {
        pool__set_error("task %lu has ended already", (unsigned long)f->id);
        errno = e;
        return -1;
    }
    /* The worker is being killed, or the call ends first on its own. */
    future_wait(f);
    if (future_cancelled(f))
        return 0;
    pool__set_error("task %lu ended before it could be stopped", (unsigned long)f->id);
    errno = EALREADY;
    return -1;
}

bool future_cancelled(future *f)
{
    if (!usable(f, "future_cancelled"))
        return false;
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    bool c = f->done && f->status == ST_CANCELLED;
    pthread_mutex_unlock(&p->lock);
    return c;
}

/* Time limits. ------------------------------------------------------------- */

future *pool_submit_limit(pool *p, double seconds, pool_fn fn, const char *name,
                          const pool_value *args, int count)
{
    if (!(seconds > 0) || seconds > 1e9) {
        pool__set_error("pool_submit_limit: %g is not a time limit "
                        "(seconds, more than 0)", seconds);
        errno = EINVAL;
        return NULL;
    }
    struct pool__call_opts opts = {.limit = seconds * pool_time_scale(), .retries = -1,
                                   .api = "pool_apply_async_limit"};
    future *f = pool__submit_call(p, fn, name, args, count, &opts);
    if (f != NULL) {
        /* The supervisor looks at limits only while it knows of one. */
        pool__poke_supervisor(p);
    }
    return f;
}
