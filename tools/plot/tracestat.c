/*
 * tracestat - what a pool trace says about where the tasks went.
 *
 *     tracestat [-c] [-n COUNTS] [-l NAMES] [-p PROGRAM] [-S SCALE]
 *               [-w COLUMNS] [-o DIR] [-j JSON] TRACE...
 *
 * For each trace: the makespan (first task start to last task end), the
 * ideal makespan's lower bound (the longer of the longest single input and
 * the total work shared evenly by the workers; a chunk of a map, name[a..b],
 * holds b - a + 1 inputs, and its longest input took at least their
 * average), and for each worker process its
 * tasks and busy fraction (time in tasks / makespan). It prints a summary
 * table on stdout, and with -o writes the data files that poolplot's gnuplot
 * scripts draw: NAME.tasks, .rows, .marks, .notrun, .master, .calls, .callrows and .vars per
 * trace (all on one time axis), distribution.dat, .seg, groups.dat and speedup.dat
 * for all of them. With -j it writes all of it as one JSON object for the
 * HTML report. With -S, every time is in the program's own seconds: the
 * measured time divided by the POOL_TIME_SCALE the runs had.
 *
 * The worker count of a trace is -n's number when given; otherwise the
 * highest worker slot seen, plus one (a worker that ran nothing in the last
 * slots cannot be seen in a trace).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdbool.h>

#include "reader.h"

/* A worker process as the charts show it: one row of the timeline, one bar
 * of the distribution. pid 0 is a slot that ran nothing. */
struct worker {
    int slot;
    long pid;
    int tasks;
    double busy;        /* seconds spent in its tasks */
    double first;       /* its first task's start, to order replacements */
};

struct run {
    const char *path;
    char name[64];
    struct trace t;
    int nworkers;
    int inferred;               /* nworkers came from the trace */
    struct worker *w;
    int nw;                     /* entries in w (>= nworkers with replacements) */
    int notrun;                 /* tasks that never started */
    int count[TS_COUNT];        /* tasks by status (TS_RETRIED: tries run again) */
    double t0, t1;              /* first start, last end of tasks that ran */
    double work, longest;
    double unit;                /* the longest input: at least this long */
    long longest_id;
    const char *longest_fn;
};

static const char *prog = "tracestat";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (p == NULL)
        die("out of memory");
    return p;
}

/* Keep a name safe for a gnuplot data file, a title and a file name. */
static void clean(char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || strchr("_-.:()# =,+/[]", *s)))
            *s = '?';
}

static int by_slot(const void *a, const void *b)
{
    const struct worker *x = a, *y = b;
    if (x->slot != y->slot)
        return (x->slot > y->slot) - (x->slot < y->slot);
    if (x->pid == 0 || y->pid == 0)
        return (x->pid != 0) - (y->pid != 0);
    return (x->first > y->first) - (x->first < y->first);
}

static int by_task_id(const void *a, const void *b)
{
    long x = (*(const struct trace_task *const *)a)->id;
    long y = (*(const struct trace_task *const *)b)->id;
    return (x > y) - (x < y);
}

/* How many inputs a task ran: b - a + 1 for a map's chunk "name[a..b]",
 * else 1. */
static double chunk_inputs(const char *fn)
{
    const char *o = fn ? strrchr(fn, '[') : NULL;
    long a, b;
    char close;
    if (o == NULL || sscanf(o, "[%ld..%ld%c", &a, &b, &close) != 3 || close != ']' || b < a)
        return 1;
    return (double)(b - a + 1);
}

/* Work out every figure of one trace. */
static void measure(struct run *r)
{
    struct trace *t = &r->t;
    int maxslot = -1;
    int ran = 0;

    r->longest = -1;
    r->unit = 0;
    for (size_t i = 0; i < t->ntasks; i++) {
        struct trace_task *k = &t->task[i];
        r->count[k->status]++;
        if (!trace_task_ran(k)) {
            r->notrun++;
            continue;
        }
        double d = k->end - k->start;
        if (ran == 0 || k->start < r->t0)
            r->t0 = k->start;
        if (ran == 0 || k->end > r->t1)
            r->t1 = k->end;
        ran++;
        r->work += d;
        if (d / chunk_inputs(k->function) > r->unit)
            r->unit = d / chunk_inputs(k->function);
        if (d > r->longest) {
            r->longest = d;
            r->longest_id = k->id;
            r->longest_fn = k->function;
        }
        if (k->worker > maxslot)
            maxslot = k->worker;
    }
    if (ran == 0)
        r->longest = 0;
    if (r->nworkers == 0 && t->workers > maxslot) {
        r->nworkers = t->workers;   /* what the trace says the pool had */
    } else if (r->nworkers == 0) {
        r->inferred = 1;
        r->nworkers = maxslot + 1 > 0 ? maxslot + 1 : 1;
    } else if (maxslot >= r->nworkers) {
        die("%s: tasks ran in worker slot %d, but the run was for %d worker%s: "
            "does the program take its worker count as told?",
            r->path, maxslot, r->nworkers, r->nworkers == 1 ? "" : "s");
    }

    /* One entry per PID that ran a task, then one per replacement that
     * ran none (its start event says when it began), then one per slot
     * left idle. */
    r->w = xcalloc(t->ntasks + (size_t)r->nworkers + t->nstarts, sizeof *r->w);
    for (size_t i = 0; i < t->ntasks; i++) {
        struct trace_task *k = &t->task[i];
        if (!trace_task_ran(k))
            continue;
        int j;
        for (j = 0; j < r->nw && r->w[j].pid != k->pid; j++)
            ;
        if (j == r->nw) {
            r->w[j] = (struct worker){ k->worker, k->pid, 0, 0, k->start };
            r->nw++;
        }
        r->w[j].tasks++;
        r->w[j].busy += k->end - k->start;
        if (k->start < r->w[j].first)
            r->w[j].first = k->start;
    }
    /* A worker that took a dead one's slot: its row and its mark begin at
     * its start event, with calls or without. (The first workers of a slot
     * keep their look: an idle one shows as idle.) */
    for (size_t i = 0; i < t->nstarts; i++) {
        const struct trace_end *e = &t->starts[i];
        bool replaced = false;
        for (size_t k = 0; k < i && !replaced; k++)
            replaced = t->starts[k].slot == e->slot;
        int j;
        for (j = 0; j < r->nw && r->w[j].pid != e->pid; j++)
            ;
        if (j < r->nw)
            r->w[j].first = e->t < r->w[j].first ? e->t : r->w[j].first;
        else if (replaced)
            r->w[r->nw++] = (struct worker){ e->slot, e->pid, 0, 0, e->t };
    }
    for (int s = 0; s < r->nworkers; s++) {
        int j;
        for (j = 0; j < r->nw && r->w[j].slot != s; j++)
            ;
        if (j == r->nw)
            r->w[r->nw++] = (struct worker){ s, 0, 0, 0, 0 };
    }
    qsort(r->w, (size_t)r->nw, sizeof *r->w, by_slot);
}

static double makespan(const struct run *r)
{
    return r->t1 - r->t0;
}

