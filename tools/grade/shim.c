/*
 * shim.c - records the calls a graded program makes and the results it
 * is given, so that the grader can tell right output from wrong.
 *
 * The trace names each task's function but not its arguments or result.
 * The grader links this file into every submission with
 *     -Wl,--wrap=pool_submit,--wrap=future_get,--wrap=pool_call,
 *     --wrap=pool_map_named,--wrap=pool_map_chunks,--wrap=future_successful,
 *     --wrap=pool_create,--wrap=pool_arg_int,--wrap=pool_submit_limit,
 *     --wrap=pool_map_async_start,--wrap=pool_map_wait,--wrap=future_cancel,
 *     --wrap=future_kill
 * so the program's own calls to these pass through here on their way to
 * the runtime (pool_apply_async, pool_apply_async_limit, pool_apply,
 * pool_map and pool_map_async expand to pool_submit, pool_submit_limit,
 * pool_call, pool_map_named and pool_map_async_start). The program behaves
 * exactly as without it. When $GRADE_CALLS names a file, lines are
 * appended to it, fields separated by tabs:
 *     call  INDEX  TASK  FUNCTION  ARG ...
 *     get   INDEX  KIND  VALUE ...
 *     limit INDEX  SECONDS         the call's time limit (pool_apply_async_limit)
 *     stop  INDEX  FUNCTION  RET  ERRNO   future_cancel or future_kill on the
 *                                  call, what it returned and errno by name
 *                                  (EBUSY, EALREADY, or a number; - for 0)
 *     early INDEX                  future_successful gave -1 (not finished)
 *     master                       a task's function ran in the master
 * INDEX counts calls from 0 in the order they were made (the "Process i"
 * of the exercises); a get or early line about a future whose call the
 * shim did not see (one made where no wrapper reaches, e.g. inside the
 * library) has "@TASK" for INDEX, its task id: the grader learns such a
 * call from the trace's call events (truth.awk). TASK is the call's task id, as in the trace (from 0,
 * so most often TASK is INDEX), or "-" for a call the pool refused; for a
 * call made inside pool_apply or pool_map the shim cannot see the id, and
 * writes "~B" (pool_apply: the first task after task B with this
 * function) or "~B:K" (input K of a pool_map or pool_map_async made after
 * task B); B is -1 before the first task. The results of a pool_map_async
 * are "get" lines once pool_map_wait says they are all in. An
 * argument or value is "int 13", "double 2.5", "str text", "none", or,
 * for a result only, "error TYPE MESSAGE" (three fields). A tab, a line
 * break or a backslash inside a string is written \t, \n or \\.
 *
 * Only master threads make calls, and each line goes out in one write()
 * on an O_APPEND descriptor, so lines never mix. A worker (a fork of the
 * master) writes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"

future *__real_pool_submit(pool *p, pool_fn fn, const char *name,
                           const pool_value *args, int count);
pool_value __real_future_get(future *f);
future *__wrap_pool_submit(pool *p, pool_fn fn, const char *name,
                           const pool_value *args, int count);
pool_value __wrap_future_get(future *f);
pool_value __real_pool_call(pool *p, pool_fn fn, const char *name,
                            const pool_value *args, int count);
pool_value __wrap_pool_call(pool *p, pool_fn fn, const char *name,
                            const pool_value *args, int count);
int __real_pool_map_named(pool *p, pool_fn fn, const char *name,
                          const pool_value *in, size_t n, pool_value *out);
int __wrap_pool_map_named(pool *p, pool_fn fn, const char *name,
                          const pool_value *in, size_t n, pool_value *out);
int __real_pool_map_chunks(pool *p, pool_fn fn, const char *name, const pool_value *in,
                           size_t n, pool_value *out, size_t chunksize);
int __wrap_pool_map_chunks(pool *p, pool_fn fn, const char *name, const pool_value *in,
                           size_t n, pool_value *out, size_t chunksize);
int __real_future_successful(future *f);
int __wrap_future_successful(future *f);
pool *__real_pool_create(int n);
pool *__wrap_pool_create(int n);
long __real_pool_arg_int(pool_args a, int i);
long __wrap_pool_arg_int(pool_args a, int i);
future *__real_pool_submit_limit(pool *p, double seconds, pool_fn fn, const char *name,
                                 const pool_value *args, int count);
future *__wrap_pool_submit_limit(pool *p, double seconds, pool_fn fn, const char *name,
                                 const pool_value *args, int count);
pool_map_result *__real_pool_map_async_start(pool *p, pool_fn fn, const char *name,
                                             const pool_value *in, size_t n, pool_value *out,
                                             size_t chunksize);
pool_map_result *__wrap_pool_map_async_start(pool *p, pool_fn fn, const char *name,
                                             const pool_value *in, size_t n, pool_value *out,
                                             size_t chunksize);
int __real_pool_map_wait(pool_map_result *m, double seconds);
int __wrap_pool_map_wait(pool_map_result *m, double seconds);
int __real_future_cancel(future *f);
int __wrap_future_cancel(future *f);
int __real_future_kill(future *f);
int __wrap_future_kill(future *f);

/* The futures seen so far and their call index; guarded by lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static future **seen;
static size_t nseen, cap;
static int fd = -2;                     /* -2: not opened yet; -1: off */
static long last_task = -1;             /* the newest task id seen (-1: none yet) */
static pid_t master;                    /* the process that made the first pool */
static int told_master;                 /* the "master" line is written */

