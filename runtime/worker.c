/*
 * worker.c - the loop a worker process runs, and what a task may call.
 *
 * A worker is a single-threaded fork of the pool's supervisor process. It
 * claims the next call from the shared queue itself (queue.c), runs the
 * function, writes the result into the call's slot and wakes whoever waits.
 * It writes its own trace records, and it tells the supervisor how it ends:
 * a fatal signal it catches, or the status of an exit() a task called.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker.h"
#include "backtrace.h"
#include "base.h"
#include "blob.h"
#include "fault.h"
#include "queue.h"
#include "remote.h"
#include "room.h"
#include "shared.h"
#include "trace.h"
#include "tracefile.h"
#include "value.h"
#include "wire.h"

bool pool__in_worker;

/* The task running now: its name for error messages, and where pool_raise
 * and a bad argument jump back to. Only the worker's one thread uses these. */
static const char *task_name = "?";
static sigjmp_buf task_jump;
static pool_value task_raised;

/* Strings made during a task (pool_str, pool_error), freed once its result
 * has been sent. */
struct arena_str {
    struct arena_str *next;
    char s[];
};
static struct arena_str *arena;

void *pool__worker_alloc(size_t n)
{
    struct arena_str *a = malloc(sizeof *a + n);
    if (a == NULL)
        pool_raise("MemoryError", "out of memory in a worker (%zu bytes)", n);
    a->next = arena;
    arena = a;
    return a->s;
}

char *pool__worker_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(pool__worker_alloc(n), s, n);
}

static void arena_clear(void)
{
    while (arena) {
        struct arena_str *next = arena->next;
        free(arena);
        arena = next;
    }
}

/* What a task may call. ---------------------------------------------------- */

void pool_raise(const char *type, const char *msg, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, msg);
    vsnprintf(text, sizeof text, msg ? msg : "", ap);
    va_end(ap);
    if (!pool__in_worker)
        pool__die("pool_raise(%s: %s) outside a task", type, text);
    task_raised = pool_error(type, "%s", text);
    siglongjmp(task_jump, 1);
}

void pool_expect_args(pool_args a, int n)
{
    if (a.count == n)
        return;
    pool_raise("TypeError", "%s() takes %d argument%s but %d %s given",
               task_name, n, n == 1 ? "" : "s", a.count,
               a.count == 1 ? "was" : "were");
}

static const char *ordinal(int i, char *buf, size_t size)
{
    static const char *suffix[] = {"th", "st", "nd", "rd"};
    int n = i + 1, s = (n % 100 >= 11 && n % 100 <= 13) || n % 10 > 3 ? 0 : n % 10;
    snprintf(buf, size, "%d%s", n, suffix[s]);
    return buf;
}

/* Argument i, or a TypeError (a misuse when not in a task). */
static pool_value arg(pool_args a, int i, const char *want)
{
    char nth[16];
    if (i >= 0 && i < a.count)
        return a.v[i];
    if (!pool__in_worker)
        pool__die("asked for argument %d of %d", i, a.count);
    pool_raise("TypeError", "%s() needs a %s argument (%s) but %d %s given",
               task_name, ordinal(i, nth, sizeof nth), want, a.count,
               a.count == 1 ? "was" : "were");
}

static void wrong_arg(pool_args a, int i, const char *want) __attribute__((noreturn));
static void wrong_arg(pool_args a, int i, const char *want)
{
    char nth[16];
    pool_kind k = a.v[i].kind;
    if (!pool__in_worker)
        pool__die("argument %d is not %s", i, want);
    pool_raise("TypeError", "%s(): the %s argument must be %s, not %s", task_name,
               ordinal(i, nth, sizeof nth), want,
               pool__kind_name(k));
}

long pool_arg_int(pool_args a, int i)
{
    pool_value v = arg(a, i, "an integer");
    if (v.kind != POOL_INT)
        wrong_arg(a, i, "an integer");
    return v.as.i;
}

double pool_arg_double(pool_args a, int i)
{
    pool_value v = arg(a, i, "a number");
    if (v.kind == POOL_INT)
        return (double)v.as.i;
    if (v.kind != POOL_DOUBLE)
        wrong_arg(a, i, "a number");
    return v.as.d;
}

const char *pool_arg_str(pool_args a, int i)
{
    pool_value v = arg(a, i, "a string");
    if (v.kind != POOL_STR)
        wrong_arg(a, i, "a string");
    return v.as.s;
}

