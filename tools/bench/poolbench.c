/*
 * poolbench.c - the runtime's side of `make bench`.
 *
 * Runs one or more figures and prints one line per figure for the driver
 * (tools/bench/bench) to read:
 *
 *     result figure=apply side=ours unit=us reps=5 median=21.3 min=20.8 max=24.0 check=ok
 *
 * Each figure runs once to warm up (not counted), then --reps times; the
 * line gives the median, min and max. Every result a task gives back is
 * checked; a wrong one stops the program with "WRONG RESULT" and status 2,
 * so a fast but wrong runtime can never show a good figure. --wrong makes the
 * tasks answer wrongly on purpose, to prove that the checks bite.
 *
 * tools/bench/bench_python.py does the same work with Python's
 * multiprocessing.Pool and concurrent.futures; keep the two in step.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"

#define WORKERS 2

/* Sizes and switches, from the command line. */
static struct {
    int reps;           /* measured runs of each figure */
    int create_reps;    /* measured runs of pool start-up (cheap, noisy) */
    long calls;         /* apply round trips in one run */
    long tasks;         /* apply_async calls in one run */
    long items;         /* map items in one run */
    double scale;       /* the sleeps of the work figure, in seconds per unit */
    long mem_small;     /* tasks before the first memory reading */
    long mem_big;       /* tasks before the second one */
    int window;         /* futures in flight in the memory figure */
    const char *trace_file;
} opt = {
    .reps = 5, .create_reps = 15, .calls = 2000, .tasks = 20000,
    .items = 100000, .scale = 0.1, .mem_small = 10000, .mem_big = 1000000,
    .window = 64, .trace_file = NULL,
};

/* Set before any pool starts, so every worker inherits it through fork. */
static long wrong;

/* Small helpers. ------------------------------------------------------------ */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void sleep_for(double seconds)
{
    struct timespec t = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
    while (nanosleep(&t, &t) == -1 && errno == EINTR)
        ;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (p == NULL) {
        fprintf(stderr, "poolbench: out of memory\n");
        exit(1);
    }
    return p;
}

static pool *start_pool(void)
{
    pool *p = pool_create(WORKERS);
    if (p == NULL) {
        pool_perror("poolbench: pool_create");
        exit(1);
    }
    return p;
}

static future *submitted(future *f)
{
    if (f == NULL) {
        fprintf(stderr, "poolbench: pool_submit: out of memory\n");
        exit(1);
    }
    return f;
}