static double bound(const struct run *r)
{
    double even = r->work / r->nworkers;
    return r->unit > even ? r->unit : even;
}

static double busy_fraction(const struct run *r, const struct worker *w)
{
    return makespan(r) > 0 ? w->busy / makespan(r) : 0;
}

static void print_summary(FILE *out, struct run *runs, int n, double scale)
{
    int width = 3;

    for (int i = 0; i < n; i++)
        if ((int)strlen(runs[i].name) > width)
            width = (int)strlen(runs[i].name);
    if (scale > 0 && scale != 1)
        fprintf(out, "Pool trace summary (program seconds: measured seconds / %g, "
                "as the runs had POOL_TIME_SCALE=%g;\nmakespan = first task start "
                "to last task end)\n\n", scale, scale);
    else
        fprintf(out, "Pool trace summary (seconds; makespan = first task start "
                "to last task end)\n\n");
    fprintf(out, "%-*s %7s %5s %9s %11s %6s  %-20s %s\n", width, "run", "workers",
            "tasks", "makespan", "lower_bound", "ratio", "tasks/worker",
            "busy/worker");
    for (int i = 0; i < n; i++) {
        struct run *r = &runs[i];
        char tasks[2048] = "", busy[2048] = "";
        size_t tl = 0, bl = 0;
        for (int j = 0; j < r->nw; j++) {
            const char *sep = j ? "/" : "";
            tl += (size_t)snprintf(tasks + tl, tl < sizeof tasks ? sizeof tasks - tl : 0,
                                   "%s%d", sep, r->w[j].tasks);
            bl += (size_t)snprintf(busy + bl, bl < sizeof busy ? sizeof busy - bl : 0,
                                   "%s%.2f", sep, busy_fraction(r, &r->w[j]));
            if (tl >= sizeof tasks || bl >= sizeof busy)
                break;
        }
        double b = bound(r);
        fprintf(out, "%-*s %7d %5zu %9.3f %11.3f %6.2f  %-20s %s\n", width, r->name,
                r->nworkers, r->t.ntasks, makespan(r), b,
                b > 0 ? makespan(r) / b : 0.0, tasks, busy);
    }
    for (int i = 0; i < n; i++) {
        struct run *r = &runs[i];
        fprintf(out, "\n== %s: %s\n", r->name, r->path);
        fprintf(out, "  workers      %d%s\n", r->nworkers,
                r->inferred ? " (highest slot in the trace + 1)" : "");
        fprintf(out, "  tasks        %zu: %d ok, %d error, %d crash, %d terminated "
                "(%d never started)\n", r->t.ntasks, r->count[TS_OK],
                r->count[TS_ERROR], r->count[TS_CRASH], r->count[TS_TERMINATED],
                r->notrun);
        if (r->count[TS_CANCELLED] || r->count[TS_TIMEOUT])
            fprintf(out, "  stopped      %d cancelled, %d timeout (counted in tasks)\n",
                    r->count[TS_CANCELLED], r->count[TS_TIMEOUT]);
        if (r->count[TS_RETRIED])
            fprintf(out, "  retried      %d tries whose worker died ran again "
                    "(counted in tasks)\n", r->count[TS_RETRIED]);
        fprintf(out, "  makespan     %.3f s (from %.3f to %.3f)\n", makespan(r),
                r->t0, r->t1);
        fprintf(out, "  total work   %.3f s\n", r->work);
        if (r->longest_fn != NULL)
            fprintf(out, "  longest task %.3f s (task %ld, %s)\n", r->longest,
                    r->longest_id, r->longest_fn);
        if (r->unit < r->longest)
            fprintf(out, "  lower bound  %.3f s = max(longest input >= %.3f (a chunk's "
                    "average), total work %.3f / %d workers)\n", bound(r), r->unit,
                    r->work, r->nworkers);
        else
            fprintf(out, "  lower bound  %.3f s = max(longest task %.3f, total work "
                    "%.3f / %d workers)\n", bound(r), r->longest, r->work, r->nworkers);
        fprintf(out, "  %-6s %-4s %-8s %5s %8s %6s\n", "worker", "slot", "pid",
                "tasks", "busy_s", "busy");
        for (int j = 0; j < r->nw; j++) {
            struct worker *w = &r->w[j];
            char pid[24] = "idle";
            if (w->pid)
                snprintf(pid, sizeof pid, "%ld", w->pid);
            fprintf(out, "  w%-5d %-4d %-8s %5d %8.3f %6.3f\n", w->slot, w->slot,
                    pid, w->tasks, w->busy, busy_fraction(r, w));
        }
    }
}

static FILE *create(const char *dir, const char *name, const char *suffix)
{
    char path[4096];

    snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        die("cannot write %s: %s", path, strerror(errno));
    return f;
}

static void finish(FILE *f, const char *what)
{
    if (ferror(f) || fclose(f) != 0)
        die("cannot write %s: %s", what, strerror(errno));
}

/* Settings shared by every chart that one call of tracestat draws. */
static const char *program = "";    /* -p: the program's name, for titles */
static double scale = 0;            /* -S: the runs' POOL_TIME_SCALE (0: none) */
static int text_cols = 120;         /* -w: the width of a text chart */

/* About how many box-label characters fit across the time axis of a PNG or
 * SVG: some 1200 px of axis, about 11 px a character at 16 pt. */
#define AXIS_CHARS_IMAGE 105.0

/* The axis every chart of the runs shares: one time range, one row count. */
struct axis {
    double tmax;        /* right end of the time axis */
    int nrows;          /* rows of the run with the most */
    int ncalls;         /* calls of the run with the most */
    int keyrows;        /* legend rows of the timeline with the most */
    int ckeyrows;       /* and of the calls chart */
};

static int run_rows(const struct run *r)
{
    return r->nw + (r->notrun > 0);
}

static struct axis common_axis(struct run *runs, int n)
{
    struct axis ax = { 0, 1, 1, 0, 0 };

    for (int i = 0; i < n; i++) {
        for (size_t k = 0; k < runs[i].t.ntasks; k++)
            if (runs[i].t.task[k].end > ax.tmax)
                ax.tmax = runs[i].t.task[k].end;
        if (run_rows(&runs[i]) > ax.nrows)
            ax.nrows = run_rows(&runs[i]);
        if ((int)runs[i].t.ntasks > ax.ncalls)
            ax.ncalls = (int)runs[i].t.ntasks;
    }
    ax.tmax = ax.tmax > 0 ? ax.tmax * 1.02 : 1.0;
    return ax;
}

/* The x-axis label: program seconds, and how they were measured. */
static void time_label(char *buf, size_t size)
{
    if (scale > 0 && scale != 1)
        snprintf(buf, size, "program seconds (measured / %g, as the run had "
                 "POOL_TIME_SCALE=%g)", scale, scale);
    else
        snprintf(buf, size, "seconds since the pool was created");
}

/* What the titles call a run: "future on 4 workers", or the trace's name. */
static void run_title(const struct run *r, char *buf, size_t size)
{
    if (*program)
        snprintf(buf, size, "%s on %d worker%s", program, r->nworkers,
                 r->nworkers == 1 ? "" : "s");
    else
        snprintf(buf, size, "%s: %d worker%s", r->name, r->nworkers,
                 r->nworkers == 1 ? "" : "s");
}

