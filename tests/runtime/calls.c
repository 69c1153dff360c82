/*
 * calls.c - pool_apply, pool_apply_async, pool_map, arguments, errors and
 * futures, one scenario per command:
 *
 *     calls apply | async | map | kinds | args16 | arity | argkind | raise |
 *           futures | pidrun | free | spread | toomany | threads | askind |
 *           scale | waits | trace-open PATH
 *
 * Each scenario checks itself (CHECK exits 1 with the reason) and prints
 * lines that tests/runtime.bats compares exactly: results, error messages,
 * and who printed what, in which order.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static gate started, release, pids;

/* Tasks. ------------------------------------------------------------------- */

static pool_value add(pool_args a)
{
    pool_expect_args(a, 2);
    return pool_int(pool_arg_int(a, 0) + pool_arg_int(a, 1));
}

/* Print a line, then return x + y: the line must come before the caller's. */
static pool_value add_loud(pool_args a)
{
    pool_expect_args(a, 2);
    long x = pool_arg_int(a, 0), y = pool_arg_int(a, 1);
    printf("task: adding %ld and %ld in %d\n", x, y, (int)getpid());
    pool_sleep(0.5);
    printf("task: done\n");
    return pool_int(x + y);
}

/* Say it has begun, wait for the gate, return its argument. */
static pool_value held(pool_args a)
{
    pool_expect_args(a, 1);
    long x = pool_arg_int(a, 0);
    gate_open(&started, 1);
    gate_pass(&release);
    return pool_int(x);
}

/* Send its PID to the master, then wait for the gate. */
static pool_value held_pid(pool_args a)
{
    pool_expect_args(a, 0);
    pid_t me = getpid();
    CHECK(write(pids.fd[1], &me, sizeof me) == sizeof me, "write: %s", strerror(errno));
    gate_pass(&release);
    return pool_int(me);
}

/* x * x, after a short sleep that differs from call to call, so that calls
 * end out of order across workers. */
static pool_value square_jitter(pool_args a)
{
    pool_expect_args(a, 1);
    long x = pool_arg_int(a, 0);
    struct timespec ts = {0, (x * 7919 % 5) * 200000L};
    nanosleep(&ts, NULL);
    return pool_int(x * x);
}

static pool_value shout(pool_args a)
{
    pool_expect_args(a, 1);
    const char *s = pool_arg_str(a, 0);
    size_t n = strlen(s);
    char *up = malloc(n + 3);
    for (size_t i = 0; i < n; i++)
        up[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 'a' + 'A') : s[i];
    memcpy(up + n, "!!", 3);
    pool_value v = pool_str(up);    /* copied: up can go */
    free(up);
    return v;
}

/* "<int>|<double, exact>|<string>" from one argument of each kind. */
static pool_value describe(pool_args a)
{
    pool_expect_args(a, 3);
    long i = pool_arg_int(a, 0);
    double d = pool_arg_double(a, 1);
    const char *s = pool_arg_str(a, 2);
    char buf[256];
    snprintf(buf, sizeof buf, "%ld|%a|%s", i, d, s);
    return pool_str(buf);
}

static pool_value half(pool_args a)
{
    pool_expect_args(a, 1);
    return pool_double(pool_arg_double(a, 0) / 2);
}

static pool_value echo(pool_args a)
{
    pool_expect_args(a, 1);
    return pool_str(pool_arg_str(a, 0));
}

static pool_value length(pool_args a)
{
    pool_expect_args(a, 1);
    return pool_int((long)strlen(pool_arg_str(a, 0)));
}

/* The arguments as "kind:value" words, whatever their number. */
static pool_value list_args(pool_args a)
{
    char buf[2048] = "";
    size_t at = 0;
    for (int i = 0; i < a.count; i++) {
        pool_value v = a.v[i];
        char one[128];
        switch (v.kind) {
        case POOL_INT: snprintf(one, sizeof one, "i:%ld", v.as.i); break;
        case POOL_DOUBLE: snprintf(one, sizeof one, "d:%g", v.as.d); break;
        case POOL_STR: snprintf(one, sizeof one, "s:%s", v.as.s); break;
        default: snprintf(one, sizeof one, "?:%d", (int)v.kind); break;
        }
        at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s", i ? " " : "", one);
    }
    return pool_str(buf);
}

