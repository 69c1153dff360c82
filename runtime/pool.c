/*
 * pool.c - a pool: its processes, its calls, its life.
 *
 * DESIGN
 *
 * Who runs where. The master is the program that calls pool_create; any of
 * its threads may make calls and wait on futures. pool_create maps a shared
 * region (its layout in shared.h; queue.c makes it), then forks one
 * supervisor process (supervise.c), which forks the N workers (worker.c)
 * and is their parent. The master keeps one thread per pool, the watcher,
 * which sleeps in poll() on a pipe that ends when the supervisor does, and
 * on an eventfd.
 *
 *   master threads --put--> [ shared ring of call slots ] <--claim-- workers
 *        ^                        |  DONE + futex wake            |
 *        +------------------------+                               |
 *   supervisor: waits for workers (it is their parent), fails the
 *   call a dead one held, starts a new one; watches the master.
 *
 * A call. pool_submit encodes the arguments (calls.c; a call's time limit,
 * retries and the public call that made it come down to pool__submit in a
 * struct pool__call_opts), keeps the call's event for the trace (its API,
 * function and arguments, written some KiB at a time: tracefile.c), and
 * under the pool's lock fills the next slot of the ring and marks it QUEUED
 * (pool__put): one store, a counter bump, and a futex wake only if no
 * worker spins for work, one sleeps, and no wake is on its way already (a
 * map's chunks are put as one batch, with one wake). It never waits. A free
 * worker claims the oldest QUEUED call itself with one compare-and-swap
 * that also records which worker holds it. So the next call always goes to
 * whichever worker frees up first: no hand-out, nothing to tune, and
 * nothing the trace can change. Who spins and who sleeps is per-worker
 * state that the supervisor clears when it reaps a worker, and sleepers
 * look again every 0.2 s anyway (queue.c), so no death or stop of a worker
 * leaves calls waiting.
 *
 * How a future completes. The worker encodes the result once, into the slot
 * (small ones) or an extent of the pool's shared memory (blob.c), its trace
 * record (trace.c) into its own buffer (tracefile.c), then marks the slot
 * DONE and wakes waiters on the slot's futex word. A thread in future_wait
 * spins briefly on the slot, then sleeps on that word; once DONE, it takes
 * the result into the future (harvest) and frees the slot. Results nobody
 * waits for are harvested when their slot is needed again.
 *
 * Walls. Processes exist so that one task's bug cannot reach another call,
 * and shared memory must not undo that. A task never holds a writable
 * pointer into memory that another call or the pool reads: small arguments
 * are its own copy (room.c), large ones a read-only view (blob.c); the
 * rooms it writes bytes into are its worker's own memory, each ending at a
 * guard page (room.c), copied once into shared memory when it returns. The
 * master checks every payload's place and every result's encoding before
 * it uses them (blob.c, calls.c): garbage fails that call, never the
 * master. Descriptors are checked by identity before use (blob.c,
 * tracefile.c): a task that closes them and opens files of its own cannot
 * make the pool write those files.
 *
 * A full ring. If the slot for the next call still holds a call that has not
 * ended (more than POOL__RING calls out), the call waits on the master's
 * overflow list, and workers poke the watcher thread on every finish until
 * the list is empty; the watcher puts waiting calls as slots free up.
 *
 * When a worker dies (segfault, abort, exit, kill -9, at any instant). The
 * supervisor, its parent, is told by the kernel (SIGCHLD), reads how it
 * ended, finds the one slot held by that worker and fails it with a
 * WorkerDied error naming the signal or status, and where the worker was
 * (the backtrace its fatal-signal handler left, backtrace.c); calls not
 * begun are never held, so nothing else is touched. A call with retries
 * left (pool_set_retries) is queued again instead, in its own slot, ahead
 * of the calls not begun. It then starts a new worker. If none can
 * be started and none is left, queued calls fail and it tries again later.
 * A running call stopped on purpose (future_kill, a time limit) is such a
 * death, which the supervisor causes (supervise.c: it stops the worker,
 * checks that it still runs that call, kills it) and names: the call fails
 * Cancelled or Timeout.
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
 * The transport seam. Futures, maps, cancel, the watcher, the supervisor
 * and the workers speak to the queue only through the verbs of queue.h:
 * put and publish, claim, finish, fail, requeue, and questions about a call
 * (done, over, wait, queued, finishing, its runner or holder, cancel if
 * queued). Where a call is in its life is its slot's state word, which
 * only queue.c reads (make test checks it). Over MPI (workers on other
 * machines, which ask the master for work), claim becomes a request
 * message answered with the call, finish a result message, and a rank that
 * fails is the death the supervisor reports here; futures do not change.
 * The MPI build (runtime/mpi/, make MPI=1) keeps this file as it is: in a
 * pool of rank 0 (sh->remote) the transport thread claims each call with
 * these verbs, sends it to a station and finishes it with the answer; the
 * pool's worker processes only stand in for the calls (worker.c), so
 * that the supervisor stops one as ever, by killing its worker.
 *
 * Files. Each .c file declares what it gives the others in a header of
 * its own name (blob.h for blob.c, ...; master.h: the master's two structs
 * and pool.c's own), and includes the headers of what it uses.
 *
 * The master: pool.c: a pool's life (this file). calls.c: submit, put,
 * harvest, the overflow list. future.c: waiting for one future. wait.c:
 * waiting for several (a pool-wide futex word that finishes bump while
 * someone waits). map.c: pool_apply, pool_map and chunks. arraymap.c:
 * pool_map_array. imap.c: pool_imap_unordered, pool_map_async. cancel.c:
 * cancelling a call before it begins, asking the supervisor to stop one
 * that runs, pool_submit_limit. callback.c: callbacks, run on the watcher
 * thread. watch.c: the watcher thread. fork.c: the pools of a process
 * across fork, exit and signals. handle.c: what pool_destroy keeps to name
 * a later use.
 *
 * The supervisor and the workers: supervise.c: the supervisor process,
 * and stopping a running call on purpose (cancel, time limits). worker.c:
 * a worker's loop and what a task may call. room.c: a task's own guarded
 * memory. backtrace.c: where a dying worker was, and the names of its
 * frames; namer.c: naming them in a helper process, beside the supervisor.
 * fault.c: POOL_FAULT, faults on purpose (reading it, the checks, the
 * injection).
 *
 * Shared by all: shared.h: the region's layout. queue.c: the shared
 * region and the transport's verbs (declared in queue.h), waking workers.
 * blob.c: a call's bytes: extents of the shared memory, the window each
 * process maps it through once, payloads, kept results. trace.c: the
 * trace's lines (records, events, the header); tracefile.c: the trace
 * file (each process's descriptor, claimed ranges, a dead writer's
 * records). value.c, wire.c: values and their encoding. base.c: the last
 * error, the clock and the time scale (a leaf).
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
#include "base.h"
#include "callback.h"
#include "calls.h"
#include "fault.h"
#include "fork.h"
#include "future.h"
#include "handle.h"
#include "queue.h"
#include "remote.h"
#include "shared.h"
#include "supervise.h"
#include "tracefile.h"
#include "watch.h"
#include "wire.h"

/* Calls that run elsewhere: NULL unless the MPI build's transport is in
 * this process (runtime/mpi/: rank 0 of an mpirun under POOL_MPI). */
