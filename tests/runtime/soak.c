/*
 * soak.c - a pool under mixed load with crashes, and with chaos.
 *
 *     soak SECONDS [chaos]
 *
 * 4 workers; 2 threads submit for SECONDS: ints, doubles, strings (some of
 * 100 KB), errors (pool_error), short sleeps, bytes in and out, calls with
 * a time limit, with retries, cancelled or killed; every fourth round one
 * of pool_apply, pool_map, pool_starmap, pool_imap_unordered and
 * pool_map_async over small arrays; 1 call in 1000 segfaults its worker.
 * One batch of calls in two is followed by a pause of up to 3 ms, in
 * which idle workers go to sleep.
 * Every result is checked (a crash must fail its call with WorkerDied
 * naming SIGSEGV, and only that call).
 *
 * With chaos: 3 workers, and a thread of the master picks a worker every
 * 5 to 50 ms and kills it (SIGKILL) or, one time in four, stops it
 * (SIGSTOP) until the next pick (SIGCONT). A call may then also fail with
 * WorkerDied naming SIGKILL, a limited call with Timeout; none may hang
 * (30 s per call) or give a wrong value. The verdict line ends with how
 * many task ids the pool gave out, so that the trace can be checked for
 * one final record per call (pooltrace final, tools/trace).
 *
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

enum { WORKERS = 4, CHAOS_WORKERS = 3, THREADS = 2, BATCH = 32, MAP_N = 8,
       BIG = 100 * 1024, BYTES_MAX = 20000, RSS_SLACK_KB = 8 * 1024 };

static double deadline;
static bool chaos;      /* workers are killed and stopped from outside */
static atomic_long total_calls, total_crashes, total_killed;
static _Atomic pid_t last_pid;  /* the worker of the call checked last */

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

typedef struct {
    pool *p;
    int id;
} job;

enum { K_INT, K_DOUBLE, K_STR, K_BIGSTR, K_ERROR, K_SLEEP, K_SEGV, K_BYTES, K_LIMIT,
       K_RETRY, K_CANCEL };

typedef struct {
    int kind;
    long x;
    double d;
    char *s;        /* K_STR, K_BIGSTR: the argument */
    int cancel;     /* K_CANCEL: what future_cancel or future_kill returned */
    future *f;
} call;

/* Byte i of the bytes sent with seed x. */
static unsigned char bpattern(long x, size_t i)
{
    return (unsigned char)(x * 13 + (long)i);
}

/* Under chaos, v may be the failure of a call whose worker was killed. */
static bool killed(pool_value v)
{
    if (!chaos || v.kind != POOL_ERROR || strcmp(pool_error_type(v), "WorkerDied") != 0 ||
        strstr(pool_error_message(v), "SIGKILL") == NULL)
        return false;
    atomic_fetch_add(&total_killed, 1);
    return true;
}

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
    if (c->kind == K_CANCEL && c->cancel == 0) {
        CHECK_ERROR(v, "Cancelled");
        CHECK(future_cancelled(c->f), "task %lu: cancelled, yet future_cancelled is false",
              future_id(c->f));
        goto done;
    }
    if (killed(v)) {
        free(c->s);
        goto done;
    }
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
    case K_CANCEL:      /* it had begun (EBUSY) or ended (EALREADY): it runs on */
        CHECK_INT(v, c->x);
        break;
    case K_LIMIT:       /* a second for a nap of 2 ms at most: a stopped worker */
        if (!(pool_is_error(v) && strcmp(pool_error_type(v), "Timeout") == 0))
            CHECK_INT(v, c->x);
        break;
    case K_RETRY:
        CHECK_INT(v, 2 * c->x + 1);
        break;
    case K_SEGV:
        CHECK_ERROR(v, "WorkerDied", "SIGSEGV");
        atomic_fetch_add(&total_crashes, 1);
        break;
    case K_BYTES: {
        char b[300];
        CHECK(v.kind == POOL_BYTES, "task %lu: no bytes back: %s", future_id(c->f),
              pool_value_format(v, b, sizeof b));
        size_t n;
        const unsigned char *y = pool_as_bytes(v, &n);
        CHECK(n == (size_t)c->d, "task %lu: %zu bytes back, not %zu", future_id(c->f), n,
              (size_t)c->d);
        for (size_t i = 0; i < n; i++)
            CHECK(y[i] == (unsigned char)(bpattern(c->x, i) + 1),
                  "task %lu: byte %zu of %zu is wrong", future_id(c->f), i, n);
        break;
    }
    }
done:
    atomic_store(&last_pid, future_pid(c->f));
    future_free(c->f);
    atomic_fetch_add(&total_calls, 1);
}

