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
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "pool.h"

#define WORKERS 2

/* Sizes and switches, from the command line. */
static struct {
    int reps;           /* measured runs of each figure */
    int create_reps;    /* measured runs of pool start-up (cheap, noisy) */
    long calls;         /* apply round trips in one run */
    long tasks;         /* apply_async calls in one run */
    long items;         /* map items in one run */
    long big_items;     /* items of the big automatic-chunk map */
    double idle;        /* seconds the idle pool is watched */
    double scale;       /* the sleeps of the work figure, in seconds per unit */
    long mem_small;     /* tasks before the first memory reading */
    long mem_big;       /* tasks before the second one */
    int window;         /* futures in flight in the memory figure */
    const char *trace_file;
} opt = {
    .reps = 5, .create_reps = 15, .calls = 2000, .tasks = 20000,
    .items = 100000, .big_items = 1000000, .idle = 5, .scale = 0.1,
    .mem_small = 10000, .mem_big = 1000000,
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

/* Print the driver's line for n samples (sorted here), with extra
 * "key=value" fields (or ""). */
static void report_with(const char *figure, const char *unit, double *s, int n,
                        const char *extra)
{
    qsort(s, n, sizeof *s, by_value);
    double median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    printf("result figure=%s side=ours unit=%s reps=%d median=%.6g min=%.6g max=%.6g %s%scheck=ok\n",
           figure, unit, n, median, s[0], s[n - 1], extra, *extra ? " " : "");
    fflush(stdout);
}

static void report(const char *figure, const char *unit, double *s, int n)
{
    report_with(figure, unit, s, n, "");
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

/* One run of opt.calls blocking calls, one at a time, on p. Microseconds
 * per call. */
static double apply_run(pool *p, const char *figure)
{
    double t0 = now();
    for (long i = 0; i < opt.calls; i++)
        check_int(figure, i, pool_apply(p, echo, i), i);
    return (now() - t0) / opt.calls * 1e6;
}

static void fig_apply(void)
{
    double *s = xcalloc(opt.reps, sizeof *s);
    pool *p = start_pool();
    for (int r = -1; r < opt.reps; r++) {
        double t = apply_run(p, "apply");
        if (r >= 0)
            s[r] = t;
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

/* A floor of pool start-up: fork a child that exits at once and wait for
 * it. Microseconds per fork and wait. */
static void fig_fork(void)
{
    long n = opt.calls / 10 > 0 ? opt.calls / 10 : 1;
    double *s = xcalloc(opt.reps, sizeof *s);
    fflush(stdout);
    for (int r = -1; r < opt.reps; r++) {
        double t0 = now();
        for (long i = 0; i < n; i++) {
            pid_t pid = fork();
            if (pid == -1) {
                perror("poolbench: fork");
                exit(1);
            }
            if (pid == 0)
                _exit((int)((i + wrong) & 0x7f));
            int status;
            if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
                fprintf(stderr, "poolbench: the forked child did not exit\n");
                exit(1);
            }
            check_int("fork", i, pool_int(WEXITSTATUS(status)), i & 0x7f);
        }
        if (r >= 0)
            s[r] = (now() - t0) / n * 1e6;
    }
    report("fork", "us", s, opt.reps);
    free(s);
}

/* The floor the new core aims at: a counter bounced between two processes
 * through one MAP_SHARED page. Each side waits as a good pool would: a short
 * bounded spin on the word, then a futex sleep (FUTEX_WAIT, shared between
 * processes, so not FUTEX_PRIVATE_FLAG). In the floor proper the side that
 * writes calls FUTEX_WAKE only when the other has said it may be asleep; a
 * second figure calls FUTEX_WAKE after every write, as a simpler exchange
 * would (one system call more each way).
 * Microseconds per round trip; also how often a wait ended in a sleep. */

#define SPIN_NS 100000  /* spin at most this long before the futex sleep: longer
                         * than a sleeping virtual CPU takes to wake here (20-40
                         * us), or both sides can fall into sleeping every trip */
#define PONG_STOP UINT32_MAX

struct pong_word {
    _Alignas(64) atomic_uint value;     /* the futex word */
    atomic_uint sleeping;               /* 1 while its reader may be asleep */
    atomic_ulong sleeps;                /* futex waits its reader made */
};

struct pong_page {
    struct pong_word ping;      /* master -> child */
    struct pong_word pong;      /* child -> master */
};

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

static long futex(atomic_uint *word, int op, unsigned val, const struct timespec *timeout)
{
    return syscall(SYS_futex, (uint32_t *)word, op, val, timeout, NULL, 0);
}

/* The other side of the exchange: the child's PID in the master, 0 in the
 * child (whose peer is then the master, pong_master). */
static pid_t pong_child, pong_master;

/* After a second asleep: stop if the other side is gone, rather than wait
 * for ever. */
static void pong_check_peer(void)
{
    int status;
    if (pong_child > 0 && waitpid(pong_child, &status, WNOHANG) == pong_child) {
        fprintf(stderr, "poolbench: the ping-pong child ended in the middle\n");
        exit(1);
    }
    if (pong_child == 0 && getppid() != pong_master)
        _exit(1);
}

/* Wait until w->value is no longer old; return the new value. */
static unsigned pong_wait(struct pong_word *w, unsigned old)
{
    unsigned v;
    double t0 = 0;
    for (unsigned k = 1;; k++) {
        v = atomic_load_explicit(&w->value, memory_order_acquire);
        if (v != old)
            return v;
        if (k % 64 == 0) {      /* read the clock now and then, not each turn */
            if (t0 == 0)
                t0 = now();
            else if (now() - t0 > SPIN_NS / 1e9)
                break;
        }
        cpu_relax();
    }
    for (;;) {
        /* Say "asleep" before the last look, so that a writer either sees
         * the flag and wakes us, or wrote before the look and we see it. */
        atomic_store(&w->sleeping, 1);
        v = atomic_load(&w->value);
        if (v != old)
            break;
        atomic_fetch_add_explicit(&w->sleeps, 1, memory_order_relaxed);
        const struct timespec second = { 1, 0 };
        if (futex(&w->value, FUTEX_WAIT, old, &second) == -1) {
            if (errno == ETIMEDOUT)
                pong_check_peer();
            else if (errno != EAGAIN && errno != EINTR) {
                perror("poolbench: futex wait");
                _exit(1);
            }
        }
    }
    atomic_store(&w->sleeping, 0);
    return v;
}

static int pong_always_wake;   /* set before the fork: both sides see it */

static void pong_post(struct pong_word *w, unsigned v)
{
    atomic_store(&w->value, v);
    if ((pong_always_wake || atomic_load(&w->sleeping)) && futex(&w->value, FUTEX_WAKE, 1, NULL) == -1) {
        perror("poolbench: futex wake");
        _exit(1);
    }
}

/* The last number the master sent: the child of each page starts from 0. */
static unsigned pong_ball;

/* Map the page and fork the child that answers; returns the page. */
static struct pong_page *pong_start(int always_wake)
{
    pong_ball = 0;
    struct pong_page *pg = mmap(NULL, sizeof *pg, PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (pg == MAP_FAILED) {
        perror("poolbench: mmap");
        exit(1);
    }
    memset(pg, 0, sizeof *pg);
    pong_always_wake = always_wake;
    fflush(stdout);
    pid_t master = getpid(), pid = fork();
    if (pid == -1) {
        perror("poolbench: fork");
        exit(1);
    }
    pong_child = pid;
    pong_master = master;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != master)
            _exit(1);
        unsigned last = 0;
        for (;;) {
            last = pong_wait(&pg->ping, last);
            if (last == PONG_STOP)
                _exit(0);
            pong_post(&pg->pong, last + (unsigned)wrong);
        }
    }
    return pg;
}

/* One run: n round trips. Microseconds per round trip. */
static double pong_run(struct pong_page *pg, long n, const char *figure)
{
    double t0 = now();
    for (long i = 0; i < n; i++) {
        unsigned sent = ++pong_ball;
        pong_post(&pg->ping, sent);
        unsigned got = pong_wait(&pg->pong, sent - 1);
        check_int(figure, i, pool_int(got), sent);
    }
    return (now() - t0) / n * 1e6;
}

/* The futex sleeps both sides have made so far. */
static unsigned long pong_sleeps(struct pong_page *pg)
{
    return atomic_load(&pg->ping.sleeps) + atomic_load(&pg->pong.sleeps);
}

/* Stop the child, wait for it, unmap the page. */
static void pong_stop(struct pong_page *pg)
{
    pong_post(&pg->ping, PONG_STOP);
    int status;
    if (waitpid(pong_child, &status, 0) != pong_child || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "poolbench: the ping-pong child did not end well\n");
        exit(1);
    }
    munmap(pg, sizeof *pg);
}

static void shm_pingpong(const char *figure, int always_wake)
{
    long n = opt.calls * 10;    /* cheap: more trips, a steadier figure */
    struct pong_page *pg = pong_start(always_wake);
    double *s = xcalloc(opt.reps, sizeof *s);
    unsigned long sleeps0 = 0;
    for (int r = -1; r < opt.reps; r++) {
        if (r == 0)
            sleeps0 = pong_sleeps(pg);
        double t = pong_run(pg, n, figure);
        if (r >= 0)
            s[r] = t;
    }
    unsigned long sleeps = pong_sleeps(pg) - sleeps0;
    pong_stop(pg);
    char extra[100];
    snprintf(extra, sizeof extra, "spin_us=%g sleeps_per_trip=%.4f", SPIN_NS / 1e3,
             (double)sleeps / ((double)n * opt.reps));
    report_with(figure, "us", s, opt.reps, extra);
    free(s);
}

static void fig_shmpong(void)
{
    shm_pingpong("shmpong", 0);
}

static void fig_shmpong_wake(void)
{
    shm_pingpong("shmpong_wake", 1);
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

/* The anchor of fig_async: the plainest thread pool, WORKERS threads that
 * take calls from a queue under one mutex, a condition variable for "work
 * came" and one for "a call is done". Each call is malloc'd, as our futures
 * are, and freed once its answer is read. The same no-op, the same checks. */
struct tp_call {
    long arg, result;
    int done;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    struct tp_call **queue;     /* opt.tasks places: a run never wraps */
    long head, tail;
    int stop;
} tp = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
         NULL, 0, 0, 0 };

static void *tp_worker(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&tp.lock);
    for (;;) {
        while (tp.head == tp.tail && !tp.stop)
            pthread_cond_wait(&tp.work, &tp.lock);
        if (tp.head == tp.tail)
            break;
        struct tp_call *c = tp.queue[tp.head++];
        pthread_mutex_unlock(&tp.lock);
        c->result = c->arg + wrong;
        pthread_mutex_lock(&tp.lock);
        c->done = 1;
        pthread_cond_broadcast(&tp.done);
    }
    pthread_mutex_unlock(&tp.lock);
    return NULL;
}

