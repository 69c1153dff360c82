/*
 * reader.c - the pool trace reader (formats v1 to v4).
 *
 * The whole file is read into memory, then walked line by line (trace_open,
 * trace_next) with a small RFC 4180 field splitter: only `function` and
 * `error` may be quoted, and a quoted field may hold commas, doubled quotes
 * and line breaks. trace_read builds the plots' view on that walk;
 * check.c, the format's every rule.
 */
#include "reader.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#define NFIELDS TRACE_FIELDS

static const char MAGIC[] = "# pool-trace v";     /* then 1, 2, 3 or 4 */
static const char HEADER[] = TRACE_HEADER;
static const char HEADER4[] = TRACE_HEADER_V4;

const char *trace_status_name(enum trace_status s)
{
    return pool_status_word((unsigned)s);
}

int trace_status_parse(const char *word)
{
    for (int i = 0; i < POOL_STATUS_COUNT; i++)
        if (strcmp(word, pool_status_looks[i].word) == 0)
            return i;
    return -1;
}

int trace_task_ran(const struct trace_task *k)
{
    return k->pid > 0 && k->worker >= 0;
}

int trace_end_abnormal(const struct trace_end *e)
{
    return strcmp(e->how, "exited with status 0") != 0;
}

static void complain(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void complain(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
}

/* Read the whole file; NUL-terminated. NULL with errno set on failure. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
            errno = ENOMEM;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    if (buf != NULL && ferror(f)) {
        int e = errno;
        free(buf);
        buf = NULL;
        errno = e;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* Split one record starting at *pos into at most NFIELDS fields, unquoting
 * in place. Advances *pos past the record's line end and counts the lines
 * it crossed. Returns the number of fields, -1 on a quoting error, or -2
 * for a record that runs off the end of the file (a trace cut short). */
static int split_record(char **pos, char *end, char *field[], int *lines, bool lenient)
{
    char *p = *pos;
    int n = 0;

    for (;;) {
        char *out = p, *start = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (p >= end)
                    return -2;              /* quote never closed */
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        *out++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (*p == '\n')
                    (*lines)++;
                *out++ = *p++;
            }
            if (p < end && *p != ',' && *p != '\n' && *p != '\r')
                return -1;                  /* text after a closing quote */
        } else {
            while (p < end && *p != ',' && *p != '\n' && *p != '"')
                out = ++p;
            if (p < end && *p == '"')
                return -1;                  /* a quote inside a bare field */
            if (out > start && out[-1] == '\r')
                out--;
        }
        char *sep = p;
        if (n < NFIELDS)
            field[n] = start;
        n++;
        if (p >= end && lenient) {          /* the last line, without its end */
            *out = '\0';
            *pos = p;
            (*lines)++;
            return n;
        }
        if (p >= end)
            return -2;                      /* no line end: cut short */
        if (*p == '\r')
            p++;
        if (*p == ',') {
            *out = '\0';
            p = sep + 1;
            continue;
        }
        if (*p != '\n')
            return -1;
        *out = '\0';
        *pos = p + 1;
        (*lines)++;
        return n;
    }
}

static int parse_long(const char *s, long min, long *v)
{
    char *e;
    if (*s == '\0' || !(*s == '-' || (*s >= '0' && *s <= '9')))
        return -1;
    errno = 0;
    long x = strtol(s, &e, 10);
    if (*e != '\0' || errno != 0 || x < min)
        return -1;
    *v = x;
    return 0;
}

/* A time: digits, optionally a point and more digits. */
static int parse_time(const char *s, double *v)
{
    const char *p = s;
    int digits = 0;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    if (*p != '\0' || digits == 0)
        return -1;
    *v = strtod(s, NULL);
    return isfinite(*v) ? 0 : -1;
}

static int parse_status(const char *s, enum trace_status *st)
{
    int i = trace_status_parse(s);
    if (i < 0)
        return -1;
    *st = (enum trace_status)i;
    return 0;
}

/* The v4 station of rank r among hosts; NULL if the header has none. */
static const struct trace_host *host_of(const struct trace_host *hosts, size_t nhosts, long r)
{
    for (size_t i = 0; i < nhosts; i++)
        if (hosts[i].rank == r)
            return &hosts[i];
    return NULL;
}