/* A sum of two for starmap's rows. */
static pool_value add_row(pool_args a)
{
    return add(a);
}

/* One of pool_apply, pool_map, pool_starmap, pool_imap_unordered and
 * pool_map_async (by round) over MAP_N small inputs; out[i] must be the
 * square of round + i (round + i + 1 for starmap's sums). */
static void map_round(pool *p, long round)
{
    pool_value in[2 * MAP_N], out[MAP_N];
    long want[MAP_N];
    for (int i = 0; i < MAP_N; i++)
        want[i] = (round + i) * (round + i);
    int failed = -1;
    const char *how = "";
    switch ((round / 4) % 5) {
    case 0:
        how = "pool_apply";
        for (int i = 0; i < MAP_N; i++)
            out[i] = pool_apply(p, square, round + i);
        failed = 0;
        for (int i = 0; i < MAP_N; i++)
            failed += pool_is_error(out[i]);
        break;
    case 1:
        how = "pool_map";
        for (int i = 0; i < MAP_N; i++)
            in[i] = pool_int(round + i);
        failed = pool_map(p, square, in, MAP_N, out);
        break;
    case 2:
        how = "pool_starmap";
        for (int i = 0; i < MAP_N; i++) {
            in[2 * i] = pool_int(round + i);
            in[2 * i + 1] = pool_int(1);
            want[i] = round + i + 1;
        }
        failed = pool_starmap(p, add_row, in, MAP_N, 2, out);
        break;
    case 3: {
        how = "pool_imap_unordered";
        for (int i = 0; i < MAP_N; i++)
            in[i] = pool_int(round + i);
        pool_imap *m = pool_imap_unordered(p, square, in, MAP_N, 0);
        CHECK(m != NULL, "pool_imap_unordered: %s", pool_last_error());
        bool seen[MAP_N] = {false};
        size_t k;
        pool_value v;
        int got;
        failed = 0;
        for (int i = 0; i < MAP_N; i++) {
            got = pool_imap_next(m, &k, &v);
            CHECK(got == 1 && k < MAP_N && !seen[k], "pool_imap_next: %d, index %zu", got, k);
            seen[k] = true;
            out[k] = v;
            failed += pool_is_error(v);
        }
        CHECK(pool_imap_next(m, &k, &v) == 0, "pool_imap_next after every result");
        pool_imap_free(m);
        break;
    }
    case 4: {
        how = "pool_map_async";
        for (int i = 0; i < MAP_N; i++)
            in[i] = pool_int(round + i);
        pool_map_result *m = pool_map_async(p, square, in, MAP_N, out);
        CHECK(m != NULL, "pool_map_async: %s", pool_last_error());
        failed = pool_map_wait(m, 30);
        CHECK(failed >= 0, "pool_map_wait: no results within 30 s: %s", pool_last_error());
        pool_map_free(m);
        break;
    }
    }
    CHECK(failed >= 0, "%s: %s", how, pool_last_error());
    int errors = 0;
    for (int i = 0; i < MAP_N; i++) {
        if (killed(out[i]))
            errors++;
        else
            CHECK_INT(out[i], want[i]);
        pool_value_free(out[i]);
    }
    CHECK(failed == errors, "%s: says %d failed, %d did", how, failed, errors);
    atomic_fetch_add(&total_calls, MAP_N);
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
            c->cancel = -1;
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
            } else if (r % 100 < 82) {
                c->kind = K_ERROR;
                c->f = pool_apply_async(j->p, fails, c->x);
            } else if (r % 100 < 86) {
                c->kind = K_SLEEP;
                c->x = 200 + c->x % 1800;   /* 0.2 to 2 ms */
                c->f = pool_apply_async(j->p, nap, c->x);
            } else if (r % 100 < 92) {
                c->kind = K_BYTES;
                size_t n = (size_t)(next_rand(&seed) % BYTES_MAX);
                c->d = (double)n;
                unsigned char *b = malloc(n + 1);
                CHECK(b != NULL, "out of memory");
                for (size_t k = 0; k < n; k++)
                    b[k] = bpattern(c->x, k);
                c->f = pool_apply_async(j->p, plus_one, pool_bytes(b, n));
                free(b);    /* copied before pool_apply_async returned */
            } else if (r % 100 < 94) {
                c->kind = K_LIMIT;
                c->x = 200 + c->x % 1800;
                c->f = pool_apply_async_limit(j->p, 1.0, nap, c->x);
            } else if (r % 100 < 97) {
                c->kind = K_RETRY;
                c->f = pool_apply_async_retries(j->p, 2, add, c->x, c->x + 1);
            } else {
                c->kind = K_CANCEL;
                c->x = 200 + c->x % 800;
                c->f = pool_apply_async(j->p, nap, c->x);
                if (c->f != NULL)
                    c->cancel = r % 2 ? future_cancel(c->f) : future_kill(c->f);
            }
            CHECK(c->f != NULL, "pool_apply_async: %s", pool_last_error());
        }
        for (int i = 0; i < BATCH; i++)
            check_call(&batch[i]);
        /* Load that comes and goes: one batch in two is followed by a
         * pause of up to 3 ms, long enough for idle workers to sleep. */
        if (next_rand(&seed) % 2 == 0)
            usleep(next_rand(&seed) % 3000);
        if (++round % 4 == 0)
            map_round(j->p, round);
    }
    return NULL;
}

