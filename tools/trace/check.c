/*
 * check.c - every rule of runtime/TRACE.md, each broken one reported.
 *
 * trace_read (reader.c) stops at the first thing it cannot vouch for, which
 * is what a plot needs. A test wants to know all that is wrong with a trace
 * the runtime wrote, and the rules the plots do not need: six decimals,
 * the shape of line 2 and of every event line, an error exactly when the
 * status is not ok, the master's resumes after their waits.
 */
#include "reader.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct checker {
    const char *path;
    void (*problem)(void *ctx, const char *sentence);
    void *ctx;
    int problems;
    bool nomem;
};

static void say(struct checker *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct checker *k, const char *fmt, ...)
{
    char s[600];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s, sizeof s, fmt, ap);
    va_end(ap);
    k->problems++;
    k->problem(k->ctx, s);
}

/* Reading a line token by token: each takes what it names from *s and
 * moves past it, or returns false and leaves *s anywhere. */

static bool lit(const char **s, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(*s, word, n) != 0)
        return false;
    *s += n;
    return true;
}

/* One or more digits. */
static bool digits(const char **s)
{
    const char *p = *s;
    while (isdigit((unsigned char)*p))
        p++;
    if (p == *s)
        return false;
    *s = p;
    return true;
}

/* Seconds with six decimals: "12.000345". */
static bool seconds(const char **s)
{
    const char *p = *s;
    if (!digits(&p) || *p++ != '.')
        return false;
    for (int i = 0; i < 6; i++)
        if (!isdigit((unsigned char)*p++))
            return false;
    if (isdigit((unsigned char)*p))
        return false;
    *s = p;
    return true;
}

/* A quoted value of line 2: "..." with \" and \\ inside. */
static bool quoted(const char **s)
{
    const char *p = *s;
    if (*p++ != '"')
        return false;
    for (; *p != '"'; p++) {
        if (*p == '\0')
            return false;
        if (*p == '\\' && *++p == '\0')
            return false;
    }
    *s = p + 1;
    return true;
}

/* A value without spaces, at least one character. */
static bool word(const char **s)
{
    const char *p = *s;
    while (*p != '\0' && *p != ' ')
        p++;
    if (p == *s)
        return false;
    *s = p;
    return true;
}

/* Letters, digits and '_' (a C name), at least one. */
static bool name(const char **s, char *into, size_t size)
{
    const char *p = *s;
    while (isalnum((unsigned char)*p) || *p == '_')
        p++;
    if (p == *s || (size_t)(p - *s) >= size)
        return false;
    if (into != NULL) {
        memcpy(into, *s, (size_t)(p - *s));
        into[p - *s] = '\0';
    }
    *s = p;
    return true;
}

/* Line 2 (v2 to v4): '# workers=N program="..." args="..." time_scale=S
 * start=YYYY-MM-DDTHH:MM:SS.UUUUUUZ host="..." runtime=V', then in v4
 * only ' hosts=N'. */
static bool about_line(const char *s, int version)
{
    if (!lit(&s, "# workers=") || !digits(&s) || !lit(&s, " program=") || !quoted(&s) ||
        !lit(&s, " args=") || !quoted(&s) || !lit(&s, " time_scale=") || !word(&s) ||
        !lit(&s, " start="))
        return false;
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    for (const char *f = shape; *f; f++, s++)
        if (*f == 'd' ? !isdigit((unsigned char)*s) : *s != *f)
            return false;
    while (isdigit((unsigned char)*s) || *s == ':' || *s == '.')
        s++;
    if (!lit(&s, "Z host=") || !quoted(&s) || !lit(&s, " runtime=") || !word(&s))
        return false;
    /* v4 (across machines): the number of hosts, and v4 only. */
    return version >= 4 ? lit(&s, " hosts=") && digits(&s) && *s == '\0' : *s == '\0';
}

/* A worker's event: '# event worker=W pid=P t=T what=start', or
 * 'what=end' with ' how="..."' (no quote inside). */