/* The timeline row of a task: its worker's entry, or the last row
 * ("never started") for a task that did not run. */
static int row_of(const struct run *r, const struct trace_task *k)
{
    if (!trace_task_ran(k))
        return r->nw;
    for (int j = 0; j < r->nw; j++)
        if (r->w[j].pid == k->pid)
            return j;
    return r->nw;       /* not reached: every PID that ran has an entry */
}

/* Each status's mark and legend entry, the same in every chart and in the
 * report: runtime/status.h's table. A mark tells a status where colour does
 * not show (text). */
#define mark(s) (pool_status_looks[s].mark)
#define legend(s) (pool_status_looks[s].legend)

/* How the statuses look in gnuplot (status code s + 1 is linetype s + 1,
 * with fill pattern SP[s + 1] and edge SE[s + 1]), into a .vars file that
 * the chart scripts load. */
static void status_looks_gp(FILE *f)
{
    for (int s = 0; s < TS_COUNT; s++)
        fprintf(f, "set linetype %d lc rgb '%s'\n", s + 1, pool_status_looks[s].fill);
    fprintf(f, "array SP[%d] = [", TS_COUNT);
    for (int s = 0; s < TS_COUNT; s++)
        fprintf(f, "%s%d", s ? ", " : "", pool_status_looks[s].gnuplot_pattern);
    fprintf(f, "]\narray SE[%d] = [", TS_COUNT);
    for (int s = 0; s < TS_COUNT; s++)
        fprintf(f, "%s'%s'", s ? ", " : "", pool_status_looks[s].edge);
    fputs("]\n", f);
    /* Not statuses: the master's bars (8), the queue wait (9). */
    fputs("set linetype 8 lc rgb '#525252'\nset linetype 9 lc rgb '#969696'\n", f);
}

/* The name of the master's row (a v3 trace): it says so when the master
 * never blocked, so that an empty row is not taken for a missing one. */
static const char *master_row(const struct run *r)
{
    return r->t.nblocked ? "master" : "master: never blocked";
}

/* A box's label in one or two lines, only where it fits inside the box,
 * so that no two labels run into each other: "#5 slow_add" when it fits on
 * one; else "#5" over "slow_add"; else "#5" over the name cut short with
 * ".." (when six letters or more of it fit); else only "#5"; else none (a
 * single space): the id is never shown without its "#", where it would
 * read as a value. The SVG's and the report's hover still name the call. A
 * task that did not end ok carries a mark: ! error, X crash, T terminated,
 * R a try whose worker died and that ran again, C cancelled, L past its
 * time limit, so that it shows even where colours do not. */
static void task_label(const struct trace_task *k, double chars, int two_lines,
                       char *l1, char *l2, size_t size)
{
    const char *m = mark(k->status), *gap = k->status == TS_OK ? "" : " ";
    char fn[64];

    snprintf(fn, sizeof fn, "%s", k->function);
    clean(fn);
    snprintf(l2, size, "%s", "");
    snprintf(l1, size, "#%ld %s%s%s", k->id, fn, gap, m);
    if (strlen(l1) + 1 <= chars)
        return;
    snprintf(l1, size, "#%ld%s%s", k->id, gap, m);
    if (two_lines && strlen(l1) + 1 <= chars) {
        size_t fit = (size_t)chars - 1;
        if (strlen(fn) <= fit) {
            snprintf(l2, size, "%s", fn);
        } else if (fit >= 8) {          /* six letters and "..", or none */
            fn[fit - 2] = '\0';
            snprintf(l2, size, "%s..", fn);
        }
        return;
    }
    if (strlen(l1) + 1 <= chars)
        return;
    snprintf(l1, size, "#%ld%s", k->id, m);
    if (strlen(l1) + 1 <= chars)
        return;
    snprintf(l1, size, " ");
}

/* A mark on a timeline: where a worker ended other than by a normal exit
 * (MK_DIED: it died; MK_KILLED: the pool killed it, for a call cancelled,
 * past its time limit or stopped), and where the worker that took its slot
 * began (MK_NEW). why: what the report's hover says. */
enum { MK_DIED = 1, MK_NEW = 2, MK_KILLED = 3 };
static const char *const mark_word[] = { "", "died", "replaced", "killed" };

struct mark {
    double t;
    int row;
    int kind;
    char why[520];
};

/* A mark's kind and what its hover says after "worker wN (pid P) HOW", by
 * the status of the call the worker held when it ended. */
static const struct {
    int kind;
    const char *fmt;
} mark_why[TS_COUNT] = {
    [TS_CRASH] = { MK_DIED, " while running call #%ld %s" },
    [TS_RETRIED] = { MK_DIED, " while running call #%ld %s, which runs again" },
    [TS_CANCELLED] = { MK_KILLED, ": the pool killed it, as call #%ld %s was cancelled "
                       "while it ran" },
    [TS_TIMEOUT] = { MK_KILLED, ": the pool killed it, as call #%ld %s ran past its "
                     "time limit" },
    [TS_TERMINATED] = { MK_KILLED, ": the pool was stopped while it ran call #%ld %s" },
};

/* The row of a worker process; one with no call in the trace goes on the
 * last row of its slot (-1: none). */
static int row_of_pid(const struct run *r, long pid, int slot)
{
    int last = -1;
    for (int j = 0; j < r->nw; j++) {
        if (r->w[j].pid == pid)
            return j;
        if (r->w[j].slot == slot)
            last = j;
    }
    return last;
}

/* The call a worker held when it ended: its last record that did not end
 * ok or in error (NULL: it held none). */
static const struct trace_task *held_call(const struct run *r, long pid)
{
    const struct trace_task *held = NULL;
    for (size_t i = 0; i < r->t.ntasks; i++) {
        const struct trace_task *k = &r->t.task[i];
        if (k->pid == pid && trace_task_ran(k) && k->status != TS_OK &&
            k->status != TS_ERROR && (held == NULL || k->end > held->end))
            held = k;
    }
    return held;
}

/* Every mark of a run into m (room for 2 * (tasks + worker ends)). From a
 * v2 or v3 trace: every worker end that was not a normal exit, at the end
 * of the call it held (or at the event's time); from v1, which has no
 * events: every call whose worker died or was killed. */
