/*
 * pool.c - the master's side of the pool: workers, futures, the trace.
 *
 * DESIGN
 *
 * Who runs where. The master is the program that called pool_create. It has
 * its own threads (any of them may submit calls and wait on futures) and one
 * handler thread per pool, started by pool_create. The workers are N child
 * processes, forked by the master; each runs pool__worker_main (worker.c).
 *
 * Pipes. Each worker has two pipes of its own: a task pipe (master writes,
 * worker reads) and a result pipe (worker writes, master reads). Per-worker
 * pipes mean the master always knows which tasks it handed to which worker,
 * so a dead worker can never take a task with it unnoticed. A worker also
 * has a slot in shared memory where it writes the id of the task it is
 * running (worker.c). Forking and the pipes live in transport.c, behind the
 * small pool__link interface (internal.h): this file never touches a pipe
 * or a PID itself.
 *
 * A call. pool_submit (any master thread) encodes the task frame and puts
 * the future on the pool's queue; if a worker has room, it writes the frame
 * to that worker's task pipe at once (non-blocking). It never waits for a
 * worker. The handler thread hands out what stays queued as workers free
 * up, reads result frames, and completes futures.
 *
 * Handing out. Each call goes to the first worker with room. A worker has
 * room for one call at a time while calls are long, so that the next call
 * goes to whichever worker frees up first. When the calls seen so far are
 * short (under SHORT_TASK seconds on average), a worker has room for
 * DEPTH_SHORT, so pipes never run dry between tiny calls. But when a worker
 * is idle and another's call has run longer than STALL, the handler takes
 * back the calls queued behind that long one that have not begun (through
 * the shared slot, internal.h), hands them to the others, and gives that
 * worker nothing more until its call ends. So no call waits behind a long
 * one for much more than STALL while a worker is free. Each call still
 * travels, runs and is answered on its own: nothing is batched into one.
 *
 * How a future completes. The handler decodes a result frame, copies the
 * value into the future, sets done under pool->lock, writes the trace record
 * and broadcasts pool->done. future_wait sleeps on that condition variable.
 *
 * When a worker dies (segfault, abort, exit, kill -9). Its result pipe
 * reaches end of file. The handler reaps it and reads its slot: the task it
 * was running fails with a WorkerDied error that names the signal or exit
 * status and the PID; tasks it had been handed but had not begun go back to
 * the front of the queue (a task that MAX_DEATHS workers died holding, before
 * it could begin, fails instead). A new worker is forked into the same slot.
 * Every other future completes as usual.
 *
 * Stopping. pool_close + pool_join: the handler finishes the queue, then
 * closes the task pipes; each worker reads end of file and exits.
 * pool_terminate: the handler kills every worker (SIGKILL), fails every
 * unfinished future with a Terminated error, and exits. pool_destroy is
 * pool_terminate plus freeing. No worker outlives the master: each asks the
 * kernel for SIGKILL when the master thread that forked it dies
 * (PR_SET_PDEATHSIG), and reads end of file on its task pipe when the master
 * is gone.
 *
 * The fork rule (carried out in transport.c). pool_create forks the first
 * workers before it starts the handler thread; the handler forks
 * replacements later, while other master threads may be running. So a
 * child may touch only: its own two pipe ends and its slot (it closes every
 * other descriptor the pool owns), the task
 * functions and their arguments, and libc. glibc keeps malloc usable across
 * fork; stdout and stderr are locked around the fork (flockfile) so that a
 * child never inherits them locked by a thread that does not exist in it.
 * The child drops the unwritten stdout bytes it inherits, so no line is
 * printed twice. A child never touches pool->lock; the pool's own code in it
 * leaves with _exit (a task that calls exit() ends its worker like a crash).
 *
 * Locks. pool->lock guards the queue, the futures' state, the pool's state,
 * and each worker's process, task pipe and in-flight list: so the thread
 * that submits a call writes it straight to a worker's task pipe, with no
 * hop through the handler. The result pipes and what is read from
 * them belong to the handler thread alone.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define SHORT_TASK 0.0005   /* seconds: tasks shorter than this on average... */
#define DEPTH_SHORT 64      /* ...are handed out this many at a time */
#define STALL 0.002         /* seconds: a call running longer holds up its worker */
#define MAX_DEATHS 2        /* workers that may die holding a call not begun */
#define TRACE_IDLE_MS 100   /* write the trace after this long with nothing to do */

enum status { ST_OK, ST_ERROR, ST_CRASH, ST_TERMINATED };
static const char *status_name[] = {"ok", "error", "crash", "terminated"};

struct future {
    pool *p;
    uint64_t id;
    char *name;

    /* p->lock must be held when using these. */
    bool done;
    bool user_gone;         /* future_free came before the end */
    enum status status;
    pool_value result;      /* strings point into data */
    char *data;
    double submit, start, end;  /* pool__now() */
    pid_t pid;
    int worker;
    int on;                 /* the worker it is handed to, -1 if none */
    uint64_t seq;           /* its frame's number there */
    int deaths;             /* workers that died holding it, not begun */
    future *prev, *next;    /* every future of the pool not yet freed */
    future *qnext;          /* the queue, or a worker's in-flight list */
    pool__buf frame;        /* the task frame, until the task completes */
};

