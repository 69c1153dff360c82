/*
 * pooltrace - check a pool trace and print what it holds, for the tests,
 * the grader and anyone with awk. The one reader (reader.c, check.c) as a
 * command.
 *
 *   pooltrace check TRACE          every rule of runtime/TRACE.md; nothing
 *                                  printed when it keeps them all
 *   pooltrace tsv TRACE            checked, then its records, one a line,
 *                                  tab-separated, in file order
 *   pooltrace tsv --lenient TRACE  the records as a program wrote them
 *                                  (the grader's reading; see below)
 *   pooltrace events TRACE         checked, then the master's waits (v3)
 *   pooltrace calls [--lenient] TRACE  checked (unless lenient), then the
 *                                  calls the program made, from the call
 *                                  events (v3): task input api function
 *                                  and its arguments as kind value pairs
 *   pooltrace final TRACE [N]      checked, and one final record (any
 *                                  status but retried) for each task id from
 *                                  0 up, N of them when N is given
 *
 * A record prints as task, function, pid, worker, submit_s, start_s,
 * end_s, status, error (and v4's host and rank; not with --lenient,
 * whose reading is the same for every version). The task id counts from 0 in every version (v1
 * and v2 wrote ids from 1: they print one less). A tab, a line break or a
 * backslash inside a field prints as \t, \n or \\.
 *
 * --lenient is trace.awk's reading, which the grader used before: line 1
 * and the column header must be there; then every record is taken as it
 * is (fields not checked; a tab or line break inside one becomes a space;
 * a record that cannot be split is skipped), and the only refusal is a
 * task id that comes twice where the record before is not retried. The
 * grader judges a program by what it wrote, and checks the PIDs against
 * the kernel itself.
 *
 * Exit status: 0; 1 when the trace breaks a rule (one line per problem on
 * stderr); 2 for a bad command line.
 */
#define _GNU_SOURCE     /* open_memstream */
#include "reader.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *me = "pooltrace";

static void usage(void)
{
    fprintf(stderr, "usage: %s check TRACE | tsv [--lenient] TRACE | events TRACE | "
            "calls [--lenient] TRACE | final TRACE [N]\n", me);
    exit(2);
}

static void problem(void *ctx, const char *sentence)
{
    fprintf(stderr, "%s: %s: %s\n", me, (const char *)ctx, sentence);
}

/* Check path; with no problem, its records and events in *out. */
static int checked(const char *path, struct trace_checked *out)
{
    int n = trace_check(path, out, problem, (void *)path);
    if (n < 0) {
        fprintf(stderr, "%s: %s: out of memory\n", me, path);
        return 1;
    }
    return n > 0;
}

/* s in TSV: \t, \n and \\ for a tab, a line break, a backslash. */
static void escaped(const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", stdout);
        else if (*s == '\t')
            fputs("\\t", stdout);
        else if (*s == '\n')
            fputs("\\n", stdout);
        else
            putchar(*s);
    }
}

/* s as one TSV field, then a tab, or the line's end if it is the last. */
static void field(const char *s, bool last)
{
    escaped(s);
    putchar(last ? '\n' : '\t');
}

static int tsv(const char *path)
{
    struct trace_checked t;
    if (checked(path, &t))
        return 1;
    for (size_t i = 0; i < t.nrecords; i++)
        for (int j = 0; j < t.fields; j++)
            field(t.record[i][j], j == t.fields - 1);
    trace_checked_free(&t);
    return 0;
}

static int events(const char *path)
{
    struct trace_checked t;
    if (checked(path, &t))
        return 1;
    for (size_t i = 0; i < t.nevents; i++) {
        struct trace_event *e = &t.event[i];
        if (e->fn == NULL)
            printf("%s\t%s\t%s\t%s\n", e->what, e->in, e->on, e->t);
    }
    trace_checked_free(&t);
    return 0;
}

/* The arguments of a call event, read back: a list of items, each one
 * value or a row of them (a starmap's), each value as "kind<TAB>value"
 * (kind int, double, str, none or bytes), escaped as field() does. */
struct args {
    char **value;           /* every value, in order */
    size_t *item;           /* the item each value belongs to */
    size_t nvalues, nitems;
};

/* One value at *s into a new string; NULL at a cut ("..."), at the end, or
 * at text that is no value. */
static char *arg_value(const char **s)
{
    const char *p = *s;
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    if (f == NULL)
        return NULL;
    bool ok = true;
    if (*p == '"') {
        fputs("str\t", f);
        for (p++; *p && *p != '"'; p++) {
            char c = *p;
            if (c == '\\' && p[1]) {
                c = *++p;
                c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
            }
            fputs(c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : "", f);
            if (c != '\\' && c != '\t' && c != '\n')
                fputc(c, f);
        }
        ok = *p == '"';
        p += ok;
    } else if (strncmp(p, "none", 4) == 0) {
        fputs("none", f);
        p += 4;
    } else if (strncmp(p, "bytes(", 6) == 0 && strchr(p, ')') != NULL) {
        fprintf(f, "bytes\t%.*s", (int)(strchr(p, ')') - p - 6), p + 6);
        p = strchr(p, ')') + 1;
    } else {
        size_t n = strcspn(p, ",)");
        ok = n > 0 && strncmp(p, "...", 3) != 0;
        size_t sign = *p == '-';
        bool whole = strspn(p + sign, "0123456789") + sign == n;
        fprintf(f, "%s\t%.*s", whole ? "int" : "double", (int)n, p);
        p += n;
    }
    fclose(f);
    if (!ok) {
        free(out);
        return NULL;
    }
    *s = p;
    return out;
}