static size_t find_marks(const struct run *r, struct mark *m)
{
    size_t n = 0, nd = r->t.version >= 2 ? r->t.nends : r->t.ntasks;

    for (size_t i = 0; i < nd; i++) {
        const struct trace_task *k;
        const char *how = "died";
        long pid;
        int slot;
        double t;
        if (r->t.version >= 2) {
            const struct trace_end *e = &r->t.ends[i];
            if (!trace_end_abnormal(e))
                continue;
            pid = e->pid;
            slot = e->slot;
            t = e->t;
            how = e->how;
            k = held_call(r, pid);
            if (k != NULL)
                t = k->end;
        } else {
            k = &r->t.task[i];
            if (!trace_task_ran(k) || k->status == TS_OK || k->status == TS_ERROR ||
                k->status == TS_TERMINATED)
                continue;
            pid = k->pid;
            slot = k->worker;
            t = k->end;
        }
        int y = row_of_pid(r, pid, slot);
        if (y < 0)
            continue;
        struct mark *d = &m[n++];
        char who[200], fn[64] = "";
        snprintf(who, sizeof who, "worker w%d (pid %ld) %s", slot, pid, how);
        if (k != NULL)
            snprintf(fn, sizeof fn, "%s", k->function);
        *d = (struct mark){ t, y, MK_DIED, "" };
        char tail[300] = "";
        if (k != NULL && mark_why[k->status].fmt != NULL) {
            d->kind = mark_why[k->status].kind;
            snprintf(tail, sizeof tail, mark_why[k->status].fmt, k->id, fn);
        }
        snprintf(d->why, sizeof d->why, "%s%s", who, tail);
        if (y + 1 < r->nw && r->w[y + 1].slot == r->w[y].slot && r->w[y + 1].pid) {
            struct mark *nw = &m[n++];
            *nw = (struct mark){ r->w[y + 1].first, y + 1, MK_NEW, "" };
            /* A v1 trace has no start events: its first call is all we know. */
            snprintf(nw->why, sizeof nw->why, "worker w%d (pid %ld) took the slot; "
                     "this is where it began%s", r->w[y + 1].slot, r->w[y + 1].pid,
                     r->t.nstarts ? "" : " its first call");
        }
    }
    return n;
}

/* The calls that never started sit in one row, often at one instant (a
 * program cancels several before they begin): one label for each group of
 * them that would overlap, as "#2-#5 slow_square C" or "#2-#3 C, #7 T",
 * left of its first box (right of its last, near the axis' end). */
struct group {
    double x;           /* where the label is anchored */
    int right;          /* 1: the label ends at x */
    char label[256];
};

/* About how many label characters fit across the time axis in every
 * chart: the narrowest of an image (AXIS_CHARS_IMAGE), the report's
 * (some 75), and a text chart's (given). */
#define GROUP_CHARS 70.0

static int by_start(const void *a, const void *b)
{
    const struct trace_task *x = *(const struct trace_task *const *)a;
    const struct trace_task *y = *(const struct trace_task *const *)b;
    if (x->start != y->start)
        return (x->start > y->start) - (x->start < y->start);
    return (x->id > y->id) - (x->id < y->id);
}

/* The label of calls v[0..n-1] (sorted by id here). */
static void group_label(struct trace_task **v, size_t n, char *out, size_t size)
{
    size_t len = 0;
    int samefn = 1;

    qsort(v, n, sizeof *v, by_task_id);
    for (size_t i = 1; i < n; i++)
        samefn &= strcmp(v[i]->function, v[0]->function) == 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len < size;) {
        size_t j = i;
        while (j + 1 < n && v[j + 1]->id == v[j]->id + 1 && v[j + 1]->status == v[i]->status)
            j++;
        len += (size_t)snprintf(out + len, size - len, "%s#%ld", i ? ", " : "", v[i]->id);
        if (j > i && len < size)
            len += (size_t)snprintf(out + len, size - len, "-#%ld", v[j]->id);
        if (i == 0 && j + 1 == n && samefn && len < size)
            len += (size_t)snprintf(out + len, size - len, " %s", v[0]->function);
        if (v[i]->status != TS_OK && len < size)
            len += (size_t)snprintf(out + len, size - len, " %s", mark(v[i]->status));
        i = j + 1;
    }
    clean(out);
}

static size_t notrun_groups(const struct run *r, double span, double chars, struct group *g)
{
    struct trace_task **v = xcalloc(r->t.ntasks, sizeof *v);
    size_t nv = 0, ng = 0;

    for (size_t i = 0; i < r->t.ntasks; i++)
        if (!trace_task_ran(&r->t.task[i]))
            v[nv++] = &r->t.task[i];
    qsort(v, nv, sizeof *v, by_start);
    for (size_t i = 0; i < nv;) {
        /* Take the next call in while it starts under the label so far. */
        size_t j = i + 1;
        double x0 = v[i]->start, x1 = x0;
        char label[256];
        struct trace_task **tmp = xcalloc(nv, sizeof *tmp);
        for (;;) {
            memcpy(tmp, v + i, (j - i) * sizeof *tmp);
            group_label(tmp, j - i, label, sizeof label);
            if (j == nv || (v[j]->start - x0) / span * chars >= strlen(label) + 2)
                break;
            x1 = v[j]->start;
            j++;
        }
        free(tmp);
        struct group *gr = &g[ng++];
        gr->right = x0 / span + (strlen(label) + 2) / chars > 1;
        gr->x = gr->right ? x1 : x0;
        snprintf(gr->label, sizeof gr->label, "%s", label);
        i = j;
    }
    free(v);
    return ng;
}

/* Legend rows (three entries a row) of the timelines and calls charts
 * with the most: every chart of the runs keeps room for that many, so
 * that their axes sit at one height, slide after slide. */
static void legend_rows(struct run *runs, int n, struct axis *ax)
{
    for (int i = 0; i < n; i++) {
        struct run *r = &runs[i];
        int st = 0, mk[4] = { 0 };
        for (int s = 0; s < TS_COUNT; s++)
            st += r->count[s] > 0;
        struct mark *m = xcalloc(2 * (r->t.ntasks + r->t.nends), sizeof *m);
        size_t nm = find_marks(r, m);
        for (size_t j = 0; j < nm; j++)
            mk[m[j].kind] = 1;
        free(m);
        int master = r->t.nblocked > 0;
        int keys = st + master + mk[MK_DIED] + mk[MK_NEW] + mk[MK_KILLED];
        int ckeys = st + master + 1;
        if ((keys + 2) / 3 > ax->keyrows)
            ax->keyrows = (keys + 2) / 3;
        if ((ckeys + 2) / 3 > ax->ckeyrows)
            ax->ckeyrows = (ckeys + 2) / 3;
    }
}