const pool__transport *pool__remote;
#ifdef POOL_MPI
/* The MPI build: link the transport, whose constructor sets pool__remote
 * (and turns the other ranks into stations before main). */
extern const char pool__mpi_linked;
__attribute__((used)) static const char *const mpi_linked = &pool__mpi_linked;
#endif

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

int pool_size(const pool *p) { return p && p->tomb != POOL__TOMB ? p->n : 0; }

const char *pool_version(void) { return POOL_VERSION; }

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

/* POOL_BACKTRACE=0|1|2: where a dying worker's backtrace goes (none; its
 * error message and the trace, the default; those and stderr). */
static int read_backtrace(void)
{
    const char *s = getenv("POOL_BACKTRACE");
    if (s == NULL || *s == '\0')
        return 1;
    if ((s[0] == '0' || s[0] == '1' || s[0] == '2') && s[1] == '\0')
        return s[0] - '0';
    static atomic_flag warned = ATOMIC_FLAG_INIT;   /* once a program */
    if (!atomic_flag_test_and_set(&warned))
        fprintf(stderr, "pool: warning: POOL_BACKTRACE=%s is not 0, 1 or 2; using 1\n", s);
    return 1;
}

/* Pool. -------------------------------------------------------------------- */

void pool__let_go(pool *p)
{
    if (p->ctl_fd >= 0)
        close(p->ctl_fd);
    if (p->sup_fd >= 0)
        close(p->sup_fd);
    if (p->life_fd >= 0)
        close(p->life_fd);
    if (p->event_fd >= 0)
        close(p->event_fd);
    if (p->ev_fd >= 0)
        close(p->ev_fd);
    p->event_fd = p->ev_fd = -1;
    if (p->sh) {
        pool__trace_calls_flush(p);
        pool__buf_free(&p->callev);
        pool__trace_forget(p->sh);
        pool__shared_unmap(p->sh);
    }
    p->sh = NULL;
    p->sup_fd = p->ctl_fd = p->life_fd = -1;
}