/* Check and copy the fields of one record into k; base: where the file's
 * task ids start (1 in v1 and v2, 0 in v3 and v4). k->id counts from 0.
 * v4: the record's host and rank are one of c's stations. */
static int parse_task(const struct trace_cursor *c, char *field[], struct trace_task *k,
                      int line, char *why, size_t size)
{
    long base = c->base;
    long worker;

    if (parse_long(field[0], base, &k->id) != 0) {
        complain(why, size, "line %d: task id '%s' is not a number from %ld",
                 line, field[0], base);
        return -1;
    }
    /* Messages name the task as the file does; k->id counts from 0 at the end. */
    if (field[1][0] == '\0') {
        complain(why, size, "line %d: task %ld has no function name", line, k->id);
        return -1;
    }
    if (parse_long(field[2], 0, &k->pid) != 0) {
        complain(why, size, "line %d: pid '%s' is not a number", line, field[2]);
        return -1;
    }
    if (parse_long(field[3], -1, &worker) != 0 || worker >= 4096) {
        complain(why, size, "line %d: worker slot '%s' is not -1 or a slot number",
                 line, field[3]);
        return -1;
    }
    k->worker = k->slot = (int)worker;
    k->rank = 0;
    k->host[0] = '\0';
    if (c->version >= 4) {
        /* Where it ran: a station of the header, and its slot there. */
        long rank;
        const struct trace_host *h = NULL;
        if (parse_long(field[10], -1, &rank) != 0 || rank == 0 ||
            (rank > 0 && (h = host_of(c->hosts, c->nhosts, rank)) == NULL)) {
            complain(why, size, "line %d: rank '%s' is not -1 or a station's rank "
                     "from the header", line, field[10]);
            return -1;
        }
        if (h ? strcmp(field[9], h->name) != 0 : field[9][0] != '\0') {
            complain(why, size, "line %d: host '%s' is not rank %ld's", line, field[9], rank);
            return -1;
        }
        if (h && worker >= h->workers) {
            complain(why, size, "line %d: worker slot %ld is past rank %ld's %d workers",
                     line, worker, rank, h->workers);
            return -1;
        }
        if (worker >= 0 && h == NULL) {
            complain(why, size, "line %d: a task that ran (slot %ld) names no station",
                     line, worker);
            return -1;
        }
        k->rank = (int)rank;
        if (h)
            snprintf(k->host, sizeof k->host, "%s", h->name);
        if (worker >= 0)
            k->worker = h->first + (int)worker;
    }
    if ((k->pid == 0) != (k->worker == -1)) {
        complain(why, size, "line %d: pid %ld and worker slot %d disagree "
                 "(a task that never started has pid 0 and slot -1)",
                 line, k->pid, k->worker);
        return -1;
    }
    static const char *tname[] = { "submit_s", "start_s", "end_s" };
    double *tv[] = { &k->submit, &k->start, &k->end };
    for (int i = 0; i < 3; i++)
        if (parse_time(field[4 + i], tv[i]) != 0) {
            complain(why, size, "line %d: %s '%s' is not a time in seconds",
                     line, tname[i], field[4 + i]);
            return -1;
        }
    if (k->end < k->start || k->start < k->submit) {
        complain(why, size, "line %d: task %ld has times out of order "
                 "(submit %s, start %s, end %s)",
                 line, k->id, field[4], field[5], field[6]);
        return -1;
    }
    if (parse_status(field[7], &k->status) != 0) {
        complain(why, size, "line %d: status '%s' is not ok, error, crash, "
                 "terminated, retried, cancelled or timeout", line, field[7]);
        return -1;
    }
    k->id -= base;
    k->function = strdup(field[1]);
    k->error = strdup(field[8]);
    if (k->function == NULL || k->error == NULL) {
        free(k->function);
        free(k->error);
        complain(why, size, "out of memory");
        return -1;
    }
    return 0;
}

/* By id, then in file order (the tries of one task). */
static int by_id(const void *a, const void *b)
{
    const struct trace_task *p = *(const struct trace_task *const *)a;
    const struct trace_task *q = *(const struct trace_task *const *)b;
    if (p->id != q->id)
        return (p->id > q->id) - (p->id < q->id);
    return (p > q) - (p < q);
}