static pool_value sum16(pool_args a)
{
    pool_expect_args(a, 16);
    long s = 0;
    for (int i = 0; i < 16; i++)
        s += pool_arg_int(a, i);
    return pool_int(s);
}

static pool_value answer(pool_args a)
{
    pool_expect_args(a, 0);
    return pool_int(42);
}

static pool_value nothing(pool_args a)
{
    pool_expect_args(a, 0);
    return pool_none();
}

static pool_value add3(pool_args a)
{
    pool_expect_args(a, 3);
    return pool_int(pool_arg_int(a, 0) + pool_arg_int(a, 1) + pool_arg_int(a, 2));
}

/* No pool_expect_args: the argument accessors must catch what is wrong. */
static pool_value twice(pool_args a)
{
    return pool_int(2 * pool_arg_int(a, 0));
}

static pool_value third_str(pool_args a)
{
    return pool_str(pool_arg_str(a, 2));
}

static pool_value broken_function(pool_args a)
{
    pool_expect_args(a, 0);
    pool_raise("ValueError", "Called broken function");
}

static pool_value returns_error(pool_args a)
{
    pool_expect_args(a, 1);
    return pool_error("KeyError", "no key %ld", pool_arg_int(a, 0));
}

/* A message that needs CSV quoting in the trace. */
static pool_value awkward_error(pool_args a)
{
    pool_expect_args(a, 0);
    pool_raise("ValueError", "bad, really \"bad\"");
}

/* Scenarios. --------------------------------------------------------------- */

static pool *start(int n)
{
    pool *p = pool_create(n);
    if (p == NULL) {
        pool_perror("pool_create");
        exit(1);
    }
    return p;
}

/* pool_apply blocks until the task is done: the task's lines come first. */
static void apply(void)
{
    pool *p = start(2);
    printf("master: calling\n");
    pool_value v = pool_apply(p, add_loud, 6, 7);
    printf("master: result %ld\n", pool_as_int(v));
    CHECK_INT(v, 13);
    v = pool_apply(p, add, -40, 2);
    CHECK_INT(v, -38);
    v = pool_apply(p, shout, "hello");
    CHECK(v.kind == POOL_STR && strcmp(pool_as_str(v), "HELLO!!") == 0, "shout gave %s",
          v.kind == POOL_STR ? v.as.s : "not a string");
    printf("master: %s\n", pool_as_str(v));
    pool_value_free(v);
    pool_destroy(p);
}

/* pool_apply_async returns while the task is still held in its worker. */
static void async(void)
{
    pool *p = start(2);
    future *f = pool_apply_async(p, held, 5);
    CHECK(f != NULL, "pool_apply_async: %s", pool_last_error());
    printf("master: submitted task %lu\n", future_id(f));
    CHECK(!future_ready(f), "ready before the task could end");
    gate_wait(&started, 1);     /* it runs... */
    CHECK(!future_ready(f), "ready while the task is held");
    CHECK(!future_wait_for(f, 0.05), "future_wait_for said done while the task is held");
    errno = 0;
    CHECK(future_successful(f) == -1, "future_successful answered before the end");
    CHECK(errno == EAGAIN, "errno %d after an early future_successful, not EAGAIN", errno);
    printf("early successful: %s\n", pool_last_error());
    gate_open(&release, 1);     /* ...and may end now */
    CHECK(future_wait_for(f, 30), "not done 30 s after its release");
    CHECK(future_ready(f), "future_wait_for true but not ready");
    CHECK(future_successful(f) == 1, "not successful: %s", pool_error_message(future_get(f)));
    CHECK_INT(future_get(f), 5);
    CHECK(future_get(f).as.i == 5, "a second future_get differs");
    printf("master: result %ld from pid %d\n", pool_as_int(future_get(f)), (int)future_pid(f));
    CHECK(future_pid(f) > 0 && future_pid(f) != getpid(), "future_pid %d", (int)future_pid(f));
    future_free(f);
    pool_destroy(p);
}

/* pool_map: 1000 results in input order, though calls end out of order;
 * strings both ways; and the count of failed calls. */
/* One argument, squared, at once. */
static pool_value square(pool_args a)
{
    pool_expect_args(a, 1);
    long x = pool_arg_int(a, 0);
    return pool_int(x * x);
}

