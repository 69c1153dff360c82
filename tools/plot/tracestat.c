/*
 * tracestat - what a pool trace says about where the tasks went.
 *
 *     tracestat [-c] [-n COUNTS] [-l NAMES] [-o DIR] [-s NOTE] TRACE...
 *
 * For each trace: the makespan (first task start to last task end), the
 * ideal makespan's lower bound (the longer of the longest task and the
 * total work shared evenly by the workers), and for each worker process its
 * tasks and busy fraction (time in tasks / makespan). It prints a summary
 * table on stdout, and with -o writes the data files that poolplot's gnuplot scripts
 * draw: NAME.tasks, NAME.rows and NAME.vars per trace, distribution.dat and
 * groups.dat for all of them.
 *
 * The worker count of a trace is -n's number when given; otherwise the
 * highest worker slot seen, plus one (a worker that ran nothing in the last
 * slots cannot be seen in a trace).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

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
    int count[4];               /* tasks by status */
    double t0, t1;              /* first start, last end of tasks that ran */
    double work, longest;
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
              (*s >= '0' && *s <= '9') || strchr("_-.:()# =,+/", *s)))
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

/* Work out every figure of one trace. */
static void measure(struct run *r)
{
    struct trace *t = &r->t;
    int maxslot = -1;
    int ran = 0;

    r->longest = -1;
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
    if (r->nworkers == 0) {
        r->inferred = 1;
        r->nworkers = maxslot + 1 > 0 ? maxslot + 1 : 1;
    } else if (maxslot >= r->nworkers) {
        die("%s: tasks ran in worker slot %d, but the run was for %d worker%s: "
            "does the program take its worker count as told?",
            r->path, maxslot, r->nworkers, r->nworkers == 1 ? "" : "s");
    }

    /* One entry per PID that ran a task, then one per slot left idle. */
    r->w = xcalloc(t->ntasks + (size_t)r->nworkers, sizeof *r->w);
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
    return r->longest > even ? r->longest : even;
}

static double busy_fraction(const struct run *r, const struct worker *w)
{
    return makespan(r) > 0 ? w->busy / makespan(r) : 0;
}

