/*
 * relay.c - a plain pool.h program for tests/mpi.bats, run under mpirun
 * (tools/poolrun): rank 0 runs main; the other ranks are stations.
 *
 *   relay CMD [ARG]: each command prints "CMD: ok" (or what went wrong)
 *   and exits 0 when it holds.
 *
 * hello    pool_size, and calls that say where they ran (a pid that is
 *          not the master's, nor a process of the master's)
 * where    8 calls that return their host and pid: future_host and
 *          future_pid say the same ("call I: HOST PID"); run without
 *          mpirun too (a local pool: this host's name)
 * apply    pool_apply, round trips timed: "apply: N us a call"
 * rtt N    N pool_apply round trips, each timed: "rtt: median M us (p10
 *          A, p90 B, N calls)" (run without mpirun: the local pool's)
 * standins 400 calls, and the master's own pool processes (its pool's
 *          workers, which only stand in for calls at the stations) woke
 *          for none of them: their context switches, counted
 * async    40 pool_apply_async, waited for with future_as_completed
 * map      pool_map of 20000 ints (automatic chunks), pool_starmap
 * mapbench N  pool_map of N ints (automatic chunks), 5 times, every result
 *          checked: "mapbench: median M items/s (min A, max B)"
 * errors   a task's pool_raise, and a bad argument, come back as errors
 * bytes    1 MiB of bytes there and back, byte-exact
 * crash    one call of 8 segfaults: WorkerDied naming host and rank
 * victim   call 0 writes its worker's pid to $PIDFILE and sleeps; the
 *          test kills that pid: only call 0 fails
 * station  calls sleep 4 s each, writing their pids to $PIDFILE; the
 *          test kills a station: its calls fail (StationDied) or, with
 *          retries, run again elsewhere; the pool goes on
 * limit    a time limit stops a call that sleeps
 * kill     future_kill of a running call
 * forever  calls that sleep a long time (the test kills the master)
 * state    spawn semantics: a global main set is not seen at a station;
 *          pool_set_initializer's is, in every worker there
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"

#ifdef OTHER_BUILD
/* Another build of this program: a different build-id. */
const char other_build[] = "another build";
#endif

static int failures;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            printf("FAILED %s:%d: ", __FILE__, __LINE__);                  \
            printf(__VA_ARGS__);                                           \
            printf("\n");                                                  \
            failures++;                                                    \
        }                                                                  \
    } while (0)

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Tasks. ------------------------------------------------------------------- */

static pool_value square(pool_args a) { return pool_int(pool_arg_int(a, 0) * pool_arg_int(a, 0)); }

static pool_value add(pool_args a) { return pool_int(pool_arg_int(a, 0) + pool_arg_int(a, 1)); }

/* "host pid ppid-of-parent": where the call ran. */
static pool_value where(pool_args a)
{
    (void)a;
    char host[64] = "?", buf[160];
    gethostname(host, sizeof host - 1);
    snprintf(buf, sizeof buf, "%s %d", host, (int)getpid());
    return pool_str(buf);
}

static pool_value fails(pool_args a)
{
    pool_raise("ValueError", "input %ld is not welcome", pool_arg_int(a, 0));
}

static pool_value echo(pool_args a)
{
    size_t n;
    const unsigned char *p = pool_arg_bytes(a, 0, &n);
    void *out;
    pool_value v = pool_bytes_alloc(n, &out);
    for (size_t i = 0; i < n; i++)
        ((unsigned char *)out)[i] = (unsigned char)(p[i] ^ 0x5a);
    return v;
}

static pool_value crash_on(pool_args a)
{
    long i = pool_arg_int(a, 0);
    if (i == pool_arg_int(a, 1)) {
        volatile int *null = NULL;
        *null = 1;
    }
    return pool_int(i);
}

/* Write this worker's pid (and its station's) to $PIDFILE, then sleep. */
static pool_value sleeper(pool_args a)
{
    long i = pool_arg_int(a, 0);
    double s = pool_arg_double(a, 1);
    const char *path = getenv("PIDFILE");
    if (path && (i == 0 || pool_arg_int(a, 2))) {
        FILE *f = fopen(path, "a");
        if (f) {
            fprintf(f, "%ld %d\n", i, (int)getpid());
            fclose(f);
        }
    }
    pool_sleep(s);
    return pool_int(i);
}

