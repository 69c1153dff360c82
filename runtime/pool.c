/*
 * pool.c - a pool: its processes, its calls, its life.
 *
 * DESIGN
 *
 * Who runs where. The master is the program that calls pool_create; any of
 * its threads may make calls and wait on futures. pool_create maps a shared
 * region (queue.c), then forks one supervisor process (supervise.c), which
 * forks the N workers (worker.c) and is their parent. The master keeps one
 * thread per pool, the watcher, which sleeps in poll() on a pipe that ends
 * when the supervisor does, and on an eventfd.
 *
 *   master threads --put--> [ shared ring of call slots ] <--claim-- workers
 *        ^                        |  DONE + futex wake            |
 *        +------------------------+                               |
 *   supervisor: waits for workers (it is their parent), fails the
 *   call a dead one held, starts a new one; watches the master.
 *
 * A call. pool_submit encodes the arguments, and under the pool's lock fills
 * the next slot of the ring and marks it QUEUED (pool__put): one store, a
 * counter bump, and a futex wake only if a worker sleeps. It never waits.
 * A free worker claims the oldest QUEUED call itself with one compare-and-
 * swap that also records which worker holds it. So the next call always
 * goes to whichever worker frees up first: no hand-out, nothing to tune,
 * and nothing the trace can change.
 *
 * How a future completes. The worker writes the result into the slot (or a
 * blob beside it, for big ones), its trace record into its own buffer, then
 * marks the slot DONE and wakes waiters on the slot's futex word. A thread
 * in future_wait spins briefly on the slot, then sleeps on that word; once
 * DONE, it takes the result into the future (harvest) and frees the slot.
 * Results nobody waits for are harvested when their slot is needed again.
 *
 * A full ring. If the slot for the next call still holds a call that has not
 * ended (more than POOL__RING calls out), the call waits on the master's
 * overflow list, and workers poke the watcher thread on every finish until
 * the list is empty; the watcher puts waiting calls as slots free up.
 *
 * When a worker dies (segfault, abort, exit, kill -9, at any instant). The
 * supervisor, its parent, is told by the kernel (SIGCHLD), reads how it
 * ended, finds the one slot held by that worker and fails it with a
 * WorkerDied error naming the signal or status; calls not begun are never
 * held, so nothing else is touched. It then starts a new worker. If none can
 * be started and none is left, queued calls fail and it tries again later.
 *
 * Stopping. pool_close: no more calls; workers leave when the queue is
 * empty, the supervisor when they have gone; pool_join waits for the
 * supervisor (the end of its pipe). pool_terminate: the supervisor kills the workers,
 * fails every unfinished call as terminated, and exits. When the master
 * ends in any way (even SIGKILL), the supervisor sees the end of a pipe only
 * the master held, records the
 * unfinished calls as terminated, writes what records workers held, and ends
 * the workers and whatever their tasks left running (it is a subreaper).
 * Workers also die with the supervisor (PR_SET_PDEATHSIG; it has one thread).
 *
 * The fork rule. The supervisor is forked by pool_create, from whatever
 * thread calls it; it is single-threaded from then on and forks the workers,
 * so no worker ever copies a lock held by another thread. A child touches
 * only the shared region, its task functions and libc. In any child of a
 * fork (the program's own included) the pools of the parent are let go:
 * their descriptors closed, their regions unmapped (pthread_atfork), so no
 * pool is held by another pool's workers. A task that uses a pool it
 * inherited gets a PoolError instead.
 *
 * The transport seam. Futures and maps speak to the queue only through
 * put, claim, finish and fail (queue.c). Over MPI (workers on other
 * machines, which ask the master for work), claim becomes a request
 * message answered with the call, finish a result message, and a rank that
 * fails is the death the supervisor reports here; futures do not change.
 *
 * Locks. pool->lock guards the master's side: the ring's tail and who owns
 * each slot, the overflow list, the futures' fields, the pool's state. The
 * shared region is changed only by atomic steps (queue.c); the blob
 * allocator has a robust process-shared lock of its own.
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
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "master.h"

/* Live pools of this process, for exit() and for fork. */
static pthread_mutex_t pools_lock = PTHREAD_MUTEX_INITIALIZER;
static pool **pools;
static int npools;

static void *watcher_main(void *arg);

/* Worker count. ------------------------------------------------------------ */

