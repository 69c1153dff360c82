/*
 * wait.c - waiting for several futures: for any, for the first failure, for
 * all; and an as-completed iteration that hands them out as they end.
 *
 * No polling. The shared region has one futex word, sh->finished. Whoever
 * marks a call DONE (a worker, the supervisor, the master) then calls
 * pool__finished_notify: if a master thread has said that it sleeps on the
 * word (sh->finish_waiters), the word is bumped and the sleepers woken.
 * When nobody waits, a finish costs one fence and one load.
 *
 * A waiter, holding no lock: counts itself in finish_waiters, reads the
 * word, then looks at the slots of its futures. If none has ended it sleeps
 * on the word with the value it read; a finish after the look changes the
 * word, so the sleep cannot miss it. It then takes the results in under the
 * pool's lock (harvest), as future_wait does. Before sleeping it spins a
 * little on the slots, as future_wait does: short calls end within
 * microseconds, sooner than a futex wake.
 *
 * Each wake looks at every future not yet done: O(n) for n futures. That is
 * fine for thousands; a map's futures come in chunks anyway.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "calls.h"
#include "fork.h"
#include "future.h"
#include "handle.h"
#include "master.h"
#include "queue.h"
#include "shared.h"
#include "tracefile.h"

#define SPIN 20000      /* slot looks before sleeping, shared among the futures */

/* The one pool of fs[0..n), or NULL (errno EINVAL, a message) if a future is
 * NULL or they come from two pools. */
static pool *pool_of(future *const *fs, size_t n, const char *what)
{
    if (n > 0 && fs == NULL) {
        pool__set_error("%s: no futures (NULL)", what);
        errno = EINVAL;
        return NULL;
    }
    pool *p = NULL;
    for (size_t i = 0; i < n; i++) {
        if (fs[i] == NULL) {
            pool__set_error("%s: future %zu is NULL", what, i);
            errno = EINVAL;
            return NULL;
        }
        if (fs[i]->tomb == POOL__TOMB) {
            pool__future_gone(fs[i], what);
            return NULL;
        }
        if (p != NULL && fs[i]->p != p) {
            pool__set_error("%s: the futures come from two pools; "
                            "wait for each pool's futures apart", what);
            errno = EINVAL;
            return NULL;
        }
        p = fs[i]->p;
    }
    if (p != NULL && pool__foreign(p, what))
        return NULL;
    return p;
}

/* p->lock held. Take in the result of every future of fs whose call is
 * DONE. How many are done; *failed: how many of those failed. */
static size_t gather(pool *p, future *const *fs, size_t n, size_t *failed)
{
    size_t done = 0;
    *failed = 0;
    for (size_t i = 0; i < n; i++) {
        future *f = fs[i];
        if (!f->done && f->seq && pool__call_done(p->sh, f->seq))
            pool__harvest(p, f);
        if (f->done) {
            done++;
            *failed += f->status != ST_OK && f->status != ST_CANCELLED;
        }
    }
    return done;
}

/* True if a slot in seqs[0..n) has moved on: its call is DONE, or was
 * harvested by another thread. 0 is a future still outside the ring. */
static bool any_moved(pool__shared *sh, const uint64_t *seqs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (seqs[i] != 0 && pool__call_over(sh, seqs[i]))
            return true;
    }
    return false;
}

/* p->lock held; none of fs[0..n) has ended since the last gather. Sleep
 * until one may have, or until limit (NULL: none). seqs: room for n. The
 * lock is let go meanwhile and held again on return. */
static void sleep_once(pool *p, future *const *fs, size_t n, uint64_t *seqs,
                       const struct timespec *limit)
{
    pool__shared *sh = p->sh;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!fs[i]->done)
            seqs[k++] = fs[i]->seq;
    pthread_mutex_unlock(&p->lock);

    bool moved = false;
    size_t spin = k ? SPIN / k : 0;
    for (size_t i = 0; i < spin && !moved; i++)
        moved = any_moved(sh, seqs, k);
    if (!moved) {
        atomic_fetch_add(&sh->finish_waiters, 1);
        uint32_t seen = atomic_load(&sh->finished);
        if (!any_moved(sh, seqs, k)) {
            double left = limit ? pool__until(limit) : -1;
            if (limit == NULL || left > 0)
                pool__futex_wait(&sh->finished, seen, left);
        }
        atomic_fetch_sub(&sh->finish_waiters, 1);
    }
    pthread_mutex_lock(&p->lock);
}