static bool worker_event(const char *s)
{
    if (!lit(&s, "# event worker=") || !digits(&s) || !lit(&s, " pid=") || !digits(&s) ||
        !lit(&s, " t=") || !seconds(&s) || !lit(&s, " what="))
        return false;
    if (lit(&s, "start"))
        return *s == '\0';
    if (!lit(&s, "end"))
        return false;
    if (*s == '\0')
        return true;
    if (!lit(&s, " how=\""))
        return false;
    const char *q = strchr(s, '"');
    return q != NULL && q[1] == '\0';
}

/* Copy a quoted value of an event ("..." with \" and \\) unescaped into a
 * new string; NULL if it is not one. */
static char *unquote(const char **s)
{
    const char *p = *s;
    if (!quoted(&p))
        return NULL;
    char *v = malloc((size_t)(p - *s)), *o = v;
    if (v == NULL)
        return NULL;
    for (const char *q = *s + 1; q < p - 1; q++) {
        if (*q == '\\')
            q++;
        *o++ = *q;
    }
    *o = '\0';
    *s = p;
    return v;
}

int trace_master_event(const char *text, size_t len, struct trace_event *e)
{
    char line[2048];
    memset(e, 0, sizeof *e);
    if (len >= sizeof line)
        return 0;
    memcpy(line, text, len);
    line[len] = '\0';
    const char *s = line;
    if (!lit(&s, "# event worker=master pid=") || !digits(&s) || !lit(&s, " t="))
        return 0;
    const char *t = s;
    if (!seconds(&s) || (size_t)(s - t) >= sizeof e->t)
        return 0;
    memcpy(e->t, t, (size_t)(s - t));
    bool call = false;
    if (lit(&s, " what=wait in="))
        snprintf(e->what, sizeof e->what, "wait");
    else if (lit(&s, " what=resume in="))
        snprintf(e->what, sizeof e->what, "resume");
    else if (lit(&s, " what=call api="))
        snprintf(e->what, sizeof e->what, "call"), call = true;
    else
        return 0;
    if (!name(&s, e->in, sizeof e->in))
        return 0;
    if (call) {
        const char *q;
        if (!lit(&s, " fn=") || !quoted((q = s, &q)))
            return 0;
        if ((e->fn = unquote(&s)) == NULL)
            return -1;
    }
    if (!lit(&s, " on="))
        goto bad;
    const char *on = s;
    if (lit(&s, "all")) {
        if (call)
            goto bad;
    } else if (!digits(&s) || (!call && lit(&s, " n=") && !digits(&s))) {
        goto bad;
    }
    if ((size_t)(s - on) >= sizeof e->on)
        goto bad;
    memcpy(e->on, on, (size_t)(s - on));
    if (call && lit(&s, " inputs=")) {
        const char *from = s;
        if (!digits(&s) || !lit(&s, "..") || !digits(&s) ||
            (size_t)(s - from) >= sizeof e->inputs)
            goto bad;
        memcpy(e->inputs, from, (size_t)(s - from));
    }
    if (call) {
        const char *q;
        if (!lit(&s, " args=") || !quoted((q = s, &q)))
            goto bad;
        if ((e->args = unquote(&s)) == NULL) {
            free(e->fn);
            e->fn = NULL;
            return -1;
        }
    }
    if (*s == '\0')
        return 1;
bad:
    free(e->fn);
    free(e->args);
    e->fn = e->args = NULL;
    return 0;
}

/* The last status of each task id, by id (ids are small: an array). */
struct last {
    signed char *status;        /* -1: no record yet */
    int *line;
    size_t cap;
};

static bool last_grow(struct last *l, unsigned long id)
{
    if (id < l->cap)
        return true;
    if (id > 100000000)
        return false;
    size_t cap = l->cap ? l->cap : 256;
    while (cap <= id)
        cap *= 2;
    signed char *st = realloc(l->status, cap);
    if (st == NULL)
        return false;
    l->status = st;
    int *ln = realloc(l->line, cap * sizeof *ln);
    if (ln == NULL)
        return false;
    l->line = ln;
    memset(st + l->cap, -1, cap - l->cap);
    l->cap = cap;
    return true;
}

static bool is_time(const char *s)
{
    return seconds(&s) && *s == '\0';
}

/* A number from digits only. */
static bool is_count(const char *s)
{
    return digits(&s) && *s == '\0';
}

