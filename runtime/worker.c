/*
 * worker.c - the loop a worker process runs, and what a task may call.
 *
 * A worker is single-threaded: a fork of the master that reads task frames
 * from its task pipe, runs each function, and writes one result frame per
 * task. Before a task it claims the frame and writes the task's id into its
 * shared slot (internal.h), so that the master knows what it runs, can take
 * back what it has not begun, and can tell what it was running if it dies.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

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

char *pool__worker_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    struct arena_str *a = malloc(sizeof *a + n);
    if (a == NULL)
        pool__die("out of memory in a worker");
    memcpy(a->s, s, n);
    a->next = arena;
    arena = a;
    return a->s;
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

/* The loop. ---------------------------------------------------------------- */

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(0);   /* the master is gone: nothing left to do */
        p += w;
        n -= (size_t)w;
    }
}

/* Claim frame seq: false if the master has taken it back. */
static bool claim(pool__slot *slot, uint64_t seq)
{
    uint64_t cur = __atomic_load_n(&slot->started, __ATOMIC_ACQUIRE);
    while (cur < seq)
        if (__atomic_compare_exchange_n(&slot->started, &cur, seq, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return true;
    return false;
}

/* Run one task frame, unless the master took it back; append its result
 * frame to out. */
static void run_task(pool__rd *r, pool__buf *out, pool__slot *slot)
{
    static pool_value argv[POOL_MAX_ARGS];
    uint64_t seq = pool__rd_u64(r);
    uint64_t id = pool__rd_u64(r);
    uint64_t fn_addr = pool__rd_u64(r);
    const char *name = pool__rd_str(r);
    uint32_t argc = pool__rd_u32(r);
    for (uint32_t i = 0; i < argc && i < POOL_MAX_ARGS && !r->bad; i++)
        argv[i] = pool__rd_value(r);
    if (r->bad || argc > POOL_MAX_ARGS || fn_addr == 0)
        pool__die("worker %d: a garbled task frame", (int)getpid());
    if (!claim(slot, seq))
        return;

    pool_fn fn = (pool_fn)(uintptr_t)fn_addr;
    pool_args args = {.v = argv, .count = (int)argc};
    double start = pool__now();
    __atomic_store_n(&slot->task, id, __ATOMIC_RELAXED);
    __atomic_store(&slot->start, &start, __ATOMIC_RELAXED);
    task_name = name;

    pool_value result;
    if (sigsetjmp(task_jump, 0) == 0)
        result = fn(args);
    else
        result = task_raised;
    fflush(stdout);     /* the task's lines come out before its result does */
    double end = pool__now();

    size_t at = pool__frame_begin(out);
    pool__buf_put_u64(out, id);
    pool__buf_put_f64(out, start);
    pool__buf_put_f64(out, end);
    pool__buf_put_value(out, result);
    pool__frame_end(out, at);
    task_name = "?";
}

void pool__worker_main(int task_fd, int result_fd, pool__slot *slot)
{
    pool__buf in = {0}, out = {0};
    pool__in_worker = true;

    for (;;) {
        pool__rd r;
        while (pool__frame_next(&in, &r)) {
            run_task(&r, &out, slot);
            /* Each result goes out at once: a result held back would be
             * lost if the next task killed this worker. */
            if (out.len) {
                write_all(result_fd, out.data, out.len);
                out.len = 0;
            }
            __atomic_store_n(&slot->task, 0, __ATOMIC_RELAXED);
            arena_clear();
        }
        pool__buf_compact(&in);
        pool__buf_reserve(&in, 64 * 1024);
        ssize_t n = read(task_fd, in.data + in.len, in.cap - in.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;      /* end of the task pipe: the pool is closing */
        in.len += (size_t)n;
    }
    fflush(stdout);
    _exit(0);
}