static struct tp_call *tp_submit(long arg)
{
    struct tp_call *c = xcalloc(1, sizeof *c);
    c->arg = arg;
    pthread_mutex_lock(&tp.lock);
    tp.queue[tp.tail++] = c;
    pthread_cond_signal(&tp.work);
    pthread_mutex_unlock(&tp.lock);
    return c;
}

static long tp_get(struct tp_call *c)
{
    pthread_mutex_lock(&tp.lock);
    while (!c->done)
        pthread_cond_wait(&tp.done, &tp.lock);
    pthread_mutex_unlock(&tp.lock);
    return c->result;
}

static pthread_t tp_threads[WORKERS];

static void tp_start(void)
{
    tp.queue = xcalloc(opt.tasks, sizeof *tp.queue);
    tp.stop = 0;
    for (int w = 0; w < WORKERS; w++)
        if ((errno = pthread_create(&tp_threads[w], NULL, tp_worker, NULL)) != 0) {
            perror("poolbench: pthread_create");
            exit(1);
        }
}

/* One run, as async_run: opt.tasks calls, then every answer. Calls per
 * second. */
static double tp_run(const char *figure)
{
    struct tp_call **c = xcalloc(opt.tasks, sizeof *c);
    tp.head = tp.tail = 0;      /* every call of the last run was taken */
    double t0 = now();
    for (long i = 0; i < opt.tasks; i++)
        c[i] = tp_submit(i);
    for (long i = 0; i < opt.tasks; i++)
        check_int(figure, i, pool_int(tp_get(c[i])), i);
    double t1 = now();
    for (long i = 0; i < opt.tasks; i++)
        free(c[i]);
    free(c);
    return opt.tasks / (t1 - t0);
}