/* A map longer than the runtime's window of calls out at once: every result
 * right and in order; the trace shows how many were out at once. */
static void bigmap(void)
{
    enum { N = 5000 };
    static pool_value in[N], out[N];
    pool *p = start(2);
    for (int i = 0; i < N; i++)
        in[i] = pool_int(i);
    CHECK(pool_map_chunked(p, square, in, N, out, 1) == 0, "pool_map of %d failed", N);
    for (int i = 0; i < N; i++)
        CHECK_INT(out[i], (long)i * i);
    printf("bigmap: %d squares in order\n", N);
    pool_destroy(p);
}

static void map(void)
{
    enum { N = 1000 };
    pool *p = start(3);
    pool_value in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = pool_int(i);
    int failed = pool_map_chunked(p, square_jitter, in, N, out, 1);
    CHECK(failed == 0, "pool_map: %d failed", failed);
    for (int i = 0; i < N; i++)
        CHECK_INT(out[i], (long)i * i);
    printf("map: %d squares in order\n", N);

    const char *words[] = {"one", "two, three", "", "quatre"};
    pool_value win[4], wout[4];
    for (int i = 0; i < 4; i++)
        win[i] = pool_str(words[i]);
    CHECK(pool_map(p, shout, win, 4, wout) == 0, "shout failed");
    const char *want[] = {"ONE!!", "TWO, THREE!!", "!!", "QUATRE!!"};
    for (int i = 0; i < 4; i++) {
        CHECK(wout[i].kind == POOL_STR && strcmp(wout[i].as.s, want[i]) == 0,
              "map shout %d", i);
        printf("map: %s\n", wout[i].as.s);
        pool_value_free(wout[i]);
    }

    /* Every other input is a string: those calls fail, the rest do not. */
    pool_value mixed[6], mout[6];
    for (int i = 0; i < 6; i++)
        mixed[i] = i % 2 ? pool_str("x") : pool_int(i);
    CHECK(pool_map(p, twice, mixed, 6, mout) == 3, "pool_map should count 3 failures");
    for (int i = 0; i < 6; i++) {
        if (i % 2)
            CHECK_ERROR(mout[i], "TypeError", "twice()");
        else
            CHECK_INT(mout[i], 2 * i);
        pool_value_free(mout[i]);
    }
    CHECK(pool_map(p, twice, NULL, 0, NULL) == 0, "an empty map failed");
    printf("map: 3 of 6 failed\n");
    pool_destroy(p);
}

/* Squares, but input 250 kills its worker. */
static pool_value crashy(pool_args a)
{
    long x = pool_arg_int(a, 0);
    if (x == 250)
        raise(SIGSEGV);
    return pool_int(x * x);
}

/* pool_map in chunks: automatic (about four per worker), a size given, and
 * a chunk whose worker dies on one input. */
static void chunks(void)
{
    enum { N = 1000 };
    static pool_value in[N], out[N];
    pool *p = start(2);
    for (int i = 0; i < N; i++)
        in[i] = pool_int(i);
    CHECK(pool_map(p, square, in, N, out) == 0, "pool_map of %d failed", N);
    for (int i = 0; i < N; i++)
        CHECK_INT(out[i], (long)i * i);
    printf("chunks: %d squares in order\n", N);

    CHECK(pool_map(p, square, in, 5, out) == 0, "a map of 5 failed");
    for (int i = 0; i < 5; i++)
        CHECK_INT(out[i], (long)i * i);

    int failed = pool_map_chunked(p, crashy, in, N, out, 100);
    CHECK(failed == 1, "%d inputs failed, not 1", failed);
    for (int i = 0; i < N; i++) {
        if (i == 250)
            CHECK_ERROR(out[i], "WorkerDied", "SIGSEGV", "while running crashy");
        else
            CHECK_INT(out[i], (long)i * i);
    }
    printf("chunks: input 250 failed alone: %s\n", pool_error_type(out[250]));
    pool_value_free(out[250]);
    pool_destroy(p);
}

/* Every argument kind reaches the task unchanged; every result kind comes
 * back unchanged. */