/* A global: main sets it to 42; the initializer to its argument. */
static long global = 1;

static pool_value set_global(pool_args a)
{
    global = pool_arg_int(a, 0);
    return pool_none();
}

static pool_value get_global(pool_args a)
{
    (void)a;
    return pool_int(global);
}

/* Commands. ---------------------------------------------------------------- */

static void state(pool *p)
{
    pool_value v = pool_apply(p, get_global);
    printf("a task sees %ld\n", v.as.i);
    CHECK(v.kind == POOL_INT && v.as.i == 1, "the task saw %ld, not the program as it began",
          v.as.i);
    CHECK(pool_set_initializer(p, set_global, 7) == 0, "pool_set_initializer");
    enum { N = 16 };
    future *fs[N];
    for (int i = 0; i < N; i++)
        fs[i] = pool_apply_async(p, get_global);
    for (int i = 0; i < N; i++) {
        v = future_get(fs[i]);
        CHECK(v.kind == POOL_INT && v.as.i == 7, "call %d after the initializer saw %ld", i,
              v.as.i);
        future_free(fs[i]);
    }
}

static void hello(pool *p)
{
    printf("size %d\n", pool_size(p));
    CHECK(pool_size(p) >= 2, "pool_size %d", pool_size(p));
    for (int i = 0; i < 4; i++) {
        pool_value v = pool_apply(p, where);
        CHECK(v.kind == POOL_STR, "where gave kind %d", v.kind);
        int pid = 0;
        if (v.kind == POOL_STR && sscanf(strchr(v.as.s, ' ') + 1, "%d", &pid) == 1)
            printf("ran %s\n", v.as.s);
        CHECK(pid > 0 && pid != getpid(), "ran in pid %d", pid);
        /* A station's worker is no child of the master's pool. */
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        int ppid = 0;
        if (f) {
            fscanf(f, "%*d %*s %*c %d", &ppid);
            fclose(f);
        }
        pool_value_free(v);
    }
}

static void whereabouts(pool *p)
{
    enum { N = 8 };
    future *f[N];
    for (int i = 0; i < N; i++)
        f[i] = pool_apply_async(p, where);
    for (int i = 0; i < N; i++) {
        pool_value v = future_get(f[i]);
        char host[64] = "";
        int pid = 0;
        CHECK(v.kind == POOL_STR && sscanf(v.as.s, "%63s %d", host, &pid) == 2,
              "where gave kind %d", v.kind);
        const char *h = future_host(f[i]);
        CHECK(h != NULL && strcmp(h, host) == 0, "call %d ran on %s, future_host says %s", i,
              host, h ? h : "NULL");
        CHECK(future_pid(f[i]) == pid, "call %d ran in pid %d, future_pid says %d", i, pid,
              (int)future_pid(f[i]));
        printf("call %d: %s %d\n", i, host, pid);
        future_free(f[i]);
    }
    CHECK(future_host(NULL) == NULL, "future_host(NULL)");
}