/* Stop the whole benchmark: a figure from wrong answers is worthless. */
static void check_int(const char *figure, long call, pool_value got, long want)
{
    char buf[200];
    if (got.kind == POOL_INT && got.as.i == want)
        return;
    fprintf(stderr, "poolbench: WRONG RESULT in %s: call %ld gave %s, expected %ld\n",
            figure, call, pool_value_format(got, buf, sizeof buf), want);
    exit(2);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Print the driver's line for n samples (sorted here). */
static void report(const char *figure, const char *unit, double *s, int n)
{
    qsort(s, n, sizeof *s, by_value);
    double median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    printf("result figure=%s side=ours unit=%s reps=%d median=%.6g min=%.6g max=%.6g check=ok\n",
           figure, unit, n, median, s[0], s[n - 1]);
    fflush(stdout);
}

/* Tasks. --------------------------------------------------------------------- */

/* The no-op: gives its argument back, so that the master can check it. */
static pool_value echo(pool_args a)
{
    return pool_int(pool_arg_int(a, 0) + wrong);
}

static pool_value square(pool_args a)
{
    long x = pool_arg_int(a, 0);
    return pool_int(x * x + wrong);
}

static pool_value slow_add(pool_args a)
{
    pool_expect_args(a, 3);
    sleep_for(pool_arg_double(a, 0));
    return pool_int(pool_arg_int(a, 1) + pool_arg_int(a, 2) + wrong);
}

static pool_value slow_diff(pool_args a)
{
    pool_expect_args(a, 3);
    sleep_for(pool_arg_double(a, 0));
    return pool_int(pool_arg_int(a, 1) - pool_arg_int(a, 2) + wrong);
}

static pool_value fails(pool_args a)
{
    pool_expect_args(a, 1);
    sleep_for(pool_arg_double(a, 0));
    if (wrong)
        return pool_int(0);
    return pool_error("ValueError", "failed on purpose");
}

/* Figures. ------------------------------------------------------------------- */

/* Start a pool of 2, make one blocking call, close, join, free. In ms. */
static void fig_create(void)
{
    double *s = xcalloc(opt.create_reps, sizeof *s);
    for (int r = -1; r < opt.create_reps; r++) {
        double t0 = now();
        pool *p = start_pool();
        pool_value v = pool_apply(p, echo, 7);
        pool_close(p);
        if (pool_join(p) != 0) {
            pool_perror("poolbench: pool_join");
            exit(1);
        }
        pool_destroy(p);
        double t1 = now();
        check_int("create", 1, v, 7);
        if (r >= 0)
            s[r] = (t1 - t0) * 1e3;
    }
    report("create", "ms", s, opt.create_reps);
    free(s);
}

/* One blocking call at a time. Microseconds per call. */
static void fig_apply(void)
{
    double *s = xcalloc(opt.reps, sizeof *s);
    pool *p = start_pool();
    for (int r = -1; r < opt.reps; r++) {
        double t0 = now();
        for (long i = 0; i < opt.calls; i++)
            check_int("apply", i, pool_apply(p, echo, i), i);
        if (r >= 0)
            s[r] = (now() - t0) / opt.calls * 1e6;
    }
    pool_destroy(p);
    report("apply", "us", s, opt.reps);
    free(s);
}

/* The floor under fig_apply: 8 bytes to another process and back over two
 * pipes, with nothing else. Microseconds per round trip. */
static void fig_pingpong(void)
{
    int there[2], back[2];
    long n = opt.calls * 10;    /* cheap: more trips, a steadier figure */
    if (pipe(there) == -1 || pipe(back) == -1) {
        perror("poolbench: pipe");
        exit(1);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == -1) {
        perror("poolbench: fork");
        exit(1);
    }
    if (pid == 0) {
        long x;
        close(there[1]);
        close(back[0]);
        while (read(there[0], &x, sizeof x) == sizeof x) {
            x += wrong;
            if (write(back[1], &x, sizeof x) != sizeof x)
                _exit(1);
        }
        _exit(0);
    }
    close(there[0]);
    close(back[1]);
    double *s = xcalloc(opt.reps, sizeof *s);
    for (int r = -1; r < opt.reps; r++) {
        double t0 = now();
        for (long i = 0; i < n; i++) {
            long x = i;
            if (write(there[1], &x, sizeof x) != sizeof x ||
                read(back[0], &x, sizeof x) != sizeof x) {
                perror("poolbench: ping-pong");
                exit(1);
            }
            check_int("pingpong", i, pool_int(x), i);
        }
        if (r >= 0)
            s[r] = (now() - t0) / n * 1e6;
    }
    close(there[1]);    /* the child reads end of file and exits */
    close(back[0]);
    waitpid(pid, NULL, 0);
    report("pingpong", "us", s, opt.reps);
    free(s);
}

/* One run of the throughput figure on p: every call first, then every get.
 * Returns calls per second. */
static double async_run(pool *p, future **f, const char *figure)
{
    double t0 = now();
    for (long i = 0; i < opt.tasks; i++)
        f[i] = submitted(pool_apply_async(p, echo, i));
    for (long i = 0; i < opt.tasks; i++)
        check_int(figure, i, future_get(f[i]), i);
    double t1 = now();
    for (long i = 0; i < opt.tasks; i++)
        future_free(f[i]);
    return opt.tasks / (t1 - t0);
}

static void fig_async(void)
{
    double *s = xcalloc(opt.reps, sizeof *s);
    future **f = xcalloc(opt.tasks, sizeof *f);
    pool *p = start_pool();
    for (int r = -1; r < opt.reps; r++) {
        double rate = async_run(p, f, "async");
        if (r >= 0)
            s[r] = rate;
    }
    pool_destroy(p);
    report("async", "tasks/s", s, opt.reps);
    free(f);
    free(s);
}

/* Check the trace that fig_trace wrote: the v1 first line, the header, and
 * one "ok" record per call. */
static void check_trace(const char *path, long want)
{
    FILE *in = fopen(path, "r");
    if (in == NULL) {
        fprintf(stderr, "poolbench: WRONG RESULT in trace: no trace file %s\n", path);
        exit(2);
    }
    char line[512];
    long n = 0, ok = 0;
    while (fgets(line, sizeof line, in) != NULL) {
        n++;
        if (n == 1 && strcmp(line, "# pool-trace v1\n") != 0)
            break;
        size_t len = strlen(line);
        if (n > 2 && len > 5 && strcmp(line + len - 5, ",ok,\n") == 0)
            ok++;
    }
    fclose(in);
    if (n != want + 2 || ok != want) {
        fprintf(stderr, "poolbench: WRONG RESULT in trace: %s has %ld lines and %ld ok "
                "records, expected %ld and %ld\n", path, n, ok, want + 2, want);
        exit(2);
    }
}

/* The throughput figure twice, tracing off and on, runs taken in turn so
 * that the machine's drift hits both alike. */
static void fig_trace(void)
{
    char path[256];
    if (opt.trace_file)
        snprintf(path, sizeof path, "%s", opt.trace_file);
    else
        snprintf(path, sizeof path, "/tmp/poolbench-trace-%d.csv", (int)getpid());
    double *off = xcalloc(opt.reps, sizeof *off), *on = xcalloc(opt.reps, sizeof *on);
    future **f = xcalloc(opt.tasks, sizeof *f);
    pool *quiet = start_pool(), *traced = start_pool();
    if (pool_trace_open(traced, path) == -1) {
        pool_perror("poolbench: pool_trace_open");
        exit(1);
    }
    for (int r = -1; r < opt.reps; r++) {
        double a = async_run(quiet, f, "trace");
        double b = async_run(traced, f, "trace");
        if (r >= 0) {
            off[r] = a;
            on[r] = b;
        }
    }
    pool_destroy(quiet);
    pool_destroy(traced);
    check_trace(path, (opt.reps + 1) * opt.tasks);
    unlink(path);
    report("trace_off", "tasks/s", off, opt.reps);
    report("trace_on", "tasks/s", on, opt.reps);
    free(f);
    free(off);
    free(on);
}

/* pool_map over 0..items-1, one item per task. Items per second. */
static void fig_map(void)
{
    double *s = xcalloc(opt.reps, sizeof *s);
    pool_value *in = xcalloc(opt.items, sizeof *in);
    pool_value *out = xcalloc(opt.items, sizeof *out);
    pool *p = start_pool();
    for (int r = -1; r < opt.reps; r++) {
        double t0 = now();
        for (long i = 0; i < opt.items; i++)
            in[i] = pool_int(i);
        int failed = pool_map(p, square, in, opt.items, out);
        double t1 = now();
        if (failed < 0) {
            pool_perror("poolbench: pool_map");
            exit(1);
        }
        for (long i = 0; i < opt.items; i++) {
            check_int("map", i, out[i], i * i);
            pool_value_free(out[i]);
        }
        if (r >= 0)
            s[r] = opt.items / (t1 - t0);
    }
    pool_destroy(p);
    report("map", "items/s", s, opt.reps);
    free(in);
    free(out);
    free(s);
}

/* The five calls of lesson 2's future program, sleeps times opt.scale. */
static const double work_sleep[] = { 3, 2, 1, 5, 4 };
#define WORK_CALLS 5

/* The shortest possible wall time: each call goes to the first free worker. */
static double work_ideal(void)
{
    double free_at[WORKERS] = { 0 }, end = 0;
    for (int i = 0; i < WORK_CALLS; i++) {
        int w = 0;
        for (int k = 1; k < WORKERS; k++)
            if (free_at[k] < free_at[w])
                w = k;
        free_at[w] += work_sleep[i] * opt.scale;
        if (free_at[w] > end)
            end = free_at[w];
    }
    return end;
}

/* Wall time of the five calls minus work_ideal(): what the pool costs. In ms. */
static void fig_work(void)
{
    double *s = xcalloc(opt.reps, sizeof *s), ideal = work_ideal();
    const double *z = work_sleep;
    pool *p = start_pool();
    for (int r = -1; r < opt.reps; r++) {
        double k = opt.scale;
        double t0 = now();
        future *f[WORK_CALLS] = {
            submitted(pool_apply_async(p, slow_add, z[0] * k, 6, 7)),
            submitted(pool_apply_async(p, slow_diff, z[1] * k, 5, 2)),
            submitted(pool_apply_async(p, slow_add, z[2] * k, 8, 1)),
            submitted(pool_apply_async(p, slow_diff, z[3] * k, 9, 2)),
            submitted(pool_apply_async(p, fails, z[4] * k)),
        };
        for (int i = 0; i < WORK_CALLS; i++)
            future_wait(f[i]);
        double t1 = now();
        check_int("work", 1, future_get(f[0]), 13);
        check_int("work", 2, future_get(f[1]), 3);
        check_int("work", 3, future_get(f[2]), 9);
        check_int("work", 4, future_get(f[3]), 7);
        pool_value e = future_get(f[4]);
        if (!pool_is_error(e) || strcmp(pool_error_type(e), "ValueError") != 0) {
            char buf[200];
            fprintf(stderr, "poolbench: WRONG RESULT in work: call 5 gave %s, "
                    "expected a ValueError\n", pool_value_format(e, buf, sizeof buf));
            exit(2);
        }
        for (int i = 0; i < WORK_CALLS; i++)
            future_free(f[i]);
        if (r >= 0)
            s[r] = (t1 - t0 - ideal) * 1e3;
    }
    pool_destroy(p);
    report("work", "ms", s, opt.reps);
    free(s);
}

/* Peak resident memory of a process in kB (VmHWM), or -1. */
static long peak_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *in = fopen(path, "r");
    if (in == NULL)
        return -1;
    while (fgets(line, sizeof line, in) != NULL)
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    fclose(in);
    return kb;
}

