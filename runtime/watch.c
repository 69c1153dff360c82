/*
 * watch.c - the master's watcher thread, one per pool.
 *
 * It sleeps in poll() on two descriptors: an eventfd that the master
 * writes when it has work for it, and a pipe that ends when the pool's
 * supervisor process does. Its work: calls that wait on the overflow list
 * (the ring is full; it puts them as finishes free slots) and callbacks
 * that wait for their futures (callback.c). While there is such work it
 * sleeps instead on a futex that every finish bumps (want_done).
 * If the supervisor ends while the pool still runs (someone killed it),
 * the watcher ends the workers it left and fails every unfinished call, so
 * that no future waits forever.
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

#include "master.h"

/* The supervisor has gone. If the pool was not ending, that is a fault
 * (someone killed it): end the workers it left, fail every call. */
static void supervisor_gone(pool *p)
{
    pool__shared *sh = p->sh;
    waitpid(p->sup_pid, NULL, 0);   /* it has ended (ECHILD if the program reaped it) */
    pthread_mutex_lock(&p->lock);
    p->sup_gone = true;
    /* Its workers die with it (PR_SET_PDEATHSIG): no pid is taken from the
     * shared region, where a task could have written any. */
    /* A supervisor that leaves a closed pool has finished every call. */
    bool unfinished = false;
    uint64_t tail = atomic_load(&sh->tail);
    for (uint64_t seq = tail > POOL__RING ? tail - POOL__RING : 1; seq < tail; seq++) {
        unfinished |= pool__call_unfinished(sh, seq);
    }
    bool fault = p->state == POOL_RUNNING ||
                 (p->state == POOL_CLOSED && (unfinished || p->ovf_head));
    char msg[200] = "the pool was terminated before the task started";
    if (fault && p->overwritten)
        snprintf(msg, sizeof msg, "the pool's shared memory was written over (a task "
                 "wrote where it must not); the pool was ended");
    else if (fault)
        snprintf(msg, sizeof msg, "the pool's supervisor process (pid %d) died; "
                 "its workers were ended", (int)p->sup_pid);
    for (uint64_t seq = tail > POOL__RING ? tail - POOL__RING : 1; seq < tail; seq++) {
        if (pool__call_unfinished(sh, seq)) {
            if (!fault)
                snprintf(msg, sizeof msg, "the pool was terminated before the task %s",
                         pool__call_queued(sh, seq) ? "started" : "finished");
            pool__fail(sh, seq, fault ? ST_CRASH : ST_TERMINATED,
                       fault ? "PoolError" : "Terminated", msg);
        }
    }
    /* Calls whose slot no longer says so (a task wrote over it): failed
     * here, from the master's own list of what it put. */
    for (int k = 0; k < POOL__RING; k++) {
        future *f = p->owner[k];
        if (f == NULL || f->done)
            continue;
        if (pool__call_done(sh, f->seq))
            pool__harvest(p, f);
        else
            pool__slot_lost(p, f, fault ? msg : "the pool was terminated before the task "
                                                "finished");
    }
    /* Calls that never reached the ring. */
    while (p->ovf_head) {
        future *f = p->ovf_head;
        p->ovf_head = f->onext;
        f->onext = NULL;
        pool__complete_here(p, f, fault ? ST_CRASH : ST_TERMINATED,
                            fault ? "PoolError" : "Terminated",
                            fault ? msg : "the pool was terminated before the task started");
    }
    p->ovf_tail = NULL;
    if (fault) {
        p->broken = true;
        if (p->state == POOL_RUNNING)
            fprintf(stderr, "pool: %s\n", msg);
    }
    pthread_cond_broadcast(&p->moved);
    pthread_mutex_unlock(&p->lock);
}

/* While calls wait outside the ring or callbacks wait: put the calls as
 * finishes free slots and run the callbacks whose futures are done,
 * sleeping on the shared finish counter between (workers wake it only
 * while it sleeps). False if the supervisor has gone meanwhile. */
static bool drain_overflow(pool *p)
{
    pool__shared *sh = p->sh;
    for (;;) {
        uint32_t seen = atomic_load(&sh->done);
        pthread_mutex_lock(&p->lock);
        pool__pump(p);
        pthread_mutex_unlock(&p->lock);
        pool__run_callbacks(p);
        pthread_mutex_lock(&p->lock);
        bool empty = p->ovf_head == NULL && p->cbs == NULL;
        /* What to wake for: a callback waits for any finish; the overflow
         * list for the call in the ring's next slot, or for a batch of
         * finishes (puts in batches: one wake for many). */
        future *next = p->ovf_head ? p->owner[atomic_load(&sh->tail) & (POOL__RING - 1)] : NULL;
        uint64_t blocker = next ? next->seq : 0;
        uint32_t batch = p->cbs ? 1 : POOL__RING / 8;
        atomic_store(&sh->blocker, blocker);
        pthread_mutex_unlock(&p->lock);
        if (!empty) {
            /* One wake wanted, asked for only now (finishes during the pump
             * above send none), then one more look at the count and at the
             * call in the way. */
            atomic_store(&sh->done_at, seen + batch);
            atomic_store(&sh->watching, 1);
            uint32_t now = atomic_load(&sh->done);
            if ((int32_t)(now - (seen + batch)) < 0 &&
                !(blocker && pool__call_over(sh, blocker)))
                pool__futex_wait(&sh->done, now, 0.05);
        }
        atomic_store(&sh->watching, 0);
        struct pollfd gone = {.fd = p->sup_fd, .events = POLLIN};
        if (poll(&gone, 1, 0) == 1)
            return false;
        if (empty)
            return true;
    }
}

void *pool__watcher_main(void *arg)
{
    pool *p = arg;
    for (;;) {
        struct pollfd pfd[2] = {
            {.fd = p->sup_fd, .events = POLLIN},
            {.fd = p->ev_fd, .events = POLLIN},
        };
        int n = poll(pfd, 2, 1000);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            pool__die("poll: %s", strerror(errno));
        }
        if (n == 0 && !p->overwritten && p->sh->serial != p->serial) {
            /* A task wrote over the region's header: nothing in it can be
             * trusted. End the supervisor (its workers die with it); the
             * end of its pipe then fails every call left. */
            p->overwritten = true;
            kill(p->sup_pid, SIGKILL);
        }
        if (pfd[1].revents) {
            uint64_t v;
            while (read(p->ev_fd, &v, sizeof v) > 0)
                ;
            if (!drain_overflow(p))
                pfd[0].revents = POLLIN;
        }
        if (pfd[0].revents) {
            supervisor_gone(p);
            pool__run_callbacks(p);     /* every call has ended: the rest run now */
            return NULL;
        }
    }
}