/* Keep record fields f (the id already counted from 0) in out. */
static bool keep_record(struct trace_checked *out, char *f[TRACE_FIELDS], size_t *cap)
{
    if (out->nrecords == *cap) {
        size_t more = *cap ? *cap * 2 : 64;
        char *(*r)[TRACE_FIELDS] = realloc(out->record, more * sizeof *r);
        if (r == NULL)
            return false;
        out->record = r;
        *cap = more;
    }
    for (int i = 0; i < TRACE_FIELDS; i++)
        if ((out->record[out->nrecords][i] = strdup(f[i])) == NULL) {
            while (i-- > 0)
                free(out->record[out->nrecords][i]);
            return false;
        }
    out->nrecords++;
    return true;
}

static bool keep_event(struct trace_checked *out, struct trace_event *e, size_t *cap)
{
    if (out->nevents == *cap) {
        size_t more = *cap ? *cap * 2 : 32;
        struct trace_event *v = realloc(out->event, more * sizeof *v);
        if (v == NULL)
            return false;
        out->event = v;
        *cap = more;
    }
    out->event[out->nevents++] = *e;
    return true;
}

/* One record's fields (its line: where). */
static void check_record(struct checker *k, const struct trace_cursor *c, struct trace_item *it,
                         struct last *last, char idtext[32])
{
    long base = c->base;
    char **f = it->field;
    int where = it->line;

    snprintf(idtext, 32, "%s", f[0]);
    if (!is_count(f[0]) || strtol(f[0], NULL, 10) < base) {
        say(k, "line %d: task id '%s' is not a number from %ld", where, f[0], base);
    } else {
        unsigned long id = strtoul(f[0], NULL, 10) - (unsigned long)base;
        if (!last_grow(last, id)) {
            say(k, "line %d: task id '%s' is too large", where, f[0]);
        } else {
            if (last->status[id] >= 0 && last->status[id] != TS_RETRIED)
                say(k, "line %d: repeated task id '%s' (its record on line %d says %s, "
                    "not retried)", where, f[0], last->line[id],
                    trace_status_name((enum trace_status)last->status[id]));
            int st = trace_status_parse(f[7]);
            last->status[id] = (signed char)(st >= 0 ? st : TS_ERROR);
            last->line[id] = where;
            snprintf(idtext, 32, "%lu", id);
        }
    }
    if (f[1][0] == '\0')
        say(k, "line %d: no function name", where);
    if (!is_count(f[2]) || !(is_count(f[3]) || (f[3][0] == '-' && is_count(f[3] + 1)))) {
        say(k, "line %d: bad pid '%s' or worker '%s'", where, f[2], f[3]);
    } else if ((strcmp(f[2], "0") == 0) != (strcmp(f[3], "-1") == 0)) {
        say(k, "line %d: pid %s with worker %s (a task that never started has pid 0 "
            "and worker -1)", where, f[2], f[3]);
    }
    static const char *tname[] = { "submit_s", "start_s", "end_s" };
    bool times = true;
    for (int i = 0; i < 3; i++)
        if (!is_time(f[4 + i])) {
            say(k, "line %d: %s '%s' is not seconds with six decimals", where, tname[i],
                f[4 + i]);
            times = false;
        }
    if (times && !(strtod(f[4], NULL) <= strtod(f[5], NULL) &&
                   strtod(f[5], NULL) <= strtod(f[6], NULL)))
        say(k, "line %d: not submit <= start <= end: %s %s %s", where, f[4], f[5], f[6]);
    int st = trace_status_parse(f[7]);
    if (st < 0)
        say(k, "line %d: unknown status '%s'", where, f[7]);
    if ((strcmp(f[7], "ok") == 0) != (f[8][0] == '\0'))
        say(k, "line %d: status %s with error '%s'", where, f[7], f[8]);
    if (c->version >= 4) {
        /* Where it ran: a station of a "# host" line ("" and -1: none),
         * and a slot below its workers. */
        const struct trace_host *h = NULL;
        bool none = strcmp(f[9], "") == 0 && strcmp(f[10], "-1") == 0;
        if (is_count(f[10]))
            for (size_t i = 0; i < c->nhosts; i++)
                if (c->hosts[i].rank == atoi(f[10]))
                    h = &c->hosts[i];
        if (!none && !(h && strcmp(f[9], h->name) == 0))
            say(k, "line %d: host '%s' and rank '%s' are no station's", where, f[9], f[10]);
        else if (is_count(f[3]) && !(h && atol(f[3]) < h->workers))
            say(k, "line %d: worker %s is no slot of rank %s", where, f[3], f[10]);
    }
}

