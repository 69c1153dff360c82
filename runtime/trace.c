/*
 * trace.c - the trace's format: one CSV record per call, the event lines
 * between them, the header (TRACE.md). Lines are made here into memory;
 * tracefile.c writes them to the file.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trace.h"
#include "base.h"
#include "remote.h"
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
    if (pool__is_remote(sh)) {
        /* Version 4: the host and the rank of the station it was sent to
         * ("" and -1: none). */
        pool__buf_put(b, ",", 1);
        if (c->rank > 0)
            csv_field(b, pool__remote->host(c->rank));
        char rank[24], *rank_end = rank + sizeof rank;
        char *r = put_int(rank_end, ',', c->rank > 0 ? c->rank : -1);
        pool__buf_put(b, r, (size_t)(rank_end - r));
    }
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

/* A call event. -------------------------------------------------------------- */

#define ARGS_MAX 300        /* bytes of arguments written, then ", ..." */

/* Append sep (none if NUL) and then v to b. */
static void buf_int(pool__buf *b, char sep, long long v)
{
    char s[24], *end = s + sizeof s, *at = put_int(end, sep ? sep : ' ', v);
    at += !sep;
    pool__buf_put(b, at, (size_t)(end - at));
}

/* Append ",S.UUUUUU" (t seconds) to b. */
static void buf_seconds(pool__buf *b, double t)
{
    char s[32], *end = s + sizeof s, *at = put_seconds(end, t);
    pool__buf_put(b, at, (size_t)(end - at));
}

/* Append n bytes of s inside a quoted value: '"' and '\' escaped by '\'. */
static void put_q(pool__buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            pool__buf_put(b, "\\", 1);
        pool__buf_put(b, &s[i], 1);
    }
}

/* Append v as a call event writes an argument (13, 2.5, "text", none,
 * bytes(N)), inside the quoted args value that began at from. False if a
 * string was cut short, the value past ARGS_MAX bytes. Written by hand, as
 * records are: one is made for every call. */
static bool put_arg(pool__buf *b, pool_value v, size_t from)
{
    char s[64];
    switch (v.kind) {
    case POOL_INT:
        buf_int(b, '\0', v.as.i);
        return true;
    case POOL_DOUBLE:
        snprintf(s, sizeof s, "%.17g", v.as.d);
        if (strpbrk(s, ".eEni") == NULL)
            strcat(s, ".0");        /* a double never reads as an int */
        break;
    case POOL_STR: {
        const char *c = v.as.s ? v.as.s : "";
        put_q(b, "\"", 1);
        for (; *c && b->len - from < ARGS_MAX; c++) {
            const char *esc = *c == '"' ? "\\\"" : *c == '\\' ? "\\\\" : *c == '\n' ? "\\n"
                            : *c == '\t' ? "\\t" : *c == '\r' ? "\\r" : NULL;
            put_q(b, esc ? esc : c, esc ? 2 : 1);
        }
        put_q(b, "\"", 1);
        return *c == '\0';
    }
    case POOL_NONE:
        snprintf(s, sizeof s, "none");
        break;
    case POOL_BYTES:
        snprintf(s, sizeof s, "bytes(%zu)", v.as.b.n);
        break;
    default:
        snprintf(s, sizeof s, "?");
        break;
    }
    pool__buf_put(b, s, strlen(s));
    return true;
}

/* Append a name and then v as "NAME=V". */
static void put_key(pool__buf *b, const char *name, long long v)
{
    pool__buf_put(b, name, strlen(name));
    buf_int(b, '=', v);
}

void pool__trace_call_line(pool__buf *b, const pool__shared *sh, pid_t pid, const char *api,
                           const char *name, uint64_t id, uint32_t nitems, uint64_t first,
                           double submit, const pool_value *args, int count)
{
    static const char head[] = "# event worker=master";
    pool__buf_put(b, head, sizeof head - 1);
    put_key(b, " pid", pid);
    pool__buf_put(b, " t", 2);
    size_t comma = b->len;
    buf_seconds(b, submit - sh->t0);        /* ",S.UUUUUU" */
    b->data[comma] = '=';
    pool__buf_put(b, " what=call api=", 15);
    pool__buf_put(b, api, strlen(api));
    pool__buf_put(b, " fn=", 4);
    quoted(b, name);
    put_key(b, " on", (long long)id);
    if (nitems) {
        put_key(b, " inputs", (long long)first);
        pool__buf_put(b, "..", 2);
        buf_int(b, '\0', (long long)(first + nitems - 1));
    }
    pool__buf_put(b, " args=\"", 7);
    /* The arguments, a chunk's rows; cut after ARGS_MAX bytes. */
    size_t rows = nitems ? nitems : 1, width = nitems && !count ? 1 : (size_t)count;
    if (strcmp(api, "pool_map_array") == 0 && count == 4) {
        args += 3;      /* its plumbing (a function's address, sizes), then the program's bytes */
        width = 1;
    }
    size_t from = b->len;
    bool whole = true;
    for (size_t r = 0; r < rows && whole; r++) {
        if (r)
            pool__buf_put(b, ", ", 2);
        if (nitems && count)
            pool__buf_put(b, "(", 1);      /* a row of a starmap */
        for (size_t i = 0; i < width && whole; i++) {
            if (i)
                pool__buf_put(b, ", ", 2);
            whole = put_arg(b, args[r * width + i], from) && b->len - from <= ARGS_MAX;
        }
        if (nitems && count && whole)
            pool__buf_put(b, ")", 1);
        if (whole && r + 1 < rows && b->len - from > ARGS_MAX)
            whole = false;
    }
    if (!whole)
        pool__buf_put(b, ", ...", 5);
    pool__buf_put(b, "\"\n", 2);
}

/* The first lines of a trace (TRACE.md, version 3; version 4 when remote,
 * the pool whose calls run elsewhere, is given): the version, where the
 * trace comes from, the stations, the column names. */
void pool__trace_header(pool__buf *b, int workers, double t0_mono, const pool *remote)
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

    const char *first = remote ? "# pool-trace v4\n# workers=" : "# pool-trace v3\n# workers=";
    pool__buf_put(b, first, strlen(first));
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
    snprintf(line, sizeof line, " runtime=%s", POOL_VERSION);
    pool__buf_put(b, line, strlen(line));
    if (remote)
        pool__remote->trace_hosts(remote, b);   /* " hosts=N\n", then "# host ..." lines */
    else
        pool__buf_put(b, "\n", 1);
    static const char columns[] =
        "task,function,pid,worker,submit_s,start_s,end_s,status,error\n";
    pool__buf_put(b, columns, sizeof columns - 1);
    if (remote) {
        b->len--;
        pool__buf_put(b, ",host,rank\n", 11);
    }
}