int pool_default_size(void)
{
    const char *s = getenv("POOL_WORKERS");
    if (s != NULL && *s != '\0') {
        char *end;
        errno = 0;
        long n = strtol(s, &end, 10);
        if (errno || *end != '\0' || n < 1 || n > POOL_MAX_WORKERS) {
            pool__set_error("POOL_WORKERS=%s is not a worker count "
                            "(a whole number from 1 to %d)", s, POOL_MAX_WORKERS);
            errno = EINVAL;
            return -1;
        }
        return (int)n;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    return cpus > POOL_MAX_WORKERS ? POOL_MAX_WORKERS : (int)cpus;
}

int pool_size(const pool *p) { return p ? p->n : 0; }

/* stdout. ------------------------------------------------------------------ */

/* Master and worker lines must come out as they happen, even through a pipe,
 * and each once: stdout is line buffered in the master and in every worker,
 * and a worker drops the copy of the master's unwritten bytes that fork gave
 * it (the master writes them itself, when their line ends). */

/* Once a program: line buffering for the master's stdout. glibc resets its
 * buffer pointers only for setvbuf with a buffer of our own, and that
 * flushes first; a line the program has begun is kept back from the flush
 * and put in the new buffer, so that no worker's line can split it. */
static void master_stdout(void)
{
    static char buf[BUFSIZ];
    char tail[512];
    size_t n = 0;
    flockfile(stdout);
#ifdef __GLIBC__
    char *base = stdout->_IO_write_base, *ptr = stdout->_IO_write_ptr;
    if (base != NULL && ptr > base) {
        char *nl = memrchr(base, '\n', (size_t)(ptr - base));
        char *from = nl ? nl + 1 : base;
        if ((size_t)(ptr - from) <= sizeof tail) {
            n = (size_t)(ptr - from);
            memcpy(tail, from, n);
            stdout->_IO_write_ptr = from;
        }
    }
#endif
    fflush(stdout);
    setvbuf(stdout, buf, _IOLBF, sizeof buf);
    fwrite(tail, 1, n, stdout);
    funlockfile(stdout);
}

/* The trace's path for a new pool, from $POOL_TRACE: the first pool of a
 * program writes to that path; each later one, in this process or in any
 * process forked from it (a pool made inside a task), writes to it with
 * "-n" before its extension (trace.csv, trace-2.csv, ...). The count lives
 * in a page shared with those processes. False when $POOL_TRACE is unset. */
static bool env_trace_path(char *buf, size_t size)
{
    static _Atomic unsigned *made;
    static pthread_mutex_t made_lock = PTHREAD_MUTEX_INITIALIZER;
    const char *path = getenv("POOL_TRACE");
    if (path == NULL || *path == '\0')
        return false;
    pthread_mutex_lock(&made_lock);
    if (made == NULL) {
        void *m = mmap(NULL, sizeof *made, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        made = m == MAP_FAILED ? calloc(1, sizeof *made) : m;
    }
    pthread_mutex_unlock(&made_lock);
    if (made == NULL)
        return false;
    unsigned n = atomic_fetch_add(made, 1) + 1;
    if (n == 1) {
        snprintf(buf, size, "%s", path);
        return true;
    }
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    if (dot == NULL || dot == (slash ? slash + 1 : path))
        dot = path + strlen(path);
    snprintf(buf, size, "%.*s-%u%s", (int)(dot - path), path, n, dot);
    return true;
}

/* POOL_FAULT=crash:ID,error:ID,spawn:N (see runtime/README.md): faults on
 * purpose, for tests and graders. Anything else in it is reported once. */
static void read_faults(pool__shared *sh)
{
    const char *s = getenv("POOL_FAULT");
    if (s == NULL || *s == '\0')
        return;
    int ncrash = 0, nerror = 0;
    char *copy = strdup(s), *save = NULL;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(t, ':'), *end;
        unsigned long long v = colon ? strtoull(colon + 1, &end, 10) : 0;
        if (colon == NULL || *end != '\0' || v == 0) {
            fprintf(stderr, "pool: warning: POOL_FAULT: '%s' is not kind:number\n", t);
            continue;
        }
        *colon = '\0';
        if (strcmp(t, "crash") == 0 && ncrash < 8)
            sh->fault_crash[ncrash++] = v;
        else if (strcmp(t, "error") == 0 && nerror < 8)
            sh->fault_error[nerror++] = v;
        else if (strcmp(t, "spawn") == 0)
            sh->fault_spawn = v > INT32_MAX ? INT32_MAX : (int32_t)v;
        else
            fprintf(stderr, "pool: warning: POOL_FAULT: '%s' is not crash, error or spawn "
                    "(at most 8 of each)\n", t);
    }
    free(copy);
}

/* Fork. -------------------------------------------------------------------- */

/* The pool being forked by this thread (its supervisor keeps it). */
static _Thread_local const pool__shared *forking;

static void atfork_prepare(void) { pthread_mutex_lock(&pools_lock); }
static void atfork_parent(void) { pthread_mutex_unlock(&pools_lock); }
static void atfork_child(void)
{
    /* Other threads are gone; the lock was taken by this thread. */
    pthread_mutex_unlock(&pools_lock);
    pool__self = getpid();
    pool__forked = pool__in_worker;     /* a task's fork, not a worker */
    pool__forget_pools(forking);
}

void pool__forget_pools(const pool__shared *keep)
{
    for (int i = 0; i < npools; i++) {
        pool *p = pools[i];
        if (p->sh == keep || p->sh == NULL)
            continue;
        /* Unmapping makes p unusable here: pool__foreign says so first. */
        if (p->sup_fd >= 0)
            close(p->sup_fd);
        if (p->life_fd >= 0)
            close(p->life_fd);
        if (p->ctl_fd >= 0)
            close(p->ctl_fd);
        if (p->sh->ev_fd >= 0)
            close(p->sh->ev_fd);
        pool__shared_unmap(p->sh);
        p->sh = NULL;
        p->sup_fd = p->ctl_fd = p->life_fd = -1;
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
        uint64_t one = 1;
        if (write(p->ctl_fd, &one, sizeof one) < 0) {
            /* it is gone already */
        }
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

static void pools_add(pool *p)
{
    static bool registered;
    pthread_mutex_lock(&pools_lock);
    pool **grown = realloc(pools, (size_t)(npools + 1) * sizeof *pools);
    if (grown) {
        pools = grown;
        pools[npools++] = p;
    }
    if (!registered) {
        registered = atexit(pools_at_exit) == 0;
        pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
        catch_end_signals();
    }
    pthread_mutex_unlock(&pools_lock);
    sig_pools_set(NULL, p);
}

static void pools_remove(pool *p)
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
        pools_remove(p);
        pool_terminate(p);
    }
}

pid_t pool__self;

bool pool__foreign(const pool *p, const char *what)
{
    if (p->creator == pool__self && p->sh != NULL)
        return false;
    if (pool__in_worker)
        pool_raise("PoolError", "%s: a task cannot use its own pool (or any pool it "
                   "inherited); make a new pool inside the task if it needs one", what);
    pool__set_error("%s: this pool belongs to process %d, not to this one",
                    what, (int)p->creator);
    errno = EPERM;
    return true;
}

/* Pool. -------------------------------------------------------------------- */

static void pool_free(pool *p)
{
    if (p->ctl_fd >= 0)
        close(p->ctl_fd);
    if (p->sup_fd >= 0)
        close(p->sup_fd);
    if (p->life_fd >= 0)
        close(p->life_fd);
    if (p->sh) {
        if (p->sh->ev_fd >= 0)
            close(p->sh->ev_fd);
        pool__shared_unmap(p->sh);
    }
    pthread_cond_destroy(&p->moved);
    pthread_mutex_destroy(&p->lock);
    free(p->owner);
    free(p->trace_path);
    free(p);
}

pool *pool_create(int n)
{
    if (n < 0 || n > POOL_MAX_WORKERS) {
        pool__set_error("%d is not a worker count "
                        "(0 for the default, or 1 to %d)", n, POOL_MAX_WORKERS);
        errno = EINVAL;
        return NULL;
    }
    if (n == 0 && (n = pool_default_size()) < 0)
        return NULL;

    pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        goto fail_early;
    p->ctl_fd = p->sup_fd = p->life_fd = -1;
    p->n = n;
    pool__self = getpid();  /* then kept by the fork handler */
    p->creator = pool__self;
    p->next_id = 1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->moved, &ca);
    pthread_condattr_destroy(&ca);
    p->owner = calloc(POOL__RING, sizeof *p->owner);
    p->sh = pool__shared_map(n);
    if (p->owner == NULL || p->sh == NULL)
        goto fail;
    pool__shared *sh = p->sh;
    sh->t0 = pool__now();
    sh->master = getpid();
    sh->ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    p->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (sh->ev_fd < 0 || p->ctl_fd < 0)
        goto fail;
    read_faults(sh);

    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, master_stdout);

    char trace[PATH_MAX];
    if (env_trace_path(trace, sizeof trace) && pool_trace_open(p, trace) == -1) {
        static atomic_flag warned = ATOMIC_FLAG_INIT;   /* once a program */
        if (!atomic_flag_test_and_set(&warned))
            fprintf(stderr, "pool: warning: %s; running without a trace\n",
                    pool_last_error());
    }

    pools_add(p);   /* before the fork: the child must know which pool it keeps */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    fflush(stderr);
    /* Two pipes tell each side that the other has ended: only the master
     * holds life's write end, only the supervisor holds sup's. */
    int life[2], sup[2];
    if (pipe2(life, O_CLOEXEC) == -1)
        goto fail_fork;
    if (pipe2(sup, O_CLOEXEC) == -1) {
        int e = errno;
        close(life[0]);
        close(life[1]);
        errno = e;
        goto fail_fork;
    }
    forking = sh;       /* the supervisor keeps it so, for its own forks */
    pid_t pid = fork();
    if (pid == 0) {
        close(life[1]);
        close(sup[0]);
        pool__supervise(sh, p->ctl_fd, life[0], sup[1], &old);
    }
    forking = NULL;
    int e = errno;
    close(life[0]);
    close(sup[1]);
    if (pid < 0) {
        close(life[1]);
        close(sup[0]);
        errno = e;
        goto fail_fork;
    }
    p->sup_pid = pid;
    p->life_fd = life[1];
    p->sup_fd = sup[0];
    /* Wait for the first workers, as Pool() does: a pool that returns has
     * its N processes (or a reason why not). */
    while (atomic_load(&sh->ready) == 0) {
        struct pollfd gone = {.fd = p->sup_fd, .events = POLLIN};
        if (poll(&gone, 1, 0) == 1 && atomic_load(&sh->ready) == 0) {
            sh->start_errno = ECHILD;
            break;
        }
        pool__futex_wait(&sh->ready, 0, 0.05);
    }
    if (atomic_load(&sh->ready) != 1) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        e = sh->start_errno;
        waitpid(pid, NULL, 0);
        pools_remove(p);
        pool__set_error("cannot start the workers of a pool of %d: %s", n, strerror(e));
        pool_free(p);
        errno = e;
        return NULL;
    }
    /* The watcher takes no signals: they belong to the program's threads. */
    e = pthread_create(&p->thread, NULL, watcher_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        pool__set_error("cannot start the pool's watcher thread: %s", strerror(e));
        pools_remove(p);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        pool_free(p);
        errno = e;
        return NULL;
    }
    p->thread_started = true;
    return p;

