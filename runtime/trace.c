/*
 * trace.c - the trace's format: one CSV record per call, the event lines
 * between them, the header (TRACE.md). Lines are made here into memory;
 * tracefile.c writes them to the file.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trace.h"
#include "base.h"
#include "shared.h"
#include "wire.h"

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
 * call, and %f alone costs more than the rest of the record. The numbers
 * are written backwards, two digits at a time, into one small buffer, and
 * the record goes into b in a few pieces: a worker makes one per call, on
 * the path of the next call. */

static const char two_digits[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Write the digits of v backwards, ending at end; return where they begin. */
static char *digits(char *end, unsigned long long v)
{
    while (v >= 100) {
        end -= 2;
        memcpy(end, two_digits + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        end -= 2;
        memcpy(end, two_digits + 2 * v, 2);
    } else {
        *--end = (char)('0' + v);
    }
    return end;
}

/* Write sep and then v backwards, ending at end; return where they begin. */
static char *put_int(char *end, char sep, long long v)
{
    char *at = digits(end, v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v);
    if (v < 0)
        *--at = '-';
    *--at = sep;
    return at;
}

/* Write ",S.UUUUUU" backwards (t seconds, to the microsecond), ending at
 * end; return where it begins. */
static char *put_seconds(char *end, double t)
{
    unsigned long long us = t > 0 ? (unsigned long long)(t * 1e6 + 0.5) : 0;
    unsigned long frac = (unsigned long)(us % 1000000);
    for (int i = 0; i < 3; i++, frac /= 100) {
        end -= 2;
        memcpy(end, two_digits + 2 * (frac % 100), 2);
    }
    *--end = '.';
    return put_int(end, ',', (long long)(us / 1000000));
}

void pool__trace_format(pool__buf *b, const pool__shared *sh, const pool__call *c,
                        const char *err)
{
    /* id, then the name, then the rest up to the error field */
    char head[24], *head_end = head + sizeof head;
    char *id = digits(head_end - 1, (unsigned long long)c->id);
    head_end[-1] = ',';
    pool__buf_put(b, id, (size_t)(head_end - id));
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
    const char *st = pool_status_word(c->status);
    size_t st_len = strlen(st);
    char tail[160], *end = tail + sizeof tail, *at = end - 2 - st_len;
    *at = ',';
    memcpy(at + 1, st, st_len);
    end[-1] = ',';
    at = put_seconds(at, c->end - sh->t0);
    at = put_seconds(at, c->start - sh->t0);
    at = put_seconds(at, c->submit - sh->t0);
    at = put_int(at, ',', c->worker);
    at = put_int(at, ',', c->pid);
    pool__buf_put(b, at, (size_t)(end - at));
    if (c->status != ST_OK && err)
        csv_field(b, err);
    pool__buf_put(b, "\n", 1);
}

void pool__trace_not_begun(pool__call *c)
{
    if (c->start < c->submit || c->start > c->end)
        c->start = c->end;
}

/* Event lines (TRACE.md, versions 2 and 3). ------------------------------------ */

size_t pool__trace_event_line(char *line, size_t size, const pool__shared *sh, int w,
                              pid_t pid, double at, const char *what, const char *how)
{
    int n = snprintf(line, size, "# event worker=%d pid=%d t=%.6f what=%s%s%s%s\n",
                     w, (int)pid, at - sh->t0, what, how ? " how=\"" : "",
                     how ? how : "", how ? "\"" : "");
    return n <= 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

size_t pool__trace_wait_line(char *line, size_t size, const pool__shared *sh, pid_t pid,
                             double at, const char *what, const char *in, long long on,
                             size_t n)
{
    char whom[48];
    if (on < 0)
        snprintf(whom, sizeof whom, "all");
    else if (n > 1)
        snprintf(whom, sizeof whom, "%lld n=%zu", on, n);
    else
        snprintf(whom, sizeof whom, "%lld", on);
    int len = snprintf(line, size, "# event worker=master pid=%d t=%.6f what=%s in=%s on=%s\n",
                       (int)pid, at - sh->t0, what, in, whom);
    return len <= 0 ? 0 : (size_t)len < size ? (size_t)len : size - 1;
}

/* The header. ------------------------------------------------------------------ */

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

void pool__trace_header(pool__buf *b, int workers, double t0_mono)
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
    double t0 = (double)real.tv_sec + (double)real.tv_nsec / 1e9 - (pool__now() - t0_mono);
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
    snprintf(line, sizeof line, "%d", workers);
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