/* By rank (v4: a pid names a process on its station's host), then pid. */
static int by_pid(const void *a, const void *b)
{
    const struct trace_task *p = *(const struct trace_task *const *)a;
    const struct trace_task *q = *(const struct trace_task *const *)b;
    if (p->rank != q->rank)
        return (p->rank > q->rank) - (p->rank < q->rank);
    return (p->pid > q->pid) - (p->pid < q->pid);
}

/* Refuse a trace in which one id appears twice (but for tries: every
 * record of an id but its last says retried), or one pid in two slots. */
static int check_unique(struct trace *t, char *why, size_t size)
{
    struct trace_task **v = malloc((t->ntasks + 1) * sizeof *v);
    int bad = 0;

    if (v == NULL) {
        complain(why, size, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < t->ntasks; i++)
        v[i] = &t->task[i];
    qsort(v, t->ntasks, sizeof *v, by_id);
    for (size_t i = 0; i < t->ntasks; i++)
        v[i]->queued = v[i]->submit;
    for (size_t i = 1; i < t->ntasks && !bad; i++)
        if (v[i]->id == v[i - 1]->id && v[i - 1]->status != TS_RETRIED) {
            complain(why, size, "task %ld appears twice",     /* as the file has it */
                     v[i]->id + (t->version < 3));
            bad = 1;
        } else if (v[i]->id == v[i - 1]->id && v[i - 1]->end <= v[i]->start) {
            v[i]->queued = v[i - 1]->end;   /* a retry waits from its try before's end */
        }
    qsort(v, t->ntasks, sizeof *v, by_pid);
    for (size_t i = 1; i < t->ntasks && !bad; i++)
        if (v[i]->pid != 0 && v[i]->pid == v[i - 1]->pid && v[i]->rank == v[i - 1]->rank &&
            v[i]->worker != v[i - 1]->worker) {
            complain(why, size, "pid %ld appears in two worker slots (%d and %d)",
                     v[i]->pid, v[i - 1]->worker, v[i]->worker);
            bad = 1;
        }
    free(v);
    return -bad;
}

static int add_span(struct trace *t, double from, double to, const char *on)
{
    struct trace_span *more = realloc(t->blocked, (t->nblocked + 1) * sizeof *more);
    if (more == NULL)
        return -1;
    t->blocked = more;
    more = &t->blocked[t->nblocked++];
    more->from = from;
    more->to = to;
    snprintf(more->on, sizeof more->on, "%s", on);
    return 0;
}

/* A v3 event line l (n bytes, no line end). A master's "wait" and
 * "resume" (TRACE.md) count the threads blocked (*depth); the master is
 * blocked while one is, from *from. Other events, and lines that do not
 * parse, are left alone: they are comments to a reader. -1: no memory. */
/* Copy the event line l (n bytes) into line (a string) if it begins with
 * head and fits; else return 0. */
static int event_line(const char *l, size_t n, const char *head, char *line, size_t size)
{
    size_t h = strlen(head);
    if (n >= size || n < h || strncmp(l, head, h) != 0)
        return 0;
    memcpy(line, l, n);
    line[n] = '\0';
    return 1;
}

static int master_event(struct trace *t, const char *l, size_t n, int *depth, double *from,
                        char *on, size_t onsize)
{
    char line[512];
    if (!event_line(l, n, "# event worker=master ", line, sizeof line))
        return 0;
    const char *at = strstr(line, " t="), *what = strstr(line, " what=");
    if (at == NULL || what == NULL)
        return 0;
    double when = strtod(at + 3, NULL);
    const char *pid = strstr(line, " pid=");
    if (pid)
        t->master_pid = strtol(pid + 5, NULL, 10);
    if (strncmp(what + 6, "wait ", 5) == 0) {
        if ((*depth)++ == 0) {
            /* Named by the first wait: "in #on", or "in" for the pool. */
            const char *in = strstr(line, " in="), *id = strstr(line, " on=");
            int a = in ? (int)strcspn(in + 4, " ") : 0, b = id ? (int)strcspn(id + 4, " ") : 0;
            bool num = id && id[4] >= '0' && id[4] <= '9';
            snprintf(on, onsize, "%.*s%s%.*s", a, in ? in + 4 : "", num ? " #" : "",
                     num ? b : 0, num ? id + 4 : "");
            *from = when;
        }
    } else if (strncmp(what + 6, "resume ", 7) == 0 && *depth > 0) {
        if (--*depth == 0)
            return add_span(t, *from, when, on);
    }
    return 0;
}

/* A v2/v3 worker's end event, "# event worker=W pid=P t=T what=end
 * how=\"...\"": kept in t->ends; its start event ("... what=start") in
 * t->starts. Other lines are left alone. -1: no memory. */
static int worker_end(struct trace *t, const char *l, size_t n)
{
    static const char head[] = "# event worker=";
    char line[512];
    if (!event_line(l, n, head, line, sizeof line))
        return 0;
    const char *w = line + sizeof head - 1, *pid = strstr(line, " pid="),
               *at = strstr(line, " t="), *how = strstr(line, " what=end how=\"");
    const char *start = strstr(line, " what=start");
    bool started = start != NULL && start[strlen(" what=start")] == '\0';
    if (*w < '0' || *w > '9' || pid == NULL || at == NULL || (how == NULL && !started))
        return 0;
    struct trace_end **list = started ? &t->starts : &t->ends;
    size_t *count = started ? &t->nstarts : &t->nends;
    struct trace_end *more = realloc(*list, (*count + 1) * sizeof *more);
    if (more == NULL)
        return -1;
    *list = more;
    struct trace_end *e = &more[(*count)++];
    if (started) {
        e->slot = atoi(w);
        e->pid = strtol(pid + 5, NULL, 10);
        e->t = strtod(at + 3, NULL);
        e->how[0] = '\0';
        return 0;
    }
    e->slot = atoi(w);
    e->pid = strtol(pid + 5, NULL, 10);
    e->t = strtod(at + 3, NULL);
    how += strlen(" what=end how=\"");
    size_t k = 0;
    for (; *how && k + 1 < sizeof e->how; how++) {
        if (*how == '\\' && how[1])
            how++;
        else if (*how == '"')
            break;
        e->how[k++] = *how;
    }
    e->how[k] = '\0';
    return 0;
}

/* The line at *p: its length without the line end goes in *len, and *p
 * moves past it. 0 if the file ends inside the line (no '\n'). */
static int take_line(char **p, char *end, size_t *len)
{
    char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);

    *len = n > 0 && (*p)[n - 1] == '\r' ? n - 1 : n;
    *p = nl ? nl + 1 : end;
    return nl != NULL;
}