static void write_timeline(const char *dir, struct run *r, const struct axis *ax)
{
    double span = ax->tmax;
    char what[128], title[160], xl[200];
    /* The text chart's axis: its width less the row names and borders. */
    double text_chars = text_cols - 22 > 20 ? text_cols - 22 : 20;

    FILE *f = create(dir, r->name, ".tasks");
    for (size_t i = 0; i < r->t.ntasks; i++) {
        struct trace_task *k = &r->t.task[i];
        double lo = k->start, hi = k->end;
        if (hi - lo < span * 0.004)
            hi = lo + span * 0.004;     /* too short to see: widen the box */
        char l1[128], l2[128], t1[128], t2[128];
        double share = (k->end - k->start) / span;
        task_label(k, share * AXIS_CHARS_IMAGE, 1, l1, l2, sizeof l1);
        task_label(k, share * text_chars, 0, t1, t2, sizeof t1);
        if (!trace_task_ran(k)) {
            /* Labelled by group (NAME.notrun), not box by box. */
            snprintf(l1, sizeof l1, " ");
            snprintf(l2, sizeof l2, "%s", "");
            snprintf(t1, sizeof t1, " ");
        }
        int y = row_of(r, k);
        double y1 = *l2 ? y - 0.13 : y, y2 = y + 0.17;
        /* What hovering over the box in the SVG says: the whole label. */
        char tip[200], fn[64];
        snprintf(fn, sizeof fn, "%s", k->function);
        clean(fn);
        snprintf(tip, sizeof tip, "#%ld %s: %s, %.3f to %.3f s", k->id, fn,
                 trace_status_name(k->status), k->start, k->end);
        fprintf(f, "%.6f\t%d\t%.6f\t%.6f\t%.2f\t%.2f\t%d\t%s\t%ld\t%s\t%s\t%.2f\t%.2f\t%s\n",
                (lo + hi) / 2, y, lo, hi, y - 0.35, y + 0.35, (int)k->status + 1,
                l1, k->id, t1, *l2 ? l2 : " ", y1, y2, tip);
    }
    snprintf(what, sizeof what, "%s.tasks", r->name);
    finish(f, what);

    f = create(dir, r->name, ".rows");
    if (r->t.version >= 3)
        fprintf(f, "-1\t%s\n", master_row(r));
    for (int j = 0; j < r->nw; j++) {
        if (r->w[j].pid)
            fprintf(f, "%d\tw%d pid %ld\n", j, r->w[j].slot, r->w[j].pid);
        else
            fprintf(f, "%d\tw%d idle\n", j, r->w[j].slot);
    }
    if (r->notrun)
        fprintf(f, "%d\tnever started\n", r->nw);
    snprintf(what, sizeof what, "%s.rows", r->name);
    finish(f, what);

    /* Where a worker died or was killed (the end of the call it held),
     * and where the worker that took its slot began its first call. */
    struct mark *m = xcalloc(2 * (r->t.ntasks + r->t.nends), sizeof *m);
    size_t nm = find_marks(r, m);
    int has[4] = { 0 };
    f = create(dir, r->name, ".marks");
    for (size_t i = 0; i < nm; i++) {
        fprintf(f, "%.6f\t%.2f\t%d\t%s\n", m[i].t, m[i].row - 0.42, m[i].kind,
                mark_word[m[i].kind]);
        has[m[i].kind] = 1;
    }
    free(m);
    snprintf(what, sizeof what, "%s.marks", r->name);
    finish(f, what);

    /* The labels of the calls that never started, by group. */
    struct group *g0 = xcalloc(r->t.ntasks, sizeof *g0);
    size_t ng = notrun_groups(r, span, text_chars < GROUP_CHARS ? text_chars : GROUP_CHARS, g0);
    f = create(dir, r->name, ".notrun");
    for (size_t i = 0; i < ng; i++)
        fprintf(f, "%.6f\t%d\t%s\t%d\n", g0[i].x, r->nw, g0[i].label, g0[i].right);
    free(g0);
    snprintf(what, sizeof what, "%s.notrun", r->name);
    finish(f, what);

    /* The calls chart: one row per call in the order they were made; a
     * thin bar while it waited in the queue, a box while it ran. */
    struct trace_task **by = xcalloc(r->t.ntasks, sizeof *by);
    for (size_t i = 0; i < r->t.ntasks; i++)
        by[i] = &r->t.task[i];
    qsort(by, r->t.ntasks, sizeof *by, by_task_id);
    f = create(dir, r->name, ".calls");
    FILE *g = create(dir, r->name, ".callrows");
    if (r->t.version >= 3)
        fprintf(g, "-1\t%s\n", master_row(r));
    for (size_t i = 0; i < r->t.ntasks; i++) {
        struct trace_task *k = by[i];
        /* A retry's wait is from its try before's end (trace.c, queued). */
        double wait = k->start - k->queued, run = k->end - k->start;
        double hi = run < span * 0.004 ? k->start + span * 0.004 : k->end;
        char who[64] = "never ran", wl[64] = " ", fn[64];
        if (trace_task_ran(k))
            snprintf(who, sizeof who, "w%d", k->worker);
        if (strlen(who) + 1 > run / span * AXIS_CHARS_IMAGE)
            snprintf(who, sizeof who, " ");
        snprintf(wl, sizeof wl, "waited %.*f s", span >= 10 ? 1 : span >= 1 ? 2 : 3, wait);
        if (strlen(wl) + 1 > wait / span * AXIS_CHARS_IMAGE)
            snprintf(wl, sizeof wl, " ");
        /* A call that never started says so after its box (column 11). */
        fprintf(f, "%zu\t%.6f\t%.6f\t%.6f\t%d\t%.6f\t%s\t%.6f\t%s\t%.6f\t%s\n", i,
                k->queued, k->start, hi, (int)k->status + 1,
                (k->queued + k->start) / 2, wl, (k->start + hi) / 2, who, wait,
                trace_task_ran(k) ? " " : "never started");
        snprintf(fn, sizeof fn, "%s", k->function);
        clean(fn);
        fprintf(g, "%zu\t#%ld %s%s%s\n", i, k->id, fn,
                k->status == TS_OK ? "" : " ", mark(k->status));
    }
    free(by);
    snprintf(what, sizeof what, "%s.calls", r->name);
    finish(f, what);
    snprintf(what, sizeof what, "%s.callrows", r->name);
    finish(g, what);

    /* When the master was blocked waiting (a v3 trace): one bar for each
     * time, in the row above the workers (row -1) of both charts. */
    f = create(dir, r->name, ".master");
    for (size_t i = 0; i < r->t.nblocked; i++) {
        struct trace_span *s = &r->t.blocked[i];
        double hi = s->to - s->from < span * 0.004 ? s->from + span * 0.004 : s->to;
        /* "blocked in pool_apply #0" where it fits, else shorter. */
        char l[96];
        double room = (s->to - s->from) / span * AXIS_CHARS_IMAGE;
        snprintf(l, sizeof l, "blocked in %s", s->on);
        if (strlen(l) + 1 > room)
            snprintf(l, sizeof l, "%s", s->on);
        if (strlen(l) + 1 > room)
            snprintf(l, sizeof l, "%s", strchr(s->on, '#') ? strchr(s->on, '#') : " ");
        if (strlen(l) + 1 > room || !*l)
            snprintf(l, sizeof l, " ");
        fprintf(f, "%.6f\t-1\t%.6f\t%.6f\t%s\n", (s->from + hi) / 2, s->from, hi, l);
    }
    snprintf(what, sizeof what, "%s.master", r->name);
    finish(f, what);

    run_title(r, title, sizeof title);
    time_label(xl, sizeof xl);
    f = create(dir, r->name, ".vars");
    /* mrow: 1 if the trace says when the master was blocked (v3): the
     * charts then have a row for it on top. */
    status_looks_gp(f);
    fprintf(f, "mrow = %d\n", r->t.version >= 3);
    fprintf(f, "mtitle = \"%s\"\n", r->t.nblocked ? "master blocked" : "");
    /* Legend entries: a status's or a mark's only when the run has one. */
    for (int s = 0; s < TS_COUNT; s++)
        fprintf(f, "st%d = \"%s\"\n", s + 1, r->count[s] ? legend(s) : "");
    fprintf(f, "mk1t = \"%s\"\nmk2t = \"%s\"\nmk3t = \"%s\"\n",
            has[MK_DIED] ? "worker died" : "", has[MK_NEW] ? "new worker took the slot" : "",
            has[MK_KILLED] ? "worker killed by the pool" : "");
    /* Its own rows, but no fewer than four (or the most any run has): a
     * run on 1 or 2 workers keeps bars of a sensible height. */
    int nrows = ax->nrows < 4 ? ax->nrows : 4;
    fprintf(f, "nrows = %d\n", run_rows(r) > nrows ? run_rows(r) : nrows);
    fprintf(f, "ncalls = %d\n", ax->ncalls);
    fprintf(f, "keyrows = %d\nckeyrows = %d\n", ax->keyrows, ax->ckeyrows);
    fprintf(f, "tmax = %.6f\n", span);
    fprintf(f, "ownrows = %d\n", run_rows(r));
    fprintf(f, "rttl = \"%s%s%d worker%s: makespan %.2f s\"\n", *program ? "" : r->name,
            *program ? "" : ", ", r->nworkers, r->nworkers == 1 ? "" : "s", makespan(r));
    fprintf(f, "textcols = %d\n", text_cols);
    fprintf(f, "ttl = \"%s: makespan %.2f s, lower bound %.2f s\"\n", title,
            makespan(r), bound(r));
    fprintf(f, "cttl = \"%s: each call waits in the queue, then runs\"\n", title);
    fprintf(f, "xlbl = \"%s\"\n", xl);
    snprintf(what, sizeof what, "%s.vars", r->name);
    finish(f, what);
}