static void tp_stop(void)
{
    pthread_mutex_lock(&tp.lock);
    tp.stop = 1;
    pthread_cond_broadcast(&tp.work);
    pthread_mutex_unlock(&tp.lock);
    for (int w = 0; w < WORKERS; w++)
        pthread_join(tp_threads[w], NULL);
    free(tp.queue);
}

/* Check the trace that fig_trace wrote: the v3 first line, the header, and
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
        if (n > 0 && line[0] == '#')
            continue;   /* where the trace comes from, worker and master events */
        n++;
        if (n == 1 && strcmp(line, "# pool-trace v3\n") != 0)
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

/* The throughput figure twice, tracing off and on, in pairs of runs, so
 * that the machine's drift hits both alike; each pair in the other order
 * from the one before. Besides the rates, what tracing costs: the median
 * over the pairs of (time traced / time untraced - 1), in percent. More
 * pairs than other figures have runs: the cost sought (5 %) is smaller than
 * the drift between two runs. */
static void fig_trace(void)
{
    char path[256];
    if (opt.trace_file)
        snprintf(path, sizeof path, "%s", opt.trace_file);
    else
        snprintf(path, sizeof path, "/tmp/poolbench-trace-%d.csv", (int)getpid());
    int pairs = 3 * opt.reps;
    double *off = xcalloc(pairs, sizeof *off), *on = xcalloc(pairs, sizeof *on);
    double *cost = xcalloc(pairs, sizeof *cost);
    future **f = xcalloc(opt.tasks, sizeof *f);
    pool *quiet = start_pool(), *traced = start_pool();
    if (pool_trace_open(traced, path) == -1) {
        pool_perror("poolbench: pool_trace_open");
        exit(1);
    }
    for (int r = -1; r < pairs; r++) {
        double a, b;
        if (r % 2 == 0) {
            a = async_run(quiet, f, "trace");
            b = async_run(traced, f, "trace");
        } else {
            b = async_run(traced, f, "trace");
            a = async_run(quiet, f, "trace");
        }
        if (r >= 0) {
            off[r] = a;
            on[r] = b;
            cost[r] = (a / b - 1) * 100;    /* rates: time on / time off - 1 */
        }
    }
    pool_destroy(quiet);
    pool_destroy(traced);
    check_trace(path, (pairs + 1) * opt.tasks);
    unlink(path);
    report("trace_off", "tasks/s", off, pairs);
    report("trace_on", "tasks/s", on, pairs);
    report("trace_cost", "%", cost, pairs);
    free(f);
    free(off);
    free(on);
    free(cost);
}