/* A v4 "# host name="..." rank=R workers=N ... clock_offset_us=X
 * clock_uncertainty_us=U ..." line (n bytes): a station, whose slots
 * follow those of the station before. */
static int add_host(struct trace_cursor *c, const char *l, size_t n, char *why, size_t size)
{
    char s[512], name[64];
    int rank, workers;
    snprintf(s, sizeof s, "%.*s", (int)(n < sizeof s ? n : sizeof s - 1), l);
    const char *o = strstr(s, " clock_offset_us="), *u = strstr(s, " clock_uncertainty_us=");
    if (sscanf(s, "# host name=\"%63[^\"]\" rank=%d workers=%d", name, &rank, &workers) != 3 ||
        rank < 1 || workers < 0 || workers > 4096 || o == NULL || u == NULL ||
        host_of(c->hosts, c->nhosts, rank) != NULL ||
        (c->nhosts > 0 && rank < c->hosts[c->nhosts - 1].rank)) {
        complain(why, size, "line %d is not a station's line ('# host name=\"H\" rank=R "
                 "workers=N ...', ranks in order)", c->line);
        return -1;
    }
    struct trace_host *more = realloc(c->hosts, (c->nhosts + 1) * sizeof *more);
    if (more == NULL) {
        complain(why, size, "out of memory");
        return -1;
    }
    c->hosts = more;
    struct trace_host *h = &more[c->nhosts];
    snprintf(h->name, sizeof h->name, "%s", name);
    h->rank = rank;
    h->workers = workers;
    h->first = c->nhosts ? more[c->nhosts - 1].first + more[c->nhosts - 1].workers : 0;
    h->offset_us = strtod(o + 17, NULL);
    h->uncertainty_us = strtod(u + 22, NULL);
    c->nhosts++;
    return 0;
}