/* Set while the runtime's own pool_call or pool_map runs, so that the
 * calls it makes inside are not counted twice (they would be if the
 * library's files call each other through these wrapped names). */
static __thread int inside;

/* A line being built, cut short (never overrun) if it grows too long. */
struct line {
    char buf[4096];
    size_t len;
};

/* Append s as it is: for numbers and the separators. */
static void raw(struct line *l, const char *s)
{
    for (; *s != '\0' && l->len < sizeof l->buf - 3; s++)
        l->buf[l->len++] = *s;
}

/* Append a string from the program, escaped. */
static void put(struct line *l, const char *s)
{
    for (; *s != '\0' && l->len < sizeof l->buf - 3; s++) {
        const char *esc = *s == '\t' ? "\\t" : *s == '\n' ? "\\n" : *s == '\\' ? "\\\\" : NULL;
        if (esc != NULL) {
            memcpy(l->buf + l->len, esc, 2);
            l->len += 2;
        } else {
            l->buf[l->len++] = *s;
        }
    }
}

static void putf(struct line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(struct line *l, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    raw(l, tmp);
}

static void put_value(struct line *l, pool_value v)
{
    switch (v.kind) {
    case POOL_NONE:   raw(l, "\tnone"); break;
    case POOL_INT:    putf(l, "\tint\t%ld", v.as.i); break;
    case POOL_DOUBLE: putf(l, "\tdouble\t%.17g", v.as.d); break;
    case POOL_STR:    raw(l, "\tstr\t"); put(l, v.as.s ? v.as.s : ""); break;
    case POOL_ERROR:
        raw(l, "\terror\t");
        put(l, v.as.err.type ? v.as.err.type : "");
        raw(l, "\t");
        put(l, v.as.err.msg ? v.as.err.msg : "");
        break;
    default:          putf(l, "\tkind%d", (int)v.kind); break;
    }
}

/* Caller holds lock. */
static void emit(struct line *l)
{
    if (fd == -2) {
        const char *path = getenv("GRADE_CALLS");
        fd = path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    }
    if (fd < 0)
        return;
    l->buf[l->len++] = '\n';
    if (write(fd, l->buf, l->len) < 0) {
        /* nothing to do: the grader will see the record missing */
    }
}

/* Make room for one more call; caller holds lock. */
static int grow(void)
{
    if (nseen < cap)
        return 0;
    size_t ncap = cap ? 2 * cap : 64;
    future **n = realloc(seen, ncap * sizeof *n);
    if (n == NULL)
        return -1;
    seen = n;
    cap = ncap;
    return 0;
}

/* Record a call the program made (f: its future, NULL if refused), and
 * its time limit if limit >= 0. */
static void record_submit(future *f, const char *name, const pool_value *args, int count,
                          double limit)
{
    struct line l = { .len = 0 };

    pthread_mutex_lock(&lock);
    if (grow() == 0) {
        seen[nseen] = f;
        if (f != NULL && (long)future_id(f) > last_task)
            last_task = (long)future_id(f);
        if (f != NULL)
            putf(&l, "call\t%zu\t%lu\t", nseen, future_id(f));
        else
            putf(&l, "call\t%zu\t-\t", nseen);
        put(&l, name ? name : "?");
        for (int i = 0; i < count && args != NULL; i++)
            put_value(&l, args[i]);
        emit(&l);
        if (limit >= 0) {
            struct line lim = { .len = 0 };
            putf(&lim, "limit\t%zu\t%.17g", nseen, limit);
            emit(&lim);
        }
        nseen++;
    }
    pthread_mutex_unlock(&lock);
}

future *__wrap_pool_submit(pool *p, pool_fn fn, const char *name,
                           const pool_value *args, int count)
{
    future *f = __real_pool_submit(p, fn, name, args, count);
    if (!inside)
        record_submit(f, name, args, count, -1);
    return f;
}

future *__wrap_pool_submit_limit(pool *p, double seconds, pool_fn fn, const char *name,
                                 const pool_value *args, int count)
{
    if (inside)
        return __real_pool_submit_limit(p, seconds, fn, name, args, count);
    inside++;
    future *f = __real_pool_submit_limit(p, seconds, fn, name, args, count);
    inside--;
    record_submit(f, name, args, count, seconds > 0 ? seconds : 0);
    return f;
}

pool_value __wrap_future_get(future *f)
{
    pool_value v = __real_future_get(f);
    struct line l = { .len = 0 };

    if (inside)
        return v;
    pthread_mutex_lock(&lock);
    size_t i = nseen;
    while (i-- > 0 && !(seen[i] == f && f != NULL))
        ;                                   /* the newest: a freed future's address may come back */
    if (i != (size_t)-1)
        putf(&l, "get\t%zu", i);
    else if (f != NULL)                     /* a call the shim did not see: by its task */
        putf(&l, "get\t@%lu", future_id(f));
    if (f != NULL) {
        put_value(&l, v);
        emit(&l);
    }
    pthread_mutex_unlock(&lock);
    return v;
}

int __wrap_future_successful(future *f)
{
    int ok = __real_future_successful(f);
    struct line l = { .len = 0 };

    if (ok != -1 || inside || f == NULL)
        return ok;
    pthread_mutex_lock(&lock);
    size_t i = nseen;
    while (i-- > 0 && seen[i] != f)
        ;
    if (i != (size_t)-1)
        putf(&l, "early\t%zu", i);
    else
        putf(&l, "early\t@%lu", future_id(f));
    emit(&l);
    pthread_mutex_unlock(&lock);
    return ok;
}

/* Record a future_cancel or future_kill of the program's, and what it gave. */
static int record_stop(future *f, const char *fn, int ret, int err)
{
    struct line l = { .len = 0 };

    if (inside)
        return ret;
    pthread_mutex_lock(&lock);
    for (size_t i = nseen; i-- > 0;) {
        if (seen[i] == f && f != NULL) {
            putf(&l, "stop\t%zu\t%s\t%d\t", i, fn, ret);
            raw(&l, ret == 0 ? "-" : err == EBUSY ? "EBUSY" : err == EALREADY ? "EALREADY" : "");
            if (ret != 0 && err != EBUSY && err != EALREADY)
                putf(&l, "%d", err);
            emit(&l);
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    errno = err;
    return ret;
}

int __wrap_future_cancel(future *f)
{
    int ret = __real_future_cancel(f);
    return record_stop(f, "future_cancel", ret, errno);
}

int __wrap_future_kill(future *f)
{
    int ret = __real_future_kill(f);
    return record_stop(f, "future_kill", ret, errno);
}

/* Record calls made inside the runtime: one per input, task "~B" or
 * "~B:K". Caller holds lock; returns the index of the first. */
static size_t record_inner(const char *name, const pool_value *args, int count, size_t n, int map)
{
    size_t first = nseen;
    for (size_t k = 0; k < n && grow() == 0; k++) {
        struct line l = { .len = 0 };
        seen[nseen] = NULL;
        if (map)
            putf(&l, "call\t%zu\t~%ld:%zu\t", nseen, last_task, k);
        else
            putf(&l, "call\t%zu\t~%ld\t", nseen, last_task);
        put(&l, name ? name : "?");
        if (map && args != NULL)
            put_value(&l, args[k]);
        for (int i = 0; !map && i < count && args != NULL; i++)
            put_value(&l, args[i]);
        nseen++;
        emit(&l);
    }
    return first;
}

/* The results the program was given for calls first, first + 1, ... */
static void record_results(size_t first, const pool_value *out, size_t n)
{
    pthread_mutex_lock(&lock);
    for (size_t k = 0; k < n && first + k < nseen; k++) {
        struct line l = { .len = 0 };
        putf(&l, "get\t%zu", first + k);
        put_value(&l, out[k]);
        emit(&l);
    }
    pthread_mutex_unlock(&lock);
}

pool_value __wrap_pool_call(pool *p, pool_fn fn, const char *name,
                            const pool_value *args, int count)
{
    if (inside)
        return __real_pool_call(p, fn, name, args, count);
    pthread_mutex_lock(&lock);
    size_t first = record_inner(name, args, count, 1, 0);
    pthread_mutex_unlock(&lock);
    inside++;
    pool_value v = __real_pool_call(p, fn, name, args, count);
    inside--;
    record_results(first, &v, 1);
    return v;
}

int __wrap_pool_map_named(pool *p, pool_fn fn, const char *name,
                          const pool_value *in, size_t n, pool_value *out)
{
    if (inside || in == NULL || out == NULL)
        return __real_pool_map_named(p, fn, name, in, n, out);
    pthread_mutex_lock(&lock);
    size_t first = record_inner(name, in, 1, n, 1);
    pthread_mutex_unlock(&lock);
    inside++;
    int failed = __real_pool_map_named(p, fn, name, in, n, out);
    inside--;
    if (failed >= 0)
        record_results(first, out, n);
    return failed;
}

int __wrap_pool_map_chunks(pool *p, pool_fn fn, const char *name, const pool_value *in,
                           size_t n, pool_value *out, size_t chunksize)
{
    if (inside || in == NULL || out == NULL)
        return __real_pool_map_chunks(p, fn, name, in, n, out, chunksize);
    pthread_mutex_lock(&lock);
    size_t first = record_inner(name, in, 1, n, 1);
    pthread_mutex_unlock(&lock);
    inside++;
    int failed = __real_pool_map_chunks(p, fn, name, in, n, out, chunksize);
    inside--;
    if (failed >= 0)
        record_results(first, out, n);
    return failed;
}

/* The maps made with pool_map_async: their first call index, inputs and
 * out, until pool_map_wait hands their results over. Guarded by lock. */
static struct async_map {
    pool_map_result *m;
    size_t first, n;
    pool_value *out;
} maps[64];

pool_map_result *__wrap_pool_map_async_start(pool *p, pool_fn fn, const char *name,
                                             const pool_value *in, size_t n, pool_value *out,
                                             size_t chunksize)
{
    if (inside || in == NULL || out == NULL)
        return __real_pool_map_async_start(p, fn, name, in, n, out, chunksize);
    pthread_mutex_lock(&lock);
    size_t first = record_inner(name, in, 1, n, 1);
    pthread_mutex_unlock(&lock);
    inside++;
    pool_map_result *m = __real_pool_map_async_start(p, fn, name, in, n, out, chunksize);
    inside--;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
        if (maps[i].m == m)             /* a map freed unwaited had this address */
            maps[i].m = NULL;
    for (size_t i = 0; m != NULL && i < sizeof maps / sizeof maps[0]; i++) {
        if (maps[i].m == NULL) {
            maps[i] = (struct async_map){ m, first, n, out };
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return m;
}

int __wrap_pool_map_wait(pool_map_result *m, double seconds)
{
    int failed = __real_pool_map_wait(m, seconds);
    struct async_map done = { 0 };

    if (inside || failed < 0)
        return failed;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; m != NULL && i < sizeof maps / sizeof maps[0]; i++) {
        if (maps[i].m == m) {           /* its results once: the slot is freed */
            done = maps[i];
            maps[i].m = NULL;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    if (done.m != NULL)
        record_results(done.first, done.out, done.n);
    return failed;
}

pool *__wrap_pool_create(int n)
{
    if (master == 0)
        master = getpid();
    return __real_pool_create(n);
}

/* Exercise functions read their arguments with pool_arg_int; in the
 * master, that means the program called the function itself. */
long __wrap_pool_arg_int(pool_args a, int i)
{
    if (master != 0 && getpid() == master && !told_master) {
        struct line l = { .len = 0 };
        pthread_mutex_lock(&lock);
        if (!told_master) {
            told_master = 1;
            raw(&l, "master");
            emit(&l);
        }
        pthread_mutex_unlock(&lock);
    }
    return __real_pool_arg_int(a, i);
}