int trace_check(const char *path, struct trace_checked *out,
                void (*problem)(void *ctx, const char *sentence), void *ctx)
{
    struct checker k = { path, problem, ctx, 0, false };
    struct trace_cursor c;
    struct trace_item it;
    struct last last = { NULL, NULL, 0 };
    struct trace_checked got = { 0 };
    size_t rcap = 0, ecap = 0;
    char why[400];
    int depth = 0;

    if (trace_open(path, 0, &c, why, sizeof why) != 0) {
        say(&k, "%s", why);
        return k.problems;
    }
    got.version = c.version;
    got.fields = c.fields;
    if (c.version >= 2) {
        char about[2048];
        if (c.about == NULL || c.aboutlen >= sizeof about) {
            say(&k, "line 2 is not the line that says where the trace comes from "
                "('# workers=N program=\"...\" ...')");
        } else {
            memcpy(about, c.about, c.aboutlen);
            about[c.aboutlen] = '\0';
            if (!about_line(about, c.version))
                say(&k, "line 2 is not the header line: '%s'", about);
        }
    }
    if (c.end > c.buf && c.end[-1] != '\n')
        say(&k, "the file does not end with a line end");
    int r;
    while ((r = trace_next(&c, &it, why, sizeof why)) == 1) {
        if (it.kind == TRACE_EVENT) {
            char line[2048];
            struct trace_event e;
            size_t n = it.len < sizeof line - 1 ? it.len : sizeof line - 1;
            memcpy(line, it.text, n);
            line[n] = '\0';
            int m = c.version >= 3 ? trace_master_event(it.text, it.len, &e) : 0;
            if (m < 0) {
                k.nomem = true;
                break;
            }
            if (m == 0) {
                if (!worker_event(line))
                    say(&k, "line %d: a bad event line: '%.200s'", it.line, line);
                continue;
            }
            if (strcmp(e.what, "wait") == 0) {
                depth++;
            } else if (strcmp(e.what, "resume") == 0 && depth-- == 0) {
                say(&k, "line %d: a resume without its wait", it.line);
                depth = 0;
            }
            /* A wait left open is fine: the program ended while it waited. */
            if (!keep_event(&got, &e, &ecap)) {
                free(e.fn);
                free(e.args);
                k.nomem = true;
                break;
            }
            continue;
        }
        if (it.nfields != c.fields) {
            say(&k, "line %d: %d fields, not %d", it.line, it.nfields, c.fields);
            continue;
        }
        char id[32];
        check_record(&k, &c, &it, &last, id);
        char *f[TRACE_FIELDS];
        memcpy(f, it.field, sizeof f);
        f[0] = id;
        if (!keep_record(&got, f, &rcap)) {
            k.nomem = true;
            break;
        }
    }
    if (r < 0)
        say(&k, "%s", why);
    for (size_t id = 0; id < last.cap; id++)
        if (last.status[id] == TS_RETRIED)
            say(&k, "task %ld: its last record says retried (line %d)", (long)id + c.base,
                last.line[id]);
    free(last.status);
    free(last.line);
    trace_close(&c);
    if (k.nomem) {
        trace_checked_free(&got);
        return -1;
    }
    if (k.problems == 0 && out != NULL)
        *out = got;
    else
        trace_checked_free(&got);
    return k.problems;
}

void trace_checked_free(struct trace_checked *out)
{
    for (size_t i = 0; i < out->nrecords; i++)
        for (int j = 0; j < TRACE_FIELDS; j++)
            free(out->record[i][j]);
    free(out->record);
    for (size_t i = 0; i < out->nevents; i++) {
        free(out->event[i].fn);
        free(out->event[i].args);
    }
    free(out->event);
    memset(out, 0, sizeof *out);
}