int trace_open(const char *path, int flags, struct trace_cursor *c, char *why, size_t size)
{
    size_t len;

    memset(c, 0, sizeof *c);
    c->lenient = (flags & TRACE_LENIENT) != 0;
    c->line = 1;
    c->buf = slurp(path, &len);
    if (c->buf == NULL) {
        complain(why, size, "cannot read it: %s", strerror(errno));
        return -1;
    }
    char *end = c->end = c->buf + len, *p = c->buf;
    if (len == 0) {
        complain(why, size, "the file is empty, not a pool trace");
        goto fail;
    }
    if (!c->lenient && memchr(c->buf, '\0', len) != NULL) {
        complain(why, size, "the file holds binary data, not a pool trace");
        goto fail;
    }

    char *l = p;
    size_t n;
    int whole = take_line(&p, end, &n);
    size_t m = strlen(MAGIC);
    c->version = n == m + 1 && strncmp(l, MAGIC, m) == 0 && l[m] >= '1' && l[m] <= '4'
                 ? l[m] - '0' : 0;
    if (c->version == 0) {
        if (strncmp(l, MAGIC, m) == 0)
            complain(why, size, "line 1 says '%.*s': this tool reads formats v1 to v4",
                     (int)(n < 40 ? n : 40), l);
        else
            complain(why, size, "not a pool trace: line 1 is not '%s3'", MAGIC);
        goto fail;
    }
    c->base = c->version >= 3 ? 0 : 1;
    c->fields = c->version >= 4 ? TRACE_FIELDS : TRACE_FIELDS_V3;
    if (!whole) {
        complain(why, size, "truncated: the file ends inside line 1");
        goto fail;
    }
    c->line = 2;
    l = p;
    whole = take_line(&p, end, &n);
    if (whole && n > 0 && *l == '#') {
        /* v2 to v4: where the trace came from ("# workers=N program=..."). */
        if (c->version >= 2) {
            c->about = l;
            c->aboutlen = n;
        }
        c->line = 3;
        l = p;
        whole = take_line(&p, end, &n);
    }
    /* v4: a "# host" line for each station, in rank order. */
    while (c->version >= 4 && whole && n > 7 && strncmp(l, "# host ", 7) == 0) {
        if (add_host(c, l, n, why, size) != 0)
            goto fail;
        c->line++;
        l = p;
        whole = take_line(&p, end, &n);
    }
    const char *header = c->version >= 4 ? HEADER4 : HEADER;
    if (n != strlen(header) || strncmp(l, header, n) != 0) {
        if (!whole && n == 0)
            complain(why, size, "truncated: no header line after line 1");
        else
            complain(why, size, "line %d is not the column header '%s'", c->line, header);
        goto fail;
    }
    if (!whole && !c->lenient) {
        complain(why, size, "truncated: the file ends inside line %d", c->line);
        goto fail;
    }
    c->header_line = c->line;
    c->line++;
    c->p = p;
    return 0;

fail:
    trace_close(c);
    return -1;
}

int trace_next(struct trace_cursor *c, struct trace_item *it, char *why, size_t size)
{
    for (;;) {
        if (c->p >= c->end)
            return 0;
        it->line = c->line;
        if (c->version >= 2 && *c->p == '#') {
            /* v2, v3: an event line ("# event ..."), not a record. */
            it->kind = TRACE_EVENT;
            it->text = c->p;
            it->nfields = 0;
            take_line(&c->p, c->end, &it->len);
            c->line++;
            return 1;
        }
        if (c->lenient && (*c->p == '\n' || *c->p == '\r')) {
            size_t n;               /* a blank line: nothing */
            take_line(&c->p, c->end, &n);
            c->line++;
            continue;
        }
        it->kind = TRACE_RECORD;
        it->text = NULL;
        it->len = 0;
        int n = split_record(&c->p, c->end, it->field, &c->line, c->lenient);
        if (n == -2) {
            if (c->lenient)
                return 0;           /* a last record cut short: not there */
            complain(why, size, "truncated: the record on line %d has no line "
                     "end (the trace was cut short)", it->line);
            return -1;
        }
        if (n < 0) {
            if (c->lenient) {       /* skip the line */
                size_t len;
                c->line = it->line + 1;
                take_line(&c->p, c->end, &len);
                continue;
            }
            complain(why, size, "line %d: garbled record (bad quoting)", it->line);
            return -1;
        }
        it->nfields = n;
        for (int i = n; i < NFIELDS; i++)
            it->field[i] = c->end;      /* the file's final NUL: "" */
        return 1;
    }
}

void trace_close(struct trace_cursor *c)
{
    free(c->buf);
    c->buf = c->p = c->end = NULL;
    free(c->hosts);
    c->hosts = NULL;
    c->nhosts = 0;
}