typedef struct {
    /* The link (transport.c): its pid and send_fd need pool->lock; its
     * recv_fd is the handler thread's alone. */
    pool__link link;

    /* pool->lock must be held when using these. */
    pool__buf out;          /* task frames not yet written */
    future *head, *tail;    /* handed to this worker, oldest first */
    int inflight;
    uint64_t sent;          /* seq of the last frame handed to it */
    bool stalled;           /* its running call is long: give it no more */

    /* The handler thread alone uses this. */
    pool__buf in;           /* result bytes not yet decoded */
} worker;

enum pool_state { RUNNING, CLOSED, TERMINATING };

struct pool {
    int n;
    double t0;
    int wake_fd;            /* eventfd: submit, close, terminate */
    pool__slot *slots;      /* shared with the workers */
    pthread_t handler;
    bool handler_started, handler_joined;
    sigset_t child_mask;    /* the signal mask a worker starts with */

    pthread_mutex_t lock;
    /* lock must be held when using these. */
    pthread_cond_t done;    /* a future completed */
    enum pool_state state;
    bool wake_sent;
    future *queue_head, *queue_tail;
    future *all;            /* every future not yet freed */
    uint64_t next_id;

    worker *w;              /* see worker for its locking */
    bool recheck;           /* hand out again after STALL, even if nothing happens */
    double avg_run;         /* mean task run time, moving average */
    int trace_fd;
    pool__buf trace;
};

/* Live pools, so that exit() can still write their traces. */
static pthread_mutex_t pools_lock = PTHREAD_MUTEX_INITIALIZER;
static pool **pools;
static int npools;

static void *handler_main(void *arg);
static void hand_out(pool *p, bool look);
static void trace_record(pool *p, future *f);
static void trace_flush(pool *p);

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

/* Workers. ------------------------------------------------------------------ */

/* Start a worker in slot i. Called by pool_create, then by the handler
 * (p->lock held). Returns 0, or -1 with errno set. */
static int worker_start(pool *p, int i)
{
    /* The pool's descriptors the child must not keep (the fork rule). */
    int others[2 * POOL_MAX_WORKERS + 2], n = 0;
    others[n++] = p->wake_fd;
    others[n++] = p->trace_fd;
    for (int j = 0; j < p->n; j++) {
        if (j != i) {
            others[n++] = p->w[j].link.send_fd;
            others[n++] = p->w[j].link.recv_fd;
        }
    }
    p->slots[i] = (pool__slot){0};
    p->w[i].sent = 0;
    p->w[i].stalled = false;
    return pool__link_start(&p->w[i].link, &p->slots[i], &p->child_mask, others, n);
}

/* Kill and reap every worker (their PIDs stay, for the trace). p->lock
 * held, or no handler yet. */
static void workers_kill(pool *p)
{
    for (int i = 0; i < p->n; i++)
        pool__link_kill(&p->w[i].link);
    for (int i = 0; i < p->n; i++)
        pool__link_reap(&p->w[i].link, false);
}

/* Let go of every worker's link. Same locking. */
static void workers_forget(pool *p)
{
    for (int i = 0; i < p->n; i++)
        pool__link_close(&p->w[i].link);
}

/* The trace file of a new pool, from $POOL_TRACE: the first pool a program
 * makes writes to that path; the n-th writes to it with "-n" before its
 * extension (trace.csv, trace-2.csv, ...), so that no pool overwrites
 * another's records. False when $POOL_TRACE is unset. */
