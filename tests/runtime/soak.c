/*
 * soak.c - the soak of issue 9: a pool under mixed load with crashes.
 *
 *     soak SECONDS
 *
 * 4 workers; 2 threads submit for SECONDS: ints, doubles, strings (some of
 * 100 KB), errors (pool_error), pool_map over small arrays, short sleeps;
 * 1 call in 1000 segfaults its worker. Every result is checked (a crash
 * must fail its call with WorkerDied naming SIGSEGV, and only that call).
 * The master's VmRSS is sampled after a warm-up (a fifth of the run) and
 * at the end: it may grow by at most 8 MB.
 *
 * Prints one verdict line, "soak: ok ..." (exit 0), or FAIL file:line
 * (exit 1) at the first thing wrong.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include "check.h"

enum { WORKERS = 4, THREADS = 2, BATCH = 32, MAP_N = 8, BIG = 100 * 1024,
       RSS_SLACK_KB = 8 * 1024 };

static double deadline;
static atomic_long total_calls, total_crashes;

static pool_value add(pool_args a)
{
    pool_expect_args(a, 2);
    return pool_int(pool_arg_int(a, 0) + pool_arg_int(a, 1));
}

static pool_value scale(pool_args a)
{
    pool_expect_args(a, 2);
    return pool_double(pool_arg_double(a, 0) * pool_arg_double(a, 1));
}

/* The string reversed. */
static pool_value reverse(pool_args a)
{
    pool_expect_args(a, 1);
    const char *s = pool_arg_str(a, 0);
    size_t n = strlen(s);
    char *r = malloc(n + 1);
    if (r == NULL)
        return pool_error("MemoryError", "no room for %zu bytes", n);
    for (size_t i = 0; i < n; i++)
        r[i] = s[n - 1 - i];
    r[n] = '\0';
    pool_value v = pool_str(r);    /* copied in a worker */
    free(r);
    return v;
}

static pool_value fails(pool_args a)
{
    pool_expect_args(a, 1);
    return pool_error("ValueError", "bad value %ld", pool_arg_int(a, 0));
}

static pool_value square(pool_args a)
{
    pool_expect_args(a, 1);
    long x = pool_arg_int(a, 0);
    return pool_int(x * x);
}

static pool_value nap(pool_args a)
{
    pool_expect_args(a, 1);
    usleep((useconds_t)pool_arg_int(a, 0));
    return pool_int(pool_arg_int(a, 0));
}

static pool_value segv(pool_args a)
{
    pool_expect_args(a, 0);
    raise(SIGSEGV);
    return pool_none();
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned next_rand(unsigned *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* The master's resident set, in kB. */
static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f != NULL, "cannot read /proc/self/status");
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    CHECK(kb > 0, "no VmRSS in /proc/self/status");
    return kb;
}

typedef struct {
    pool *p;
    int id;
} job;

enum { K_INT, K_DOUBLE, K_STR, K_BIGSTR, K_ERROR, K_SLEEP, K_SEGV };

typedef struct {
    int kind;
    long x;
    double d;
    char *s;        /* K_STR, K_BIGSTR: the argument */
    future *f;
} call;

static char *make_string(unsigned *seed, size_t n)
{
    char *s = malloc(n + 1);
    CHECK(s != NULL, "out of memory");
    for (size_t i = 0; i < n; i++)
        s[i] = (char)('a' + next_rand(seed) % 26);
    s[n] = '\0';
    return s;
}

static void check_call(call *c)
{
    CHECK(future_wait_for(c->f, 30), "task %lu did not complete within 30 s", future_id(c->f));
    pool_value v = future_get(c->f);
    switch (c->kind) {
    case K_INT:
        CHECK_INT(v, 2 * c->x + 1);
        break;
    case K_DOUBLE:
        CHECK(v.kind == POOL_DOUBLE && v.as.d == c->d * 0.5,
              "task %lu: a wrong double", future_id(c->f));
        break;
    case K_STR:
    case K_BIGSTR: {
        CHECK(v.kind == POOL_STR, "task %lu: no string back (%s)", future_id(c->f),
              pool_error_message(v));
        size_t n = strlen(c->s);
        CHECK(strlen(v.as.s) == n, "task %lu: a string of %zu bytes, not %zu",
              future_id(c->f), strlen(v.as.s), n);
        for (size_t i = 0; i < n; i++)
            CHECK(v.as.s[i] == c->s[n - 1 - i], "task %lu: byte %zu differs",
                  future_id(c->f), i);
        free(c->s);
        break;
    }
    case K_ERROR: {
        char want[64];
        snprintf(want, sizeof want, "bad value %ld", c->x);
        CHECK_ERROR(v, "ValueError", want);
        break;
    }
    case K_SLEEP:
        CHECK_INT(v, c->x);
        break;
    case K_SEGV:
        CHECK_ERROR(v, "WorkerDied", "SIGSEGV");
        atomic_fetch_add(&total_crashes, 1);
        break;
    }
    future_free(c->f);
    atomic_fetch_add(&total_calls, 1);
}

