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

#include "watch.h"
#include "base.h"
#include "callback.h"
#include "calls.h"
#include "master.h"
#include "namer.h"
#include "queue.h"
#include "shared.h"
#include "supervise.h"
#include "tracefile.h"

#define RESTARTS_MAX 8    /* supervisors started again for one pool, at most */
#define DEATH_WAIT_S 2.0    /* how long its workers may take to die with it */
#define STALL_S 10.0        /* a supervisor that does not answer this long is killed (a slow one under valgrind on a busy machine took over 3 s) */

/* Process pid's state letter (R, S, T, Z, ...); 'X' if it is gone. */
static char process_state(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 'X';
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 'X';
    buf[n] = '\0';
    const char *close_paren = strrchr(buf, ')');
    return close_paren ? close_paren[2] : 'X';
}

/* True once process pid has ended (a zombie has ended too). */
static bool process_ended(pid_t pid)
{
    char c = process_state(pid);
    return c == 'Z' || c == 'X';
}

/* The supervisor died without ending the pool. Its workers die with it
 * (PR_SET_PDEATHSIG). Once they have, what they and the
 * supervisor had not written is written (tracefile.c), a call a worker had
 * recorded is finished, and the slots are emptied. A worker not seen dead
 * in time keeps its records: lost rather than written twice. */
static void orphans(pool *p)
{
    pool__shared *sh = p->sh;
    int n = atomic_load(&sh->n);
    if (n < 0 || n > POOL_MAX_WORKERS)
        n = POOL_MAX_WORKERS;   /* the region says so: it may have been written over */
    /* Not killed from here: a pid read from the region could be anyone's. */
    pid_t pid[POOL_MAX_WORKERS];
    for (int i = 0; i < n; i++)
        pid[i] = atomic_load(&pool__wslots(sh)[i].pid);
    double give_up = pool__now() + DEATH_WAIT_S;
    for (int i = 0; i < n; i++) {
        while (pid[i] > 0 && !process_ended(pid[i]) && pool__now() < give_up)
            usleep(1000);
        if (pid[i] > 0 && !process_ended(pid[i]))
            continue;
        pool__sup_finish_recorded(sh, i);
        pool__trace_recover(sh, i);
    }
    pool__trace_recover(sh, POOL__TW_SUP);
}

/* The supervisor died while the pool runs: fail the calls its workers ran,
 * naming its death, and start a new one, which starts new workers for the
 * calls not begun. False if it cannot be (or too many died). p->lock held. */
static bool restart(pool *p)
{
    pool__shared *sh = p->sh;
    if (p->restarts >= RESTARTS_MAX)
        return false;
    pid_t dead = p->sup_pid;
    char msg[200];
    snprintf(msg, sizeof msg, "the pool's supervisor process (pid %d) died while the task "
             "ran; its worker was ended", (int)dead);
    uint64_t tail = atomic_load(&sh->tail);
    for (uint64_t seq = tail > POOL__RING ? tail - POOL__RING : 1; seq < tail; seq++) {
        if (pool__call_holder(sh, seq) >= 0)
            pool__fail(sh, seq, ST_CRASH, "PoolError", msg);
    }
    for (int i = 0; i < POOL_MAX_WORKERS; i++) {
        atomic_store(&pool__wslots(sh)[i].pid, 0);
        atomic_store(&pool__wslots(sh)[i].holding, 0);
    }
    atomic_store(&sh->live, 0);
    for (int k = 0; k < POOL__NAMING; k++)
        atomic_store(&sh->naming[k], 0);    /* those records died with it */
    atomic_store(&sh->sup_ping, 0);
    atomic_store(&sh->sup_pong, 0);
    if (pool__fork_supervisor(p) == -1)
        return false;
    p->restarts++;
    fprintf(stderr, "pool: warning: the pool's supervisor process (pid %d) died; a new one "
            "(pid %d) runs the calls not begun\n", (int)dead, (int)p->sup_pid);
    return true;
}

/* The supervisor has gone. If the pool was not ending, that is a fault
 * (someone killed it): a new one takes over; if none can, end the workers
 * it left and fail every call. True if a new one runs. */
static bool supervisor_gone(pool *p)
{
    pool__shared *sh = p->sh;
    waitpid(p->sup_pid, NULL, 0);   /* it has ended (ECHILD if the program reaped it) */
    bool died = !atomic_load(&sh->sup_done);
    if (died && !p->overwritten)
        orphans(p);
    pthread_mutex_lock(&p->lock);
    if (died && !p->overwritten && p->state != POOL_TERMINATING && restart(p)) {
        pthread_mutex_unlock(&p->lock);
        return true;
    }
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
    return false;
}

/* While the pool is being ended (closed, terminated) someone waits for the
 * supervisor: ask it every look whether it is there; one that does not
 * answer for STALL_S (stopped, say) is killed, so that nothing waits for
 * ever. */
static void check_supervisor(pool *p, double *asked_at)
{
    pool__shared *sh = p->sh;
    uint32_t ping = atomic_load(&sh->sup_ping);
    if (atomic_load(&sh->sup_pong) == ping) {
        atomic_store(&sh->sup_ping, ping + 1);
        *asked_at = pool__now();
        pool__poke_supervisor(p);
    } else if (pool__now() - *asked_at > STALL_S &&
               (process_state(p->sup_pid) == 'T' || process_state(p->sup_pid) == 't')) {
        /* Only a stopped one: a live one that is slow (valgrind, a busy
         * machine) answers in the end. */
        fprintf(stderr, "pool: warning: the pool's supervisor process (pid %d) has not "
                "answered for %g s; it is killed\n", (int)p->sup_pid, STALL_S);
        kill(p->sup_pid, SIGKILL);
        *asked_at = pool__now();
    }
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
    double asked_at = 0;
    for (;;) {
        struct pollfd pfd[2] = {
            {.fd = p->sup_fd, .events = POLLIN},
            {.fd = p->ev_fd, .events = POLLIN},
        };
        bool ending = atomic_load(&p->sh->state) != POOL_RUNNING;
        if (ending)
            check_supervisor(p, &asked_at);
        int n = poll(pfd, 2, ending ? 500 : 1000);
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
            if (supervisor_gone(p))
                continue;       /* a new one runs the pool */
            pool__run_callbacks(p);     /* every call has ended: the rest run now */
            return NULL;
        }
    }
}