static bool env_trace_path(char *buf, size_t size)
{
    static unsigned made;   /* pools made with $POOL_TRACE set */
    static pthread_mutex_t made_lock = PTHREAD_MUTEX_INITIALIZER;
    const char *path = getenv("POOL_TRACE");
    if (path == NULL || *path == '\0')
        return false;
    pthread_mutex_lock(&made_lock);
    unsigned n = ++made;
    pthread_mutex_unlock(&made_lock);
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

/* Pool. -------------------------------------------------------------------- */

static void pools_add(pool *p);
static void pools_remove(pool *p);

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
    worker *w = calloc((size_t)n, sizeof *w);
    void *slots = mmap(NULL, (size_t)n * sizeof(pool__slot), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p == NULL || w == NULL || slots == MAP_FAILED || wake < 0) {
        int e = errno;
        pool__set_error("cannot set up a pool: %s", strerror(e));
        free(p);
        free(w);
        if (slots != MAP_FAILED)
            munmap(slots, (size_t)n * sizeof(pool__slot));
        if (wake >= 0)
            close(wake);
        errno = e;
        return NULL;
    }
    p->n = n;
    p->w = w;
    p->slots = slots;
    p->wake_fd = wake;
    p->trace_fd = -1;
    p->next_id = 1;
    p->t0 = pool__now();
    for (int i = 0; i < n; i++)
        pool__link_init(&w[i].link);
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->done, &ca);
    pthread_condattr_destroy(&ca);

    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, master_stdout);

    char trace[PATH_MAX];
    if (env_trace_path(trace, sizeof trace) && pool_trace_open(p, trace) == -1) {
        static atomic_flag warned = ATOMIC_FLAG_INIT;   /* once a program */
        if (!atomic_flag_test_and_set(&warned))
            fprintf(stderr, "pool: warning: %s; running without a trace\n",
                    pool_last_error());
    }

    pthread_sigmask(SIG_SETMASK, NULL, &p->child_mask);
    for (int i = 0; i < n; i++) {
        if (worker_start(p, i) == -1) {
            int e = errno;
            pool__set_error("cannot start worker %d of %d: %s",
                            i + 1, n, strerror(e));
            workers_kill(p);
            workers_forget(p);
            pool_destroy(p);
            errno = e;
            return NULL;
        }
    }

    /* The handler takes no signals: they belong to the program's threads,
     * and a write to a dead worker's pipe must give EPIPE, not SIGPIPE. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&p->handler, NULL, handler_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        pool__set_error("cannot start the handler thread: %s", strerror(e));
        workers_kill(p);
        workers_forget(p);
        pool_destroy(p);
        errno = e;
        return NULL;
    }
    p->handler_started = true;
    pools_add(p);
    return p;
}

/* p->lock held. */
static void wake_handler(pool *p)
{
    if (p->wake_sent)
        return;
    p->wake_sent = true;
    uint64_t one = 1;
    while (write(p->wake_fd, &one, sizeof one) == -1 && errno == EINTR)
        ;
}

void pool_close(pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    if (p->state == RUNNING)
        p->state = CLOSED;
    wake_handler(p);
    pthread_mutex_unlock(&p->lock);
}

static void handler_join(pool *p)
{
    if (p->handler_started && !p->handler_joined) {
        pthread_join(p->handler, NULL);
        p->handler_joined = true;
    }
}

int pool_join(pool *p)
{
    if (p == NULL) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&p->lock);
    bool running = p->state == RUNNING;
    pthread_mutex_unlock(&p->lock);
    if (running) {
        pool__set_error("pool_join waits for a closed pool: call pool_close first");
        errno = EINVAL;
        return -1;
    }
    handler_join(p);
    return 0;
}

void pool_terminate(pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->state = TERMINATING;
    wake_handler(p);
    pthread_mutex_unlock(&p->lock);
    handler_join(p);
}

static void future_release(future *f);

void pool_destroy(pool *p)
{
    if (p == NULL)
        return;
    pools_remove(p);
    pool_terminate(p);
    /* A pool that failed in pool_create has no handler: end its futures
     * (there are none) and trace here. */
    trace_flush(p);
    if (p->trace_fd >= 0)
        close(p->trace_fd);
    pool__buf_free(&p->trace);
    while (p->all)
        future_release(p->all);
    for (int i = 0; i < p->n; i++) {
        pool__buf_free(&p->w[i].out);
        pool__buf_free(&p->w[i].in);
    }
    munmap(p->slots, (size_t)p->n * sizeof(pool__slot));
    close(p->wake_fd);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    free(p->w);
    free(p);
}

/* exit() without pool_destroy: still end each pool, so that its trace is
 * written and says which calls never finished. Not in a worker. */
