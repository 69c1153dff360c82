/*
 * fork.c - the pools of this process, and what happens to them when it
 * forks, exits or is ended by a signal.
 *
 * A child of fork (the program's own, or a supervisor of another pool)
 * lets go of every pool it copied but the one being forked: their
 * descriptors are closed and their regions unmapped (pthread_atfork), so
 * that no process holds a pool that is not its own. A program that exits
 * without pool_destroy still ends its pools (atexit). SIGINT and SIGTERM
 * at their default first record every pool's unfinished calls.
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

#include "fork.h"
#include "base.h"
#include "blob.h"
#include "handle.h"
#include "master.h"
#include "shared.h"
#include "tracefile.h"
#include "worker.h"

/* Live pools of this process. */
static pthread_mutex_t pools_lock = PTHREAD_MUTEX_INITIALIZER;
static pool **pools;
static int npools;

/* The pool being forked by this thread (its supervisor keeps it). */
_Thread_local const pool__shared *pool__forking;

static void atfork_prepare(void) { pthread_mutex_lock(&pools_lock); }
static void atfork_parent(void) { pthread_mutex_unlock(&pools_lock); }
static void atfork_child(void)
{
    /* Other threads are gone; the lock was taken by this thread. */
    pthread_mutex_unlock(&pools_lock);
    pool__self = getpid();
    pool__forked = pool__in_worker;     /* a task's fork, not a worker */
    pool__forget_pools(pool__forking);
}

void pool__forget_pools(const pool__shared *keep)
{
    pool__blob_forget(keep, true);
    for (int i = 0; i < npools; i++) {
        pool *p = pools[i];
        if (p->sh == keep || p->sh == NULL)
            continue;
        /* Unmapping makes p unusable here: pool__foreign says so first. */
        pool__let_go(p);
    }
}

static void pools_at_exit(void);

/* SIGINT and SIGTERM. A program that leaves them at their default dies of
 * them at once; first, each of its pools records its unfinished calls as
 * terminated (the supervisor does it and exits; we wait at most
 * SIG_GRACE_MS for that, with async-signal-safe calls only). Then the
 * signal does what it would have done. */
#define SIG_GRACE_MS 2000
static pool *_Atomic sig_pools[64];     /* the pools the handler may see */

static void on_end_signal(int sig)
{
    int saved = errno;
    for (int i = 0; i < 64; i++) {
        pool *p = atomic_load(&sig_pools[i]);
        if (p == NULL || p->creator != getpid() || p->sh == NULL)
            continue;
        atomic_store(&p->sh->end_signal, sig);
        atomic_store(&p->sh->state, POOL_TERMINATING);
        pool__poke_supervisor(p);
    }
    for (int i = 0; i < 64; i++) {
        pool *p = atomic_load(&sig_pools[i]);
        if (p == NULL || p->creator != getpid() || p->sh == NULL)
            continue;
        struct pollfd gone = {.fd = p->sup_fd, .events = POLLIN};
        while (poll(&gone, 1, SIG_GRACE_MS) == -1 && errno == EINTR)
            ;
    }
    signal(sig, SIG_DFL);
    errno = saved;
    raise(sig);
}

static void sig_pools_set(pool *p, pool *to)
{
    for (int i = 0; i < 64; i++) {
        pool *expect = p;
        if (atomic_compare_exchange_strong(&sig_pools[i], &expect, to))
            return;
    }
}

/* Once a program: take SIGINT and SIGTERM where they are at their default. */
static void catch_end_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        struct sigaction now;
        if (sigaction(sigs[i], NULL, &now) == 0 && now.sa_handler == SIG_DFL &&
            !(now.sa_flags & SA_SIGINFO)) {
            struct sigaction sa = {.sa_handler = on_end_signal, .sa_flags = SA_RESTART};
            sigfillset(&sa.sa_mask);
            sigaction(sigs[i], &sa, NULL);
        }
    }
}

void pool__pools_add(pool *p)
{
    static bool registered;
    pthread_mutex_lock(&pools_lock);
    pool **grown = realloc(pools, (size_t)(npools + 1) * sizeof *pools);
    if (grown) {
        pools = grown;
        pools[npools++] = p;
    }
    if (!registered) {
        pool__trace_atfork();   /* its child handler runs before ours */
        registered = atexit(pools_at_exit) == 0;
        pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
        catch_end_signals();
    }
    pthread_mutex_unlock(&pools_lock);
    sig_pools_set(NULL, p);
}

void pool__pools_remove(pool *p)
{
    sig_pools_set(p, NULL);
    pthread_mutex_lock(&pools_lock);
    for (int i = 0; i < npools; i++) {
        if (pools[i] == p) {
            pools[i] = pools[--npools];
            break;
        }
    }
    if (npools == 0) {
        free(pools);
        pools = NULL;
    }
    pthread_mutex_unlock(&pools_lock);
}

/* exit() without pool_destroy: still end each pool, so that its trace says
 * which calls never finished. Not in a process that does not own them. */
static void pools_at_exit(void)
{
    for (;;) {
        pool *p = NULL;
        pthread_mutex_lock(&pools_lock);
        for (int i = npools - 1; i >= 0 && p == NULL; i--)
            if (pools[i]->creator == getpid())
                p = pools[i];
        pthread_mutex_unlock(&pools_lock);
        if (p == NULL)
            break;
        pool__pools_remove(p);
        pool_terminate(p);
    }
}

pid_t pool__self;

bool pool__foreign(const pool *p, const char *what)
{
    if (p->creator == pool__self && p->sh != NULL)
        return false;
    if (pool__pool_gone(p, what))
        return true;
    if (pool__in_worker)
        pool_raise("PoolError", "%s: a task cannot use its own pool (or any pool it "
                   "inherited); make a new pool inside the task if it needs one", what);
    pool__set_error("%s: this pool belongs to process %d, not to this one",
                    what, (int)p->creator);
    errno = EPERM;
    return true;
}

/* Any pool of this process whose trace is the file st describes. */
bool pool__trace_in_use(const pool *self, const struct stat *st)
{
    bool used = false;
    pthread_mutex_lock(&pools_lock);
    for (int i = 0; i < npools && !used; i++) {
        struct stat other;
        if (pools[i] != self && pools[i]->trace_path &&
            stat(pools[i]->trace_path, &other) == 0)
            used = other.st_dev == st->st_dev && other.st_ino == st->st_ino;
    }
    pthread_mutex_unlock(&pools_lock);
    return used;
}

