/*
 * future.c - waiting for a call and reading its result.
 *
 * A future whose call is in the ring waits for it with pool__call_wait
 * (queue.c: a short spin, then a futex on the slot). Once the call is
 * DONE, the waiter takes the result into the future under the pool's lock
 * (harvest).
 * A future still on the overflow list waits on the pool's condition
 * variable until it is put.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "future.h"
#include "base.h"
#include "calls.h"
#include "handle.h"
#include "master.h"
#include "queue.h"
#include "remote.h"
#include "shared.h"
#include "tracefile.h"

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
    return pool__call_done(p->sh, f->seq);
}

/* p->lock held (let go while it waits). Wait for f until limit (NULL:
 * forever); true once f is done. in names the public call, for the trace's
 * master events: a wait is traced only if f had not ended when it began
 * (it blocks). */
static bool wait_held(future *f, const struct timespec *limit, const char *in)
{
    pool *p = f->p;
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
        pthread_mutex_unlock(&p->lock);
        /* The slot stays this call's until it is harvested, under the lock;
         * if someone else harvests it meanwhile, the wait is over too. */
        pool__call_wait(p->sh, seq, limit ? pool__now() + pool__until(limit) : -1);
        pthread_mutex_lock(&p->lock);
        if (!f->done && f->seq == seq) {
            if (pool__call_done(p->sh, seq))
                pool__harvest(p, f);
            else if (pool__call_over(p->sh, seq))
                /* Over but not done, and not harvested (the lock is held):
                 * its slot no longer holds it. */
                pool__slot_lost(p, f, "its slot in the pool's shared memory was written "
                                      "over (a task wrote where it must not)");
            else if (limit && pool__until(limit) <= 0)
                break;
        }
    }
    if (traced)
        pool__trace_master(p, "resume", in, (long long)f->id, 1);
    return f->done;
}

static bool wait_until(future *f, const struct timespec *limit, const char *in)
{
    pthread_mutex_lock(&f->p->lock);
    bool done = wait_held(f, limit, in);
    pthread_mutex_unlock(&f->p->lock);
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

pool_value pool__wait_result(future *f, const char *in)
{
    if (!usable(f, in))
        return pool_error("PoolError", "%s", pool_last_error());
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    wait_held(f, NULL, in);
    pool_value v = f->result;
    if (v.kind == POOL_BYTES)
        f->result = pool_none();    /* the caller holds them now, where they are */
    else
        v = pool__value_dup(v);     /* outlives the future */
    if (f->cb_pending)
        f->user_gone = true;        /* released after its callback */
    else
        pool__release(f);
    pthread_mutex_unlock(&p->lock);
    return v;
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
    if (!f->done && f->seq && pool__call_done(p->sh, f->seq))
        pool__harvest(p, f);
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

/* This host's name, once a program. */
static char this_host[256];

static void name_this_host(void)
{
    if (gethostname(this_host, sizeof this_host - 1) != 0)
        strcpy(this_host, "?");
}

const char *future_host(future *f)
{
    if (!usable(f, "future_host"))
        return NULL;
    pool *p = f->p;
    const char *host = NULL;
    pthread_mutex_lock(&p->lock);
    if (!f->done && f->seq && pool__call_done(p->sh, f->seq))
        pool__harvest(p, f);
    if (pool__is_remote(p->sh)) {
        if (f->done && f->rank > 0 && pool__remote)
            host = pool__remote->host(f->rank);
    } else if (f->done ? f->pid > 0 : f->seq && pool__call_holder(p->sh, f->seq) >= 0) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, name_this_host);
        host = this_host;
    }
    pthread_mutex_unlock(&p->lock);
    return host;
}

pid_t future_pid(future *f)
{
    if (!usable(f, "future_pid"))
        return 0;
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    if (!f->done && f->seq) {
        int w = pool__call_holder(p->sh, f->seq);
        if (pool__call_done(p->sh, f->seq)) {
            pool__harvest(p, f);    /* ended: its record says where it ran */
        } else if (w >= 0 && pool__is_remote(p->sh)) {
            pthread_mutex_unlock(&p->lock);
            return 0;   /* at a station: its worker is known when it ends */
        } else if (w >= 0) {
            pid_t pid = atomic_load(&pool__wslots(p->sh)[w].pid);     /* running there now */
            pthread_mutex_unlock(&p->lock);
            return pid;
        }
    }
    pid_t pid = f->pid;
    pthread_mutex_unlock(&p->lock);
    return pid;
}