static void kinds(void)
{
    pool *p = start(2);
    pool_value v = pool_apply(p, describe, -7, 0.1, "a, \"quoted\"\nline");
    char want[256];
    snprintf(want, sizeof want, "%ld|%a|%s", -7L, 0.1, "a, \"quoted\"\nline");
    CHECK(v.kind == POOL_STR && strcmp(v.as.s, want) == 0, "describe gave \"%s\"",
          v.kind == POOL_STR ? v.as.s : "not a string");
    pool_value_free(v);

    v = pool_apply(p, describe, LONG_MIN, -DBL_MAX, "");
    snprintf(want, sizeof want, "%ld|%a|", LONG_MIN, -DBL_MAX);
    CHECK(v.kind == POOL_STR && strcmp(v.as.s, want) == 0, "extremes gave \"%s\"",
          v.kind == POOL_STR ? v.as.s : "not a string");
    pool_value_free(v);

    v = pool_apply(p, add, LONG_MAX - 1, 1L);
    CHECK_INT(v, LONG_MAX);

    v = pool_apply(p, half, 3);         /* an int where a number is asked */
    CHECK(v.kind == POOL_DOUBLE && v.as.d == 1.5, "half(3) is not 1.5");
    v = pool_apply(p, half, 1e-300);
    CHECK(v.kind == POOL_DOUBLE && v.as.d == 5e-301, "half(1e-300) is not exact");

    const char *utf8 = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac";
    v = pool_apply(p, echo, utf8);
    CHECK(v.kind == POOL_STR && strcmp(v.as.s, utf8) == 0, "UTF-8 string changed");
    printf("echo: %s\n", v.as.s);
    pool_value_free(v);

    /* Larger than a pipe's buffer, both ways. */
    size_t big = 300 * 1000;
    char *s = malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        s[i] = (char)('a' + i % 26);
    s[big] = '\0';
    v = pool_apply(p, length, s);
    CHECK_INT(v, (long)big);
    v = pool_apply(p, echo, s);
    CHECK(v.kind == POOL_STR && strcmp(v.as.s, s) == 0, "a 300 kB string changed");
    pool_value_free(v);
    free(s);

    /* The caller's buffer may change as soon as the call is made. */
    char buf[16] = "before";
    future *f = pool_apply_async(p, echo, buf);
    strcpy(buf, "after");
    CHECK(strcmp(pool_as_str(future_get(f)), "before") == 0, "the string was not copied");
    future_free(f);

    v = pool_apply(p, nothing);
    CHECK(v.kind == POOL_NONE, "nothing() did not give POOL_NONE");
    v = pool_apply(p, list_args, 1, 2.5, "s", pool_int(4), (char)5, 6L, 7.0f);
    CHECK(v.kind == POOL_STR, "list_args failed");
    printf("kinds: %s\n", v.as.s);
    pool_value_free(v);
    printf("kinds: ok\n");
    pool_destroy(p);
}