static atomic_bool chaos_stop;
static long chaos_kills, chaos_stops;

/* Until chaos_stop: every 5 to 50 ms, continue the worker stopped last
 * time, and kill a worker, or stop one (one time in four). Half the time
 * the worker is the one whose call was checked last, if it still runs:
 * it may be looking for work right now, the instant a kill hurts most. */
static void *chaos_monkey(void *arg)
{
    (void)arg;
    unsigned seed = (unsigned)getpid() | 1;
    pid_t stopped = 0;
    while (!atomic_load(&chaos_stop)) {
        usleep(5000 + next_rand(&seed) % 45000);
        if (stopped)
            kill(stopped, SIGCONT);
        stopped = 0;
        pid_t w[64];
        int n = workers(w, 64);
        if (n <= 0)
            continue;
        pid_t pid = w[next_rand(&seed) % (unsigned)(n < 64 ? n : 64)];
        pid_t last = atomic_load(&last_pid);
        if (next_rand(&seed) % 2 && pid_in(last, w, n < 64 ? n : 64))
            pid = last;
        if (next_rand(&seed) % 4 == 0) {
            if (kill(pid, SIGSTOP) == 0) {
                stopped = pid;
                chaos_stops++;
            }
        } else if (kill(pid, SIGKILL) == 0) {
            chaos_kills++;
        }
    }
    if (stopped)
        kill(stopped, SIGCONT);
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc >= 2 ? atof(argv[1]) : 0;
    chaos = argc == 3 && strcmp(argv[2], "chaos") == 0;
    if (seconds <= 0 || argc > 3 || (argc == 3 && !chaos)) {
        fprintf(stderr, "usage: soak SECONDS [chaos]\n");
        return 2;
    }
    pool *p = pool_create(chaos ? CHAOS_WORKERS : WORKERS);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    double t0 = now();
    deadline = t0 + seconds;
    job jobs[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){.p = p, .id = i};
        CHECK(pthread_create(&t[i], NULL, submitter, &jobs[i]) == 0, "pthread_create");
    }
    pthread_t monkey;
    if (chaos)
        CHECK(pthread_create(&monkey, NULL, chaos_monkey, NULL) == 0, "pthread_create");
    /* Warm-up: a fifth of the run. */
    double warm = t0 + seconds / 5;
    while (now() < warm)
        usleep(50000);
    long rss0 = status_kb("VmRSS");
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    if (chaos) {
        atomic_store(&chaos_stop, true);
        pthread_join(monkey, NULL);
    }
    long rss1 = status_kb("VmRSS");
    double took = now() - t0;
    /* The last call says how many task ids the pool gave out. */
    future *last = pool_apply_async(p, add, 1, 1);
    CHECK(last != NULL && future_wait_for(last, 10),
          "the last call, made once the pool was idle, did not complete within 10 s");
    CHECK_INT(future_get(last), 2);
    unsigned long ids = future_id(last) + 1;
    pool_destroy(p);
    long calls = atomic_load(&total_calls), crashes = atomic_load(&total_crashes);
    CHECK(rss1 - rss0 < RSS_SLACK_KB, "the master's RSS grew from %ld kB to %ld kB",
          rss0, rss1);
    printf("soak: ok: %ld calls (%ld crashed with SIGSEGV) in %.0f s on %d workers, "
           "every result right; master RSS %ld kB after warm-up, %ld kB at the end",
           calls, crashes, took, chaos ? CHAOS_WORKERS : WORKERS, rss0, rss1);
    if (chaos)
        printf("; chaos: %ld kills, %ld stops, %ld calls failed by a kill; %lu task ids",
               chaos_kills, chaos_stops, atomic_load(&total_killed), ids);
    printf("\n");
    return 0;
}