/* Squares of 0..items-1 by pool_map (chunksize 0: the pool picks the chunk
 * size, as pool_map does) or by pool_map_chunked with chunksize inputs per
 * task. Items per second. */
static double map_run(pool *p, const char *figure, long items, size_t chunksize,
                      pool_value *in, pool_value *out)
{
    double t0 = now();
    for (long i = 0; i < items; i++)
        in[i] = pool_int(i);
    int failed = chunksize == 0 ? pool_map(p, square, in, items, out)
                                : pool_map_chunked(p, square, in, items, out, chunksize);
    double t1 = now();
    if (failed < 0) {
        pool_perror("poolbench: pool_map");
        exit(1);
    }
    for (long i = 0; i < items; i++) {
        check_int(figure, i, out[i], i * i);
        pool_value_free(out[i]);
    }
    if (failed != 0) {
        fprintf(stderr, "poolbench: WRONG RESULT in %s: pool_map says %d calls failed, "
                "every answer was right\n", figure, failed);
        exit(2);
    }
    return items / (t1 - t0);
}

static void map_figure(const char *figure, long items, size_t chunksize)
{
    double *s = xcalloc(opt.reps, sizeof *s);
    pool_value *in = xcalloc(items, sizeof *in);
    pool_value *out = xcalloc(items, sizeof *out);
    pool *p = start_pool();
    for (int r = -1; r < opt.reps; r++) {
        double rate = map_run(p, figure, items, chunksize, in, out);
        if (r >= 0)
            s[r] = rate;
    }
    pool_destroy(p);
    report(figure, "items/s", s, opt.reps);
    free(in);
    free(out);
    free(s);
}