static void pool_free(pool *p)
{
    pool__let_go(p);
    pthread_cond_destroy(&p->moved);
    pthread_mutex_destroy(&p->lock);
    pool__spares_free(p);
    free(p->owner);
    free(p->trace_path);
    pool__pool_free(p);
}

int pool__fork_supervisor(pool *p)
{
    pool__shared *sh = p->sh;
    fflush(stderr);
    /* Two pipes tell each side that the other has ended: only the master
     * holds life's write end, only the supervisor holds sup's. */
    int life[2], sup[2];
    if (pipe2(life, O_CLOEXEC) == -1)
        return -1;
    if (pipe2(sup, O_CLOEXEC) == -1) {
        int e = errno;
        close(life[0]);
        close(life[1]);
        errno = e;
        return -1;
    }
    pool__forking = sh; /* the supervisor keeps it so, for its own forks */
    pid_t pid = fork();
    if (pid == 0) {
        close(life[1]);
        close(sup[0]);
        /* The master's ends: closed here, and ctl_fd in every worker. A
         * later fork in this tree (a task that makes a pool) must not close
         * these numbers again: they may name its own files by then. */
        int ctl = p->ctl_fd;
        p->life_fd = p->sup_fd = p->ctl_fd = -1;
        pool__supervise(sh, ctl, life[0], sup[1], &p->task_mask);
    }
    pool__forking = NULL;
    int e = errno;
    close(life[0]);
    close(sup[1]);
    if (pid < 0) {
        close(life[1]);
        close(sup[0]);
        errno = e;
        return -1;
    }
    if (p->life_fd >= 0)
        close(p->life_fd);
    if (p->sup_fd >= 0)
        close(p->sup_fd);
    p->sup_pid = pid;
    p->life_fd = life[1];
    p->sup_fd = sup[0];
    return 0;
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
    if (pool__check_time_scale() < 0)
        return NULL;

    pool *p = calloc(1, sizeof *p);
    bool remote = false;
    if (p && pool__remote) {
        /* One worker (a stand-in) for each worker elsewhere (0: a local
         * pool, in a process that has no transport). */
        int total = pool__remote->create(p, n);
        if (total < 0) {
            int e = errno;
            free(p);
            errno = e;
            return NULL;
        }
        remote = total > 0;
        n = remote ? total : n;
    }
    if (p == NULL)
        goto no_memory;
    p->ctl_fd = p->sup_fd = p->life_fd = p->event_fd = p->ev_fd = -1;
    p->n = n;
    pool__self = getpid();  /* then kept by the fork handler */
    p->creator = pool__self;
    p->next_id = 0;     /* ids count from 0, as programs number their calls */
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->moved, &ca);
    pthread_condattr_destroy(&ca);
    p->owner = calloc(POOL__RING, sizeof *p->owner);
    p->sh = pool__shared_map(n);
    if (p->owner == NULL || p->sh == NULL)
        goto free_pool;
    pool__shared *sh = p->sh;
    sh->t0 = pool__now();
    sh->master = getpid();
    p->serial = sh->serial;    /* the header as made: the watcher compares */
    p->ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    p->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->ev_fd < 0 || p->ctl_fd < 0)
        goto free_pool;
    pool__fault_read(sh);
    sh->backtrace = read_backtrace();
    if (remote) {
        sh->remote = 1;
        pool__remote->attach(p);
    }

    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, master_stdout);

    char trace[PATH_MAX];
    if (env_trace_path(trace, sizeof trace) && pool_trace_open(p, trace) == -1) {
        static atomic_flag warned = ATOMIC_FLAG_INIT;   /* once a program */
        if (!atomic_flag_test_and_set(&warned))
            fprintf(stderr, "pool: warning: %s; running without a trace\n",
                    pool_last_error());
    }

    pool__pools_add(p);   /* before the fork: the child must know which pool it keeps */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    p->task_mask = old;
    if (pool__fork_supervisor(p) == -1)
        goto unmask_unlist;
    pid_t pid = p->sup_pid;
    int e;
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
        pool__pools_remove(p);
        pool__set_error("cannot start the workers of a pool of %d: %s", n, strerror(e));
        pool_free(p);
        errno = e;
        return NULL;
    }
    /* The watcher takes no signals: they belong to the program's threads. */
    e = pthread_create(&p->thread, NULL, pool__watcher_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        pool__set_error("cannot start the pool's watcher thread: %s", strerror(e));
        pool__pools_remove(p);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        pool_free(p);
        errno = e;
        return NULL;
    }
    p->thread_started = true;
    return p;

