/*
 * callback.c - a function to run once a future is done.
 *
 * Who runs it. The pool's watcher thread (watch.c), never with the pool's
 * lock held; or, if the future is done already when the callback is added,
 * the thread that adds it, at once (as Python's add_done_callback does).
 * So callbacks of one pool run one at a time, in no fixed order.
 *
 * How the watcher learns. Adding a callback pokes the watcher's eventfd;
 * while a callback waits (p->cbs is not empty), sh->want_done is set, the
 * watcher sleeps on the finish counter, and whoever finishes a call bumps
 * it, as for the overflow list (watch.c). The watcher takes in the finished
 * calls among the futures with callbacks (p->cbs: O(k) for k of them per
 * wake), unlinks them, lets go of the lock and runs their callbacks. Calls
 * that end in the master (a cancel, a dead supervisor) poke it too, or run
 * where the watcher runs anyway.
 *
 * Every callback runs once, also when the pool is terminated or destroyed
 * (the future then failed "Terminated"): the watcher runs what is left
 * before it ends. A future freed while its callback waits is freed after
 * the callback has run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>

#include "callback.h"
#include "base.h"
#include "calls.h"
#include "handle.h"
#include "master.h"
#include "queue.h"

/* Wake the watcher (it runs callbacks whose future is done). */
void pool__poke_watcher(pool *p)
{
    uint64_t one = 1;
    if (p->ev_fd >= 0 && write(p->ev_fd, &one, sizeof one) < 0) {
        /* full: it wakes anyway */
    }
}

/* p->lock held. If f's call is DONE, take its result in. */
static bool is_done(pool *p, future *f)
{
    if (!f->done && f->seq && pool__call_done(p->sh, f->seq))
        pool__harvest(p, f);
    return f->done;
}

int future_on_done(future *f, future_callback on_ok, future_callback on_error, void *arg)
{
    if (f == NULL || (on_ok == NULL && on_error == NULL)) {
        pool__set_error("future_on_done: %s", f ? "no callback" : "no future (NULL)");
        errno = EINVAL;
        return -1;
    }
    if (pool__future_gone(f, "future_on_done"))
        return -1;
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    if (f->cb_pending || f->cb_ran) {
        pthread_mutex_unlock(&p->lock);
        pool__set_error("task %lu has a callback already (one per future)",
                        (unsigned long)f->id);
        errno = EBUSY;
        return -1;
    }
    if (is_done(p, f)) {
        f->cb_ran = true;
        pthread_mutex_unlock(&p->lock);
        future_callback fn = f->status == ST_OK ? on_ok : on_error;
        if (fn)
            fn(f, arg);
        return 0;
    }
    f->on_ok = on_ok;
    f->on_error = on_error;
    f->cb_arg = arg;
    f->cb_pending = true;
    f->cb_next = p->cbs;
    p->cbs = f;
    /* From now on every finish pokes the watcher. A finish just before
     * this store did not: poke it once ourselves. */
    atomic_store(&p->sh->want_done, 1);
    pool__poke_watcher(p);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

/* The program is dying of SIGINT or SIGTERM (fork.c): the calls it had
 * are being recorded as terminated, and no callback runs for them. */
static bool dying(const pool *p)
{
    return atomic_load(&p->sh->end_signal) != 0;
}

void pool__run_callbacks(pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (!dying(p)) {
        /* Unlink every future with a callback that is done now. */
        future *ready = NULL, **link = &p->cbs;
        while (*link) {
            future *f = *link;
            if (is_done(p, f)) {
                *link = f->cb_next;
                f->cb_next = ready;
                ready = f;
            } else {
                link = &f->cb_next;
            }
        }
        if (ready == NULL)
            break;
        pthread_mutex_unlock(&p->lock);
        while (ready) {
            future *f = ready;
            ready = f->cb_next;
            future_callback fn = f->status == ST_OK ? f->on_ok : f->on_error;
            if (fn && !dying(p))
                fn(f, f->cb_arg);
            pthread_mutex_lock(&p->lock);
            f->cb_pending = false;
            f->cb_ran = true;
            if (f->user_gone)
                pool__release(f);   /* future_free came while it waited */
            pthread_mutex_unlock(&p->lock);
        }
        pthread_mutex_lock(&p->lock);
    }
    atomic_store(&p->sh->want_done, p->ovf_head != NULL || p->cbs != NULL);
    pthread_mutex_unlock(&p->lock);
}