static void *submitter(void *arg)
{
    job *j = arg;
    unsigned seed = 0x9e3779b9u * (unsigned)(j->id + 1) | 1;
    call batch[BATCH];
    long round = 0;
    while (now() < deadline) {
        for (int i = 0; i < BATCH; i++) {
            call *c = &batch[i];
            unsigned r = next_rand(&seed);
            c->x = (long)(next_rand(&seed) % 100000);
            c->s = NULL;
            if (r % 1000 == 0) {
                c->kind = K_SEGV;
                c->f = pool_apply_async(j->p, segv);
            } else if (r % 100 < 40) {
                c->kind = K_INT;
                c->f = pool_apply_async(j->p, add, c->x, c->x + 1);
            } else if (r % 100 < 60) {
                c->kind = K_DOUBLE;
                c->d = (double)c->x / 7.0;
                c->f = pool_apply_async(j->p, scale, c->d, 0.5);
            } else if (r % 100 < 75) {
                c->kind = K_STR;
                c->s = make_string(&seed, 1 + c->x % 200);
                c->f = pool_apply_async(j->p, reverse, c->s);
            } else if (r % 100 < 77) {
                c->kind = K_BIGSTR;
                c->s = make_string(&seed, BIG);
                c->f = pool_apply_async(j->p, reverse, c->s);
            } else if (r % 100 < 90) {
                c->kind = K_ERROR;
                c->f = pool_apply_async(j->p, fails, c->x);
            } else {
                c->kind = K_SLEEP;
                c->x = 200 + c->x % 1800;   /* 0.2 to 2 ms */
                c->f = pool_apply_async(j->p, nap, c->x);
            }
            CHECK(c->f != NULL, "pool_apply_async: %s", pool_last_error());
        }
        for (int i = 0; i < BATCH; i++)
            check_call(&batch[i]);
        if (++round % 4 == 0) {
            pool_value in[MAP_N], out[MAP_N];
            for (int i = 0; i < MAP_N; i++)
                in[i] = pool_int(round + i);
            int failed = pool_map(j->p, square, in, MAP_N, out);
            CHECK(failed == 0, "pool_map: %d failed", failed);
            for (int i = 0; i < MAP_N; i++) {
                CHECK_INT(out[i], (round + i) * (round + i));
                pool_value_free(out[i]);
            }
            atomic_fetch_add(&total_calls, MAP_N);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc == 2 ? atof(argv[1]) : 0;
    if (seconds <= 0) {
        fprintf(stderr, "usage: soak SECONDS\n");
        return 2;
    }
    pool *p = pool_create(WORKERS);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    double t0 = now();
    deadline = t0 + seconds;
    job jobs[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){.p = p, .id = i};
        CHECK(pthread_create(&t[i], NULL, submitter, &jobs[i]) == 0, "pthread_create");
    }
    /* Warm-up: a fifth of the run. */
    double warm = t0 + seconds / 5;
    while (now() < warm)
        usleep(50000);
    long rss0 = rss_kb();
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    long rss1 = rss_kb();
    double took = now() - t0;
    pool_destroy(p);
    long calls = atomic_load(&total_calls), crashes = atomic_load(&total_crashes);
    CHECK(rss1 - rss0 < RSS_SLACK_KB, "the master's RSS grew from %ld kB to %ld kB",
          rss0, rss1);
    printf("soak: ok: %ld calls (%ld crashed with SIGSEGV) in %.0f s on %d workers, "
           "every result right; master RSS %ld kB after warm-up, %ld kB at the end\n",
           calls, crashes, took, WORKERS, rss0, rss1);
    return 0;
}