fail_fork:
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pools_remove(p);
fail:;
    int err = errno;
    pool__set_error("cannot set up a pool of %d workers: %s", n, strerror(err));
    if (p)
        pool_free(p);
    errno = err;
    return NULL;
fail_early:
    pool__set_error("cannot set up a pool: out of memory");
    errno = ENOMEM;
    return NULL;
}



/* Tell the supervisor to look at the state. */
static void poke(int fd)
{
    uint64_t one = 1;
    if (fd >= 0 && write(fd, &one, sizeof one) < 0) {
        /* the counter is full or the supervisor is gone: it looks anyway */
    }
}

/* p->lock held. Move the pool to state st (never back). */
static void set_state(pool *p, int st)
{
    if (p->state >= st)
        return;
    p->state = st;
    atomic_store(&p->sh->state, (uint32_t)st);
    atomic_fetch_add(&p->sh->work, 1);
    pool__futex_wake(&p->sh->work, INT_MAX);    /* sleeping workers look again */
    poke(p->ctl_fd);
}

void pool_close(pool *p)
{
    if (p == NULL || pool__foreign(p, "pool_close"))
        return;
    pthread_mutex_lock(&p->lock);
    set_state(p, POOL_CLOSED);
    pthread_mutex_unlock(&p->lock);
}