/* The largest peak among the workers seen so far. */
static long workers_peak_kb(const pid_t *pids, int n)
{
    long most = -1;
    for (int i = 0; i < n; i++) {
        long kb = peak_kb(pids[i]);
        if (kb > most)
            most = kb;
    }
    return most;
}

/* Stream mem_big calls through a window of futures in flight, freeing each
 * as it completes; read the peaks after mem_small calls and at the end. */
static void fig_mem(void)
{
    future **ring = xcalloc(opt.window, sizeof *ring);
    pid_t pids[POOL_MAX_WORKERS];
    int npids = 0;
    long master_small = -1, worker_small = -1;
    long sent = 0, done = 0;
    pool *p = start_pool();
    double t0 = now();
    while (done < opt.mem_big) {
        if (sent < opt.mem_big && sent - done < opt.window) {
            ring[sent % opt.window] = submitted(pool_apply_async(p, echo, sent));
            sent++;
            continue;
        }
        future *f = ring[done % opt.window];
        check_int("mem", done, future_get(f), done);
        pid_t pid = future_pid(f);
        int seen = 0;
        for (int i = 0; i < npids; i++)
            seen |= pids[i] == pid;
        if (!seen && npids < POOL_MAX_WORKERS)
            pids[npids++] = pid;
        future_free(f);
        if (++done == opt.mem_small) {
            master_small = peak_kb(getpid());
            worker_small = workers_peak_kb(pids, npids);
        }
    }
    double t1 = now();
    long master_big = peak_kb(getpid()), worker_big = workers_peak_kb(pids, npids);
    pool_destroy(p);
    if (master_small < 0 || worker_small < 0 || master_big < 0 || worker_big < 0) {
        fprintf(stderr, "poolbench: cannot read VmHWM from /proc/PID/status\n");
        exit(1);
    }
    printf("result figure=mem_master side=ours unit=kB small=%ld big=%ld "
           "small_tasks=%ld big_tasks=%ld check=ok\n",
           master_small, master_big, opt.mem_small, opt.mem_big);
    printf("result figure=mem_worker side=ours unit=kB small=%ld big=%ld "
           "small_tasks=%ld big_tasks=%ld workers=%d check=ok\n",
           worker_small, worker_big, opt.mem_small, opt.mem_big, npids);
    printf("result figure=mem_rate side=ours unit=tasks/s reps=1 median=%.6g "
           "min=%.6g max=%.6g check=ok\n", opt.mem_big / (t1 - t0),
           opt.mem_big / (t1 - t0), opt.mem_big / (t1 - t0));
    fflush(stdout);
    free(ring);
}

