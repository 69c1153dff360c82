/*
 * cancel.c - cancelling calls: one not yet begun, or one that runs.
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
 * So the master only asks (sh->w[w].cancel = seq, then a poke on ctl_fd);
 * the supervisor, the worker's parent, stops the worker (SIGSTOP, and waits
 * until it has stopped), and looks at the slot: if it is still "HELD by w"
 * for that call, it notes the reason (w.killed = seq) and sends SIGKILL;
 * otherwise it lets the worker go on (SIGCONT). When the death is reaped,
 * ended() asks pool__killed_why and fails the call Cancelled, not
 * WorkerDied. A task cannot block SIGSTOP or SIGKILL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "master.h"

/* Master side. ------------------------------------------------------------- */

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
        atomic_store(&p->sh->want_done, p->ovf_head != NULL);
        return true;
    }
    return false;
}

static const char not_begun[] = "the call was cancelled before it started";

/* p->lock held. Cancel f if its call has not begun: 0, or -1 with errno
 * EBUSY (it runs) or EALREADY (it has ended). */
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
        return 0;
    }
    pool__call *c = pool__slot(sh, f->seq);
    if (pool__finish_begin(sh, f->seq, POOL__STATE(f->seq, CALL_QUEUED, 0))) {
        c->end = c->start = pool__now();
        c->pid = 0;
        c->worker = -1;
        pool__fail_end(sh, f->seq, ST_CANCELLED, "Cancelled", not_begun);
        pool__harvest(p, f);
        return 0;
    }
    uint64_t s = atomic_load(&c->state);
    if (POOL__SEQ(s) == f->seq && POOL__ST(s) == CALL_DONE)
        pool__harvest(p, f);
    if (f->done || (POOL__SEQ(s) == f->seq && POOL__ST(s) == CALL_FINISHING))
        return errno = EALREADY, -1;
    return errno = EBUSY, -1;
}

static bool usable(future *f, const char *what)
{
    if (f == NULL) {
        pool__set_error("%s: no future (NULL)", what);
        errno = EINVAL;
        return false;
    }
    return !pool__foreign(f->p, what);
}

int future_cancel(future *f)
{
    if (!usable(f, "future_cancel"))
        return -1;
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    int r = cancel_queued(p, f);
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
    int r = cancel_queued(p, f);
    int e = errno;
    if (r == -1 && e == EBUSY) {
        /* It runs, on the worker the slot names: ask the supervisor. */
        uint64_t s = atomic_load(&pool__slot(p->sh, f->seq)->state);
        if (POOL__SEQ(s) == f->seq && POOL__ST(s) == CALL_HELD) {
            atomic_store(&p->sh->w[POOL__WORKER(s)].cancel, f->seq);
            uint64_t one = 1;
            if (write(p->ctl_fd, &one, sizeof one) < 0) {
                /* full: the supervisor reads it anyway */
            }
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

/* Supervisor side. --------------------------------------------------------- */

void pool__sup_cancels(pool__shared *sh)
{
    for (int w = 0; w < sh->n; w++) {
        uint64_t seq = atomic_load(&sh->w[w].cancel);
        if (seq == 0)
            continue;
        pid_t pid = atomic_load(&sh->w[w].pid);
        uint64_t held = POOL__STATE(seq, CALL_HELD, w);
        if (pid > 0 && atomic_load(&pool__slot(sh, seq)->state) == held &&
            kill(pid, SIGSTOP) == 0) {
            /* Stopped (or dead: then the main loop reaps it as usual). */
            siginfo_t si;
            while (waitid(P_PID, (id_t)pid, &si, WSTOPPED | WEXITED | WNOWAIT) == -1 &&
                   errno == EINTR)
                ;
            if (atomic_load(&pool__slot(sh, seq)->state) == held) {
                atomic_store(&sh->w[w].killed, seq);
                kill(pid, SIGKILL);
            }
            kill(pid, SIGCONT);
        }
        uint64_t expect = seq;
        atomic_compare_exchange_strong(&sh->w[w].cancel, &expect, 0);
    }
}

bool pool__killed_why(pool__shared *sh, int w, uint64_t seq, int *st, const char **type,
                      char *msg, size_t size)
{
    uint64_t k = atomic_exchange(&sh->w[w].killed, 0);
    if (k == 0 || k != seq)
        return false;
    *st = ST_CANCELLED;
    *type = "Cancelled";
    snprintf(msg, size, "the call was cancelled while it ran; its worker %d was "
             "killed and replaced", w);
    return true;
}