/* Wait for the watcher thread: it ends when the supervisor has gone. */
static void thread_join(pool *p)
{
    if (p->thread_started && !p->thread_joined) {
        pthread_join(p->thread, NULL);
        p->thread_joined = true;
    }
}

int pool_join(pool *p)
{
    if (p == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (pool__foreign(p, "pool_join"))
        return -1;
    pthread_mutex_lock(&p->lock);
    bool running = p->state == POOL_RUNNING;
    pthread_mutex_unlock(&p->lock);
    if (running) {
        pool__set_error("pool_join waits for a closed pool: call pool_close first");
        errno = EINVAL;
        return -1;
    }
    thread_join(p);
    return 0;
}

void pool_terminate(pool *p)
{
    if (p == NULL || pool__foreign(p, "pool_terminate"))
        return;
    pthread_mutex_lock(&p->lock);
    set_state(p, POOL_TERMINATING);
    pthread_mutex_unlock(&p->lock);
    thread_join(p);
}

void pool_destroy(pool *p)
{
    if (p == NULL || pool__foreign(p, "pool_destroy"))
        return;
    pools_remove(p);
    pool_terminate(p);
    pthread_mutex_lock(&p->lock);
    while (p->all)
        pool__release(p->all);
    pthread_mutex_unlock(&p->lock);
    pool_free(p);
}

/* Calls. ------------------------------------------------------------------- */

/* Write a record of f, which ended in the master, to the trace. */
static void trace_here(pool *p, future *f, const char *err)
{
    if (!atomic_load(&p->sh->trace_gen))
        return;
    pool__call c = {.id = f->id, .nitems = f->nitems, .first = f->first,
                    .submit = f->submit, .start = f->start, .end = f->end,
                    .pid = f->pid, .worker = f->worker, .status = (uint32_t)f->status};
    memcpy(c.name, f->name, sizeof c.name);
    pool__buf b = {0};
    pool__trace_format(&b, p->sh, &c, err);
    pool__trace_write(p->sh, b.data, b.len);
    pool__buf_free(&b);
}

/* The strings of v, copied into one block owned by f. */
static void keep_result(future *f, pool_value v)
{
    size_t need = 0;
    if (v.kind == POOL_STR)
        need = strlen(v.as.s) + 1;
    else if (v.kind == POOL_ERROR)
        need = strlen(v.as.err.type) + strlen(v.as.err.msg) + 2;
    if (need) {
        f->data = malloc(need);
        if (f->data == NULL)
            pool__die("out of memory");
        if (v.kind == POOL_STR) {
            memcpy(f->data, v.as.s, need);
            v.as.s = f->data;
        } else {
            size_t t = strlen(v.as.err.type) + 1;
            memcpy(f->data, v.as.err.type, t);
            strcpy(f->data + t, v.as.err.msg);
            v.as.err.type = f->data;
            v.as.err.msg = f->data + t;
        }
    }
    f->result = v;
}

static pool_value value_dup(pool_value v)
{
    if (v.kind == POOL_STR) {
        v.as.s = strdup(v.as.s);
        if (v.as.s == NULL)
            pool__die("out of memory");
    } else if (v.kind == POOL_ERROR) {
        v = pool_error(v.as.err.type, "%s", v.as.err.msg);
    }
    return v;
}

/* p->lock held. f is done: wake whoever waits, free it if nobody will. */
static void done(pool *p, future *f)
{
    f->done = true;
    pool__buf_free(&f->args);
    pthread_cond_broadcast(&p->moved);
    if (f->user_gone)
        pool__release(f);
}

void pool__complete_here(pool *p, future *f, int st, const char *type, const char *msg)
{
    f->status = st;
    f->start = f->end = pool__now();
    char err[1200];
    snprintf(err, sizeof err, "%s: %s", type, msg);
    trace_here(p, f, err);
    pool_value v = {.kind = POOL_ERROR, .as.err = {type, msg}};
    if (f->out) {
        for (uint32_t i = 0; i < f->nitems; i++)
            f->out[i] = value_dup(v);
        f->failed = (int)f->nitems;
    }
    keep_result(f, v);
    done(p, f);
}

void pool__harvest(pool *p, future *f)
{
    pool__shared *sh = p->sh;
    pool__call *c = pool__slot(sh, f->seq);
    f->status = (int)c->status;
    f->start = c->start;
    f->end = c->end;
    f->pid = c->pid;
    f->worker = c->worker;
    void *map;
    const char *bytes = pool__payload_get(sh, c, &c->result, &map);
    pool__rd r = {.p = bytes, .left = c->result.len};
    if (f->out && (c->flags & POOL__RAW_RESULT)) {
        /* A chunk whose results are all numbers: copied as they are. */
        memcpy(f->out, bytes, (size_t)f->nitems * sizeof *f->out);
        keep_result(f, pool_none());
        r.left = 0;
    } else if (f->out) {
        /* A chunk: one value per input, or one error for all of them when
         * the chunk itself ended (crash, terminate). */
        bool each = f->status == ST_OK || f->status == ST_ERROR;
        pool_value v = pool_none();
        for (uint32_t i = 0; i < f->nitems; i++) {
            if (each || i == 0)
                v = pool__rd_value(&r);
            f->out[i] = value_dup(v);
            f->failed += v.kind == POOL_ERROR;
        }
        keep_result(f, each ? pool_none() : v);
    } else {
        keep_result(f, pool__rd_value(&r));
    }
    if (r.bad)
        pool__die("call %llu came back garbled", (unsigned long long)f->id);
    pool__payload_done(&c->result, map);
    pool__payload_free(sh, &c->result);
    p->owner[f->seq & (POOL__RING - 1)] = NULL;
    atomic_store(&c->state, POOL__STATE(f->seq, CALL_FREE, 0));
    done(p, f);
}

/* p->lock held. Put f into the ring if the next slot is free (harvesting a
 * DONE call that left it); false if the ring is full there. */
static bool put(pool *p, future *f)
{
    pool__shared *sh = p->sh;
    uint64_t seq = atomic_load_explicit(&sh->tail, memory_order_relaxed);
    pool__call *c = pool__slot(sh, seq);
    uint64_t s = atomic_load(&c->state);
    future *old = p->owner[seq & (POOL__RING - 1)];
    if (old != NULL) {
        if (POOL__ST(s) != CALL_DONE)
            return false;
        pool__harvest(p, old);
    }
    c->id = f->id;
    c->fn = (uint64_t)(uintptr_t)f->fn;
    c->nitems = f->nitems;
    c->argc = f->argc;
    c->first = f->first;
    c->submit = f->submit;
    memcpy(c->name, f->name, sizeof c->name);
    c->flags = f->raw ? POOL__RAW_ARGS : 0;
    c->result = (pool__payload){0};
    if (pool__payload_put(sh, c, &c->args, f->args.data, f->args.len) == -1) {
        char msg[200];
        snprintf(msg, sizeof msg, "the arguments (%zu bytes) cannot be sent: %s",
                 f->args.len, strerror(errno));
        pool__complete_here(p, f, ST_ERROR, "MemoryError", msg);
        return true;
    }
    pool__buf_free(&f->args);
    f->seq = seq;
    p->owner[seq & (POOL__RING - 1)] = f;
    pool__put(sh);
    return true;
}

/* p->lock held. Put what waits on the overflow list, in order, while the
 * ring has room. */
static void pump(pool *p)
{
    while (p->ovf_head && put(p, p->ovf_head)) {
        future *f = p->ovf_head;
        p->ovf_head = f->onext;
        if (p->ovf_head == NULL)
            p->ovf_tail = NULL;
        f->onext = NULL;
        pthread_cond_broadcast(&p->moved);
    }
    atomic_store(&p->sh->want_done, p->ovf_head != NULL);
}

void pool__enqueue(pool *p, future *f)
{
    if (p->ovf_head == NULL && put(p, f))
        return;
    if (p->ovf_tail)
        p->ovf_tail->onext = f;
    else
        p->ovf_head = f;
    p->ovf_tail = f;
    atomic_store(&p->sh->want_done, 1);
    pump(p);    /* a slot may have freed since */
}

void pool__release(future *f)
{
    pool *p = f->p;
    if (f->prev)
        f->prev->next = f->next;
    else
        p->all = f->next;
    if (f->next)
        f->next->prev = f->prev;
    if (f->seq && !f->done && p->owner[f->seq & (POOL__RING - 1)] == f)
        p->owner[f->seq & (POOL__RING - 1)] = NULL;     /* the pool is gone */
    pool__buf_free(&f->args);
    free(f->data);
    free(f);
}

future *pool__submit(pool *p, pool_fn fn, const char *name, const pool_value *args,
                     int count, uint32_t nitems, uint64_t first, pool_value *out)
{
    future *f = malloc(sizeof *f);
    if (f == NULL) {
        pool__set_error("out of memory");
        errno = ENOMEM;
        return NULL;
    }
    memset(f, 0, offsetof(future, name));
    memset((char *)f + offsetof(future, name) + sizeof f->name, 0,
           sizeof *f - offsetof(future, name) - sizeof f->name);
    if (name == NULL || *name == '\0')
        name = "?";
    size_t len = strnlen(name, sizeof f->name - 1);
    memcpy(f->name, name, len);
    memset(f->name + len, 0, sizeof f->name - len);
    f->p = p;
    f->fn = fn;
    f->worker = -1;
    f->nitems = nitems;
    f->first = first;
    f->out = out;
    f->argc = nitems ? 0 : (uint32_t)count;
    /* Encoded now, outside the lock: the caller may reuse its strings at
     * once. A chunk of numbers goes as its pool_values, as they are. */
    int n = nitems ? (int)nitems : count;
    f->raw = nitems > 0;
    for (int i = 0; i < n && f->raw; i++)
        f->raw = args[i].kind == POOL_INT || args[i].kind == POOL_DOUBLE ||
                 args[i].kind == POOL_NONE;
    if (f->raw) {
        pool__buf_put(&f->args, args, (size_t)n * sizeof *args);
    } else {
        pool__buf_reserve(&f->args, pool__values_size(args, n));
        for (int i = 0; i < n; i++)
            pool__buf_put_value(&f->args, args[i]);
    }

    pthread_mutex_lock(&p->lock);
    f->id = p->next_id++;
    f->submit = pool__now();
    f->next = p->all;
    if (p->all)
        p->all->prev = f;
    p->all = f;
    if (p->broken)
        pool__complete_here(p, f, ST_ERROR, "PoolError",
                            "the pool's supervisor process died; the pool cannot run calls");
    else if (p->state != POOL_RUNNING)
        pool__complete_here(p, f, ST_ERROR, "ValueError",
                            "the pool is not running (closed or terminated)");
    else
        pool__enqueue(p, f);
    pthread_mutex_unlock(&p->lock);
    return f;
}

future *pool_submit(pool *p, pool_fn fn, const char *name,
                    const pool_value *args, int count)
{
    if (p == NULL && pool__in_worker)
        pool_raise("PoolError", "pool_submit: no pool (NULL). A task cannot use its own "
                   "pool: its workers started before pool_create returned it. Make a new "
                   "pool inside the task if it needs one");
    if (p == NULL || fn == NULL || count < 0 || count > POOL_MAX_ARGS ||
        (count > 0 && args == NULL)) {
        if (count > POOL_MAX_ARGS)
            pool__set_error("%d arguments for %s: at most %d go in one call",
                            count, name ? name : "a call", POOL_MAX_ARGS);
        else
            pool__set_error("%s", p == NULL ? "no pool" :
                            fn == NULL ? "no function" : "a bad argument list");
        errno = EINVAL;
        return NULL;
    }
    if (pool__foreign(p, "pool_submit"))
        return NULL;
    return pool__submit(p, fn, name, args, count, 0, 0, NULL);
}

/* The watcher thread. ------------------------------------------------------ */

/* The supervisor has gone. If the pool was not ending, that is a fault
 * (someone killed it): end the workers it left, fail every call. */
static void supervisor_gone(pool *p)
{
    pool__shared *sh = p->sh;
    waitpid(p->sup_pid, NULL, 0);   /* it has ended (ECHILD if the program reaped it) */
    pthread_mutex_lock(&p->lock);
    p->sup_gone = true;
    if (p->state == POOL_RUNNING || atomic_load(&sh->live) > 0 ||
        atomic_load(&sh->head) < atomic_load(&sh->tail)) {
        for (int i = 0; i < sh->n; i++) {
            pid_t pid = atomic_load(&sh->w[i].pid);
            if (pid > 0)
                kill(pid, SIGKILL);     /* they die with it anyway (PDEATHSIG) */
        }
    }
    /* A supervisor that leaves a closed pool has finished every call. */
    bool unfinished = false;
    uint64_t tail = atomic_load(&sh->tail);
    for (uint64_t seq = tail > POOL__RING ? tail - POOL__RING : 1; seq < tail; seq++) {
        uint64_t s = atomic_load(&pool__slot(sh, seq)->state);
        unfinished |= POOL__SEQ(s) == seq && POOL__ST(s) < CALL_DONE && POOL__ST(s) > CALL_FREE;
    }
    bool fault = p->state == POOL_RUNNING ||
                 (p->state == POOL_CLOSED && (unfinished || p->ovf_head));
    char msg[200] = "the pool was terminated before the task started";
    if (fault)
        snprintf(msg, sizeof msg, "the pool's supervisor process (pid %d) died; "
                 "its workers were ended", (int)p->sup_pid);
    for (uint64_t seq = tail > POOL__RING ? tail - POOL__RING : 1; seq < tail; seq++) {
        uint64_t s = atomic_load(&pool__slot(sh, seq)->state);
        if (POOL__SEQ(s) != seq)
            continue;
        int st = POOL__ST(s);
        if (st == CALL_QUEUED || st == CALL_HELD || st == CALL_FINISHING) {
            if (!fault)
                snprintf(msg, sizeof msg, "the pool was terminated before the task %s",
                         st == CALL_QUEUED ? "started" : "finished");
            pool__fail(sh, seq, fault ? ST_CRASH : ST_TERMINATED,
                       fault ? "PoolError" : "Terminated", msg);
        }
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

static void *watcher_main(void *arg)
{
    pool *p = arg;
    for (;;) {
        struct pollfd pfd[2] = {
            {.fd = p->sup_fd, .events = POLLIN},
            {.fd = p->sh->ev_fd, .events = POLLIN},
        };
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            pool__die("poll: %s", strerror(errno));
        }
        if (pfd[1].revents) {
            uint64_t v;
            while (read(p->sh->ev_fd, &v, sizeof v) > 0)
                ;
            pthread_mutex_lock(&p->lock);
            pump(p);
            pthread_mutex_unlock(&p->lock);
        }
        if (pfd[0].revents) {
            supervisor_gone(p);
            return NULL;
        }
    }
}

/* Tracing. ----------------------------------------------------------------- */

/* Any pool of this process whose trace is the file st describes. */
static bool trace_in_use(const pool *self, const struct stat *st)
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

int pool_trace_open(pool *p, const char *path)
{
    if (p == NULL || path == NULL || *path == '\0') {
        pool__set_error("no pool or no trace path");
        errno = EINVAL;
        return -1;
    }
    if (pool__foreign(p, "pool_trace_open"))
        return -1;
    /* Non-blocking, so that a FIFO with no reader cannot hold us here. */
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0644);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        close(fd);
        pool__set_error("cannot write the trace %s: not a regular file", path);
        errno = EINVAL;
        return -1;
    }
    if (fd < 0) {
        int e = errno;
        pool__set_error("cannot write the trace %s: %s", path,
                        e == ENXIO ? "a FIFO with no reader (not a regular file)" : strerror(e));
        errno = e;
        return -1;
    }
    if (trace_in_use(p, &st)) {
        close(fd);
        pool__set_error("cannot write the trace %s: another pool writes it", path);
        errno = EBUSY;
        return -1;
    }
    char *abs = realpath(path, NULL);
    if (abs == NULL || strlen(abs) >= sizeof p->sh->trace_path) {
        int e = abs ? ENAMETOOLONG : errno;
        free(abs);
        close(fd);
        pool__set_error("cannot write the trace %s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    static const char head[] = "# pool-trace v1\n"
        "task,function,pid,worker,submit_s,start_s,end_s,status,error\n";
    if (ftruncate(fd, 0) == -1 || write(fd, head, sizeof head - 1) != sizeof head - 1) {
        int e = errno;
        free(abs);
        close(fd);
        pool__set_error("cannot write the trace %s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    close(fd);
    pthread_mutex_lock(&p->lock);
    free(p->trace_path);
    p->trace_path = abs;
    /* Processes reopen it by name when the generation changes; a record
     * being written as it changes goes to the old file. */
    memcpy(p->sh->trace_path, abs, strlen(abs) + 1);
    atomic_fetch_add(&p->sh->trace_gen, 1);
    pthread_mutex_unlock(&p->lock);
    return 0;
}