const void *pool_arg_bytes(pool_args a, int i, size_t *n)
{
    pool_value v = arg(a, i, "bytes");
    if (v.kind != POOL_BYTES)
        wrong_arg(a, i, "bytes");
    if (n)
        *n = v.as.b.n;
    return v.as.b.p;
}

/* The loop. ---------------------------------------------------------------- */

static pool__shared *me_sh;
static int me;              /* this worker's index */
static pid_t me_pid;
bool pool__forked;          /* set in the child of any fork (pool.c) */

/* A fatal signal: say which in the worker's slot, and where the worker
 * was (backtrace.c), then die of it. */
static void on_fatal(int sig, siginfo_t *info, void *uctx)
{
    if (me_sh && sig == SIGSEGV && info) {
        /* Which wall the task ran into, if it was one (room.c, blob.c). */
        pool__wslot *ws = &pool__wslots(me_sh)[me];
        size_t room = pool__room_guard_hit(info->si_addr);
        if (room == (size_t)-1) {
            atomic_store(&ws->wall, POOL__WALL_ARGS);
        } else if (room) {
            ws->wall_n = room - 1;
            atomic_store(&ws->wall, POOL__WALL_ROOM);
        } else if (pool__blob_readonly_hit(me_sh, info->si_addr)) {
            atomic_store(&ws->wall, POOL__WALL_READONLY);
        }
    }
    if (me_sh) {
        atomic_store(&pool__wslots(me_sh)[me].fatal, sig);
        if (me_sh->backtrace && atomic_load(&pool__wslots(me_sh)[me].bt_n) != POOL__BT_INJECTED)
            pool__bt_take(&pool__wslots(me_sh)[me], uctx, pool__fault_hang());
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* A task called exit(): end the worker here, before the program's own
 * atexit handlers or a flush of the master's stdio buffers run a second time
 * in this copy of the program. Only this worker's output is flushed. */
static void on_exit_call(int status, void *arg)
{
    (void)arg;
    if (getpid() != me_pid)
        return;     /* a process a task forked: not the worker */
    atomic_store(&pool__wslots(me_sh)[me].exit_status, status & 0xff);
    if (me_sh->backtrace)
        pool__bt_take(&pool__wslots(me_sh)[me], NULL, false);     /* where exit() was called */
    fflush(stdout);
    _exit(status);
}

/* Run fn on one argument list, catching pool_raise and bad arguments.
 * Never inlined: a dying worker's backtrace stops at its frame. */
static __attribute__((noinline)) pool_value run_one(pool_fn fn, pool_args args)
{
    if (sigsetjmp(task_jump, 0) == 0)
        return fn(args);
    return task_raised;
}

const void *const pool__task_caller = (const void *)run_one;

/* The pool's initializer (pool_set_initializer), as this worker last ran
 * it: its generation, and why it failed (NULL if it did not). */
static uint32_t init_seen;
static char *init_failure;

/* Before a call: run the initializer if it changed since this worker last
 * ran it (or the worker is new). */
static void initialize(pool__shared *sh)
{
    uint32_t gen = atomic_load(&sh->init_gen);
    if (gen == init_seen)
        return;
    char data[sizeof sh->init_data], name[sizeof sh->init_name];
    if (pthread_mutex_lock(&sh->init_lock) == EOWNERDEAD)
        pthread_mutex_consistent(&sh->init_lock);
    gen = atomic_load(&sh->init_gen);
    pool_fn fn = (pool_fn)(uintptr_t)sh->init_fn;
    uint32_t argc = sh->init_argc, len = sh->init_len;
    memcpy(data, sh->init_data, len);
    memcpy(name, sh->init_name, sizeof name);
    pthread_mutex_unlock(&sh->init_lock);
    init_seen = gen;
    free(init_failure);
    init_failure = NULL;
    if (fn == NULL)
        return;

    static pool_value argv[POOL_MAX_ARGS];
    pool__rd r = {.p = data, .left = len};
    for (uint32_t i = 0; i < argc && i < POOL_MAX_ARGS; i++)
        argv[i] = pool__rd_value(&r);
    const char *saved = task_name;
    task_name = name;
    pool_value v = r.bad ? pool_error("ValueError", "its arguments came garbled")
                         : run_one(fn, (pool_args){.v = argv, .count = (int)argc});
    task_name = saved;
    fflush(stdout);
    if (v.kind == POOL_ERROR) {
        size_t n = strlen(name) + strlen(v.as.err.type) + strlen(v.as.err.msg) + 64;
        init_failure = malloc(n);
        if (init_failure == NULL)
            pool__die("out of memory in a worker");
        snprintf(init_failure, n, "the initializer %s() failed in this worker: %s: %s",
                 name, v.as.err.type, v.as.err.msg);
    }
    arena_clear();
    pool__room_release();
}

/* The worker leaves after its call: its task closed the pool's descriptor. */
static bool leave;

/* Write call c's result into its slot, or an extent: a chunk's (in out
 * already), or a single call's value v, encoded once, straight to where it
 * goes. The arguments' extent is given back, or holds a chunk's results
 * if they fit in it (no lock of the allocator, either way). -1 with errno
 * if there is no room for it. */
static int send_result(pool__shared *sh, pool__call *c, pool__buf *out, pool_value v)
{
    if ((c->nitems > 0 || out->len > 0) &&
        pool__payload_reuse(sh, &c->result, &c->args, out->data, out->len) == 0)
        return 0;
    pool__payload_free(sh, &c->args);
    if (c->nitems == 0 && out->len == 0) {
        size_t size = pool__values_size(&v, 1);
        if (size > POOL__INLINE)
            return pool__values_place(sh, &v, 1, size, &c->result);
        /* Encoded straight into the slot: exactly size bytes, never grown. */
        pool__buf b = {.data = c->data, .cap = size};
        pool__buf_put_value(&b, v);
        if (b.len != size || b.data != c->data)
            pool__die("a result of %zu bytes was encoded in %zu", size, b.len);
        c->result = (pool__payload){.len = (uint32_t)size};
        return 0;
    }
    return pool__payload_put(sh, c, &c->result, out->data, out->len);
}

/* Every item of call c (a chunk's inputs, or the one call) fails with v:
 * out holds v once for each, in place of what it held. How many failed. */
static int fail_all(const pool__call *c, pool__buf *out, pool_value v)
{
    uint32_t n = c->nitems ? c->nitems : 1;
    out->len = 0;
    for (uint32_t i = 0; i < n; i++)
        pool__buf_put_value(out, v);
    return (int)n;
}

/* Run call seq (claimed by this worker) and finish it. */
static void run_call(pool__shared *sh, uint64_t seq, pool__buf *out, pool__buf *rec)
{
    static pool_value argv[POOL_MAX_ARGS];
    pool__call *c = pool__slot(sh, seq);
    initialize(sh);
    double start = pool__now();
    atomic_store(&pool__wslots(sh)[me].start, start);
    task_name = c->name;

    /* The task reads its arguments read-only where they are, or, when
     * they are in the slot (shared with the pool), as its own copy. */
    const char *bytes = pool__payload_view(sh, c, &c->args, true);
    if (bytes && c->args.blob == 0)
        bytes = pool__room_args(bytes, c->args.len);
    int args_errno = bytes ? 0 : errno;
    if (args_errno == EBADF) {
        /* A task before closed the pool's descriptor: this call has not
         * begun, and another worker can run it. */
        atomic_store(&pool__wslots(sh)[me].lost_fd, seq);
        fflush(stdout);
        _exit(POOL__EXIT_LOST);
    }
    pool__rd r = {.p = bytes, .left = bytes ? c->args.len : 0};
    uint32_t n = c->nitems ? c->nitems : c->argc;
    if (c->nitems == 0 && n > POOL_MAX_ARGS)
        pool__die("worker %d: call %llu has %u arguments", (int)me_pid,
                  (unsigned long long)c->id, n);
    pool_fn fn = (pool_fn)(uintptr_t)c->fn;
    out->len = 0;
    int failed = 0;
    bool raw_result = false;
    pool_value first_err = pool_none(), result = pool_none(), injected = pool_none();

    c->tries++;         /* this worker holds it: nobody else writes it */
    pool__fault_crash(sh, me, c);     /* POOL_FAULT=crash:ID, ...: it dies here */
    if (args_errno) {
        char why[300];
        pool__payload_error(why, sizeof why, c->args.len, args_errno);
        pool_value v = pool_error("PoolError", "the arguments could not be read: %s", why);
        if (args_errno == EBADF)
            leave = true;
        failed = fail_all(c, out, v);
        first_err = v;
    } else if (init_failure || pool__fault_error(sh, c, &injected)) {
        pool_value v = init_failure ? pool_error("InitializerError", "%s", init_failure)
                                    : injected;
        failed = fail_all(c, out, v);
        first_err = v;
    } else if (c->nitems == 0) {
        for (uint32_t i = 0; i < n && !r.bad; i++)
            argv[i] = pool__rd_value(&r);
        if (r.bad)
            pool__die("worker %d: call %llu came garbled (%u arguments in %u bytes)",
                      (int)me_pid, (unsigned long long)c->id, n, c->args.len);
        pool_value v = run_one(fn, (pool_args){.v = argv, .count = (int)n});
        failed = v.kind == POOL_ERROR;
        first_err = result = v;     /* encoded once finished, below */
    } else {
        /* A chunk. Results are gathered as values first: if none holds a
         * string they go back as they are, else encoded. */
        static pool_value *res;
        static uint32_t cap;
        if (n > cap) {
            free(res);
            cap = n;
            res = malloc((size_t)cap * sizeof *res);
            if (res == NULL)
                pool__die("out of memory in a worker");
        }
        /* Each item is a row of argc values (pool_starmap), or one. */
        uint32_t width = c->argc ? c->argc : 1;
        const pool_value *raw = (c->flags & POOL__RAW_ARGS) ? (const pool_value *)bytes : NULL;
        if (width > POOL_MAX_ARGS ||
            (raw && c->args.len != (size_t)n * width * sizeof *raw))
            pool__die("worker %d: a garbled chunk", (int)me_pid);
        bool plain = true;
        for (uint32_t i = 0; i < n; i++) {
            const pool_value *row = raw ? &raw[(size_t)i * width] : argv;
            for (uint32_t j = 0; !raw && j < width; j++)
                argv[j] = pool__rd_value(&r);
            if (r.bad)
                pool__die("worker %d: a garbled chunk", (int)me_pid);
            int rooms = pool__room_count();
            pool_value v = run_one(fn, (pool_args){.v = row, .count = (int)width});
            size_t room_n;
            if (!pool__room_intact(rooms, &room_n))     /* the rooms this input took */
                v = pool_error("WorkerDied", "%s() wrote past the end of its "
                               "pool_bytes_alloc room of %zu bytes", c->name, room_n);
            res[i] = v;
            plain &= v.kind == POOL_INT || v.kind == POOL_DOUBLE || v.kind == POOL_NONE;
            if (v.kind == POOL_ERROR && failed++ == 0)
                first_err = v;
        }
        if (plain) {
            raw_result = true;
            pool__buf_put(out, res, (size_t)n * sizeof *res);
        } else {
            for (uint32_t i = 0; i < n; i++)
                pool__buf_put_value(out, res[i]);
        }
    }
    if (__fpending(stdout) > 0)
        fflush(stdout);     /* the task's lines come out before its result does */
    double end = pool__now();
    /* A task that made system calls (it ran a microsecond or more) may have
     * closed the pool's descriptor: then this worker leaves after the call,
     * before an innocent call needs it. Quicker tasks cost no check. */
    if (end - start >= 1e-6 && pool__blob_fd_lost(sh))
        leave = true;
    size_t room_n;
    if (c->nitems == 0 && !pool__room_intact(0, &room_n)) {
        /* Past a room's end, short of its guard page: nothing it made is
         * trusted, and the call fails. */
        pool_value v = pool_error("WorkerDied", "%s() wrote past the end of its "
                                  "pool_bytes_alloc room of %zu bytes", c->name, room_n);
        failed = fail_all(c, out, v);
        first_err = result = v;
        raw_result = false;
    }

    if (pool__forked) {
        /* A task forked and both processes came back here: this one is
         * not the worker. It ends without a word to the pool. */
        fprintf(stderr, "pool: a process forked by %s() returned from the task; "
                "it was ended (a task's child must call _exit)\n", c->name);
        _exit(0);
    }
    if (!pool__finish_begin(sh, seq, me)) {
        pool__room_release();
        return;     /* ended by someone else (the pool was terminated) */
    }
    c->pid = me_pid;
    c->worker = me;
    c->start = start;
    c->end = end;       /* last: a record with an end is whole (pool__fail_begin) */
    c->status = failed ? ST_ERROR : ST_OK;
    c->flags = raw_result ? POOL__RAW_RESULT : 0;
    if (send_result(sh, c, out, result) == -1) {
        /* No room in shared memory: the call fails, with a message that
         * fits in its slot. */
        char why[300];
        size_t len = c->nitems || out->len ? out->len : pool__values_size(&result, 1);
        if (errno == EBADF)
            leave = true;
        pool__place_error(why, sizeof why, len, errno);
        pool_value v = pool_error("PoolError", "the result could not be sent to the master: %.180s",
                                  why);
        failed = fail_all(c, out, v);
        first_err = v;
        c->status = ST_ERROR;
        c->flags = 0;
        if (pool__payload_put(sh, c, &c->result, out->data, out->len) == -1)
            c->result = (pool__payload){0};
    }
    if (atomic_load_explicit(&sh->trace_gen, memory_order_relaxed)) {
        char err[1200] = "";
        if (failed && c->nitems > 1)
            snprintf(err, sizeof err, "%d of %u inputs failed; the first: %s: %s", failed,
                     n, first_err.as.err.type, first_err.as.err.msg);
        else if (failed)
            snprintf(err, sizeof err, "%s: %s", first_err.as.err.type, first_err.as.err.msg);
        rec->len = 0;
        pool__trace_format(rec, sh, c, err);
        /* Kept in the worker's shared slot, written in batches: before the
         * worker sleeps, or by the supervisor if the worker or the master
         * dies first (tracefile.c). */
        pool__trace_add_worker(sh, me, rec->data, rec->len, false);
    }
    atomic_fetch_add_explicit(&pool__wslots(sh)[me].tasks, 1, memory_order_relaxed);
    atomic_store_explicit(&pool__wslots(sh)[me].holding, 0, memory_order_relaxed);
    /* The next call it claims has not begun until run_call says so. */
    atomic_store_explicit(&pool__wslots(sh)[me].start, 0, memory_order_relaxed);
    pool__finish_end(sh, seq);
    pool__room_release();
    task_name = "?";
}

/* True if any worker slot of the pool holds a call. */
static bool any_held(pool__shared *sh)
{
    int n = atomic_load(&sh->n);
    for (int i = 0; i < n && i < POOL_MAX_WORKERS; i++)
        if (atomic_load(&pool__wslots(sh)[i].holding) != 0)
            return true;
    return false;
}

/* Worker w of a pool whose calls run elsewhere (sh->remote): the transport
 * thread claims and finishes calls as w, and this process only stands in
 * for them, so that the supervisor stops one as it stops any (it kills
 * this process). It claims nothing, and leaves as a worker would, but only
 * once the transport holds nothing as w: when the pool is ended, or made
 * smaller than w, or closed with no call left to run. */
static void stand_in(pool__shared *sh, int w)
{
    for (;;) {
        uint32_t seen = atomic_load(&sh->work);
        uint32_t st = atomic_load(&sh->state);
        if (st == POOL_TERMINATING)
            return;
        if (atomic_load(&pool__wslots(sh)[w].holding) == 0 &&
            (w >= atomic_load(&sh->want) ||
             (st != POOL_RUNNING && !pool__queue_waiting(sh) && !any_held(sh))))
            return;
        pool__futex_wait(&sh->work, seen, 0.2);
    }
}

void pool__worker_main(pool__shared *sh, int w)
{
    me_sh = sh;
    me = w;
    me_pid = getpid();
    pool__in_worker = true;
    pool__forked = false;   /* a worker of a pool made inside a task is a worker */
    pool__trace_writer(w);
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGSYS, SIGTRAP};
    /* The handler runs on the alternate stack the supervisor set up
     * (pool__bt_prepare; fork keeps it). */
    struct sigaction sa = {.sa_sigaction = on_fatal, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &sa, NULL);
    on_exit(on_exit_call, NULL);

    pool__buf out = {0}, rec = {0};
    uint64_t seq;
    bool stands_in = pool__is_remote(sh);
    if (stands_in)
        stand_in(sh, w);
    while (!stands_in && (seq = pool__claim(sh, w)) != 0) {
        run_call(sh, seq, &out, &rec);
        arena_clear();
        if (leave)
            break;      /* its descriptor is gone: the supervisor starts another */
        uint64_t max = atomic_load(&sh->max_calls);
        if (max && atomic_load(&pool__wslots(sh)[w].tasks) >= max)
            break;      /* pool_set_max_calls: the supervisor starts another */
    }
    pool__trace_flush_worker_all(sh, w);
    fflush(stdout);
    _exit(0);
}