/* Command line. -------------------------------------------------------------- */

static const struct {
    const char *name;
    void (*run)(void);
} figures[] = {
    { "create", fig_create }, { "apply", fig_apply }, { "pingpong", fig_pingpong },
    { "async", fig_async },   { "trace", fig_trace }, { "map", fig_map },
    { "work", fig_work },     { "mem", fig_mem },
};
#define NFIGURES (int)(sizeof figures / sizeof figures[0])

static void usage(void)
{
    fprintf(stderr,
            "usage: poolbench [options] FIGURE...   (FIGURE: all");
    for (int i = 0; i < NFIGURES; i++)
        fprintf(stderr, ", %s", figures[i].name);
    fprintf(stderr, ")\n"
            "options: --reps N --create-reps N --calls N --tasks N --items N\n"
            "         --scale SECONDS --mem-small N --mem-big N --window N\n"
            "         --trace-file PATH --wrong\n");
    exit(1);
}

/* A positive whole number from option name's value, or stop with a message. */
static long count_arg(const char *name, const char *s)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (s == NULL || errno != 0 || end == s || *end != '\0' || v < 1) {
        fprintf(stderr, "poolbench: %s needs a whole number >= 1, not '%s'\n",
                name, s ? s : "");
        exit(1);
    }
    return v;
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--wrong") == 0) {
            wrong = 1;
            continue;
        }
        if (strcmp(o, "--reps") == 0)
            opt.reps = count_arg(o, v);
        else if (strcmp(o, "--create-reps") == 0)
            opt.create_reps = count_arg(o, v);
        else if (strcmp(o, "--calls") == 0)
            opt.calls = count_arg(o, v);
        else if (strcmp(o, "--tasks") == 0)
            opt.tasks = count_arg(o, v);
        else if (strcmp(o, "--items") == 0)
            opt.items = count_arg(o, v);
        else if (strcmp(o, "--mem-small") == 0)
            opt.mem_small = count_arg(o, v);
        else if (strcmp(o, "--mem-big") == 0)
            opt.mem_big = count_arg(o, v);
        else if (strcmp(o, "--window") == 0)
            opt.window = count_arg(o, v);
        else if (strcmp(o, "--trace-file") == 0 && v != NULL)
            opt.trace_file = v;
        else if (strcmp(o, "--scale") == 0 && v != NULL) {
            char *end;
            opt.scale = strtod(v, &end);
            if (end == v || *end != '\0' || !(opt.scale > 0 && opt.scale <= 10)) {
                fprintf(stderr, "poolbench: --scale needs seconds in (0, 10], not '%s'\n", v);
                exit(1);
            }
        } else {
            fprintf(stderr, "poolbench: unknown option or missing value: %s\n", o);
            usage();
        }
        i++;
    }
    if (opt.mem_small > opt.mem_big) {
        fprintf(stderr, "poolbench: --mem-small must not exceed --mem-big\n");
        exit(1);
    }
    if (i == argc)
        usage();
    /* Check every name first, so that a typo costs no minutes of running. */
    for (int a = i; a < argc; a++) {
        int known = strcmp(argv[a], "all") == 0;
        for (int k = 0; k < NFIGURES; k++)
            known |= strcmp(argv[a], figures[k].name) == 0;
        if (!known) {
            fprintf(stderr, "poolbench: unknown figure '%s'\n", argv[a]);
            usage();
        }
    }
    for (; i < argc; i++)
        for (int k = 0; k < NFIGURES; k++)
            if (strcmp(argv[i], "all") == 0 || strcmp(argv[i], figures[k].name) == 0)
                figures[k].run();
    return 0;
}