static bool met(future_when when, size_t n, size_t done, size_t failed)
{
    switch (when) {
    case FUTURE_FIRST_COMPLETED:
        return done > 0 || n == 0;
    case FUTURE_FIRST_EXCEPTION:
        return failed > 0 || done == n;
    case FUTURE_ALL_COMPLETED:
        break;
    }
    return done == n;
}

/* The lowest task id of fs[0..n), n > 0: it names a wait on them in the
 * trace's master events (TRACE.md). */
static long long lowest(future *const *fs, size_t n)
{
    uint64_t low = fs[0]->id;
    for (size_t i = 1; i < n; i++)
        if (fs[i]->id < low)
            low = fs[i]->id;
    return (long long)low;
}

/* p->lock held. Wait until `when` holds for fs or limit passes; how many
 * are done. A wait that blocks is traced as in (it is not when `when`
 * holds at once). */
static size_t wait_locked(pool *p, future *const *fs, size_t n, future_when when,
                          uint64_t *seqs, const struct timespec *limit, const char *in)
{
    bool traced = false;
    for (;;) {
        size_t failed, done = gather(p, fs, n, &failed);
        if (met(when, n, done, failed) || (limit && pool__until(limit) <= 0)) {
            if (traced)
                pool__trace_master(p, "resume", in, lowest(fs, n), n);
            return done;
        }
        if (!traced && atomic_load(&p->sh->trace_gen)) {
            pool__trace_master(p, "wait", in, lowest(fs, n), n);
            traced = true;
        }
        sleep_once(p, fs, n, seqs, limit);
    }
}

/* Wait on fs[0..n) (n > 0) until when holds or seconds pass (< 0: no
 * limit), as the call named what. The number of futures done, and, when
 * first is not NULL, the index of the one that ended first (-1 if none
 * did); -1 if fs is not n futures of one pool, or out of memory. */
static long wait_on(future *const *fs, size_t n, future_when when, double seconds,
                    const char *what, long *first)
{
    pool *p = pool_of(fs, n, what);
    if (p == NULL)
        return -1;
    uint64_t *seqs = malloc(n * sizeof *seqs);
    if (seqs == NULL) {
        pool__set_error("out of memory");
        errno = ENOMEM;
        return -1;
    }
    struct timespec t = pool__deadline(seconds);
    pthread_mutex_lock(&p->lock);
    size_t done = wait_locked(p, fs, n, when, seqs, seconds < 0 ? NULL : &t, what);
    for (size_t i = 0; first != NULL && i < n; i++)
        if (fs[i]->done && (*first < 0 || fs[i]->end < fs[*first]->end))
            *first = (long)i;
    pthread_mutex_unlock(&p->lock);
    free(seqs);
    return (long)done;
}

int future_wait_many(future *const *fs, size_t n, future_when when, double seconds)
{
    if (when != FUTURE_FIRST_COMPLETED && when != FUTURE_FIRST_EXCEPTION &&
        when != FUTURE_ALL_COMPLETED) {
        pool__set_error("future_wait_many: %d is not a future_when", (int)when);
        errno = EINVAL;
        return -1;
    }
    if (n > (size_t)0x7fffffff) {
        pool__set_error("future_wait_many: too many futures (%zu)", n);
        errno = EINVAL;
        return -1;
    }
    if (n == 0)
        return 0;
    return (int)wait_on(fs, n, when, seconds, "future_wait_many", NULL);
}

long future_wait_any(future *const *fs, size_t n, double seconds)
{
    if (n == 0) {
        pool__set_error("future_wait_any: no futures to wait for");
        errno = EINVAL;
        return -1;
    }
    long best = -1;
    if (wait_on(fs, n, FUTURE_FIRST_COMPLETED, seconds, "future_wait_any", &best) < 0)
        return -1;
    if (best < 0) {
        pool__set_error("future_wait_any: none of the %zu futures ended within %g s",
                        n, seconds);
        errno = ETIMEDOUT;
    }
    return best;
}

pool_value future_get_for(future *f, double seconds)
{
    if (f == NULL)
        return (pool_value){.kind = POOL_ERROR,
                            .as.err = {"ValueError", "future_get_for: no future (NULL)"}};
    if (pool__future_gone(f, "future_get_for"))     /* not "TimeoutError" */
        return (pool_value){.kind = POOL_ERROR, .as.err = {"PoolError", pool_last_error()}};
    if (seconds >= 0 && !future_wait_for(f, seconds))
        return (pool_value){.kind = POOL_ERROR,
                            .as.err = {"TimeoutError", "the result was not there in time"}};
    return future_get(f);
}