static void args_free(struct args *a)
{
    for (size_t i = 0; i < a->nvalues; i++)
        free(a->value[i]);
    free(a->value);
    free(a->item);
}

/* Read text into a; false when out of memory (a cut or bad text just ends
 * the list). */
static bool args_read(const char *s, struct args *a)
{
    memset(a, 0, sizeof *a);
    bool row = false;
    while (*s) {
        if (!row && *s == '(') {
            row = true;
            s++;
        }
        char *v = arg_value(&s);
        if (v == NULL)
            break;
        char **values = realloc(a->value, (a->nvalues + 1) * sizeof *values);
        size_t *items = values ? realloc(a->item, (a->nvalues + 1) * sizeof *items) : NULL;
        if (values)
            a->value = values;
        if (items == NULL) {
            free(v);
            return false;
        }
        a->item = items;
        a->value[a->nvalues] = v;
        a->item[a->nvalues++] = a->nitems;
        if (row && *s == ')') {
            row = false;
            s++;
        }
        if (!row)
            a->nitems++;
        if (strncmp(s, ", ", 2) != 0)
            break;
        s += 2;
    }
    return true;
}

/* A call event as lines "task input api function kind value ...": one
 * line for a call (input "-", all its arguments), one per input for a
 * chunk of a map (its value, or its row's). Inputs past a cut in the
 * arguments have none. */
static bool call_lines(const struct trace_event *e)
{
    struct args a;
    unsigned long first = 0, last = 0;
    bool chunk = e->inputs[0] != '\0';

    if (chunk && sscanf(e->inputs, "%lu..%lu", &first, &last) != 2)
        return true;
    if (!args_read(e->args, &a)) {
        args_free(&a);
        return false;
    }
    for (unsigned long k = first; k <= last; k++) {
        field(e->on, false);
        if (chunk)
            printf("%lu\t", k);
        else
            fputs("-\t", stdout);
        field(e->in, false);
        escaped(e->fn);
        for (size_t i = 0; i < a.nvalues; i++)
            if (!chunk || a.item[i] == k - first)
                printf("\t%s", a.value[i]);
        putchar('\n');
        if (!chunk)
            break;
    }
    args_free(&a);
    return true;
}

/* The call events of path (checked first, unless loose). */
static int calls(const char *path, bool loose)
{
    struct trace_cursor c;
    struct trace_item it;
    char why[400];

    if (!loose && checked(path, NULL))
        return 1;
    if (trace_open(path, loose ? TRACE_LENIENT : 0, &c, why, sizeof why) != 0) {
        fprintf(stderr, "%s: %s: %s\n", me, path, why);
        return 1;
    }
    int status = 0;
    while (c.version >= 3 && trace_next(&c, &it, why, sizeof why) == 1) {
        struct trace_event e;
        if (it.kind != TRACE_EVENT)
            continue;
        int m = trace_master_event(it.text, it.len, &e);
        if (m < 0 || (m == 1 && e.fn != NULL && !call_lines(&e))) {
            fprintf(stderr, "%s: %s: out of memory\n", me, path);
            status = 1;
        }
        if (m == 1) {
            free(e.fn);
            free(e.args);
        }
        if (status)
            break;
    }
    trace_close(&c);
    return status;
}

/* Every task id from 0 to the highest has one final record; with want >= 0,
 * the highest is want - 1. */
static int final(const char *path, long want)
{
    struct trace_checked t;
    if (checked(path, &t)) {
        fprintf(stderr, "%s: %s breaks runtime/TRACE.md\n", me, path);
        return 1;
    }
    long max = -1, n = 0, retried = 0;
    for (size_t i = 0; i < t.nrecords; i++) {
        long id = strtol(t.record[i][0], NULL, 10);
        if (strcmp(t.record[i][7], "retried") == 0)
            retried++;
        else if (id > max)
            max = id;
    }
    int *count = calloc((size_t)max + 2, sizeof *count);
    if (count == NULL) {
        fprintf(stderr, "%s: %s: out of memory\n", me, path);
        trace_checked_free(&t);
        return 1;
    }
    for (size_t i = 0; i < t.nrecords; i++)
        if (strcmp(t.record[i][7], "retried") != 0) {
            count[strtol(t.record[i][0], NULL, 10)]++;
            n++;
        }
    int bad = 0, shown = 0;
    if (want >= 0 && max != want - 1) {
        fprintf(stderr, "%s: %s: the highest task id is %ld, not %ld\n", me, path, max,
                want - 1);
        bad = 1;
    }
    for (long id = 0; id <= max; id++)
        if (count[id] != 1 && shown++ < 5) {
            fprintf(stderr, "%s: %s: task %ld has %d final records, not 1\n", me, path, id,
                    count[id]);
            bad = 1;
        }
    if (!bad)
        printf("%ld calls, %ld retried tries\n", n, retried);
    free(count);
    trace_checked_free(&t);
    return bad;
}