/* Bars: one per worker slot, runs side by side, a gap between runs. A slot
 * whose worker was replaced holds the calls of each of its processes,
 * stacked in the order they ran (the first at the bottom): together they
 * are the slot's share, which the dashed line (calls / slots) is for. One
 * rule for every count: the slot's calls, just above its bar ("3+1" for
 * a replaced slot), on a white ground that the line passes behind. */
static void write_distribution(const char *dir, struct run *runs, int n)
{
    FILE *d = create(dir, "distribution", ".dat");
    FILE *e = create(dir, "distribution", ".seg");
    FILE *g = create(dir, "groups", ".dat");
    int x = 0, most = 1;

    for (int i = 0; i < n; i++)
        for (int s = 0; s < runs[i].nworkers; s++) {
            int c = 0;
            for (int j = 0; j < runs[i].nw; j++)
                c += runs[i].w[j].slot == s ? runs[i].w[j].tasks : 0;
            most = c > most ? c : most;
        }
    double top = most * 1.25 + 0.5;
    for (int i = 0; i < n; i++) {
        struct run *r = &runs[i];
        int ran = (int)r->t.ntasks - r->notrun;
        double share = (double)ran / r->nworkers;
        for (int s = 0; s < r->nworkers; s++) {
            int c = 0, k = 0;
            char label[256] = "";
            size_t len = 0;
            for (int j = 0; j < r->nw; j++) {
                const struct worker *w = &r->w[j];
                if (w->slot != s)
                    continue;
                fprintf(e, "%d\t%d\t%d\t%d\t%ld\n", x + s, c, c + w->tasks, k, w->pid);
                if (len < sizeof label)
                    len += (size_t)snprintf(label + len, sizeof label - len, "%s%d",
                                            k ? "+" : "", w->tasks);
                c += w->tasks;
                k++;
            }
            fprintf(d, "%d\t%d\t%d\tw%d\t%.4f\t%s\n", x + s, c, i + 1, s,
                    c + 0.045 * top, label);
        }
        char label[160];
        int twice = 0;          /* another run has the same worker count */
        for (int o = 0; o < n; o++)
            twice |= o != i && runs[o].nworkers == r->nworkers;
        if (*program && !twice)
            snprintf(label, sizeof label, "%d worker%s", r->nworkers,
                     r->nworkers == 1 ? "" : "s");
        else
            snprintf(label, sizeof label, "%s: %d worker%s", r->name, r->nworkers,
                     r->nworkers == 1 ? "" : "s");
        fprintf(g, "%.1f\t%s\t%.1f\t%.1f\t%.4f\n", x + (r->nworkers - 1) / 2.0,
                label, x - 0.45, x + r->nworkers - 0.55, share);
        x += r->nworkers + 1;
    }
    finish(d, "distribution.dat");
    finish(e, "distribution.seg");
    finish(g, "groups.dat");

    int replaced = 0;
    for (int i = 0; i < n; i++)
        replaced |= runs[i].nw > runs[i].nworkers;
    FILE *v = create(dir, "distribution", ".vars");
    fprintf(v, "replaced = %d\n", replaced);
    fprintf(v, "xmax = %d\nymax = %d\nytop = %.4f\ntextcols = %d\n", x - 1, most,
            top, text_cols);
    fprintf(v, "ttl = \"%s%scalls per worker slot\"\n", program, *program ? ": " : "");
    finish(v, "distribution.vars");
}

static int by_workers(const void *a, const void *b)
{
    const struct run *x = *(const struct run *const *)a, *y = *(const struct run *const *)b;
    return (x->nworkers > y->nworkers) - (x->nworkers < y->nworkers);
}

/* Makespan against workers, with the lower bound and the ideal (the run
 * with the fewest workers, its time shared perfectly), and the efficiency:
 * that ideal time over the makespan. */
/* The title and axis of the overview: every run's timeline on one slide. */
static void write_overview(const char *dir, struct run *runs, int n, const struct axis *ax)
{
    char xl[200];
    FILE *f = create(dir, "overview", ".vars");

    time_label(xl, sizeof xl);
    fprintf(f, "tmax = %.6f\n", ax->tmax);
    fprintf(f, "xlbl = \"%s\"\n", xl);
    fprintf(f, "ttl = \"%s%s", program, *program ? ": " : "");
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s", i == 0 ? "" : i == n - 1 ? " and " : ", ");
        if (*program)
            fprintf(f, "%d", runs[i].nworkers);
        else
            fprintf(f, "%s", runs[i].name);
    }
    if (*program)
        fprintf(f, " worker%s", n == 1 && runs[0].nworkers == 1 ? "" : "s");
    fprintf(f, " on one time axis\"\n");
    status_looks_gp(f);
    /* Its one legend: what any of the runs has. */
    int any[TS_COUNT] = { 0 }, mk[4] = { 0 }, blocked = 0;
    for (int i = 0; i < n; i++) {
        for (int s = 0; s < TS_COUNT; s++)
            any[s] |= runs[i].count[s] > 0;
        blocked |= runs[i].t.nblocked > 0;
        struct mark *m = xcalloc(2 * (runs[i].t.ntasks + runs[i].t.nends), sizeof *m);
        size_t nm = find_marks(&runs[i], m);
        for (size_t j = 0; j < nm; j++)
            mk[m[j].kind] = 1;
        free(m);
    }
    for (int s = 0; s < TS_COUNT; s++)
        fprintf(f, "st%d = \"%s\"\n", s + 1, any[s] ? legend(s) : "");
    fprintf(f, "mtitle = \"%s\"\n", blocked ? "master blocked" : "");
    fprintf(f, "mk1t = \"%s\"\nmk2t = \"%s\"\nmk3t = \"%s\"\n",
            mk[MK_DIED] ? "worker died" : "", mk[MK_NEW] ? "new worker took the slot" : "",
            mk[MK_KILLED] ? "worker killed by the pool" : "");
    finish(f, "overview.vars");
}