/* pool_map, automatic chunks, on --items and on --big-items. */
static void fig_map_auto(void)
{
    map_figure("map_auto", opt.items, 0);
}

static void fig_map_big(void)
{
    map_figure("map_big", opt.big_items, 0);
}

/* One input per task: pool_map_chunked(..., 1). */
static void fig_map_one(void)
{
    map_figure("map_one", opt.items, 1);
}

/* Chunks of 10 ints: counted by the bench (mmap and munmap per map), not
 * timed here; fig_vs_chunks times them beside chunks of 9. */
static void fig_map_c10(void)
{
    map_figure("map_c10", opt.items, 10);
}

/* The squares of 0..n-1 with OpenMP on as many threads as the pool has
 * workers, the loop dealt out in chunks of 1,024 as they free up
 * (schedule(dynamic, 1024)), over plain arrays of long. As in map_run the
 * inputs are written inside the timed part and every answer is checked
 * after it. Items per second. */
static double omp_run(const char *figure, long n, long *in, long *out)
{
#ifdef _OPENMP
    double t0 = now();
    for (long i = 0; i < n; i++)
        in[i] = i;
#pragma omp parallel for num_threads(WORKERS) schedule(dynamic, 1024)
    for (long i = 0; i < n; i++)
        out[i] = in[i] * in[i] + wrong;
    double t1 = now();
    for (long i = 0; i < n; i++)
        check_int(figure, i, pool_int(out[i]), i * i);
    return n / (t1 - t0);
#else
    (void)figure, (void)n, (void)in, (void)out;
    fprintf(stderr, "poolbench: built without OpenMP (-fopenmp): no OpenMP anchor\n");
    exit(1);
#endif
}

/* The same squares as one pool_map_array over plain longs: a slice a task. */
static void square_longs(const void *in, void *out, size_t count)
{
    const long *x = in;
    long *y = out;
    for (size_t i = 0; i < count; i++)
        y[i] = x[i] * x[i] + wrong;
}

static double array_run(pool *p, const char *figure, long n, long *in, long *out)
{
    double t0 = now();
    for (long i = 0; i < n; i++)
        in[i] = i;
    if (pool_map_array(p, square_longs, in, sizeof *in, out, sizeof *out, (size_t)n) != 0) {
        fprintf(stderr, "poolbench: %s: %s\n", figure, pool_last_error());
        exit(1);
    }
    double t1 = now();
    for (long i = 0; i < n; i++)
        check_int(figure, i, pool_int(out[i]), i * i);
    return n / (t1 - t0);
}

/* Pairs: a figure of ours beside its anchor. ---------------------------------- */

/* One run of one side of a pair: its time per item or per call. */
typedef double pair_run(void);

/* Run ours and its anchor in turn, one warm-up pair and then opt.reps
 * pairs, each pair in the other order from the one before, so that the
 * drift of a shared machine hits both alike (2 x reps + 1 pairs: the ratio
 * is what is read, and runs are cheap). Reports ours (FIGURE_ours),
 * the anchor (FIGURE_anchor), both in unit, and ours / anchor pair by pair
 * (FIGURE, unit x): a ratio that holds when the machine's speed drifts. */
static void paired(const char *figure, const char *unit, pair_run *ours, pair_run *anchor)
{
    int pairs = 2 * opt.reps + 1;   /* more than other figures' runs, and odd */
    double *a = xcalloc(pairs, sizeof *a), *b = xcalloc(pairs, sizeof *b);
    double *q = xcalloc(pairs, sizeof *q);
    for (int r = -1; r < pairs; r++) {
        double x, y;
        if (r % 2 == 0) {
            x = ours();
            y = anchor();
        } else {
            y = anchor();
            x = ours();
        }
        if (r >= 0) {
            a[r] = x;
            b[r] = y;
            q[r] = x / y;
        }
    }
    char name[64];
    snprintf(name, sizeof name, "%s_ours", figure);
    report(name, unit, a, pairs);
    snprintf(name, sizeof name, "%s_anchor", figure);
    report(name, unit, b, pairs);
    report(figure, "x", q, pairs);
    free(a);
    free(b);
    free(q);
}