static void print_summary(FILE *out, struct run *runs, int n)
{
    int width = 3;

    for (int i = 0; i < n; i++)
        if ((int)strlen(runs[i].name) > width)
            width = (int)strlen(runs[i].name);
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
        fprintf(out, "  makespan     %.3f s (from %.3f to %.3f)\n", makespan(r),
                r->t0, r->t1);
        fprintf(out, "  total work   %.3f s\n", r->work);
        if (r->longest_fn != NULL)
            fprintf(out, "  longest task %.3f s (task %ld, %s)\n", r->longest,
                    r->longest_id, r->longest_fn);
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

/* The longest label that fits a box of `chars` characters: "#5 slow_add",
 * then "#5", then "5". A failed task carries a mark: ! error, X crash,
 * T terminated, so that it shows even where colours do not. */
static void task_label(const struct trace_task *k, double chars, char *buf, size_t size)
{
    static const char *mark[] = { "", "!", "X", "T" };
    const char *m = mark[k->status], *gap = k->status == TS_OK ? "" : " ";
    char fn[64];

    snprintf(fn, sizeof fn, "%s", k->function);
    clean(fn);
    snprintf(buf, size, "#%ld %s%s%s", k->id, fn, gap, m);
    if (strlen(buf) + 1 <= chars)
        return;
    snprintf(buf, size, "#%ld%s", k->id, m);
    if (strlen(buf) + 1 <= chars)
        return;
    snprintf(buf, size, "%ld%s", k->id, m);
}

/* About how many characters fit across the time axis: in a PNG or SVG
 * 1100 pixels wide, and in a 120-column text chart. */
#define AXIS_CHARS_IMAGE 120.0
#define AXIS_CHARS_TEXT 100.0

static void write_timeline(const char *dir, struct run *r, const char *note)
{
    double span = r->t1 > 0 ? r->t1 * 1.02 : 1.0;
    int rows = r->nw + (r->notrun > 0);
    char what[128];

    FILE *f = create(dir, r->name, ".tasks");
    for (size_t i = 0; i < r->t.ntasks; i++) {
        struct trace_task *k = &r->t.task[i];
        double lo = k->start, hi = k->end;
        if (hi - lo < span * 0.004)
            hi = lo + span * 0.004;     /* too short to see: widen the box */
        char label[128], text_label[128];
        double share = (k->end - k->start) / span;
        task_label(k, share * AXIS_CHARS_IMAGE, label, sizeof label);
        task_label(k, share * AXIS_CHARS_TEXT, text_label, sizeof text_label);
        int y = row_of(r, k);
        fprintf(f, "%.6f\t%d\t%.6f\t%.6f\t%.2f\t%.2f\t%d\t%s\t%ld\t%s\n",
                (lo + hi) / 2, y, lo, hi, y - 0.35, y + 0.35, (int)k->status + 1,
                label, k->id, text_label);
    }
    snprintf(what, sizeof what, "%s.tasks", r->name);
    finish(f, what);

    f = create(dir, r->name, ".rows");
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

    f = create(dir, r->name, ".vars");
    fprintf(f, "nrows = %d\n", rows);
    fprintf(f, "tmax = %.6f\n", span);
    fprintf(f, "ttl = \"%s: %d worker%s, %zu tasks, makespan %.3f s, "
            "lower bound %.3f s%s%s\"\n", r->name, r->nworkers,
            r->nworkers == 1 ? "" : "s", r->t.ntasks, makespan(r), bound(r),
            *note ? ", " : "", note);
    snprintf(what, sizeof what, "%s.vars", r->name);
    finish(f, what);
}

/* Bars: one per worker entry, runs side by side, a gap between runs. */
static void write_distribution(const char *dir, struct run *runs, int n, const char *note)
{
    FILE *d = create(dir, "distribution", ".dat");
    FILE *g = create(dir, "groups", ".dat");
    int x = 0, most = 1;

    for (int i = 0; i < n; i++) {
        struct run *r = &runs[i];
        int ran = (int)r->t.ntasks - r->notrun;
        for (int j = 0; j < r->nw; j++) {
            fprintf(d, "%d\t%d\t%d\tw%d\n", x + j, r->w[j].tasks, i + 1, r->w[j].slot);
            if (r->w[j].tasks > most)
                most = r->w[j].tasks;
        }
        char wn[32], label[128];
        snprintf(wn, sizeof wn, "w%d", r->nworkers);
        snprintf(label, sizeof label, "%s%s%d worker%s", strcmp(wn, r->name) ? r->name : "",
                 strcmp(wn, r->name) ? ": " : "", r->nworkers, r->nworkers == 1 ? "" : "s");
        fprintf(g, "%.1f\t%s\t%.1f\t%.1f\t%.4f\n", x + (r->nw - 1) / 2.0,
                label, x - 0.45, x + r->nw - 0.55, (double)ran / r->nworkers);
        x += r->nw + 1;
    }
    finish(d, "distribution.dat");
    finish(g, "groups.dat");

    FILE *v = create(dir, "distribution", ".vars");
    fprintf(v, "xmax = %d\nymax = %d\n", x - 1, most);
    fprintf(v, "ttl = \"Tasks per worker process%s%s\"\n",
            *note ? ", " : "", note);
    finish(v, "distribution.vars");
}

static void usage(void)
{
    fprintf(stderr,
            "usage: %s [-c] [-n COUNTS] [-l NAMES] [-o DIR] [-s NOTE] TRACE...\n"
            "  -c         only check the traces (silent when all are good)\n"
            "  -n COUNTS  worker count of each trace, comma separated\n"
            "             (0: the highest worker slot in the trace + 1)\n"
            "  -l NAMES   a short name for each trace, comma separated\n"
            "  -o DIR     write gnuplot data files into DIR\n"
            "  -s NOTE    a note for the chart titles\n", prog);
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
    char *counts = NULL, *names = NULL, *dir = NULL;
    const char *note = "";

    while ((opt = getopt(argc, argv, "cn:l:o:s:h")) != -1) {
        switch (opt) {
        case 'c': check = 1; break;
        case 'n': counts = optarg; break;
        case 'l': names = optarg; break;
        case 'o': dir = optarg; break;
        case 's': note = optarg; break;
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
    for (int i = 0; i < n; i++)
        measure(&runs[i]);

    print_summary(stdout, runs, n);
    if (dir != NULL) {
        char *safe_note = strdup(note);
        if (safe_note == NULL)
            die("out of memory");
        clean(safe_note);
        for (int i = 0; i < n; i++)
            write_timeline(dir, &runs[i], safe_note);
        write_distribution(dir, runs, n, safe_note);
        free(safe_note);
    }
    if (fflush(stdout) != 0)
        die("cannot write the summary: %s", strerror(errno));
    for (int i = 0; i < n; i++) {
        trace_free(&runs[i].t);
        free(runs[i].w);
    }
    free(runs);
    free(cnt);
    free(nam);
    return 0;
}