/* --lenient: the grader's reading (see the top). */

/* s as one field, tabs and line breaks as spaces. */
static void plain(const char *s, bool last)
{
    for (; *s; s++)
        putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
    putchar(last ? '\n' : '\t');
}

/* The last status of each task id seen: by number for ids of digits, in a
 * list for any other text. */
struct seen {
    signed char *byid;      /* 0: none; 1: retried; 2: another status */
    size_t cap;
    char **other;           /* ids that are not numbers, and their status */
    signed char *otherst;
    size_t nother;
};

/* *slot: the status of id so far; false if it cannot be kept. */
static bool seen_slot(struct seen *s, const char *id, bool number, unsigned long n,
                      signed char **slot)
{
    if (number && n < 100000000) {
        if (n >= s->cap) {
            size_t cap = s->cap ? s->cap : 256;
            while (cap <= n)
                cap *= 2;
            signed char *b = realloc(s->byid, cap);
            if (b == NULL)
                return false;
            memset(b + s->cap, 0, cap - s->cap);
            s->byid = b;
            s->cap = cap;
        }
        *slot = &s->byid[n];
        return true;
    }
    for (size_t i = 0; i < s->nother; i++)
        if (strcmp(s->other[i], id) == 0) {
            *slot = &s->otherst[i];
            return true;
        }
    char **o = realloc(s->other, (s->nother + 1) * sizeof *o);
    if (o == NULL)
        return false;
    s->other = o;
    signed char *st = realloc(s->otherst, s->nother + 1);
    if (st == NULL)
        return false;
    s->otherst = st;
    if ((o[s->nother] = strdup(id)) == NULL)
        return false;
    st[s->nother] = 0;
    *slot = &st[s->nother++];
    return true;
}

static int lenient(const char *path)
{
    struct trace_cursor c;
    struct trace_item it;
    struct seen seen = { 0 };
    char why[400];
    int status = 0;

    if (trace_open(path, TRACE_LENIENT, &c, why, sizeof why) != 0) {
        fprintf(stderr, "%s: %s: %s\n", me, path, why);
        return 1;
    }
    while (trace_next(&c, &it, why, sizeof why) == 1) {
        if (it.kind != TRACE_RECORD)
            continue;
        const char *id = it.field[0];
        char num[32];
        bool number = id[0] != '\0' && strspn(id, "0123456789") == strlen(id);
        unsigned long n = 0;
        if (number) {
            n = strtoul(id, NULL, 10) - (unsigned long)c.base;
            snprintf(num, sizeof num, "%ld", (long)n);
            id = num;
        }
        signed char *slot;
        if (!seen_slot(&seen, id, number, n, &slot)) {
            fprintf(stderr, "%s: %s: out of memory\n", me, path);
            status = 1;
            break;
        }
        if (*slot == 2) {
            fprintf(stderr, "%s: %s: task %s appears twice\n", me, path, id);
            status = 1;
            break;
        }
        *slot = strcmp(it.field[7], "retried") == 0 ? 1 : 2;
        plain(id, false);
        for (int i = 1; i < TRACE_FIELDS_V3; i++)     /* v4's host and rank left out */
            plain(it.field[i], i == TRACE_FIELDS_V3 - 1);
    }
    trace_close(&c);
    free(seen.byid);
    for (size_t i = 0; i < seen.nother; i++)
        free(seen.other[i]);
    free(seen.other);
    free(seen.otherst);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        usage();
    const char *mode = argv[1];
    if (strcmp(mode, "check") == 0 && argc == 3)
        return checked(argv[2], NULL);
    if (strcmp(mode, "tsv") == 0 && argc == 3)
        return tsv(argv[2]);
    if (strcmp(mode, "tsv") == 0 && argc == 4 && strcmp(argv[2], "--lenient") == 0)
        return lenient(argv[3]);
    if (strcmp(mode, "events") == 0 && argc == 3)
        return events(argv[2]);
    if (strcmp(mode, "calls") == 0 && argc == 3)
        return calls(argv[2], false);
    if (strcmp(mode, "calls") == 0 && argc == 4 && strcmp(argv[2], "--lenient") == 0)
        return calls(argv[3], true);
    if (strcmp(mode, "final") == 0 && (argc == 3 || argc == 4)) {
        long want = -1;
        if (argc == 4) {
            char *end;
            want = strtol(argv[3], &end, 10);
            if (argv[3][0] == '\0' || *end != '\0' || want < 0) {
                fprintf(stderr, "%s: the count of calls must be a number, not '%s'\n", me,
                        argv[3]);
                return 2;
            }
        }
        return final(argv[2], want);
    }
    usage();
}
