/*
 * future.c - waiting for a call and reading its result.
 *
 * A future whose call is in the ring waits on the call's slot: a short
 * spin (the result of a short call is often there within microseconds),
 * then a futex on the slot's wake word. Once the slot says DONE, the
 * waiter takes the result into the future under the pool's lock (harvest).
 * A future still on the overflow list waits on the pool's condition
 * variable until it is put.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "master.h"

#define SPIN 2000       /* looks at the slot before sleeping (~50-100 us) */

/* The absolute CLOCK_MONOTONIC time seconds from now. */
struct timespec pool__deadline(double seconds)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (seconds > 1e9)
        seconds = 1e9;
    if (seconds > 0) {
        t.tv_sec += (time_t)seconds;
        t.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
    }
    return t;
}

double pool__until(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(t->tv_sec - now.tv_sec) + (double)(t->tv_nsec - now.tv_nsec) / 1e9;
}

/* p->lock held. True if f's call has ended, harvested or not. */
static bool ended(pool *p, future *f)
{
    if (f->done)
        return true;
    if (f->seq == 0)
        return false;
    uint64_t s = atomic_load(&pool__slot(p->sh, f->seq)->state);
    return POOL__SEQ(s) == f->seq && POOL__ST(s) == CALL_DONE;
}

/* Wait for f until limit (NULL: forever); true once f is done. in names
 * the public call, for the trace's master events: a wait is traced only
 * if f had not ended when it began (it blocks). */
static bool wait_until(future *f, const struct timespec *limit, const char *in)
{
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    bool traced = !f->done && atomic_load(&p->sh->trace_gen) && !ended(p, f);
    if (traced)
        pool__trace_master(p, "wait", in, (long long)f->id, 1);
    for (;;) {
        if (f->done)
            break;
        if (f->seq == 0) {
            /* On the overflow list: wait to be put (or failed). */
            if (limit == NULL)
                pthread_cond_wait(&p->moved, &p->lock);
            else if (pthread_cond_timedwait(&p->moved, &p->lock, limit) == ETIMEDOUT)
                break;
            continue;
        }
        uint64_t seq = f->seq;
        pool__call *c = pool__slot(p->sh, seq);
        pthread_mutex_unlock(&p->lock);

        /* The slot stays this call's until it is harvested, under the lock;
         * if someone else harvests it meanwhile, the state moves on. */
        bool ended = false;
        for (int i = 0; i < SPIN && !ended; i++) {
            uint64_t s = atomic_load_explicit(&c->state, memory_order_acquire);
            ended = POOL__SEQ(s) != seq || POOL__ST(s) == CALL_DONE ||
                    POOL__ST(s) == CALL_FREE;   /* harvested by another thread */
            if (!ended)
                pool__relax();
        }
        while (!ended) {
            uint32_t seen = atomic_load(&c->wake);
            atomic_fetch_add(&c->sleepers, 1);
            uint64_t s = atomic_load(&c->state);
            ended = POOL__SEQ(s) != seq || POOL__ST(s) == CALL_DONE ||
                    POOL__ST(s) == CALL_FREE;   /* harvested by another thread */
            if (!ended) {
                double left = limit ? pool__until(limit) : -1;
                if (limit && left <= 0) {
                    atomic_fetch_sub(&c->sleepers, 1);
                    break;
                }
                pool__futex_wait(&c->wake, seen, left);
            }
            atomic_fetch_sub(&c->sleepers, 1);
        }
        pthread_mutex_lock(&p->lock);
        if (!f->done && f->seq == seq) {
            uint64_t s = atomic_load(&c->state);
            if (POOL__SEQ(s) == seq && POOL__ST(s) == CALL_DONE)
                pool__harvest(p, f);
            else if (limit && pool__until(limit) <= 0)
                break;
        }
    }
    bool done = f->done;
    if (traced)
        pool__trace_master(p, "resume", in, (long long)f->id, 1);
    pthread_mutex_unlock(&p->lock);
    return done;
}

/* Futures may be used only in the process that made their pool. */
static bool usable(future *f, const char *what)
{
    return !pool__future_gone(f, what);
}

void future_wait(future *f)
{
    if (usable(f, "future_wait"))
        wait_until(f, NULL, "future_wait");
}

void pool__wait_in(future *f, const char *in)
{
    if (usable(f, in))
        wait_until(f, NULL, in);
}

bool future_wait_for(future *f, double seconds)
{
    if (!usable(f, "future_wait_for"))
        return false;
    struct timespec t = pool__deadline(seconds);
    return wait_until(f, &t, "future_wait_for");
}

pool_value future_get(future *f)
{
    if (f == NULL)
        return (pool_value){.kind = POOL_ERROR,
                            .as.err = {"ValueError", "future_get: no future (NULL)"}};
    if (pool__future_gone(f, "future_get"))
        return (pool_value){.kind = POOL_ERROR, .as.err = {"PoolError", pool_last_error()}};
    wait_until(f, NULL, "future_get");
    return f->result;   /* set once, before done; never changes after */
}

bool future_ready(future *f)
{
    if (!usable(f, "future_ready"))
        return false;
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    if (!f->done && f->seq) {
        uint64_t s = atomic_load(&pool__slot(p->sh, f->seq)->state);
        if (POOL__SEQ(s) == f->seq && POOL__ST(s) == CALL_DONE)
            pool__harvest(p, f);
    }
    bool done = f->done;
    pthread_mutex_unlock(&p->lock);
    return done;
}

int future_successful(future *f)
{
    if (!usable(f, "future_successful"))
        return -1;
    if (!future_ready(f)) {
        pool__set_error("task %lu has not finished yet "
                        "(wait for it, or check future_ready first)", (unsigned long)f->id);
        errno = EAGAIN;
        return -1;
    }
    return f->status == ST_OK;
}

void future_free(future *f)
{
    if (!usable(f, "future_free"))
        return;
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    if (f->done && !f->cb_pending)
        pool__release(f);
    else
        f->user_gone = true;    /* released when harvested, or after its callback */
    pthread_mutex_unlock(&p->lock);
}

unsigned long future_id(const future *f) { return f ? (unsigned long)f->id : ULONG_MAX; }

int future_tries(future *f)
{
    if (!usable(f, "future_tries"))
        return -1;
    future_ready(f);    /* takes the result in if it has come */
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    /* Not done: the slot's count, which only the worker holding it changes. */
    int n = f->done ? f->tries : f->seq ? (int)pool__slot(p->sh, f->seq)->tries : 0;
    pthread_mutex_unlock(&p->lock);
    return n;
}

pid_t future_pid(future *f)
{
    if (!usable(f, "future_pid"))
        return 0;
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    if (!f->done && f->seq) {
        uint64_t s = atomic_load(&pool__slot(p->sh, f->seq)->state);
        int st = POOL__ST(s), w = POOL__WORKER(s);
        if (POOL__SEQ(s) == f->seq && st == CALL_DONE) {
            pool__harvest(p, f);    /* ended: its record says where it ran */
        } else if (POOL__SEQ(s) == f->seq && (st == CALL_HELD || st == CALL_FINISHING) &&
                   w < p->sh->n) {
            pid_t pid = atomic_load(&p->sh->w[w].pid);     /* running there now */
            pthread_mutex_unlock(&p->lock);
            return pid;
        }
    }
    pid_t pid = f->pid;
    pthread_mutex_unlock(&p->lock);
    return pid;
}