/* What the runs of a pair work on, set up by the pair's figure. */
static struct {
    pool *p;
    pool_value *in, *out;
    long *lin, *lout;
    future **f;
    struct pong_page *pg;
} pair;

static double pair_map_big(void)
{
    return 1e9 / map_run(pair.p, "vs_omp", opt.big_items, 0, pair.in, pair.out);
}

static double pair_omp(void)
{
    return 1e9 / omp_run("vs_omp", opt.big_items, pair.lin, pair.lout);
}

static double pair_array(void)
{
    return 1e9 / array_run(pair.p, "vs_array", opt.big_items, pair.lin, pair.lout);
}

static double pair_omp_array(void)
{
    return 1e9 / omp_run("vs_array", opt.big_items, pair.lin, pair.lout);
}

static double pair_chunks_10(void)
{
    return 1e9 / map_run(pair.p, "vs_chunks", opt.items, 10, pair.in, pair.out);
}

static double pair_chunks_9(void)
{
    return 1e9 / map_run(pair.p, "vs_chunks", opt.items, 9, pair.in, pair.out);
}

static double pair_async(void)
{
    return 1e6 / async_run(pair.p, pair.f, "vs_threads");
}

static double pair_threads(void)
{
    return 1e6 / tp_run("vs_threads");
}

static double pair_apply(void)
{
    return apply_run(pair.p, "vs_floor");
}

/* As many round trips as apply_run makes calls: on a busy machine both
 * sides spin out their time slices, and 10 times as many took 18 s. */
static double pair_pong(void)
{
    return pong_run(pair.pg, opt.calls, "vs_floor");
}

/* pool_map of big_items ints with automatic chunks beside OpenMP. ns an item. */
static void fig_vs_omp(void)
{
    long n = opt.big_items;
    pair.p = start_pool();
    pair.in = xcalloc(n, sizeof *pair.in);
    pair.out = xcalloc(n, sizeof *pair.out);
    pair.lin = xcalloc(n, sizeof *pair.lin);
    pair.lout = xcalloc(n, sizeof *pair.lout);
    paired("vs_omp", "ns/item", pair_map_big, pair_omp);
    pool_destroy(pair.p);
    free(pair.in);
    free(pair.out);
    free(pair.lin);
    free(pair.lout);
}

/* pool_map_array of big_items longs (automatic chunks) beside OpenMP. ns an
 * item. */
static void fig_vs_array(void)
{
    long n = opt.big_items;
    pair.p = start_pool();
    pair.lin = xcalloc(n, sizeof *pair.lin);
    pair.lout = xcalloc(n, sizeof *pair.lout);
    paired("vs_array", "ns/item", pair_array, pair_omp_array);
    pool_destroy(pair.p);
    free(pair.lin);
    free(pair.lout);
}

/* pool_map_chunked of items ints in chunks of 10 beside chunks of 9: a
 * chunk just over and just under what a call's slot carries should cost
 * about the same an item. One pool for both. ns an item. */
static void fig_vs_chunks(void)
{
    pair.p = start_pool();
    pair.in = xcalloc(opt.items, sizeof *pair.in);
    pair.out = xcalloc(opt.items, sizeof *pair.out);
    paired("vs_chunks", "ns/item", pair_chunks_10, pair_chunks_9);
    pool_destroy(pair.p);
    free(pair.in);
    free(pair.out);
}

/* apply_async bursts beside the mutex+condvar thread pool. us a call. */
static void fig_vs_threads(void)
{
    pair.p = start_pool();
    pair.f = xcalloc(opt.tasks, sizeof *pair.f);
    tp_start();
    paired("vs_threads", "us/call", pair_async, pair_threads);
    tp_stop();
    pool_destroy(pair.p);
    free(pair.f);
}

/* The apply round trip beside the shared-memory spin ping-pong (the floor
 * proper: it wakes the other side only when it may sleep). us a call. */