static void write_speedup(const char *dir, struct run *runs, int n)
{
    struct run **v = xcalloc((size_t)n, sizeof *v);
    double ymax = 0;
    char xl[200];

    for (int i = 0; i < n; i++)
        v[i] = &runs[i];
    qsort(v, (size_t)n, sizeof *v, by_workers);
    double base = makespan(v[0]) * v[0]->nworkers;
    FILE *f = create(dir, "speedup", ".dat");
    for (int i = 0; i < n; i++) {
        struct run *r = v[i];
        double m = makespan(r), ideal = base / r->nworkers;
        double eff = m > 0 ? 100 * ideal / m : 0;
        fprintf(f, "%d\t%.6f\t%.6f\t%.6f\t%.2f\t%s\n", r->nworkers, m, bound(r),
                ideal, eff, r->name);
        if (m > ymax) ymax = m;
        if (bound(r) > ymax) ymax = bound(r);
        if (ideal > ymax) ymax = ideal;
    }
    finish(f, "speedup.dat");
    f = create(dir, "speedup", ".vars");
    time_label(xl, sizeof xl);
    fprintf(f, "nmax = %d\nnmin = %d\nymax = %.6f\nbase = %.6f\ntextcols = %d\n",
            v[n - 1]->nworkers, v[0]->nworkers, ymax > 0 ? ymax : 1, base, text_cols);
    fprintf(f, "ttl = \"%s%smakespan and efficiency against workers\"\n", program,
            *program ? ": " : "");
    fprintf(f, "ylbl = \"makespan (%s)\"\n",
            scale > 0 && scale != 1 ? "program seconds" : "seconds");
    if (v[0]->nworkers == 1)
        fprintf(f, "idealttl = \"ideal: makespan on 1 worker / workers\"\n");
    else
        fprintf(f, "idealttl = \"ideal: makespan on %d workers x %d / workers\"\n",
                v[0]->nworkers, v[0]->nworkers);
    finish(f, "speedup.vars");
    free(v);
}

/* A JSON string: quotes, backslashes and control characters escaped, and
 * '<' too, so that the text can sit inside an HTML <script>. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* Everything the HTML report draws, as one JSON object. */
static void write_json(const char *path, struct run *runs, int n, const struct axis *ax)
{
    FILE *f = fopen(path, "w");
    char xl[200];

    if (f == NULL)
        die("cannot write %s: %s", path, strerror(errno));
    time_label(xl, sizeof xl);
    fputs("{\"format\":\"poolplot report 1\",\"program\":", f);
    json_str(f, program);
    fprintf(f, ",\"scale\":%g,\"tmax\":%.6f,\"xlabel\":", scale, ax->tmax);
    json_str(f, xl);
    /* How each status looks: runtime/status.h, as the charts have it. */
    fputs(",\"statuses\":[", f);
    for (int s = 0; s < TS_COUNT; s++) {
        const struct pool_status_look *l = &pool_status_looks[s];
        fprintf(f, "%s{\"word\":\"%s\",\"mark\":\"%s\",\"legend\":\"%s\",\"fill\":\"%s\","
                "\"edge\":\"%s\",\"pattern\":\"%s\"}", s ? "," : "", l->word, l->mark,
                l->legend, l->fill, l->edge, l->html_pattern);
    }
    fputs("],\"runs\":[", f);
    for (int i = 0; i < n; i++) {
        struct run *r = &runs[i];
        char title[160];
        run_title(r, title, sizeof title);
        fprintf(f, "%s\n{\"name\":", i ? "," : "");
        json_str(f, r->name);
        fputs(",\"title\":", f);
        json_str(f, title);
        fputs(",\"trace\":", f);
        json_str(f, r->path);
        fprintf(f, ",\"workers\":%d,\"inferred\":%s,\"makespan\":%.6f,\"bound\":%.6f,"
                "\"work\":%.6f,\"longest\":%.6f,\"t0\":%.6f,\"t1\":%.6f,",
                r->nworkers, r->inferred ? "true" : "false", makespan(r), bound(r),
                r->work, r->longest, r->t0, r->t1);
        for (int s = 0; s < TS_COUNT; s++)      /* "ok":N, "error":N, ... */
            fprintf(f, "\"%s\":%d,", pool_status_looks[s].word, r->count[s]);
        fprintf(f, "\"notrun\":%d,", r->notrun);
        /* The marks and the labels of the calls that never started, as
         * the charts have them; rows count the workers' from 0. */
        struct mark *m = xcalloc(2 * (r->t.ntasks + r->t.nends), sizeof *m);
        size_t nm = find_marks(r, m);
        fputs("\"marks\":[", f);
        for (size_t j = 0; j < nm; j++) {
            fprintf(f, "%s{\"t\":%.6f,\"row\":%d,\"kind\":\"%s\",\"why\":", j ? "," : "",
                    m[j].t, m[j].row, mark_word[m[j].kind]);
            json_str(f, m[j].why);
            fputc('}', f);
        }
        free(m);
        struct group *g = xcalloc(r->t.ntasks, sizeof *g);
        size_t ng = notrun_groups(r, ax->tmax, GROUP_CHARS, g);
        fputs("],\"notrun_labels\":[", f);
        for (size_t j = 0; j < ng; j++) {
            fprintf(f, "%s{\"t\":%.6f,\"right\":%s,\"label\":", j ? "," : "", g[j].x,
                    g[j].right ? "true" : "false");
            json_str(f, g[j].label);
            fputc('}', f);
        }
        free(g);
        fputs("],", f);
        fputs("\"rows\":[", f);
        for (int j = 0; j < r->nw; j++)
            fprintf(f, "%s{\"slot\":%d,\"pid\":%ld,\"tasks\":%d,\"busy\":%.6f,"
                    "\"busyfrac\":%.4f}", j ? "," : "", r->w[j].slot, r->w[j].pid,
                    r->w[j].tasks, r->w[j].busy, busy_fraction(r, &r->w[j]));
        fputs("],\"calls\":[", f);
        for (size_t k = 0; k < r->t.ntasks; k++) {
            struct trace_task *t = &r->t.task[k];
            fprintf(f, "%s\n{\"id\":%ld,\"fn\":", k ? "," : "", t->id);
            json_str(f, t->function);
            fprintf(f, ",\"pid\":%ld,\"worker\":%d,\"row\":%d,\"submit\":%.6f,"
                    "\"queued\":%.6f,\"start\":%.6f,\"end\":%.6f,\"status\":\"%s\",\"error\":",
                    t->pid, t->worker, row_of(r, t), t->submit, t->queued, t->start, t->end,
                    trace_status_name(t->status));
            json_str(f, t->error);
            fputc('}', f);
        }
        /* null: the trace does not say (v1, v2); else the times the
         * master was blocked waiting. */
        fputs("],\"blocked\":", f);
        if (r->t.version < 3)
            fputs("null", f);
        for (size_t k = 0; r->t.version >= 3 && k <= r->t.nblocked; k++) {
            if (k == r->t.nblocked) {
                fputs(k ? "]" : "[]", f);
                break;
            }
            fprintf(f, "%s[%.6f,%.6f,", k ? "," : "[", r->t.blocked[k].from,
                    r->t.blocked[k].to);
            json_str(f, r->t.blocked[k].on);
            fputc(']', f);
        }
        fputs("}", f);
    }
    fputs("]}\n", f);
    finish(f, path);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: %s [-c] [-n COUNTS] [-l NAMES] [-p PROGRAM] [-S SCALE]\n"
            "                 [-w COLUMNS] [-o DIR] [-j JSON] TRACE...\n"
            "  -c         only check the traces (silent when all are good)\n"
            "  -n COUNTS  worker count of each trace, comma separated\n"
            "             (0: the highest worker slot in the trace + 1)\n"
            "  -l NAMES   a short name for each trace, comma separated\n"
            "  -p PROGRAM the program's name, for the titles\n"
            "  -S SCALE   the runs' POOL_TIME_SCALE: times become the program's\n"
            "             own seconds (measured / SCALE)\n"
            "  -w COLUMNS the width of text charts (default 120)\n"
            "  -o DIR     write gnuplot data files into DIR\n"
            "  -j JSON    write the figures and every call as JSON\n", prog);
    exit(2);
}