static void apply(pool *p, int n)
{
    pool_value v = pool_apply(p, add, 2, 3);
    CHECK(v.kind == POOL_INT && v.as.i == 5, "add(2, 3) gave kind %d", v.kind);
    double t = now();
    for (int i = 0; i < n; i++) {
        v = pool_apply(p, square, i);
        CHECK(v.kind == POOL_INT && v.as.i == (long)i * i, "square(%d)", i);
    }
    printf("apply: %.0f us a call\n", (now() - t) / n * 1e6);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void rtt(pool *p, int n)
{
    double *t = malloc((size_t)n * sizeof *t);
    if (n < 1 || t == NULL) {
        CHECK(0, "rtt wants a count of 1 or more");
        free(t);
        return;
    }
    pool_value_free(pool_apply(p, square, 1));     /* the first call wakes everything */
    for (int i = 0; i < n; i++) {
        double t0 = now();
        pool_value v = pool_apply(p, square, i);
        t[i] = now() - t0;
        CHECK(v.kind == POOL_INT && v.as.i == (long)i * i, "square(%d)", i);
    }
    qsort(t, (size_t)n, sizeof *t, by_value);
    printf("rtt: median %.0f us (p10 %.0f, p90 %.0f, %d calls)\n", t[n / 2] * 1e6,
           t[n / 10] * 1e6, t[n * 9 / 10] * 1e6, n);
    free(t);
}

/* The context switches so far of the processes named pool-worker among
 * the children of pid's children (this program's pools' workers). */
static long worker_switches(pid_t pid)
{
    char path[64], line[256];
    long sum = 0;
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    FILE *f = fopen(path, "r");
    int child;
    while (f && fscanf(f, "%d", &child) == 1) {
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", child, child);
        FILE *g = fopen(path, "r");
        int w;
        while (g && fscanf(g, "%d", &w) == 1) {
            snprintf(path, sizeof path, "/proc/%d/status", w);
            FILE *s = fopen(path, "r");
            bool worker = false;
            long n;
            while (s && fgets(line, sizeof line, s)) {
                if (strncmp(line, "Name:", 5) == 0)
                    worker = strstr(line, "pool-worker") != NULL;
                if (worker && (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1 ||
                               sscanf(line, "nonvoluntary_ctxt_switches: %ld", &n) == 1))
                    sum += n;
            }
            if (s)
                fclose(s);
        }
        if (g)
            fclose(g);
    }
    if (f)
        fclose(f);
    return sum;
}

static void standins(pool *p)
{
    enum { N = 400 };
    pool_value_free(pool_apply(p, square, 1));
    long before = worker_switches(getpid());
    for (int i = 0; i < N; i++) {
        pool_value v = pool_apply(p, square, i);
        CHECK(v.kind == POOL_INT && v.as.i == (long)i * i, "square(%d)", i);
    }
    long n = worker_switches(getpid()) - before;
    printf("standins: %ld switches for %d calls\n", n, N);
    CHECK(n < N / 4, "the master's pool processes woke %ld times for %d calls", n, N);
}

static void async(pool *p)
{
    enum { N = 40 };
    future *fs[N];
    for (int i = 0; i < N; i++)
        fs[i] = pool_apply_async(p, square, i);
    future_iter *it = future_as_completed(fs, N);
    int seen = 0;
    future *f;
    while ((f = future_iter_next(it, 30)) != NULL) {
        pool_value v = future_get(f);
        long i = (long)future_id(f);
        CHECK(v.kind == POOL_INT && v.as.i == i * i, "future %ld", i);
        seen++;
    }
    future_iter_free(it);
    CHECK(seen == N, "as_completed gave %d of %d", seen, N);
    for (int i = 0; i < N; i++)
        future_free(fs[i]);
}

static void map(pool *p)
{
    enum { N = 20000 };
    static pool_value in[N], out[N], rows[2 * N];
    for (int i = 0; i < N; i++) {
        in[i] = pool_int(i);
        rows[2 * i] = pool_int(i);
        rows[2 * i + 1] = pool_int(1);
    }
    double t = now();
    int failed = pool_map(p, square, in, N, out);
    double took = now() - t;
    CHECK(failed == 0, "pool_map: %d failed", failed);
    for (int i = 0; i < N; i++)
        CHECK(out[i].kind == POOL_INT && out[i].as.i == (long)i * i, "map item %d", i);
    printf("map: %.0f items/s\n", N / took);
    failed = pool_starmap(p, add, rows, N, 2, out);
    CHECK(failed == 0, "pool_starmap: %d failed", failed);
    for (int i = 0; i < N; i++)
        CHECK(out[i].kind == POOL_INT && out[i].as.i == i + 1, "starmap item %d", i);
    /* Strings come back through a chunk too. */
    static pool_value w[64];
    pool_value none[64];
    for (int i = 0; i < 64; i++)
        none[i] = pool_none();
    failed = pool_map(p, where, none, 64, w);
    CHECK(failed == 0 && w[63].kind == POOL_STR, "a map of strings");
    for (int i = 0; i < 64; i++)
        pool_value_free(w[i]);
}

static void mapbench(pool *p, int n)
{
    pool_value *in = malloc((size_t)(n > 0 ? n : 1) * sizeof *in);
    pool_value *out = malloc((size_t)(n > 0 ? n : 1) * sizeof *out);
    double rate[5];
    if (n < 1 || in == NULL || out == NULL) {
        CHECK(0, "mapbench wants a count of 1 or more");
        free(in);
        free(out);
        return;
    }
    for (int i = 0; i < n; i++)
        in[i] = pool_int(i);
    pool_value_free(pool_apply(p, square, 1));     /* the first call wakes everything */
    for (int r = 0; r < 5; r++) {
        double t = now();
        int failed = pool_map(p, square, in, (size_t)n, out);
        rate[r] = n / (now() - t);
        CHECK(failed == 0, "pool_map: %d failed", failed);
        for (int i = 0; i < n; i++)
            CHECK(out[i].kind == POOL_INT && out[i].as.i == (long)i * i, "map item %d", i);
    }
    qsort(rate, 5, sizeof *rate, by_value);
    printf("mapbench: median %.0f items/s (min %.0f, max %.0f)\n", rate[2], rate[0], rate[4]);
    free(in);
    free(out);
}

static void errors(pool *p)
{
    pool_value v = pool_apply(p, fails, 7);
    CHECK(pool_is_error(v) && strcmp(pool_error_type(v), "ValueError") == 0 &&
              strcmp(pool_error_message(v), "input 7 is not welcome") == 0,
          "pool_raise came back as %s", pool_is_error(v) ? pool_error_message(v) : "a value");
    pool_value_free(v);
    v = pool_apply(p, square, "seven");
    CHECK(pool_is_error(v) && strcmp(pool_error_type(v), "TypeError") == 0, "a bad argument");
    pool_value_free(v);
}

static void bytes(pool *p)
{
    size_t n = 1 << 20;
    unsigned char *buf = malloc(n);
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    pool_value v = pool_apply(p, echo, pool_bytes(buf, n));
    size_t got = 0;
    const unsigned char *b = v.kind == POOL_BYTES ? pool_as_bytes(v, &got) : NULL;
    CHECK(b && got == n, "echo gave %zu bytes", got);
    size_t bad = 0;
    for (size_t i = 0; b && i < n; i++)
        bad += b[i] != (buf[i] ^ 0x5a);
    CHECK(bad == 0, "%zu bytes differ", bad);
    pool_value_free(v);
    free(buf);
}

static void crash(pool *p)
{
    enum { N = 8 };
    future *fs[N];
    for (int i = 0; i < N; i++)
        fs[i] = pool_apply_async(p, crash_on, i, 5);
    for (int i = 0; i < N; i++) {
        pool_value v = future_get(fs[i]);
        if (i == 5) {
            CHECK(pool_is_error(v) && strcmp(pool_error_type(v), "WorkerDied") == 0,
                  "call 5 gave %s", pool_is_error(v) ? pool_error_type(v) : "a value");
            if (pool_is_error(v))
                printf("error: %s: %s\n", pool_error_type(v), pool_error_message(v));
        } else {
            CHECK(v.kind == POOL_INT && v.as.i == i, "call %d", i);
        }
        future_free(fs[i]);
    }
}

/* Calls of s seconds each, n of them; all write pids when all_pids. The
 * results and errors are printed, one line each. */
static void sleepers(pool *p, int n, double s, int all_pids)
{
    future **fs = calloc((size_t)n, sizeof *fs);
    for (int i = 0; i < n; i++)
        fs[i] = pool_apply_async(p, sleeper, i, s, all_pids);
    int ok = 0;
    for (int i = 0; i < n; i++) {
        pool_value v = future_get(fs[i]);
        if (pool_is_error(v))
            printf("call %d: %s: %s (tries %d)\n", i, pool_error_type(v), pool_error_message(v),
                   future_tries(fs[i]));
        else
            ok++;
        future_free(fs[i]);
    }
    printf("ok %d of %d; size %d\n", ok, n, pool_size(p));
    free(fs);
}

static void limit(pool *p)
{
    future *f = pool_apply_async_limit(p, 0.5, sleeper, 1, 30.0, 0);
    pool_value v = future_get(f);
    CHECK(pool_is_error(v) && strcmp(pool_error_type(v), "Timeout") == 0,
          "the limited call gave %s", pool_is_error(v) ? pool_error_type(v) : "a value");
    if (pool_is_error(v))
        printf("error: %s: %s\n", pool_error_type(v), pool_error_message(v));
    future_free(f);
    pool_value w = pool_apply(p, square, 9);
    CHECK(w.kind == POOL_INT && w.as.i == 81, "a call after the time limit");
}

static void killer(pool *p)
{
    unlink(getenv("PIDFILE") ? getenv("PIDFILE") : "/nonexistent");
    future *f = pool_apply_async(p, sleeper, 0, 30.0, 1);
    /* Wait until it runs (its pid is written), then kill it. */
    for (int i = 0; i < 3000; i++) {
        FILE *pf = fopen(getenv("PIDFILE"), "r");
        if (pf) {
            fclose(pf);
            break;
        }
        pool_sleep(0.01);
    }
    CHECK(future_kill(f) == 0, "future_kill: %s", pool_last_error());
    pool_value v = future_get(f);
    CHECK(pool_is_error(v), "the killed call gave a value");
    if (pool_is_error(v))
        printf("error: %s: %s\n", pool_error_type(v), pool_error_message(v));
    future_free(f);
    pool_value w = pool_apply(p, square, 9);
    CHECK(w.kind == POOL_INT && w.as.i == 81, "a call after the kill");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: relay CMD [ARG]\n");
        return 2;
    }
    const char *cmd = argv[1];
    pool *p = pool_create(0);
    if (p == NULL) {
        printf("pool_create: %s\n", pool_last_error());
        return 3;
    }
    global = 42;    /* what main does is not seen at the stations */
    if (getenv("RETRIES"))
        pool_set_retries(p, atoi(getenv("RETRIES")));
    if (strcmp(cmd, "hello") == 0)
        hello(p);
    else if (strcmp(cmd, "apply") == 0)
        apply(p, argc > 2 ? atoi(argv[2]) : 200);
    else if (strcmp(cmd, "rtt") == 0)
        rtt(p, argc > 2 ? atoi(argv[2]) : 1000);
    else if (strcmp(cmd, "mapbench") == 0)
        mapbench(p, argc > 2 ? atoi(argv[2]) : 100000);
    else if (strcmp(cmd, "where") == 0)
        whereabouts(p);
    else if (strcmp(cmd, "standins") == 0)
        standins(p);
    else if (strcmp(cmd, "async") == 0)
        async(p);
    else if (strcmp(cmd, "map") == 0)
        map(p);
    else if (strcmp(cmd, "errors") == 0)
        errors(p);
    else if (strcmp(cmd, "bytes") == 0)
        bytes(p);
    else if (strcmp(cmd, "crash") == 0)
        crash(p);
    else if (strcmp(cmd, "victim") == 0)
        sleepers(p, 4, 2.0, 0);
    else if (strcmp(cmd, "station") == 0)
        sleepers(p, argc > 2 ? atoi(argv[2]) : 4, 3.0, 1);
    else if (strcmp(cmd, "limit") == 0)
        limit(p);
    else if (strcmp(cmd, "kill") == 0)
        killer(p);
    else if (strcmp(cmd, "state") == 0)
        state(p);
    else if (strcmp(cmd, "forever") == 0)
        sleepers(p, 4, 60.0, 1);
    else {
        fprintf(stderr, "relay: no command %s\n", cmd);
        return 2;
    }
    pool_destroy(p);
    if (failures == 0)
        printf("%s: ok\n", cmd);
    return failures ? 1 : 0;
}
