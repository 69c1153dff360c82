/*
 * trace.c - one CSV record per call, written by whoever ends the call.
 *
 * The trace's path lives in the shared region. Each process that ends calls
 * (a worker, the supervisor, the master) opens it for itself with O_APPEND,
 * so records from several processes never overwrite each other. A worker
 * gathers its records in its shared slot and writes them when the slot is
 * full or before it sleeps; if it dies first, the supervisor writes them.
 * So a record is safe in shared memory the moment its call is DONE, and on
 * disk soon after, even if the master is killed (see TRACE.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdlib.h>
#include <sys/stat.h>

#include "master.h"

static const char *const status_name[] = {"ok", "error", "crash", "terminated",
                                           "cancelled", "timeout", "retried"};

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

/* The record is written by hand, not with printf: one is made for every
 * call, and %f alone costs more than the rest of the record. */

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

void pool__trace_format(pool__buf *b, const pool__shared *sh, const pool__call *c,
                        const char *err)
{
    put_int(b, '\0', (long long)c->id);
    pool__buf_put(b, ",", 1);
    if (c->nitems > 1) {
        /* A chunk of a map: name[first..last], the inputs it ran. */
        char name[128];
        snprintf(name, sizeof name, "%s[%llu..%llu]", c->name,
                 (unsigned long long)c->first,
                 (unsigned long long)(c->first + c->nitems - 1));
        csv_field(b, name);
    } else {
        csv_field(b, c->name);
    }
    put_int(b, ',', c->pid);
    put_int(b, ',', c->worker);
    put_seconds(b, c->submit - sh->t0);
    put_seconds(b, c->start - sh->t0);
    put_seconds(b, c->end - sh->t0);
    pool__buf_put(b, ",", 1);
    const char *st = status_name[c->status <= ST_RETRIED ? c->status : ST_ERROR];
    pool__buf_put(b, st, strlen(st));
    pool__buf_put(b, ",", 1);
    if (c->status != ST_OK && err)
        csv_field(b, err);
    pool__buf_put(b, "\n", 1);
}

/* This process's descriptor for the trace, and which path it is for: the
 * pool (by its serial: a pool made after another was destroyed may be
 * mapped at the same address) and the path's generation. */
static int trace_fd = -1;
static dev_t trace_dev;         /* what trace_fd was opened on: a task may */
static ino_t trace_ino;         /* close the number and reuse it */
static uint32_t trace_gen;
static const pool__shared *trace_of;
static uint64_t trace_serial;

static bool following(const pool__shared *sh)
{
    return trace_of == sh && trace_serial == sh->serial;
}

/* trace_fd still names the file it was opened on (in a worker, a task may
 * have closed every descriptor and opened files of its own). */
static bool trace_fd_ours(void)
{
    struct stat st;
    return trace_fd >= 0 && fstat(trace_fd, &st) == 0 && st.st_dev == trace_dev &&
           st.st_ino == trace_ino;
}