/* Split a comma list into at most max items, in place. */
static int split_list(char *s, char *item[], int max)
{
    int n = 0;
    for (char *tok = strtok(s, ","); tok != NULL; tok = strtok(NULL, ","))
        if (n < max)
            item[n++] = tok;
        else
            return -1;
    return n;
}

int main(int argc, char **argv)
{
    int check = 0, opt;
    char *counts = NULL, *names = NULL, *dir = NULL, *json = NULL, *prog_name = NULL;

    while ((opt = getopt(argc, argv, "cn:l:o:p:S:w:j:h")) != -1) {
        switch (opt) {
        case 'c': check = 1; break;
        case 'n': counts = optarg; break;
        case 'l': names = optarg; break;
        case 'o': dir = optarg; break;
        case 'p': prog_name = optarg; break;
        case 'j': json = optarg; break;
        case 'S': {
            char *end;
            scale = strtod(optarg, &end);
            if (*optarg == '\0' || *end != '\0' || !(scale > 0) || !isfinite(scale))
                die("scale '%s' is not a positive number", optarg);
            break;
        }
        case 'w': {
            char *end;
            long c = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || c < 40 || c > 1000)
                die("width '%s' is not a number of columns from 40 to 1000", optarg);
            text_cols = (int)c;
            break;
        }
        default: usage();
        }
    }
    int n = argc - optind;
    if (n < 1)
        usage();

    struct run *runs = xcalloc((size_t)n, sizeof *runs);
    char **cnt = xcalloc((size_t)n, sizeof *cnt), **nam = xcalloc((size_t)n, sizeof *nam);
    if (counts != NULL && split_list(counts, cnt, n) != n)
        die("-n needs one worker count per trace (%d)", n);
    if (names != NULL && split_list(names, nam, n) != n)
        die("-l needs one name per trace (%d)", n);

    for (int i = 0; i < n; i++) {
        struct run *r = &runs[i];
        char why[512];
        r->path = argv[optind + i];
        if (cnt[i] != NULL) {
            char *end;
            errno = 0;
            long c = strtol(cnt[i], &end, 10);
            if (*cnt[i] == '\0' || *end != '\0' || errno || c < 0 || c > 4096)
                die("worker count '%s' is not a positive number", cnt[i]);
            r->nworkers = (int)c;
        }
        if (nam[i] != NULL) {
            snprintf(r->name, sizeof r->name, "%s", nam[i]);
        } else {
            const char *base = strrchr(r->path, '/');
            snprintf(r->name, sizeof r->name, "%s", base ? base + 1 : r->path);
            char *dot = strrchr(r->name, '.');
            if (dot != NULL && dot != r->name)
                *dot = '\0';
        }
        clean(r->name);
        if (trace_read(r->path, &r->t, why, sizeof why) != 0)
            die("%s: %s", r->path, why);
    }
    if (check)
        return 0;
    /* Not given: what v2 traces say of themselves, when all agree. */
    if (scale == 0 && n > 0 && runs[0].t.time_scale > 0) {
        scale = runs[0].t.time_scale;
        for (int i = 1; i < n; i++)
            if (runs[i].t.time_scale != scale)
                scale = 0;
    }
    if (prog_name == NULL && n > 0 && runs[0].t.program[0]) {
        prog_name = runs[0].t.program;
        for (int i = 1; i < n && prog_name != NULL; i++)
            if (strcmp(runs[i].t.program, prog_name) != 0)
                prog_name = NULL;
    }
    if (prog_name != NULL) {
        const char *base = strrchr(prog_name, '/');
        program = prog_name = strdup(base ? base + 1 : prog_name);
        if (prog_name == NULL)
            die("out of memory");
        clean(prog_name);
    }
    for (int i = 0; i < n; i++) {
        if (scale > 0 && scale != 1)
            for (size_t k = 0; k < runs[i].t.ntasks; k++) {
                struct trace_task *t = &runs[i].t.task[k];
                t->submit /= scale;
                t->queued /= scale;
                t->start /= scale;
                t->end /= scale;
            }
        if (scale > 0 && scale != 1) {
            for (size_t k = 0; k < runs[i].t.nends; k++)
                runs[i].t.ends[k].t /= scale;
            for (size_t k = 0; k < runs[i].t.nstarts; k++)
                runs[i].t.starts[k].t /= scale;
        }
        if (scale > 0 && scale != 1)
            for (size_t k = 0; k < runs[i].t.nblocked; k++) {
                runs[i].t.blocked[k].from /= scale;
                runs[i].t.blocked[k].to /= scale;
            }
        measure(&runs[i]);
    }

    print_summary(stdout, runs, n, scale);
    struct axis ax = common_axis(runs, n);
    legend_rows(runs, n, &ax);
    if (dir != NULL) {
        for (int i = 0; i < n; i++)
            write_timeline(dir, &runs[i], &ax);
        write_distribution(dir, runs, n);
        write_speedup(dir, runs, n);
        write_overview(dir, runs, n, &ax);
    }
    if (json != NULL)
        write_json(json, runs, n, &ax);
    if (fflush(stdout) != 0)
        die("cannot write the summary: %s", strerror(errno));
    for (int i = 0; i < n; i++) {
        trace_free(&runs[i].t);
        free(runs[i].w);
    }
    free(runs);
    free(cnt);
    free(nam);
    free(prog_name);
    return 0;
}