/* As completed. ------------------------------------------------------------ */

struct future_iter {
    pool *p;
    future **wait;          /* not done when last looked: [0, nwait) */
    size_t nwait;
    future **out;           /* done, in the order they ended: [head, nout) */
    size_t head, nout;
    uint64_t *seqs;         /* room for every future (sleep_once) */
};

static int by_pointer(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(future *const *)a, y = (uintptr_t)*(future *const *)b;
    return x < y ? -1 : x > y;
}

/* Futures that ended while nobody looked: by end time, then by id. */
static int by_end(const void *a, const void *b)
{
    const future *x = *(future *const *)a, *y = *(future *const *)b;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

future_iter *future_as_completed(future *const *fs, size_t n)
{
    pool *p = pool_of(fs, n, "future_as_completed");
    if (p == NULL && n > 0)
        return NULL;
    future_iter *it = calloc(1, sizeof *it);
    size_t room = n ? n : 1;
    if (it)
        it->wait = malloc(room * sizeof *it->wait);
    if (it && it->wait)
        it->out = malloc(room * sizeof *it->out);
    if (it && it->out)
        it->seqs = malloc(room * sizeof *it->seqs);
    if (it == NULL || it->seqs == NULL) {
        future_iter_free(it);
        pool__set_error("out of memory");
        errno = ENOMEM;
        return NULL;
    }
    it->p = p;
    if (n)
        memcpy(it->wait, fs, n * sizeof *fs);
    qsort(it->wait, n, sizeof *it->wait, by_pointer);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || it->wait[i] != it->wait[it->nwait - 1])
            it->wait[it->nwait++] = it->wait[i];
    return it;
}

/* p->lock held. Move the futures of it->wait that are done to it->out, in
 * the order they ended. */
static void move_done(future_iter *it)
{
    size_t failed;
    if (gather(it->p, it->wait, it->nwait, &failed) == 0)
        return;
    size_t from = it->nout, keep = 0;
    for (size_t i = 0; i < it->nwait; i++) {
        if (it->wait[i]->done)
            it->out[it->nout++] = it->wait[i];
        else
            it->wait[keep++] = it->wait[i];
    }
    it->nwait = keep;
    qsort(it->out + from, it->nout - from, sizeof *it->out, by_end);
}

future *future_iter_next(future_iter *it, double seconds)
{
    if (it == NULL) {
        pool__set_error("future_iter_next: no iteration (NULL)");
        errno = EINVAL;
        return NULL;
    }
    if (it->head == it->nout && it->nwait == 0) {
        errno = 0;
        return NULL;
    }
    if (it->head < it->nout)
        return it->out[it->head++];
    pool *p = it->p;
    if (pool__foreign(p, "future_iter_next"))
        return NULL;
    struct timespec t = pool__deadline(seconds);
    const struct timespec *limit = seconds < 0 ? NULL : &t;
    pthread_mutex_lock(&p->lock);
    size_t traced = 0;      /* how many the wait event named, if one was written */
    long long low = 0;
    for (;;) {
        move_done(it);
        if (it->head < it->nout || (limit && pool__until(limit) <= 0))
            break;
        if (!traced && it->nwait > 0 && atomic_load(&p->sh->trace_gen)) {
            low = lowest(it->wait, it->nwait);
            traced = it->nwait;
            pool__trace_master(p, "wait", "future_iter_next", low, traced);
        }
        sleep_once(p, it->wait, it->nwait, it->seqs, limit);
    }
    if (traced)
        pool__trace_master(p, "resume", "future_iter_next", low, traced);
    pthread_mutex_unlock(&p->lock);
    if (it->head < it->nout)
        return it->out[it->head++];
    pool__set_error("future_iter_next: none of the %zu futures left ended within %g s",
                    it->nwait, seconds);
    errno = ETIMEDOUT;
    return NULL;
}

size_t future_iter_left(const future_iter *it)
{
    return it ? it->nwait + (it->nout - it->head) : 0;
}

void future_iter_free(future_iter *it)
{
    if (it == NULL)
        return;
    free(it->wait);
    free(it->out);
    free(it->seqs);
    free(it);
}