/* Point this process's descriptor at the pool's current trace file. */
static void follow(pool__shared *sh, uint32_t gen)
{
    if (following(sh) && trace_gen == gen && (!pool__in_worker || trace_fd_ours()))
        return;
    if (trace_fd_ours())
        close(trace_fd);    /* never a number a task took over */
    /* The master made the file and checked that it is a regular one. */
    trace_fd = open(sh->trace_path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (trace_fd >= 0 && fstat(trace_fd, &st) == 0) {
        trace_dev = st.st_dev;
        trace_ino = st.st_ino;
    }
    trace_of = sh;
    trace_serial = sh->serial;
    trace_gen = gen;
}

static void write_all(const char *p, size_t n)
{
    while (n > 0 && trace_fd >= 0) {
        ssize_t w = write(trace_fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;      /* a full disk: the records are lost, the calls are not */
        p += w;
        n -= (size_t)w;
    }
}

void pool__trace_write(pool__shared *sh, const char *p, size_t n)
{
    uint32_t gen = atomic_load(&sh->trace_gen);
    if (gen == 0 || n == 0)
        return;
    follow(sh, gen);
    write_all(p, n);
}

void pool__trace_flush_worker(pool__shared *sh, int w)
{
    pool__wslot *ws = &pool__wslots(sh)[w];
    uint32_t n = atomic_load(&ws->trace_len);
    if (n > 0) {
        if (following(sh) && trace_fd_ours())
            write_all(ws->trace, n);    /* the file they were made for */
        else
            pool__trace_write(sh, ws->trace, n);
        atomic_store(&ws->trace_len, 0);
    }
}

void pool__trace_add_worker(pool__shared *sh, int w, const char *rec, size_t n, bool now)
{
    pool__wslot *ws = &pool__wslots(sh)[w];
    uint32_t gen = atomic_load(&sh->trace_gen);
    if (gen == 0)
        return;
    /* Records made for the file before a pool_trace_open go to that file. */
    if (!following(sh) || trace_gen != gen) {
        pool__trace_flush_worker(sh, w);
        follow(sh, gen);
    }
    uint32_t len = atomic_load(&ws->trace_len);
    if (len + n > POOL__TRACE_BUF) {
        pool__trace_flush_worker(sh, w);
        len = 0;
    }
    if (n > POOL__TRACE_BUF) {
        write_all(rec, n);
        return;
    }
    memcpy(ws->trace + len, rec, n);
    atomic_store(&ws->trace_len, len + (uint32_t)n);
    if (now)
        pool__trace_flush_worker(sh, w);
}

void pool__trace_event(pool__shared *sh, int w, pid_t pid, const char *what,
                       const char *how)
{
    if (!atomic_load(&sh->trace_gen))
        return;
    char line[512];
    int n = snprintf(line, sizeof line, "# event worker=%d pid=%d t=%.6f what=%s%s%s%s\n",
                     w, (int)pid, pool__now() - sh->t0, what, how ? " how=\"" : "",
                     how ? how : "", how ? "\"" : "");
    if (n > 0)
        pool__trace_write(sh, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* The master. ---------------------------------------------------------------- */

void pool__trace_master(pool *p, const char *what, const char *in, long long on, size_t n)
{
    pool__shared *sh = p->sh;
    if (!atomic_load(&sh->trace_gen))
        return;
    char line[256], whom[48];
    if (on < 0)
        snprintf(whom, sizeof whom, "all");
    else if (n > 1)
        snprintf(whom, sizeof whom, "%lld n=%zu", on, n);
    else
        snprintf(whom, sizeof whom, "%lld", on);
    int len = snprintf(line, sizeof line, "# event worker=master pid=%d t=%.6f what=%s in=%s on=%s\n",
                       (int)pool__self, pool__now() - sh->t0, what, in, whom);
    /* The pool's own descriptor, used under p->lock: threads of the master
     * may wait at once, and this process's shared one is not theirs to
     * reopen. Opened again when the path changes. One write() of a short
     * line to an O_APPEND file is never split by another's. */
    uint32_t gen = atomic_load(&sh->trace_gen);
    if (p->event_gen != gen) {
        if (p->event_fd >= 0)
            close(p->event_fd);
        p->event_fd = open(sh->trace_path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        p->event_gen = gen;
    }
    if (p->event_fd >= 0 && len > 0) {
        ssize_t w = write(p->event_fd, line,
                          (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
        (void)w;    /* a full disk: the event is lost, the wait is not */
    }
}

/* The master: pool_trace_open. ----------------------------------------------- */

/* Append s to b as a quoted value: "..." with " and \ escaped by \. */
static void quoted(pool__buf *b, const char *s)
{
    pool__buf_put(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            pool__buf_put(b, "\\", 1);
        pool__buf_put(b, *s == '\n' ? " " : s, 1);
    }
    pool__buf_put(b, "\"", 1);
}

/* The first lines of a trace (TRACE.md, version 3): the version, where the
 * trace comes from, the column names. */
static void trace_header(pool__buf *b, const pool *p)
{
    char line[512];
    /* The program and its arguments, as the kernel has them. */
    char cmd[4096];
    size_t n = 0;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t got = read(fd, cmd, sizeof cmd - 1);
        n = got > 0 ? (size_t)got : 0;
        close(fd);
    }
    cmd[n] = '\0';
    const char *prog = n ? cmd : "?";
    const char *slash = strrchr(prog, '/');
    /* The pool's time 0 on the wall clock. */
    struct timespec real;
    clock_gettime(CLOCK_REALTIME, &real);
    double t0 = (double)real.tv_sec + (double)real.tv_nsec / 1e9 - (pool__now() - p->sh->t0);
    time_t secs = (time_t)t0;
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    char host[256] = "?";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';

    static const char first[] = "# pool-trace v3\n# workers=";
    pool__buf_put(b, first, sizeof first - 1);
    snprintf(line, sizeof line, "%d", p->n);
    pool__buf_put(b, line, strlen(line));
    pool__buf_put(b, " program=", 9);
    quoted(b, slash ? slash + 1 : prog);
    pool__buf_put(b, " args=", 6);
    pool__buf args = {0};
    for (size_t at = strlen(cmd) + 1; n && at < n; at += strlen(cmd + at) + 1) {
        if (args.len)
            pool__buf_put(&args, " ", 1);
        pool__buf_put(&args, cmd + at, strlen(cmd + at));
    }
    pool__buf_put(&args, "", 1);
    quoted(b, args.data);
    pool__buf_free(&args);
    snprintf(line, sizeof line, " time_scale=%g start=%s.%06ldZ host=", pool_time_scale(),
             when, (long)((t0 - (double)secs) * 1e6));
    pool__buf_put(b, line, strlen(line));
    quoted(b, host);
    snprintf(line, sizeof line, " runtime=%s\n", POOL_VERSION);
    pool__buf_put(b, line, strlen(line));
    static const char columns[] =
        "task,function,pid,worker,submit_s,start_s,end_s,status,error\n";
    pool__buf_put(b, columns, sizeof columns - 1);
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
    if (pool__trace_in_use(p, &st)) {
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
    pool__buf head = {0};
    trace_header(&head, p);
    bool wrote = ftruncate(fd, 0) == 0 && write(fd, head.data, head.len) == (ssize_t)head.len;
    pool__buf_free(&head);
    if (!wrote) {
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