unmask_unlist:     /* the signal mask, pool__pools_add */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pool__pools_remove(p);
free_pool:;
    int err = errno;
    pool__set_error("cannot set up a pool of %d workers: %s", n, strerror(err));
    if (p)
        pool_free(p);
    errno = err;
    return NULL;
no_memory:     /* nothing made yet */
    pool__set_error("cannot set up a pool: out of memory");
    errno = ENOMEM;
    return NULL;
}



/* Workers. ----------------------------------------------------------------- */

int pool_set_max_calls(pool *p, long n)
{
    if (p == NULL || n < 0) {
        pool__set_error("pool_set_max_calls needs a pool and a count of 0 or more");
        errno = EINVAL;
        return -1;
    }
    if (pool__foreign(p, "pool_set_max_calls"))
        return -1;
    atomic_store(&p->sh->max_calls, (uint64_t)n);
    return 0;
}

int pool_resize(pool *p, int n)
{
    if (p == NULL || n < 1 || n > POOL_MAX_WORKERS) {
        pool__set_error("pool_resize needs a pool and a worker count from 1 to %d",
                        POOL_MAX_WORKERS);
        errno = EINVAL;
        return -1;
    }
    if (pool__foreign(p, "pool_resize"))
        return -1;
    pthread_mutex_lock(&p->lock);
    if (p->state != POOL_RUNNING) {
        pthread_mutex_unlock(&p->lock);
        pool__set_error("pool_resize: the pool is closed or terminated");
        errno = EINVAL;
        return -1;
    }
    p->n = n;
    atomic_store(&p->sh->want, n);
    pthread_mutex_unlock(&p->lock);
    /* Workers that are to leave look at the size before each call; wake
     * the sleeping ones. The supervisor starts the new ones. */
    atomic_fetch_add(&p->sh->work, 1);
    pool__futex_wake(&p->sh->work, INT_MAX);
    pool__poke_supervisor(p);
    return 0;
}

void pool__poke_supervisor(const pool *p)
{
    uint64_t one = 1;
    if (write(p->ctl_fd, &one, sizeof one) < 0) {
        /* full: the supervisor reads it anyway; or it is gone */
    }
}

int pool_set_retries(pool *p, int n)
{
    if (p == NULL || n < 0 || n > POOL_MAX_RETRIES) {
        pool__set_error("pool_set_retries needs a pool and a count from 0 to %d",
                        POOL_MAX_RETRIES);
        errno = EINVAL;
        return -1;
    }
    if (pool__foreign(p, "pool_set_retries"))
        return -1;
    atomic_store(&p->sh->retries, (uint32_t)n);
    return 0;
}