/* Sixteen arguments, the most a call takes, and none at all. */
static void args16(void)
{
    pool *p = start(2);
    pool_value v = pool_apply(p, sum16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
    CHECK_INT(v, 136);
    printf("sum16: %ld\n", pool_as_int(v));
    v = pool_apply(p, list_args, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, "16");
    printf("list16: %s\n", pool_as_str(v));
    pool_value_free(v);
    v = pool_apply(p, answer);
    CHECK_INT(v, 42);
    printf("answer: %ld\n", pool_as_int(v));
    v = pool_apply(p, list_args);
    CHECK(v.kind == POOL_STR && strcmp(v.as.s, "") == 0, "list_args() not empty");
    pool_value_free(v);
    /* 16 arguments given to a task that takes none. */
    v = pool_apply(p, answer, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
    CHECK_ERROR(v, "TypeError", "answer()", "0 arguments", "16 were given");
    printf("answer16: %s: %s\n", pool_error_type(v), pool_error_message(v));
    pool_value_free(v);
    pool_destroy(p);
}

/* A call with the wrong number of arguments fails its future only. */
static void arity(void)
{
    pool *p = start(2);
    future *f2 = pool_apply_async(p, add3, 6, 7);
    future *f1 = pool_apply_async(p, add3, 6);
    future *f4 = pool_apply_async(p, add3, 1, 2, 3, 4);
    future *ok = pool_apply_async(p, add3, 1, 2, 3);
    future *fs[] = {f2, f1, f4};
    for (int i = 0; i < 3; i++) {
        pool_value v = future_get(fs[i]);
        CHECK(future_successful(fs[i]) == 0, "a wrong call succeeded");
        CHECK_ERROR(v, "TypeError", "add3()", "takes 3 arguments");
        printf("Error = %s : %s\n", pool_error_type(v), pool_error_message(v));
    }
    CHECK_INT(future_get(ok), 6);
    printf("ok = %ld\n", pool_as_int(future_get(ok)));
    pool_destroy(p);
}

/* An argument of the wrong kind, or a missing one, is a TypeError. */
static void argkind(void)
{
    pool *p = start(2);
    pool_value v = pool_apply(p, add, 1, "two");
    CHECK_ERROR(v, "TypeError", "add()", "2nd", "integer", "string");
    printf("Error = %s : %s\n", pool_error_type(v), pool_error_message(v));
    pool_value_free(v);
    v = pool_apply(p, echo, 3.5);
    CHECK_ERROR(v, "TypeError", "echo()", "string", "double");
    printf("Error = %s : %s\n", pool_error_type(v), pool_error_message(v));
    pool_value_free(v);
    v = pool_apply(p, twice);
    CHECK_ERROR(v, "TypeError", "twice()", "1st");
    printf("Error = %s : %s\n", pool_error_type(v), pool_error_message(v));
    pool_value_free(v);
    v = pool_apply(p, third_str, "a", "b");
    CHECK_ERROR(v, "TypeError", "third_str()", "3rd");
    printf("Error = %s : %s\n", pool_error_type(v), pool_error_message(v));
    pool_value_free(v);
    v = pool_apply(p, half, "x");
    CHECK_ERROR(v, "TypeError", "half()", "number");
    pool_value_free(v);
    v = pool_apply(p, add, 20, 22);     /* the worker still serves */
    CHECK_INT(v, 42);
    printf("add = %ld\n", pool_as_int(v));
    pool_destroy(p);
}

/* pool_raise and a returned pool_error reach the master as they were made. */
static void raise_(void)
{
    pool *p = start(2);
    future *f = pool_apply_async(p, broken_function);
    future *g = pool_apply_async(p, returns_error, 9);
    future *h = pool_apply_async(p, awkward_error);
    future_wait(f);
    CHECK(future_successful(f) == 0, "broken_function succeeded");
    pool_value v = future_get(f);
    CHECK_ERROR(v, "ValueError", "Called broken function");
    CHECK(strcmp(pool_error_message(v), "Called broken function") == 0, "message changed");
    printf("Error = %s : %s\n", pool_error_type(v), pool_error_message(v));
    v = future_get(g);
    CHECK(future_successful(g) == 0, "returns_error succeeded");
    CHECK_ERROR(v, "KeyError", "no key 9");
    printf("Error = %s : %s\n", pool_error_type(v), pool_error_message(v));
    v = future_get(h);
    CHECK_ERROR(v, "ValueError", "bad, really \"bad\"");
    printf("Error = %s : %s\n", pool_error_type(v), pool_error_message(v));
    v = pool_apply(p, broken_function);
    CHECK_ERROR(v, "ValueError", "Called broken function");
    pool_value_free(v);
    pool_destroy(p);
}

/* The future calls, on calls that end well and calls that fail. */
static void futures(void)
{
    pool *p = start(2);
    future *a = pool_apply_async(p, held, 1);
    future *b = pool_apply_async(p, held, 2);
    future *c = pool_apply_async(p, broken_function);
    /* Ids count from 0 in call order, as programs number their calls. */
    CHECK(future_id(a) == 0 && future_id(b) == 1 && future_id(c) == 2, "ids %lu %lu %lu",
          future_id(a), future_id(b), future_id(c));
    CHECK(future_id(NULL) == ULONG_MAX, "future_id(NULL) is %lu", future_id(NULL));
    gate_wait(&started, 2);
    CHECK(!future_ready(a) && !future_ready(b), "ready while held");
    CHECK(!future_wait_for(a, 0.1), "future_wait_for true while held");
    CHECK(!future_wait_for(a, 0), "future_wait_for(0) true while held");
    errno = 0;
    CHECK(future_successful(b) == -1 && errno == EAGAIN, "successful before ready");
    CHECK(strstr(pool_last_error(), "not finished") != NULL, "message: %s", pool_last_error());
    gate_open(&release, 2);
    CHECK(future_wait_for(a, 30), "not done 30 s after its release");
    future_wait(a);
    future_wait(b);
    future_wait(c);
    CHECK(future_ready(a) && future_ready(b) && future_ready(c), "not ready after wait");
    CHECK(future_wait_for(c, 0), "future_wait_for(0) false on a done future");
    CHECK(future_successful(a) == 1 && future_successful(b) == 1, "held calls failed");
    CHECK(future_successful(c) == 0, "broken_function succeeded");
    CHECK_INT(future_get(a), 1);
    CHECK_INT(future_get(b), 2);
    CHECK(future_pid(a) != future_pid(b), "both held calls ran in pid %d", (int)future_pid(a));
    printf("futures: ok\n");
    CHECK(future_get(NULL).kind == POOL_ERROR, "future_get(NULL) is not an error");
    CHECK(!future_ready(NULL), "future_ready(NULL)");
    CHECK(future_successful(NULL) == -1, "future_successful(NULL)");
    future_free(NULL);
    pool_destroy(p);    /* frees a, b and c */
}

/* future_pid names the worker while the call runs, not only after. */
static void pidrun(void)
{
    pool *p = start(2);
    future *f = pool_apply_async(p, held_pid);
    pid_t pid;
    CHECK(read(pids.fd[0], &pid, sizeof pid) == sizeof pid, "read: %s", strerror(errno));
    pid_t seen = future_pid(f);
    gate_open(&release, 1);
    CHECK_INT(future_get(f), pid);
    CHECK(future_pid(f) == pid, "future_pid after the end is %d, not %d",
          (int)future_pid(f), (int)pid);
    CHECK(seen == pid, "future_pid while the call runs in PID %d is %d", (int)pid, (int)seen);
    printf("pidrun: ok\n");
    pool_destroy(p);
}

/* future_free of a pending future and of a done one; the pending call still
 * runs to its end (the trace shows it). */
static void free_(void)
{
    pool *p = start(2);
    future *pending = pool_apply_async(p, held, 7);
    future *done = pool_apply_async(p, add, 1, 1);
    CHECK_INT(future_get(done), 2);
    gate_wait(&started, 1);
    future_free(pending);
    future_free(done);
    gate_open(&release, 1);
    future *after = pool_apply_async(p, add, 2, 2);
    CHECK_INT(future_get(after), 4);
    future_free(after);
    pool_close(p);
    CHECK(pool_join(p) == 0, "pool_join: %s", pool_last_error());
    printf("free: ok\n");
    pool_destroy(p);
}

/* With one call held in a worker, short calls still run on the idle
 * worker; and N calls on N idle workers run at the same time. Both after
 * many short calls, when the pool hands a worker several calls at once. */
static void spread(void)
{
    enum { N = 2, SHORT = 20 };
    pool *p = start(N);
    for (int i = 0; i < 200; i++)
        CHECK_INT(pool_apply(p, add, i, 0), i);

    future *h = pool_apply_async(p, held, -1);
    CHECK(gate_wait_for(&started, 1, 3), "the held call did not start");
    future *f[SHORT];
    for (int i = 0; i < SHORT; i++)
        f[i] = pool_apply_async(p, add, i, 1);
    /* 3 s for all of them, then count those still waiting. */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int waiting = 0;
    for (int i = 0; i < SHORT; i++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double left = 3 - (double)(now.tv_sec - t0.tv_sec) - (now.tv_nsec - t0.tv_nsec) / 1e9;
        waiting += !future_wait_for(f[i], left > 0 ? left : 0);
    }
    gate_open(&release, 1);
    CHECK(waiting == 0, "%d of %d short calls waited behind a held call while "
          "another worker was idle", waiting, SHORT);
    CHECK_INT(future_get(h), -1);
    for (int i = 0; i < SHORT; i++)
        CHECK_INT(future_get(f[i]), i + 1);

    future *g[N];
    for (int i = 0; i < N; i++)
        g[i] = pool_apply_async(p, held, i);
    bool all = gate_wait_for(&started, N, 3);
    gate_open(&release, N);     /* let them end either way */
    CHECK(all, "%d calls on %d idle workers did not all start within 3 s: "
          "some wait behind another call while a worker is idle", N, N);
    for (int i = 0; i < N; i++)
        CHECK_INT(future_get(g[i]), i);
    CHECK(future_pid(g[0]) != future_pid(g[1]), "both ran in PID %d", (int)future_pid(g[0]));
    printf("spread: ok\n");
    pool_destroy(p);
}

static pool_value count_args(pool_args a)
{
    return pool_int(a.count);
}

/* pool_submit takes a count of its own: far more arguments than the macros
 * allow must be run or refused, never leave the call hanging. */
static void toomany(void)
{
    enum { N = 5000 };
    pool *p = start(1);
    pool_value *args = calloc(N, sizeof *args);
    CHECK(args != NULL, "out of memory");
    for (int i = 0; i < N; i++)
        args[i] = pool_int(i);
    errno = 0;
    future *f = pool_submit(p, count_args, "count_args", args, N);
    free(args);
    if (f == NULL) {
        CHECK(errno == EINVAL, "NULL with errno %d, not EINVAL", errno);
        printf("toomany: refused: %s\n", pool_last_error());
    } else {
        CHECK(future_wait_for(f, 2), "a call with %d arguments neither ran nor failed "
              "within 2 s (is its worker dying and the call given to the next one?)", N);
        pool_value v = future_get(f);
        if (v.kind == POOL_ERROR)
            printf("toomany: failed: %s: %s\n", pool_error_type(v), pool_error_message(v));
        else
            CHECK_INT(v, N);
    }
    CHECK_INT(pool_apply(p, add, 1, 2), 3);
    pool_destroy(p);
}

/* Four master threads call at once, and three wait on one future. */
enum { THREADS = 4, PER_THREAD = 500 };
static pool *shared;
static future *awaited;

static void *caller(void *arg)
{
    long t = (long)arg;
    future *f[PER_THREAD];
    for (int i = 0; i < PER_THREAD; i++)
        f[i] = pool_apply_async(shared, add, t * 1000 + i, 1);
    pool_value v = pool_apply(shared, shout, "thread");
    CHECK(v.kind == POOL_STR && strcmp(v.as.s, "THREAD!!") == 0, "shout in thread %ld", t);
    pool_value_free(v);
    for (int i = 0; i < PER_THREAD; i++) {
        CHECK_INT(future_get(f[i]), t * 1000 + i + 1);
        future_free(f[i]);
    }
    return NULL;
}

static void *waiter(void *arg)
{
    (void)arg;
    future_wait(awaited);
    CHECK_INT(future_get(awaited), 77);
    return NULL;
}

static void threads(void)
{
    shared = start(3);
    pthread_t c[THREADS], w[3];
    for (long t = 0; t < THREADS; t++)
        CHECK(pthread_create(&c[t], NULL, caller, (void *)t) == 0, "pthread_create");
    for (int t = 0; t < THREADS; t++)
        pthread_join(c[t], NULL);

    awaited = pool_apply_async(shared, held, 77);
    for (long t = 0; t < 3; t++)
        CHECK(pthread_create(&w[t], NULL, waiter, NULL) == 0, "pthread_create");
    CHECK(gate_wait_for(&started, 1, 10), "the held call did not start");
    CHECK(!future_ready(awaited), "the held call ended before its release");
    gate_open(&release, 1);
    for (int t = 0; t < 3; t++)
        pthread_join(w[t], NULL);
    printf("threads: %d calls from %d threads, 3 waiters\n", THREADS * (PER_THREAD + 1), THREADS);
    pool_destroy(shared);
}

/* Asking a value for the wrong kind is a bug in the caller: abort with a
 * message that says what was asked and what the value is. */
static void askind(void)
{
    pool *p = start(2);
    pool_value v = pool_apply(p, echo, "text");
    printf("askind: asking a string for an integer\n");
    fflush(stdout);
    long x = pool_as_int(v);
    printf("askind: got %ld\n", x);
    pool_destroy(p);
}

/* pool_time_scale, as pool_sleep uses it. */
static void scale(void)
{
    printf("scale %g\n", pool_time_scale());
}

/* pool_trace_open: a path that cannot be opened is refused with a reason. */
/* Sleep ms milliseconds, then return ms. */
static pool_value nap(pool_args a)
{
    int ms = pool_arg_int(a, 0);
    usleep((useconds_t)ms * 1000);
    return pool_int(ms);
}

/* Every call that waits, once blocking and once not, for the trace's
 * master events (TRACE.md); tests/runtime.bats reads them. Task ids in
 * call order: 0 pool_apply; 1 done before it is waited for; 2 future_get;
 * 3, 4 future_wait_many; 5-7 pool_map, one input a task; 8 future_wait_for
 * that gives up, then future_wait; 9 pool_join. */
static void waits(void)
{
    pool *p = start(2);
    CHECK_INT(pool_apply(p, nap, 100), 100);
    future *f = pool_apply_async(p, nap, 0);
    while (!future_ready(f))
        usleep(1000);
    future_wait(f);                             /* ended: no wait to trace */
    CHECK_INT(future_get(f), 0);
    future *g = pool_apply_async(p, nap, 100);
    CHECK_INT(future_get(g), 100);
    future *two[2] = {pool_apply_async(p, nap, 100), pool_apply_async(p, nap, 100)};
    CHECK(future_wait_many(two, 2, FUTURE_ALL_COMPLETED, -1) == 2, "wait_many");
    CHECK(future_wait_many(two, 2, FUTURE_ALL_COMPLETED, -1) == 2, "wait_many, done");
    pool_value in[3] = {pool_int(50), pool_int(50), pool_int(50)}, out[3];
    CHECK(pool_map_chunks(p, nap, "nap", in, 3, out, 1) == 0, "pool_map");
    future *h = pool_apply_async(p, nap, 200);
    CHECK(!future_wait_for(h, 0.01), "future_wait_for said done too soon");
    future_wait(h);
    pool_apply_async(p, nap, 100);
    pool_close(p);
    CHECK(pool_join(p) == 0, "pool_join: %s", pool_last_error());
    printf("waits: ok\n");
    pool_destroy(p);
}

static void trace_open(const char *path)
{
    pool *p = start(1);
    CHECK(pool_trace_open(p, "/nonexistent/dir/x.csv") == -1, "an impossible trace opened");
    printf("trace_open: %s\n", pool_last_error());
    CHECK(pool_trace_open(p, "") == -1, "an empty trace path opened");
    CHECK(pool_trace_open(p, path) == 0, "pool_trace_open(%s): %s", path, pool_last_error());
    CHECK_INT(pool_apply(p, add, 1, 2), 3);
    pool_destroy(p);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    gate_make(&started);
    gate_make(&release);
    gate_make(&pids);
    if (strcmp(what, "apply") == 0)
        apply();
    else if (strcmp(what, "async") == 0)
        async();
    else if (strcmp(what, "bigmap") == 0)
        bigmap();
    else if (strcmp(what, "chunks") == 0)
        chunks();
    else if (strcmp(what, "map") == 0)
        map();
    else if (strcmp(what, "kinds") == 0)
        kinds();
    else if (strcmp(what, "args16") == 0)
        args16();
    else if (strcmp(what, "arity") == 0)
        arity();
    else if (strcmp(what, "argkind") == 0)
        argkind();
    else if (strcmp(what, "raise") == 0)
        raise_();
    else if (strcmp(what, "futures") == 0)
        futures();
    else if (strcmp(what, "free") == 0)
        free_();
    else if (strcmp(what, "askind") == 0)
        askind();
    else if (strcmp(what, "scale") == 0)
        scale();
    else if (strcmp(what, "pidrun") == 0)
        pidrun();
    else if (strcmp(what, "threads") == 0)
        threads();
    else if (strcmp(what, "toomany") == 0)
        toomany();
    else if (strcmp(what, "spread") == 0)
        spread();
    else if (strcmp(what, "waits") == 0)
        waits();
    else if (strcmp(what, "trace-open") == 0 && argc == 3)
        trace_open(argv[2]);
    else {
        fprintf(stderr, "usage: calls apply|async|map|bigmap|chunks|kinds|args16|arity|argkind|raise|"
                        "futures|pidrun|free|spread|toomany|threads|askind|scale|waits|"
                        "trace-open PATH\n");
        return 2;
    }
    return 0;
}