static void fig_vs_floor(void)
{
    pair.p = start_pool();
    pair.pg = pong_start(0);
    paired("vs_floor", "us", pair_apply, pair_pong);
    pong_stop(pair.pg);
    pool_destroy(pair.p);
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

/* An idle pool's CPU use. -------------------------------------------------- */

/* One process as /proc/PID/stat shows it. */
struct proc_row {
    pid_t pid, ppid;
    unsigned long long ticks;   /* utime + stime, in clock ticks */
};

/* Read pid's parent and utime + stime; 0, or -1 if it is gone. The name
 * (field 2) may hold spaces and parentheses: read after its last ')'. */
static int read_stat(pid_t pid, struct proc_row *row)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *in = fopen(path, "r");
    if (in == NULL)
        return -1;
    size_t len = fread(buf, 1, sizeof buf - 1, in);
    fclose(in);
    buf[len] = '\0';
    char *p = strrchr(buf, ')');
    int ppid;
    unsigned long long utime, stime;
    /* After the name: state ppid pgrp session tty_nr tpgid flags minflt
     * cminflt majflt cmajflt utime stime (fields 3 to 15). */
    if (p == NULL || sscanf(p + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                            &ppid, &utime, &stime) != 3)
        return -1;
    row->pid = pid;
    row->ppid = ppid;
    row->ticks = utime + stime;
    return 0;
}

/* The master and every process under it, from the parent of each process
 * in /proc (so no kernel option is needed). The master comes first.
 * Returns how many were found (at most max). */
static int proc_tree(pid_t master, struct proc_row *tree, int max)
{
    int cap = 4096, n = 0;
    struct proc_row *all = xcalloc(cap, sizeof *all);
    DIR *d = opendir("/proc");
    if (d == NULL) {
        perror("poolbench: /proc");
        exit(1);
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        if (n == cap) {
            cap *= 2;
            all = realloc(all, cap * sizeof *all);
            if (all == NULL) {
                fprintf(stderr, "poolbench: out of memory\n");
                exit(1);
            }
        }
        if (read_stat(atoi(e->d_name), &all[n]) == 0)
            n++;
    }
    closedir(d);
    int found = 0;
    for (int i = 0; i < n && found == 0; i++)
        if (all[i].pid == master)
            tree[found++] = all[i];
    /* Add the children of what is found until nothing new comes. */
    for (int k = 0; k < found; k++)
        for (int i = 0; i < n; i++)
            if (all[i].ppid == tree[k].pid && found < max)
                tree[found++] = all[i];
    free(all);
    return found;
}

static struct proc_row *find_row(struct proc_row *rows, int n, pid_t pid)
{
    for (int i = 0; i < n; i++)
        if (rows[i].pid == pid)
            return &rows[i];
    return NULL;
}

/* A pool of 2 that has just done some work, then left alone for --idle
 * seconds: the CPU time of the master and of every process under it (the
 * workers, and any helper the pool forks, at any depth) over that time, as
 * a percentage of one CPU. The pool must answer right before and after, and
 * its workers must be found under the master. */