int pool_initializer(pool *p, pool_fn fn, const char *name,
                     const pool_value *args, int count)
{
    if (p == NULL || fn == NULL || count < 0 || count > POOL_MAX_ARGS ||
        (count > 0 && args == NULL)) {
        pool__set_error("pool_set_initializer needs a pool, a function and its arguments");
        errno = EINVAL;
        return -1;
    }
    if (pool__foreign(p, "pool_set_initializer"))
        return -1;
    pool__buf b = {0};
    for (int i = 0; i < count; i++)
        pool__buf_put_value(&b, args[i]);
    pool__shared *sh = p->sh;
    if (b.len > sizeof sh->init_data) {
        pool__set_error("the initializer's arguments take %zu bytes: at most %zu go",
                        b.len, sizeof sh->init_data);
        pool__buf_free(&b);
        errno = E2BIG;
        return -1;
    }
    if (pthread_mutex_lock(&sh->init_lock) == EOWNERDEAD)
        pthread_mutex_consistent(&sh->init_lock);
    sh->init_fn = (uint64_t)(uintptr_t)fn;
    sh->init_argc = (uint32_t)count;
    sh->init_len = (uint32_t)b.len;
    if (b.len)
        memcpy(sh->init_data, b.data, b.len);
    snprintf(sh->init_name, sizeof sh->init_name, "%s", name && *name ? name : "?");
    atomic_fetch_add(&sh->init_gen, 1);
    pthread_mutex_unlock(&sh->init_lock);
    pool__buf_free(&b);
    if (pool__is_remote(sh))
        pool__remote->initializer(p);
    return 0;
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
    pool__share_state(p);
}

void pool__share_state(pool *p)
{
    /* Workers leave a closed pool when the ring is empty: not while calls
     * still wait on the overflow list to enter it (pool__pump tells them
     * once it is empty). */
    if (p->state == POOL_CLOSED && p->ovf_head != NULL)
        return;
    if (atomic_load(&p->sh->state) >= (uint32_t)p->state)
        return;
    atomic_store(&p->sh->state, (uint32_t)p->state);
    atomic_fetch_add(&p->sh->work, 1);
    pool__futex_wake(&p->sh->work, INT_MAX);    /* sleeping workers look again */
    poke(p->ctl_fd);
    pool__poke_watcher(p);      /* it watches the supervisor while the pool ends */
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
    /* Traced (TRACE.md) only if it blocks: the supervisor is still there. */
    bool traced = !running && p->thread_started && !p->sup_gone &&
                  atomic_load(&p->sh->trace_gen);
    if (traced)
        pool__trace_master(p, "wait", "pool_join", -1, 0);
    pthread_mutex_unlock(&p->lock);
    if (running) {
        pool__set_error("pool_join waits for a closed pool: call pool_close first");
        errno = EINVAL;
        return -1;
    }
    thread_join(p);
    if (traced) {
        pthread_mutex_lock(&p->lock);
        pool__trace_master(p, "resume", "pool_join", -1, 0);
        pthread_mutex_unlock(&p->lock);
    }
    return 0;
}

int pool_join_for(pool *p, double seconds)
{
    if (p == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (pool__foreign(p, "pool_join_for"))
        return -1;
    struct timespec t = pool__deadline(seconds);
    /* The watcher thread marks sup_gone, then ends: wait for the mark (on
     * p->moved, which it signals), then join it, which is then quick. */
    pthread_mutex_lock(&p->lock);
    if (p->state == POOL_RUNNING) {
        pthread_mutex_unlock(&p->lock);
        pool__set_error("pool_join_for waits for a closed pool: call pool_close first");
        errno = EINVAL;
        return -1;
    }
    int e = 0;
    bool traced = p->thread_started && !p->sup_gone && atomic_load(&p->sh->trace_gen);
    if (traced)
        pool__trace_master(p, "wait", "pool_join_for", -1, 0);
    while (p->thread_started && !p->sup_gone && e != ETIMEDOUT)
        e = pthread_cond_timedwait(&p->moved, &p->lock, &t);
    bool gone = !p->thread_started || p->sup_gone;
    if (traced)
        pool__trace_master(p, "resume", "pool_join_for", -1, 0);
    pthread_mutex_unlock(&p->lock);
    if (!gone) {
        pool__set_error("the pool's calls had not all finished within %g s", seconds);
        errno = ETIMEDOUT;
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
    pool__pools_remove(p);
    pool_terminate(p);
    if (p->sh && pool__is_remote(p->sh))
        pool__remote->destroy(p);
    /* The program may still hold p and the futures it did not free: their
     * structs are kept, marked, so that a later use is named (handle.c). */
    pthread_mutex_lock(&p->lock);
    while (p->all) {
        if (!p->all->user_gone)
            p->all->tomb = POOL__TOMB;
        pool__release(p->all);
    }
    pthread_mutex_unlock(&p->lock);
    p->tomb = POOL__TOMB;
    pool_free(p);
}