static void pools_at_exit(void)
{
    if (pool__in_worker)
        return;
    for (;;) {
        pthread_mutex_lock(&pools_lock);
        pool *p = npools ? pools[npools - 1] : NULL;
        pthread_mutex_unlock(&pools_lock);
        if (p == NULL)
            break;
        pools_remove(p);
        pool_terminate(p);
        trace_flush(p);
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
    if (!registered)
        registered = atexit(pools_at_exit) == 0;
    pthread_mutex_unlock(&pools_lock);
}

static void pools_remove(pool *p)
{
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

/* Calls. ------------------------------------------------------------------- */

/* p->lock held. Fill in how f ended and wake its waiters. The strings of
 * result are copied. */
static void complete(pool *p, future *f, enum status st, pool_value result)
{
    assert(!f->done);
    size_t need = 0;
    if (result.kind == POOL_STR)
        need = strlen(result.as.s) + 1;
    else if (result.kind == POOL_ERROR)
        need = strlen(result.as.err.type) + strlen(result.as.err.msg) + 2;
    if (need) {
        f->data = malloc(need);
        if (f->data == NULL)
            pool__die("out of memory");
        if (result.kind == POOL_STR) {
            memcpy(f->data, result.as.s, need);
            result.as.s = f->data;
        } else {
            size_t t = strlen(result.as.err.type) + 1;
            memcpy(f->data, result.as.err.type, t);
            strcpy(f->data + t, result.as.err.msg);
            result.as.err.type = f->data;
            result.as.err.msg = f->data + t;
        }
    }
    f->result = result;
    f->status = st;
    f->done = true;
    pool__buf_free(&f->frame);
    trace_record(p, f);
    pthread_cond_broadcast(&p->done);
    if (f->user_gone)
        future_release(f);
}

/* p->lock held. Unlink f from the pool and free it. */
static void future_release(future *f)
{
    pool *p = f->p;
    if (f->prev)
        f->prev->next = f->next;
    else
        p->all = f->next;
    if (f->next)
        f->next->prev = f->prev;
    pool__buf_free(&f->frame);
    free(f->data);
    free(f->name);
    free(f);
}

future *pool_submit(pool *p, pool_fn fn, const char *name,
                    const pool_value *args, int count)
{
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
    future *f = calloc(1, sizeof *f);
    if (f == NULL || (f->name = strdup(name && *name ? name : "?")) == NULL) {
        free(f);
        pool__set_error("out of memory");
        errno = ENOMEM;
        return NULL;
    }
    f->p = p;
    f->worker = -1;
    f->on = -1;

    pthread_mutex_lock(&p->lock);
    f->id = p->next_id++;
    f->submit = pool__now();
    f->next = p->all;
    if (p->all)
        p->all->prev = f;
    p->all = f;
    if (p->state != RUNNING) {
        f->start = f->submit;
        f->end = f->submit;
        complete(p, f, ST_ERROR, (pool_value){.kind = POOL_ERROR,
                 .as.err = {"ValueError", "the pool is not running (closed or terminated)"}});
        pthread_mutex_unlock(&p->lock);
        return f;
    }
    pthread_mutex_unlock(&p->lock);

    /* The frame is encoded outside the lock: the argument strings are
     * copied into it now, so the caller may reuse them at once. */
    size_t at = pool__frame_begin(&f->frame);
    pool__buf_put_u64(&f->frame, 0);    /* seq: set when handed out */
    pool__buf_put_u64(&f->frame, f->id);
    pool__buf_put_u64(&f->frame, (uint64_t)(uintptr_t)fn);
    pool__buf_put_str(&f->frame, f->name);
    pool__buf_put_u32(&f->frame, (uint32_t)count);
    for (int i = 0; i < count; i++)
        pool__buf_put_value(&f->frame, args[i]);
    pool__frame_end(&f->frame, at);

    pthread_mutex_lock(&p->lock);
    if (p->queue_tail)
        p->queue_tail->qnext = f;
    else
        p->queue_head = f;
    p->queue_tail = f;
    hand_out(p, false);
    pthread_mutex_unlock(&p->lock);
    return f;
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

pool_value pool_call(pool *p, pool_fn fn, const char *name,
                     const pool_value *args, int count)
{
    future *f = pool_submit(p, fn, name, args, count);
    if (f == NULL)
        return pool_error("ValueError", "%s", pool_last_error());
    pool_value v = value_dup(future_get(f));
    future_free(f);
    return v;
}

int pool_map_named(pool *p, pool_fn fn, const char *name,
                   const pool_value *in, size_t n, pool_value *out)
{
    /* At most MAP_WINDOW calls are out at once: enough to keep every worker
     * busy, few enough that a long map does not hold a future per input. A
     * ring of futures: call i lives in fs[i % MAP_WINDOW]. */
    enum { MAP_WINDOW = 1024 };
    if (p == NULL || fn == NULL || (n > 0 && (in == NULL || out == NULL))) {
        pool__set_error("pool_map needs a pool, a function, inputs and room for the results");
        errno = EINVAL;
        return -1;
    }
    future *fs[MAP_WINDOW];
    size_t made = 0, done = 0;
    int failed = 0;
    bool refused = false;
    while (done < made || (made < n && !refused)) {
        while (made < n && made - done < MAP_WINDOW && !refused) {
            fs[made % MAP_WINDOW] = pool_submit(p, fn, name, &in[made], 1);
            if (fs[made % MAP_WINDOW] == NULL)
                refused = true;
            else
                made++;
        }
        if (done < made) {
            future *f = fs[done % MAP_WINDOW];
            pool_value v = future_get(f);
            failed += v.kind == POOL_ERROR;
            out[done++] = value_dup(v);
            future_free(f);
        }
    }
    if (refused) {
        for (size_t i = 0; i < done; i++)
            pool_value_free(out[i]);
        return -1;
    }
    return failed;
}

/* Futures. ----------------------------------------------------------------- */

void future_wait(future *f)
{
    if (f == NULL)
        return;
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    while (!f->done)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

bool future_wait_for(future *f, double seconds)
{
    if (f == NULL)
        return false;
    pool *p = f->p;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (seconds > 0) {
        if (seconds > 1e9)
            seconds = 1e9;
        until.tv_sec += (time_t)seconds;
        until.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&p->lock);
    while (!f->done)
        if (pthread_cond_timedwait(&p->done, &p->lock, &until) == ETIMEDOUT)
            break;
    bool done = f->done;
    pthread_mutex_unlock(&p->lock);
    return done;
}

pool_value future_get(future *f)
{
    if (f == NULL)
        return (pool_value){.kind = POOL_ERROR,
                            .as.err = {"ValueError", "future_get: no future (NULL)"}};
    future_wait(f);
    return f->result;   /* set once, before done; never changes after */
}

bool future_ready(future *f)
{
    if (f == NULL)
        return false;
    pthread_mutex_lock(&f->p->lock);
    bool done = f->done;
    pthread_mutex_unlock(&f->p->lock);
    return done;
}

int future_successful(future *f)
{
    if (f == NULL) {
        pool__set_error("no future (NULL)");
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&f->p->lock);
    int r = f->done ? f->status == ST_OK : -1;
    unsigned long id = (unsigned long)f->id;
    pthread_mutex_unlock(&f->p->lock);
    if (r == -1) {
        pool__set_error("task %lu has not finished yet "
                        "(wait for it, or check future_ready first)", id);
        errno = EAGAIN;
    }
    return r;
}

void future_free(future *f)
{
    if (f == NULL)
        return;
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    if (f->done)
        future_release(f);
    else
        f->user_gone = true;
    pthread_mutex_unlock(&p->lock);
}

unsigned long future_id(const future *f) { return f ? (unsigned long)f->id : 0; }

pid_t future_pid(future *f)
{
    if (f == NULL)
        return 0;
    pool *p = f->p;
    pthread_mutex_lock(&p->lock);
    pid_t pid = f->pid;
    if (pid == 0 && !f->done && f->on >= 0 &&
        __atomic_load_n(&p->slots[f->on].task, __ATOMIC_RELAXED) == f->id)
        pid = p->w[f->on].link.pid;     /* running there now */
    pthread_mutex_unlock(&p->lock);
    return pid;
}

/* Tracing. ----------------------------------------------------------------- */

int pool_trace_open(pool *p, const char *path)
{
    if (p == NULL || path == NULL || *path == '\0') {
        pool__set_error("no pool or no trace path");
        errno = EINVAL;
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        pool__set_error("cannot write the trace %s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    pthread_mutex_lock(&p->lock);
    int old = p->trace_fd;
    p->trace_fd = fd;
    p->trace.len = 0;
    static const char head[] = "# pool-trace v1\n"
        "task,function,pid,worker,submit_s,start_s,end_s,status,error\n";
    pool__buf_put(&p->trace, head, sizeof head - 1);
    pthread_mutex_unlock(&p->lock);
    if (old >= 0)
        close(old);
    return 0;
}

/* Write s as one CSV field, quoted when it has to be. */
static void csv_field(pool__buf *b, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        pool__buf_put(b, s, strlen(s));
        return;
    }
    pool__buf_put(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"')
            pool__buf_put(b, "\"", 1);
        pool__buf_put(b, s, 1);
    }
    pool__buf_put(b, "\"", 1);
}

/* The trace is written by hand, not with printf: a record is made for
 * every task, and %f alone costs more than the rest of the record. */

/* Write the digits of v backwards, ending at end; return where they begin. */
static char *digits(char *end, unsigned long long v)
{
    do
        *--end = (char)('0' + v % 10);
    while (v /= 10);
    return end;
}

/* Append sep (if not NUL) and then v. */
static void put_int(pool__buf *b, char sep, long long v)
{
    char s[24], *end = s + sizeof s;
    char *at = digits(end, v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v);
    if (v < 0)
        *--at = '-';
    if (sep)
        *--at = sep;
    pool__buf_put(b, at, (size_t)(end - at));
}

/* Append ",S.UUUUUU": t seconds, to the microsecond. */
static void put_seconds(pool__buf *b, double t)
{
    unsigned long long us = t > 0 ? (unsigned long long)(t * 1e6 + 0.5) : 0;
    char s[32], *end = s + sizeof s, *at = digits(end, us % 1000000);
    while (at > end - 6)
        *--at = '0';
    *--at = '.';
    at = digits(at, us / 1000000);
    *--at = ',';
    pool__buf_put(b, at, (size_t)(end - at));
}

/* p->lock held (the trace buffer is the handler's, and submit on a closed
 * pool completes a future in the caller's thread, under the lock). */
static void trace_record(pool *p, future *f)
{
    if (p->trace_fd < 0)
        return;
    pool__buf *b = &p->trace;
    put_int(b, '\0', (long long)f->id);
    pool__buf_put(b, ",", 1);
    csv_field(b, f->name);
    put_int(b, ',', f->pid);
    put_int(b, ',', f->worker);
    put_seconds(b, f->submit - p->t0);
    put_seconds(b, (f->start ? f->start : f->end) - p->t0);
    put_seconds(b, f->end - p->t0);
    pool__buf_put(b, ",", 1);
    pool__buf_put(b, status_name[f->status], strlen(status_name[f->status]));
    pool__buf_put(b, ",", 1);
    if (f->status != ST_OK) {
        char err[1200];
        snprintf(err, sizeof err, "%s: %s", f->result.as.err.type, f->result.as.err.msg);
        csv_field(b, err);
    }
    pool__buf_put(b, "\n", 1);
    if (b->len >= 64 * 1024)
        trace_flush(p);
}

static void trace_flush(pool *p)
{
    if (p->trace_fd >= 0 && p->trace.len > 0) {
        const char *s = p->trace.data;
        size_t left = p->trace.len;
        while (left > 0) {
            ssize_t w = write(p->trace_fd, s, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                fprintf(stderr, "pool: warning: the trace could not be written: %s\n",
                        strerror(errno));
                close(p->trace_fd);
                p->trace_fd = -1;
                break;
            }
            s += w;
            left -= (size_t)w;
        }
    }
    p->trace.len = 0;
}

/* The handler thread. ------------------------------------------------------ */

/* p->lock held. Take the oldest task off worker w's in-flight list. */
static future *inflight_pop(worker *w)
{
    future *f = w->head;
    if (f) {
        w->head = f->qnext;
        if (w->head == NULL)
            w->tail = NULL;
        f->qnext = NULL;
        f->on = -1;
        w->inflight--;
    }
    return f;
}

/* p->lock held. Put the list from first to last back at the queue's front. */
static void requeue_front(pool *p, future *first, future *last)
{
    last->qnext = p->queue_head;
    p->queue_head = first;
    if (p->queue_tail == NULL)
        p->queue_tail = last;
}

/* p->lock held. Take back from worker i the calls it holds but has not
 * begun, and put them back at the front of the queue, in order. Their
 * frames may still be in its pipe: it will skip them (worker.c). */
static void take_back(pool *p, int i)
{
    worker *w = &p->w[i];
    uint64_t cur = __atomic_load_n(&p->slots[i].started, __ATOMIC_ACQUIRE);
    while (cur < w->sent)
        if (__atomic_compare_exchange_n(&p->slots[i].started, &cur, w->sent, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            break;
    if (cur >= w->sent)
        return;     /* it has begun them all */
    /* Calls up to cur stay: begun, or done with their result on the way. */
    future *keep = NULL, *f = w->head;
    int kept = 0;
    while (f && f->seq <= cur) {
        keep = f;
        kept++;
        f = f->qnext;
    }
    if (f == NULL)
        return;
    future *first = f, *last = w->tail;
    for (future *g = first; g; g = g->qnext)
        g->on = -1;
    if (keep)
        keep->qnext = NULL;
    else
        w->head = NULL;
    w->tail = keep;
    w->inflight = kept;
    requeue_front(p, first, last);
}

/* p->lock held. True if worker i's running call has run longer than STALL. */
static bool stalled(pool *p, int i, double now)
{
    if (__atomic_load_n(&p->slots[i].task, __ATOMIC_RELAXED) == 0)
        return false;
    double start;
    __atomic_load(&p->slots[i].start, &start, __ATOMIC_RELAXED);
    return now - start > STALL;
}

/* p->lock held. Write what a worker's out buffer holds, as far as the
 * pipe takes it; true if something is left for later. */
static bool flush_out(worker *w)
{
    while (w->out.off < w->out.len) {
        ssize_t n = pool__link_send(&w->link, w->out.data + w->out.off,
                                    w->out.len - w->out.off);
        if (n < 0 && errno == EPIPE) {
            w->out.len = w->out.off = 0;    /* dead: its result pipe will say so */
            return false;
        }
        if (n <= 0)
            return true;                    /* the pipe is full */
        w->out.off += (size_t)n;
    }
    w->out.len = w->out.off = 0;
    return false;
}

/* p->lock held. Give each queued call to the first worker with room, and
 * write them to the task pipes. If a pipe is full, the handler is woken
 * to finish the write when it drains. With look (the handler does, a
 * submitting thread does not), and while a worker is idle, first take back
 * the calls that wait behind a long one: looking reads the workers' slots,
 * which they write for every call, so it is kept to those moments. */
static void hand_out(pool *p, bool look)
{
    bool short_calls = p->avg_run > 0 && p->avg_run < SHORT_TASK;
    int cap[POOL_MAX_WORKERS];
    bool idle = false, waiting = false;
    for (int i = 0; i < p->n; i++) {
        worker *w = &p->w[i];
        cap[i] = w->link.pid <= 0 ? 0 : short_calls && !w->stalled ? DEPTH_SHORT : 1;
        idle |= cap[i] > 0 && w->inflight == 0;
        waiting |= w->inflight > 1;
    }
    if (look)
        p->recheck = false;
    if (look && short_calls && idle && waiting) {
        double now = pool__now();
        for (int i = 0; i < p->n; i++) {
            if (p->w[i].inflight > 1 && stalled(p, i, now)) {
                /* Nothing more for it until its call ends (read_results). */
                p->w[i].stalled = true;
                cap[i] = 1;
                take_back(p, i);
            }
        }
        /* Calls may still wait behind a call that is not long yet: look
         * again when it may be. */
        p->recheck = true;
    }

    while (p->queue_head) {
        /* The first worker with room. Short calls thus fill one worker's
         * pipe before the next: fewer workers awake at once, fewer wake-ups
         * (taking turns, or "an idle worker first", each cost up to half the
         * throughput on two cores). */
        int best = -1;
        for (int i = 0; i < p->n && best < 0; i++)
            if (p->w[i].inflight < cap[i])
                best = i;
        if (best < 0)
            break;
        worker *w = &p->w[best];
        future *f = p->queue_head;
        p->queue_head = f->qnext;
        if (p->queue_head == NULL)
            p->queue_tail = NULL;
        f->qnext = NULL;
        f->on = best;
        f->seq = ++w->sent;
        size_t at = w->out.len;
        pool__buf_put(&w->out, f->frame.data, f->frame.len);
        memcpy(w->out.data + at + sizeof(uint32_t), &f->seq, sizeof f->seq);
        if (w->tail)
            w->tail->qnext = f;
        else
            w->head = f;
        w->tail = f;
        w->inflight++;
    }
    bool left = false;
    idle = waiting = false;
    for (int i = 0; i < p->n; i++) {
        worker *w = &p->w[i];
        if (w->out.len > 0)
            left |= flush_out(w);
        idle |= cap[i] > 0 && w->inflight == 0;
        waiting |= w->inflight > 1;
    }
    /* Wake the handler to finish a write, or to look (and keep looking)
     * while calls wait behind another and a worker is idle. */
    if (left || (!look && short_calls && idle && waiting && !p->recheck))
        wake_handler(p);
}

/* Decode the result frames that have arrived from worker i. */
static void read_results(pool *p, int i)
{
    worker *w = &p->w[i];
    pool__rd r;
    pthread_mutex_lock(&p->lock);
    while (pool__frame_next(&w->in, &r)) {
        uint64_t id = pool__rd_u64(&r);
        double start = pool__rd_f64(&r), end = pool__rd_f64(&r);
        pool_value v = pool__rd_value(&r);
        future *f = w->head;
        if (r.bad || f == NULL || f->id != id)
            pool__die("worker %d (pid %d) sent a result for task %llu, expected %llu",
                      i, (int)w->link.pid, (unsigned long long)id,
                      f ? (unsigned long long)f->id : 0ULL);
        inflight_pop(w);
        w->stalled = false;
        f->pid = w->link.pid;
        f->worker = i;
        f->start = start;
        f->end = end;
        double run = end - start;
        p->avg_run = p->avg_run == 0 ? run : 0.9 * p->avg_run + 0.1 * run;
        complete(p, f, v.kind == POOL_ERROR ? ST_ERROR : ST_OK, v);
    }
    pool__buf_compact(&w->in);
    pthread_mutex_unlock(&p->lock);
}

/* Worker i's result pipe has ended: the worker is dead (or has closed the
 * pipe, which ends it too). Fail what it was running, give back what it had
 * not begun, and start a replacement. */
static void worker_died(pool *p, int i)
{
    worker *w = &p->w[i];
    pid_t pid = w->link.pid;    /* only the handler changes it */
    char how[160];
    pool__link_describe(pool__link_reap(&w->link, true), how, sizeof how);
    uint64_t running = p->slots[i].task;
    double started = p->slots[i].start;
    w->in.len = w->in.off = 0;

    pthread_mutex_lock(&p->lock);
    pool__link_close(&w->link);
    w->out.len = w->out.off = 0;
    future *f;
    future *back = NULL, *last = NULL;
    while ((f = inflight_pop(w)) != NULL) {
        if (f->id == running) {
            char msg[400];
            snprintf(msg, sizeof msg, "worker %d (pid %d) %s while running %s",
                     i, (int)pid, how, f->name);
            f->pid = pid;
            f->worker = i;
            f->start = started;
            f->end = pool__now();
            complete(p, f, ST_CRASH, (pool_value){.kind = POOL_ERROR,
                     .as.err = {"WorkerDied", msg}});
        } else if (++f->deaths > MAX_DEATHS) {
            /* Workers keep dying before this call even begins: something
             * in the call itself kills them. Do not try it forever. */
            char msg[400];
            snprintf(msg, sizeof msg, "%d workers died before %s could begin, the "
                     "last (pid %d) %s", f->deaths, f->name, (int)pid, how);
            f->start = f->end = pool__now();
            complete(p, f, ST_CRASH, (pool_value){.kind = POOL_ERROR,
                     .as.err = {"WorkerDied", msg}});
        } else {
            /* Not begun: back to the front of the queue, in order. Its frame
             * is kept until the task completes, for just this. */
            if (last)
                last->qnext = f;
            else
                back = f;
            last = f;
        }
    }
    if (back)
        requeue_front(p, back, last);

    /* Forking under the lock is allowed by the fork rule: the child never
     * touches the lock. */
    if (worker_start(p, i) == -1)
        fprintf(stderr, "pool: cannot start a worker to replace pid %d: %s\n",
                (int)pid, strerror(errno));

    bool alive = false;
    for (int j = 0; j < p->n; j++)
        alive |= p->w[j].link.pid > 0;
    if (!alive) {
        /* No worker can be started: fail the queue rather than let it wait. */
        while ((f = p->queue_head) != NULL) {
            p->queue_head = f->qnext;
            f->qnext = NULL;
            f->start = f->end = pool__now();
            complete(p, f, ST_CRASH, (pool_value){.kind = POOL_ERROR,
                     .as.err = {"WorkerDied", "no worker could be started"}});
        }
        p->queue_tail = NULL;
    }
    pthread_mutex_unlock(&p->lock);
}

/* p->lock held. Fail every unfinished future: the pool is being stopped. */
static void fail_all(pool *p)
{
    double now = pool__now();
    future *f;
    for (int i = 0; i < p->n; i++) {
        worker *w = &p->w[i];
        while ((f = inflight_pop(w)) != NULL) {
            bool begun = f->id == p->slots[i].task;
            if (begun) {
                f->pid = w->link.pid;
                f->worker = i;
                f->start = p->slots[i].start;
            }
            f->end = now;
            complete(p, f, ST_TERMINATED, (pool_value){.kind = POOL_ERROR,
                     .as.err = {"Terminated", begun
                         ? "the pool was terminated before the task finished"
                         : "the pool was terminated before the task started"}});
        }
    }
    while ((f = p->queue_head) != NULL) {
        p->queue_head = f->qnext;
        f->qnext = NULL;
        f->end = now;
        complete(p, f, ST_TERMINATED, (pool_value){.kind = POOL_ERROR,
                 .as.err = {"Terminated", "the pool was terminated before the task started"}});
    }
    p->queue_tail = NULL;
}

static void *handler_main(void *arg)
{
    pool *p = arg;
    struct pollfd *pfd = calloc((size_t)p->n * 2 + 1, sizeof *pfd);
    int *who = calloc((size_t)p->n * 2 + 1, sizeof *who);
    if (pfd == NULL || who == NULL)
        pool__die("out of memory");

    for (;;) {
        pthread_mutex_lock(&p->lock);
        if (p->state == TERMINATING) {
            workers_kill(p);    /* first, so that no result races the failing */
            fail_all(p);
            workers_forget(p);
            pthread_mutex_unlock(&p->lock);
            break;
        }
        hand_out(p, true);
        bool idle = p->queue_head == NULL;
        for (int i = 0; i < p->n && idle; i++)
            idle = p->w[i].inflight == 0;
        if (p->state == CLOSED && idle) {
            /* End of file on every task pipe: each worker finishes its loop
             * and exits. */
            for (int i = 0; i < p->n; i++)
                pool__link_end_tasks(&p->w[i].link);
            pthread_mutex_unlock(&p->lock);
            for (int i = 0; i < p->n; i++)
                pool__link_reap(&p->w[i].link, false);
            pthread_mutex_lock(&p->lock);
            workers_forget(p);
            pthread_mutex_unlock(&p->lock);
            break;
        }

        int n = 0;
        pfd[n] = (struct pollfd){.fd = p->wake_fd, .events = POLLIN};
        who[n++] = -1;
        for (int i = 0; i < p->n; i++) {
            worker *w = &p->w[i];
            if (w->link.pid <= 0)
                continue;
            pfd[n] = (struct pollfd){.fd = w->link.recv_fd, .events = POLLIN};
            who[n++] = i;
            if (w->out.len > w->out.off) {
                pfd[n] = (struct pollfd){.fd = w->link.send_fd, .events = POLLOUT};
                who[n++] = i;
            }
        }
        /* The trace is written in large pieces: when 64 KiB have gathered,
         * or after TRACE_IDLE_MS with nothing to do. */
        int timeout = p->trace.len > 0 && p->trace_fd >= 0 ? TRACE_IDLE_MS : -1;
        if (p->recheck)
            timeout = (int)(STALL * 1000) + 1;
        pthread_mutex_unlock(&p->lock);

        int ready = poll(pfd, (nfds_t)n, timeout);
        if (ready == 0) {
            pthread_mutex_lock(&p->lock);
            trace_flush(p);
            pthread_mutex_unlock(&p->lock);
            continue;
        }
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            pool__die("poll: %s", strerror(errno));
        }

        if (pfd[0].revents) {
            uint64_t v;
            pthread_mutex_lock(&p->lock);
            while (read(p->wake_fd, &v, sizeof v) > 0)
                ;
            p->wake_sent = false;
            pthread_mutex_unlock(&p->lock);
        }
        for (int k = 1; k < n; k++) {
            int i = who[k];
            worker *w = &p->w[i];
            if (pfd[k].revents == 0 || w->link.pid <= 0 || pfd[k].fd != w->link.recv_fd)
                continue;   /* POLLOUT is handled by the next flush_out */
            pool__buf_reserve(&w->in, 64 * 1024);
            ssize_t got = pool__link_recv(&w->link, w->in.data + w->in.len,
                                          w->in.cap - w->in.len);
            if (got > 0) {
                w->in.len += (size_t)got;
                read_results(p, i);
            } else if (got == 0 || errno != EAGAIN) {
                worker_died(p, i);
            }
        }
    }

    free(pfd);
    free(who);
    pthread_mutex_lock(&p->lock);
    trace_flush(p);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Provisional until core v2: the chunk size is not used yet. */
int pool_map_chunks(pool *p, pool_fn fn, const char *name, const pool_value *in,
                    size_t n, pool_value *out, size_t chunksize)
{
    (void)chunksize;
    return pool_map_named(p, fn, name, in, n, out);
}