int trace_read(const char *path, struct trace *t, char *why, size_t size)
{
    struct trace_cursor c;
    struct trace_item it;

    t->task = NULL;
    t->ntasks = 0;
    t->workers = 0;
    t->time_scale = 0;
    t->program[0] = '\0';
    t->version = 0;
    t->blocked = NULL;
    t->nblocked = 0;
    t->master_pid = 0;
    t->ends = NULL;
    t->nends = 0;
    t->starts = NULL;
    t->nstarts = 0;
    t->hosts = NULL;
    t->nhosts = 0;
    if (trace_open(path, 0, &c, why, size) != 0)
        return -1;
    t->version = c.version;
    if (c.about != NULL && c.aboutlen > 10 && strncmp(c.about, "# workers=", 10) == 0) {
        /* v2, v3: where the trace came from; the pool's size is kept
         * (idle workers leave no record). */
        const char *l = c.about;
        size_t n = c.aboutlen;
        t->workers = atoi(l + 10);
        const char *ts = strstr(l, " time_scale=");
        if (ts && ts < l + n)
            t->time_scale = strtod(ts + 12, NULL);
        const char *pr = strstr(l, " program=\"");
        if (pr && pr < l + n) {
            size_t k = 0;
            for (pr += 10; *pr && *pr != '"' && *pr != '\n' && k + 1 < sizeof t->program; pr++)
                if (*pr != '\\')
                    t->program[k++] = *pr;
            t->program[k] = '\0';
        }
    }

    size_t cap = 0;
    int depth = 0;          /* master threads blocked at the moment */
    double from = 0;        /* since when */
    char on[48] = "";       /* on what */
    int got;
    while ((got = trace_next(&c, &it, why, size)) == 1) {
        if (it.kind == TRACE_EVENT) {
            /* v3's master events say when the master was blocked, a
             * worker's end event how it ended. */
            if ((t->version >= 3 &&
                 master_event(t, it.text, it.len, &depth, &from, on, sizeof on) != 0) ||
                worker_end(t, it.text, it.len) != 0) {
                complain(why, size, "out of memory");
                goto fail;
            }
            continue;
        }
        if (it.nfields != c.fields) {
            complain(why, size, "line %d: %d fields where a record has %d",
                     it.line, it.nfields, c.fields);
            goto fail;
        }
        if (t->ntasks == cap) {
            cap = cap ? cap * 2 : 64;
            struct trace_task *more = realloc(t->task, cap * sizeof *more);
            if (more == NULL) {
                complain(why, size, "out of memory");
                goto fail;
            }
            t->task = more;
        }
        if (parse_task(&c, it.field, &t->task[t->ntasks], it.line, why, size) != 0)
            goto fail;
        t->ntasks++;
    }
    if (got < 0)
        goto fail;
    if (t->ntasks == 0) {
        complain(why, size, "no task records: the program made no pool call "
                 "(or stopped before any ended)");
        goto fail;
    }
    if (check_unique(t, why, size) != 0)
        goto fail;
    if (depth > 0) {
        /* Still blocked when the trace ends (the program was killed):
         * until the last task's end. */
        double last = from;
        for (size_t i = 0; i < t->ntasks; i++)
            if (t->task[i].end > last)
                last = t->task[i].end;
        if (add_span(t, from, last, on) != 0) {
            complain(why, size, "out of memory");
            goto fail;
        }
    }
    /* The stations go with the trace. */
    t->hosts = c.hosts;
    t->nhosts = c.nhosts;
    c.hosts = NULL;
    c.nhosts = 0;
    trace_close(&c);
    return 0;

fail:
    trace_close(&c);
    trace_free(t);
    return -1;
}

void trace_free(struct trace *t)
{
    for (size_t i = 0; i < t->ntasks; i++) {
        free(t->task[i].function);
        free(t->task[i].error);
    }
    free(t->task);
    t->task = NULL;
    t->ntasks = 0;
    free(t->blocked);
    t->blocked = NULL;
    t->nblocked = 0;
    free(t->ends);
    t->ends = NULL;
    t->nends = 0;
    free(t->starts);
    t->starts = NULL;
    t->nstarts = 0;
    free(t->hosts);
    t->hosts = NULL;
    t->nhosts = 0;
}