static void fig_idle(void)
{
    enum { MAX_TREE = 1024, WARM = 1000 };
    struct proc_row *before = xcalloc(MAX_TREE, sizeof *before);
    struct proc_row *after = xcalloc(MAX_TREE, sizeof *after);
    future **f = xcalloc(WARM, sizeof *f);
    pid_t master = getpid(), workers[WARM];
    int nworkers = 0;
    pool *p = start_pool();
    for (long i = 0; i < WARM; i++)
        f[i] = submitted(pool_apply_async(p, echo, i));
    for (long i = 0; i < WARM; i++) {
        check_int("idle", i, future_get(f[i]), i);
        pid_t pid = future_pid(f[i]);
        int seen = 0;
        for (int k = 0; k < nworkers; k++)
            seen |= workers[k] == pid;
        if (!seen)
            workers[nworkers++] = pid;
        future_free(f[i]);
    }
    check_int("idle", WARM, pool_apply(p, echo, WARM), WARM);

    /* The scan of /proc costs the master some CPU: read the master's own
     * figure again last before the sleep and first after it. */
    int nb = proc_tree(master, before, MAX_TREE);
    struct proc_row self;
    if (read_stat(master, &self) == -1) {
        perror("poolbench: /proc/self/stat");
        exit(1);
    }
    double t0 = now();
    sleep_for(opt.idle);
    double t1 = now();
    struct proc_row self_after;
    if (read_stat(master, &self_after) == -1) {
        perror("poolbench: /proc/self/stat");
        exit(1);
    }
    int na = proc_tree(master, after, MAX_TREE);
    before[0] = self;
    after[0] = self_after;

    unsigned long long ticks = 0;
    for (int i = 0; i < na; i++) {
        struct proc_row *b = find_row(before, nb, after[i].pid);
        unsigned long long was = b ? b->ticks : 0;     /* a new process: all of it */
        ticks += after[i].ticks > was ? after[i].ticks - was : 0;
    }
    int gone = 0;
    for (int i = 0; i < nb; i++)
        gone += find_row(after, na, before[i].pid) == NULL;

    /* Right answers, and the workers that gave them are under the master. */
    for (int k = 0; k < nworkers; k++)
        if (find_row(after, na, workers[k]) == NULL) {
            fprintf(stderr, "poolbench: WRONG RESULT in idle: worker %d, which ran calls, "
                    "is not among the %d processes under the master\n", (int)workers[k], na - 1);
            exit(2);
        }
    if (na - 1 < WORKERS) {
        fprintf(stderr, "poolbench: WRONG RESULT in idle: %d processes under the master, "
                "expected at least the %d workers\n", na - 1, WORKERS);
        exit(2);
    }
    check_int("idle", WARM + 1, pool_apply(p, echo, WARM + 1), WARM + 1);
    pool_destroy(p);

    double cpu = ticks / (double)sysconf(_SC_CLK_TCK) / (t1 - t0) * 100;
    char extra[160];
    snprintf(extra, sizeof extra, "seconds=%.3g processes=%d gone=%d tick_ms=%.3g",
             t1 - t0, na, gone, 1e3 / sysconf(_SC_CLK_TCK));
    report_with("idle", "%cpu", &cpu, 1, extra);
    free(before);
    free(after);
    free(f);
}

/* Command line. -------------------------------------------------------------- */

static const struct {
    const char *name;
    void (*run)(void);
} figures[] = {
    { "create", fig_create }, { "apply", fig_apply }, { "pingpong", fig_pingpong },
    { "shmpong", fig_shmpong }, { "shmpong_wake", fig_shmpong_wake },
    { "async", fig_async },   { "trace", fig_trace },
    { "map_auto", fig_map_auto }, { "map_big", fig_map_big }, { "map_one", fig_map_one },
    { "work", fig_work },     { "mem", fig_mem },       { "idle", fig_idle },
    { "fork", fig_fork },     { "map_c10", fig_map_c10 },
    { "vs_omp", fig_vs_omp }, { "vs_array", fig_vs_array }, { "vs_chunks", fig_vs_chunks },
    { "vs_threads", fig_vs_threads }, { "vs_floor", fig_vs_floor },
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
            "         --big-items N --idle SECONDS --scale SECONDS --mem-small N --mem-big N --window N\n"
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

/* Seconds in (0, most] from option name's value, or stop with a message. */
static double seconds_arg(const char *name, const char *s, double most)
{
    char *end;
    double v = s ? strtod(s, &end) : 0;
    if (s == NULL || end == s || *end != '\0' || !(v > 0 && v <= most)) {
        fprintf(stderr, "poolbench: %s needs seconds in (0, %g], not '%s'\n", name, most,
                s ? s : "");
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
        else if (strcmp(o, "--big-items") == 0)
            opt.big_items = count_arg(o, v);
        else if (strcmp(o, "--mem-small") == 0)
            opt.mem_small = count_arg(o, v);
        else if (strcmp(o, "--mem-big") == 0)
            opt.mem_big = count_arg(o, v);
        else if (strcmp(o, "--window") == 0)
            opt.window = count_arg(o, v);
        else if (strcmp(o, "--trace-file") == 0 && v != NULL)
            opt.trace_file = v;
        else if (strcmp(o, "--scale") == 0)
            opt.scale = seconds_arg(o, v, 10);
        else if (strcmp(o, "--idle") == 0)
            opt.idle = seconds_arg(o, v, 60);
        else {
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
