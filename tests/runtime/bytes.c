/*
 * bytes.c - the bytes value kind and pool_starmap, one
 * sub-command per case:
 *
 *   bytes CMD...
 *
 * Each sub-command prints "CMD: ok" when every check holds; a failed check
 * prints "FAIL file:line: ..." and exits 1 (check.h). tests/bytes.bats
 * runs them, also under ASan + UBSan and valgrind.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "check.h"

#define MB (1024 * 1024)

static int pid_pipe[2];     /* tasks that must be killed write their PID here */

/* Byte i of a test pattern seeded by seed. */
static unsigned char pattern(size_t i, unsigned seed)
{
    return (unsigned char)((i * 131 + seed * 7 + (i >> 12)) & 0xff);
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pattern(i, seed);
}

/* The first byte where p differs from the pattern, or n. */
static size_t differs(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(i, seed))
            return i;
    return n;
}

/* The bytes of v are n bytes of pattern seed. */
#define CHECK_BYTES(v, want_n, seed)                                           \
    do {                                                                       \
        pool_value v_ = (v);                                                   \
        char b_[300];                                                          \
        CHECK(v_.kind == POOL_BYTES, "expected bytes, got %s",                 \
              pool_value_format(v_, b_, sizeof b_));                           \
        size_t n_;                                                             \
        const unsigned char *p_ = pool_as_bytes(v_, &n_);                      \
        CHECK(n_ == (size_t)(want_n), "%zu bytes came, not %zu", n_, (size_t)(want_n)); \
        size_t at_ = differs(p_, n_, (seed));                                  \
        CHECK(at_ == n_, "byte %zu of %zu is wrong", at_, n_);                 \
    } while (0)

/* Tasks. ------------------------------------------------------------------- */

/* (bytes, seed): check the pattern, return the count of bytes. */
static pool_value check_arg(pool_args a)
{
    pool_expect_args(a, 2);
    size_t n;
    const unsigned char *p = pool_arg_bytes(a, 0, &n);
    long seed = pool_arg_int(a, 1);
    size_t at = differs(p, n, (unsigned)seed);
    if (at != n)
        return pool_error("ValueError", "byte %zu of %zu is wrong", at, n);
    return pool_int((long)n);
}

/* (bytes): the same bytes back, copied once (pool_bytes in a task). */
static pool_value echo(pool_args a)
{
    pool_expect_args(a, 1);
    size_t n;
    const void *p = pool_arg_bytes(a, 0, &n);
    return pool_bytes(p, n);
}

/* (n, seed): n bytes of the pattern, written in place. */
static pool_value make(pool_args a)
{
    pool_expect_args(a, 2);
    long n = pool_arg_int(a, 0), seed = pool_arg_int(a, 1);
    void *out;
    pool_value v = pool_bytes_alloc((size_t)n, &out);
    fill(out, (size_t)n, (unsigned)seed);
    return v;
}

/* (n, seed): as make, but made on the stack and copied by pool_bytes. */
static pool_value make_small(pool_args a)
{
    unsigned char buf[200];
    long n = pool_arg_int(a, 0), seed = pool_arg_int(a, 1);
    if (n > (long)sizeof buf)
        n = sizeof buf;
    fill(buf, (size_t)n, (unsigned)seed);
    return pool_bytes(buf, (size_t)n);
}

/* (doubles): the sum, and (as bytes) each squared. */
static pool_value squares(pool_args a)
{
    size_t n;
    const double *x = pool_arg_bytes(a, 0, &n);
    void *out;
    pool_value v = pool_bytes_alloc(n, &out);
    double *y = out;
    for (size_t i = 0; i < n / sizeof *x; i++)
        y[i] = x[i] * x[i];
    return v;
}

struct point {
    int id;
    double x, y;
    char label[12];
};

/* (int, string, bytes of a struct point, double): the point moved, as bytes. */
static pool_value move(pool_args a)
{
    pool_expect_args(a, 4);
    long id = pool_arg_int(a, 0);
    const char *label = pool_arg_str(a, 1);
    size_t n;
    const struct point *p = pool_arg_bytes(a, 2, &n);
    double dx = pool_arg_double(a, 3);
    if (n != sizeof *p)
        return pool_error("ValueError", "a point of %zu bytes", n);
    struct point q = *p;
    q.id = (int)id;
    q.x += dx;
    snprintf(q.label, sizeof q.label, "%s", label);
    return pool_bytes(&q, sizeof q);
}

/* (n): pool_bytes_alloc of n, writes half, then abort(). */
static pool_value alloc_abort(pool_args a)
{
    long n = pool_arg_int(a, 0);
    void *out;
    pool_bytes_alloc((size_t)n, &out);
    memset(out, 0xab, (size_t)n / 2);
    abort();
}

/* (n): pool_bytes_alloc of n, writes it, tells the master its PID and
 * waits to be killed. */
static pool_value alloc_wait(pool_args a)
{
    long n = pool_arg_int(a, 0);
    void *out;
    pool_value v = pool_bytes_alloc((size_t)n, &out);
    memset(out, 0xcd, (size_t)n);
    pid_t me = getpid();
    CHECK(write(pid_pipe[1], &me, sizeof me) == sizeof me, "write the PID");
    pause();
    return v;
}

/* (n): three bytes values made, the second one returned. */
static pool_value three(pool_args a)
{
    long n = pool_arg_int(a, 0);
    void *p[3];
    pool_value v[3];
    for (int i = 0; i < 3; i++) {
        v[i] = pool_bytes_alloc((size_t)n, &p[i]);
        fill(p[i], (size_t)n, (unsigned)i);
    }
    return v[1];
}

/* (n): asks for n bytes (over the limit). */
static pool_value too_big(pool_args a)
{
    void *out;
    return pool_bytes_alloc((size_t)pool_arg_int(a, 0), &out);
}

/* (int): wants bytes. */
static pool_value want_bytes(pool_args a)
{
    size_t n;
    pool_arg_bytes(a, 0, &n);
    return pool_int((long)n);
}

/* (bytes, seed) in a map: the pattern checked, then new bytes of seed + 1
 * (pool_bytes copies them from the stack in a chunk). */
static pool_value map_item(pool_args a)
{
    size_t n;
    const unsigned char *p = pool_arg_bytes(a, 0, &n);
    unsigned seed = p[0];   /* the pattern at 0 gives seed * 7 */
    for (unsigned s = 0; s < 256; s++)
        if (pattern(0, s) == p[0]) {
            seed = s;
            break;
        }
    if (differs(p, n, seed) != n)
        return pool_error("ValueError", "an input of %zu bytes came wrong", n);
    unsigned char *q = malloc(n ? n : 1);
    fill(q, n, seed + 1);
    pool_value v = pool_bytes(q, n);
    free(q);
    return v;
}

/* (a, b, c): a * b + c; c == -1 kills the worker. */
static pool_value fma3(pool_args a)
{
    pool_expect_args(a, 3);
    long x = pool_arg_int(a, 0), y = pool_arg_int(a, 1), z = pool_arg_int(a, 2);
    if (z == -1)
        abort();
    return pool_int(x * y + z);
}

/* (bytes of doubles, scale): their sum times scale. */
static pool_value scaled_sum(pool_args a)
{
    pool_expect_args(a, 2);
    size_t n;
    const double *x = pool_arg_bytes(a, 0, &n);
    double s = 0;
    for (size_t i = 0; i < n / sizeof *x; i++)
        s += x[i];
    return pool_double(s * pool_arg_double(a, 1));
}

/* (bytes): sent on to a pool of its own and back, after making bytes of
 * its own first (so that the inner pool's processes are forked while this
 * task holds an extent). */
static pool_value nested(pool_args a)
{
    size_t n;
    const void *p = pool_arg_bytes(a, 0, &n);
    void *room;
    pool_value mine = pool_bytes_alloc(n, &room);
    memcpy(room, p, n);
    pool *inner = pool_create(1);
    if (inner == NULL)
        return pool_error("PoolError", "inner pool: %s", pool_last_error());
    pool_value v = pool_apply(inner, echo, mine);
    pool_destroy(inner);
    if (v.kind != POOL_BYTES)
        return v;
    size_t got;
    const void *q = pool_as_bytes(v, &got);
    pool_value back = got == n && memcmp(q, p, n) == 0 ? pool_bytes(q, got)
                                                       : pool_error("ValueError", "changed");
    pool_value_free(v);     /* after pool_destroy of its pool */
    return back;
}

/* Tries of once_abort so far, in memory every worker shares (made before
 * the pools). */
static _Atomic int *tries;

/* (n, seed): n bytes of the pattern written in place; on the first try
 * of each pair of tries (odd counts), abort() after writing half. */
static pool_value once_abort(pool_args a)
{
    long n = pool_arg_int(a, 0), seed = pool_arg_int(a, 1);
    void *out;
    pool_value v = pool_bytes_alloc((size_t)n, &out);
    if (atomic_fetch_add(tries, 1) % 2 == 0) {
        memset(out, 0xee, (size_t)n / 2);
        abort();
    }
    fill(out, (size_t)n, (unsigned)seed);
    return v;
}

/* (i): a string of 300 to 349 characters that names i. */
static pool_value long_name(pool_args a)
{
    long i = pool_arg_int(a, 0);
    char s[400];
    int n = snprintf(s, sizeof s, "%ld:", i);
    memset(s + n, 'a' + (char)(i % 26), (size_t)(300 + i % 50 - n));
    s[300 + i % 50] = '\0';
    return pool_str(s);
}

/* (i): i * i. */
static pool_value square_of(pool_args a)
{
    long i = pool_arg_int(a, 0);
    return pool_int(i * i);
}

/* Helpers. ----------------------------------------------------------------- */

/* The size of the pool's blob file (the one memfd "pool-blobs" of this
 * process), and its memory in use (bytes). */
static void blob_file(off_t *size, off_t *used)
{
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != NULL, "cannot read /proc/self/fd");
    struct dirent *e;
    bool found = false;
    while ((e = readdir(d)) != NULL) {
        char path[300], link[300];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n <= 0)
            continue;
        link[n] = '\0';
        if (strstr(link, "memfd:pool-blobs") == NULL)
            continue;
        struct stat st;
        CHECK(fstat(atoi(e->d_name), &st) == 0, "fstat");
        CHECK(!found, "two blob files: one pool at a time here");
        found = true;
        *size = st.st_size;
        *used = (off_t)st.st_blocks * 512;
    }
    closedir(d);
    CHECK(found, "no blob file");
}

/* The blob file is size0 bytes still: no extent leaked since it was. */
static void check_no_growth(off_t size0)
{
    off_t size, used;
    blob_file(&size, &used);
    CHECK(size == size0, "the blob file grew from %lld to %lld bytes: extents leak",
          (long long)size0, (long long)size);
}

static unsigned char *pattern_buf(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n ? n : 1);
    CHECK(p != NULL, "out of memory");
    fill(p, n, seed);
    return p;
}

/* Sub-commands. ------------------------------------------------------------ */

/* Arguments of every size arrive whole; results of every size come back. */
static void sizes(void)
{
    static const size_t ns[] = {0, 1, 100, 200, 232, 4000, 70000, MB, 20 * MB};
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        size_t n = ns[k];
        unsigned seed = (unsigned)k + 3;
        unsigned char *buf = pattern_buf(n, seed);
        future *f = pool_apply_async(p, check_arg, pool_bytes(buf, n), (long)seed);
        future *g = pool_apply_async(p, echo, pool_bytes(buf, n));
        memset(buf, 0, n);      /* the calls have their own copy already */
        free(buf);
        CHECK_INT(future_get(f), n);
        CHECK_BYTES(future_get(g), n, seed);
        future *h = pool_apply_async(p, make, (long)n, (long)seed + 1);
        CHECK_BYTES(future_get(h), n, seed + 1);
        if (n >= 4000)
            CHECK((uintptr_t)pool_as_bytes(future_get(h), NULL) % 16 == 0,
                  "bytes of %zu not aligned to 16", n);
        future_free(f);
        future_free(g);
        future_free(h);
    }
    /* Small bytes made on a task's stack. */
    pool_value v = pool_apply(p, make_small, 150, 9);
    CHECK_BYTES(v, 150, 9);
    pool_value_free(v);
    pool_close(p);
    CHECK(pool_join(p) == 0, "pool_join");
    pool_destroy(p);
    printf("sizes: ok\n");
}

/* Doubles, a struct, and bytes among other kinds of argument. */
static void kinds(void)
{
    pool *p = pool_create(2);
    enum { N = 100000 };
    double *x = malloc(N * sizeof *x);
    for (int i = 0; i < N; i++)
        x[i] = i * 0.5;
    future *f = pool_apply_async(p, squares, pool_bytes(x, N * sizeof *x));
    size_t n;
    const double *y = pool_as_bytes(future_get(f), &n);
    CHECK(n == N * sizeof *x, "%zu bytes of squares", n);
    for (int i = 0; i < N; i++)
        CHECK(y[i] == x[i] * x[i], "square %d is %g", i, y[i]);
    future_free(f);
    free(x);

    struct point pt = {.id = 1, .x = 1.5, .y = -2, .label = "old"};
    pool_value v = pool_apply(p, move, 7, "moved", pool_bytes(&pt, sizeof pt), 0.25);
    const struct point *q = pool_as_bytes(v, &n);
    CHECK(n == sizeof pt && q->id == 7 && q->x == 1.75 && q->y == -2 &&
          strcmp(q->label, "moved") == 0, "move gave id %d x %g label %s", q->id, q->x, q->label);
    char buf[64];
    CHECK(strcmp(pool_value_format(v, buf, sizeof buf), "<40 bytes>") == 0 ||
          sizeof pt != 40, "format says %s", buf);
    pool_value_free(v);
    pool_destroy(p);
    printf("kinds: ok\n");
}

/* A result's bytes live as long as their future, or, from pool_apply, until
 * pool_value_free, even after pool_destroy. */
static void lifetime(void)
{
    pool *p = pool_create(2);
    /* More held results at once than a process keeps mappings for. */
    enum { HELD = 40 };
    future *fs[HELD];
    for (int i = 0; i < HELD; i++)
        fs[i] = pool_apply_async(p, make, (long)(MB / 2 + i), (long)i);
    for (int i = 0; i < HELD; i++)
        future_wait(fs[i]);
    for (int i = 0; i < HELD; i++)
        CHECK_BYTES(future_get(fs[i]), MB / 2 + i, i);
    for (int i = 0; i < HELD; i += 2)
        future_free(fs[i]);
    pool_value big = pool_apply(p, make, 9 * MB, 5);
    pool_value mid = pool_apply(p, make, MB, 6);
    pool_value small = pool_apply(p, make, 50, 7);
    pool_value mine = pool_bytes("abc", 3);
    pool_destroy(p);    /* frees the other futures */
    CHECK_BYTES(big, 9 * MB, 5);
    CHECK_BYTES(mid, MB, 6);
    CHECK_BYTES(small, 50, 7);
    pool_value_free(big);
    pool_value_free(mid);
    pool_value_free(small);
    pool_value_free(mine);   /* the program's own bytes: left alone */
    CHECK(memcmp(pool_as_bytes(mine, NULL), "abc", 3) == 0, "pool_bytes' memory changed");

    /* pool_bytes_alloc in the master: malloc()ed, freed by pool_value_free. */
    void *room;
    pool_value v = pool_bytes_alloc(1000, &room);
    CHECK(room != NULL && v.kind == POOL_BYTES && pool_as_bytes(v, NULL) == room, "alloc");
    memset(room, 1, 1000);
    pool_value_free(v);
    v = pool_bytes_alloc(POOL_MAX_BYTES + 1, &room);
    CHECK(room == NULL, "room over the limit");
    CHECK_ERROR(v, "PoolError", "POOL_MAX_BYTES");
    pool_value_free(v);
    printf("lifetime: ok\n");
}

/* Wrong kinds and sizes give errors with a place, never a crash. */
static void errors(void)
{
    pool *p = pool_create(2);
    pool_value v = pool_apply(p, want_bytes, 5);
    CHECK_ERROR(v, "TypeError", "want_bytes()", "1st argument must be bytes, not an integer");
    pool_value_free(v);
    v = pool_apply(p, check_arg, "text", 1);
    CHECK_ERROR(v, "TypeError", "must be bytes, not a string");
    pool_value_free(v);
    v = pool_apply(p, fma3, pool_bytes("x", 1), 1, 2);
    CHECK_ERROR(v, "TypeError", "fma3()", "must be an integer, not bytes");
    pool_value_free(v);
    v = pool_apply(p, too_big, (long)POOL_MAX_BYTES + 1);
    CHECK_ERROR(v, "PoolError", "pool_bytes_alloc", "at most");
    pool_value_free(v);
    /* Over the limit as an argument: refused before a byte is read. */
    static const char one = 1;
    v = pool_apply(p, check_arg, pool_bytes(&one, POOL_MAX_BYTES + 1), 1);
    CHECK_ERROR(v, "PoolError", "more than one call carries");
    pool_value_free(v);
    /* The pool is fine after all that. */
    unsigned char *buf = pattern_buf(MB, 1);
    v = pool_apply(p, echo, pool_bytes(buf, MB));
    CHECK_BYTES(v, MB, 1);
    pool_value_free(v);
    free(buf);
    pool_destroy(p);
    printf("errors: ok\n");
}

/* Under a file size limit (RLIMIT_FSIZE) that 100 MB do not fit in, an
 * argument or a result that large fails with a PoolError that names it. */
static void fsize(void)
{
    struct rlimit rl = {.rlim_cur = 64 * MB, .rlim_max = RLIM_INFINITY};
    getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = 64 * MB;
    CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0, "setrlimit: %s", strerror(errno));
    pool *p = pool_create(2);
    size_t n = 100 * MB;
    unsigned char *buf = malloc(n);
    memset(buf, 3, n);
    pool_value v = pool_apply(p, echo, pool_bytes(buf, n));
    CHECK_ERROR(v, "PoolError", "RLIMIT_FSIZE", "ulimit -f");
    pool_value_free(v);
    v = pool_apply(p, make, (long)n, 1);
    CHECK_ERROR(v, "PoolError", "the result could not be sent", "RLIMIT_FSIZE");
    pool_value_free(v);
    free(buf);
    v = pool_apply(p, make, 10 * MB, 2);     /* under the limit: fine */
    CHECK_BYTES(v, 10 * MB, 2);
    pool_value_free(v);
    pool_destroy(p);
    printf("fsize: ok\n");
}

/* One round of workers that die holding bytes, and calls that must come
 * out right after them. */
static void crash_round(pool *p, const unsigned char *buf)
{
    for (int i = 0; i < 2; i++) {
        pool_value v = pool_apply(p, alloc_abort, 2 * MB);
        CHECK_ERROR(v, "WorkerDied", "SIGABRT", "alloc_abort");
        pool_value_free(v);
    }
    /* Three made, one returned: the other two come back too. */
    pool_value v = pool_apply(p, three, MB);
    CHECK_BYTES(v, MB, 1);
    pool_value_free(v);
    /* Killed from outside with its result written. */
    future *f = pool_apply_async(p, alloc_wait, 2 * MB);
    pid_t pid;
    CHECK(read(pid_pipe[0], &pid, sizeof pid) == sizeof pid, "read the PID");
    kill(pid, SIGKILL);
    CHECK_ERROR(future_get(f), "WorkerDied", "SIGKILL");
    future_free(f);
    /* Stopped by future_kill with its result written. */
    f = pool_apply_async(p, alloc_wait, 2 * MB);
    CHECK(read(pid_pipe[0], &pid, sizeof pid) == sizeof pid, "read the PID");
    CHECK(future_kill(f) == 0, "future_kill: %s", pool_last_error());
    CHECK_ERROR(future_get(f), "Cancelled");
    future_free(f);
    /* Nothing spoiled: the next results are right. */
    v = pool_apply(p, make, 2 * MB - 1000, 10);
    CHECK_BYTES(v, 2 * MB - 1000, 10);
    pool_value_free(v);
    v = pool_apply(p, echo, pool_bytes(buf, 2 * MB));
    CHECK_BYTES(v, 2 * MB, 4);
    pool_value_free(v);
}

/* Workers that die holding bytes (abort() after pool_bytes_alloc, SIGKILL
 * or future_kill with the result written): each call fails, the extents come back (the
 * blob file stops growing after the first round), and the next calls get
 * right bytes. */
static void crash(void)
{
    pool *p = pool_create(2);
    unsigned char *buf = pattern_buf(2 * MB, 4);
    crash_round(p, buf);
    off_t size0, used0;
    blob_file(&size0, &used0);
    for (int r = 0; r < 4; r++)
        crash_round(p, buf);
    check_no_growth(size0);
    free(buf);
    pool_destroy(p);
    printf("crash: ok\n");
}

/* The id the first call of a new pool gets. */
static unsigned long first_id(void)
{
    pool *p = pool_create(1);
    future *f = pool_apply_async(p, make_small, 1, 1);
    unsigned long id = future_id(f);
    pool_destroy(p);
    return id;
}

/* Calls tried again after their worker died (pool_set_retries): a large
 * argument reaches the second try whole (POOL_FAULT=crash1:ID kills the
 * first), and a first try that dies holding the bytes it made leaks them
 * not: the second try's bytes come back right. */
static void retry(void)
{
    unsigned long id = first_id();
    char spec[200];
    snprintf(spec, sizeof spec, "crash1:%lu,crash1:%lu", id, id + 2);
    setenv("POOL_FAULT", spec, 1);
    pool *p = pool_create(2);
    CHECK(pool_set_retries(p, 1) == 0, "pool_set_retries");
    unsigned char *buf = pattern_buf(2 * MB, 6);
    off_t size0 = 0, used;
    for (int i = 0; i < 12; i++) {
        future *f = i % 2 == 0 ? pool_apply_async(p, echo, pool_bytes(buf, 2 * MB))
                               : pool_apply_async(p, once_abort, 2 * MB, i);
        if (i % 2 == 0)
            CHECK_BYTES(future_get(f), 2 * MB, 6);
        else
            CHECK_BYTES(future_get(f), 2 * MB, i);
        int want = i % 2 == 1 || i == 0 || i == 2 ? 2 : 1;
        CHECK(future_tries(f) == want, "call %d: %d tries, not %d", i, future_tries(f), want);
        future_free(f);
        if (i == 3)
            blob_file(&size0, &used);
    }
    check_no_growth(size0);
    unsetenv("POOL_FAULT");
    free(buf);
    pool_destroy(p);
    printf("retry: ok\n");
}

/* Calls with a large bytes argument whose worker dies before they begin
 * (POOL_FAULT=crash:ID): they fail, their argument's extent comes back. */
static void fault(void)
{
    unsigned long id = first_id();
    char spec[200];
    snprintf(spec, sizeof spec, "crash:%lu,crash:%lu,crash:%lu,crash:%lu", id + 1, id + 4,
             id + 7, id + 10);
    setenv("POOL_FAULT", spec, 1);
    pool *p = pool_create(2);
    unsigned char *buf = pattern_buf(2 * MB, 4);
    off_t size0 = 0, used0;
    for (int i = 0; i < 12; i++) {
        future *f = pool_apply_async(p, check_arg, pool_bytes(buf, 2 * MB), 4);
        bool crashed = i % 3 == 1 && i < 11;
        CHECK(future_id(f) == id + (unsigned long)i, "call %d has id %lu", i, future_id(f));
        if (crashed)
            CHECK_ERROR(future_get(f), "WorkerDied", "SIGSEGV");
        else
            CHECK_INT(future_get(f), 2 * MB);
        future_free(f);
        if (i == 2)
            blob_file(&size0, &used0);
    }
    check_no_growth(size0);
    unsetenv("POOL_FAULT");
    free(buf);
    pool_destroy(p);
    printf("fault: ok\n");
}

/* Bytes in maps: inputs and results, pool_map, imap and map_async. */
static void maps(void)
{
    pool *p = pool_create(2);
    enum { N = 60 };
    unsigned char *bufs[N];
    pool_value in[N], out[N];
    for (int i = 0; i < N; i++) {
        size_t n = (size_t)(i % 3 == 0 ? 10 : i % 3 == 1 ? 1000 : 50000) + (size_t)i;
        bufs[i] = pattern_buf(n, (unsigned)i);
        in[i] = pool_bytes(bufs[i], n);
    }
    int failed = pool_map(p, map_item, in, N, out);
    CHECK(failed == 0, "%d inputs failed", failed);
    for (int i = 0; i < N; i++) {
        CHECK_BYTES(out[i], in[i].as.b.n, i + 1);
        pool_value_free(out[i]);
    }
    pool_imap *m = pool_imap_unordered(p, map_item, in, N, 4);
    size_t at;
    int seen = 0;
    while (pool_imap_next(m, &at, &out[0]) == 1) {
        CHECK_BYTES(out[0], in[at].as.b.n, at + 1);
        pool_value_free(out[0]);
        seen++;
    }
    CHECK(seen == N, "imap gave %d of %d", seen, N);
    pool_imap_free(m);
    pool_map_result *ma = pool_map_async(p, map_item, in, N, out);
    CHECK(pool_map_wait(ma, -1) == 0, "map_async failed");
    pool_map_free(ma);
    for (int i = 0; i < N; i++) {
        CHECK_BYTES(out[i], in[i].as.b.n, i + 1);
        pool_value_free(out[i]);
    }
    for (int i = 0; i < N; i++)
        free(bufs[i]);
    pool_destroy(p);
    printf("maps: ok\n");
}

/* Extents go from results to the next arguments and back (a chunk's
 * results in its arguments' extent, the master's kept result extents for
 * its next arguments), across sizes that fit and sizes that do not:
 * every byte comes where it should, and the blob file stops growing. */
static void recycle(void)
{
    static const size_t ns[] = {233, 300, 4000, 4096, 5000, 9000, 16000, 17000};
    enum { N = 2000 };
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    pool_value in[N], out[N];
    off_t size0 = 0, used;
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < N; i++)
            in[i] = pool_int(i + round);
        /* chunks of 10 and 40 ints (over a slot): results as ints, then
         * as strings too long for the arguments' extent */
        size_t chunk = round % 2 ? 10 : 40;
        CHECK(pool_map_chunked(p, square_of, in, N, out, chunk) == 0, "map failed");
        for (int i = 0; i < N; i++)
            CHECK_INT(out[i], (long)(i + round) * (i + round));
        CHECK(pool_map_chunked(p, long_name, in, N, out, chunk) == 0, "map failed");
        for (int i = 0; i < N; i++) {
            char want[32];
            int n = snprintf(want, sizeof want, "%d:", i + round);
            const char *got = pool_as_str(out[i]);
            CHECK(strncmp(got, want, (size_t)n) == 0 &&
                  strlen(got) == (size_t)(300 + (i + round) % 50),
                  "input %d of round %d came back as %.40s", i, round, got);
            pool_value_free(out[i]);
        }
        /* bytes around the sizes of the kept extents, there and back */
        for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
            size_t n = ns[(k + (size_t)round) % (sizeof ns / sizeof ns[0])];
            unsigned seed = (unsigned)(round * 8 + (int)k);
            unsigned char *buf = pattern_buf(n, seed);
            pool_value v = pool_apply(p, echo, pool_bytes(buf, n));
            CHECK_BYTES(v, n, seed);
            pool_value_free(v);
            free(buf);
        }
        if (round == 3)
            blob_file(&size0, &used);
    }
    check_no_growth(size0);
    pool_destroy(p);
    printf("recycle: ok\n");
}

static int cb_ok;

static void on_bytes(future *f, void *arg)
{
    (void)arg;
    size_t n;
    const unsigned char *b = pool_as_bytes(future_get(f), &n);
    if (n == 3 * MB && differs(b, n, 8) == n)
        __atomic_add_fetch(&cb_ok, 1, __ATOMIC_SEQ_CST);
    future_free(f);
}

/* A bytes result read in a callback, on the watcher thread. */
static void callback(void)
{
    pool *p = pool_create(2);
    for (int i = 0; i < 4; i++) {
        future *f = pool_apply_async(p, make, 3 * MB, 8);
        CHECK(future_on_done(f, on_bytes, NULL, NULL) == 0, "future_on_done");
    }
    pool_close(p);
    CHECK(pool_join(p) == 0, "pool_join");
    CHECK(__atomic_load_n(&cb_ok, __ATOMIC_SEQ_CST) == 4, "%d callbacks saw their bytes", cb_ok);
    pool_destroy(p);
    printf("callback: ok\n");
}

/* pool_starmap: rows of three, chunked as pool_map; doubles in bytes. */
static void starmap(void)
{
    pool *p = pool_create(2);
    enum { N = 100 };
    pool_value in[N * 3], out[N];
    for (int i = 0; i < N; i++) {
        in[3 * i] = pool_int(i);
        in[3 * i + 1] = pool_int(i + 1);
        in[3 * i + 2] = pool_int(7);
    }
    CHECK(pool_starmap(p, fma3, in, N, 3, out) == 0, "starmap failed");
    for (int i = 0; i < N; i++)
        CHECK_INT(out[i], (long)i * (i + 1) + 7);
    /* Chunks of 10 rows: ten tasks. */
    CHECK(pool_starmap_chunked(p, fma3, in, N, 3, out, 10) == 0, "chunked starmap");
    for (int i = 0; i < N; i++)
        CHECK_INT(out[i], (long)i * (i + 1) + 7);
    /* Rows with bytes and strings. */
    double xs[4][50];
    pool_value rows[8];
    for (int r = 0; r < 4; r++) {
        for (int k = 0; k < 50; k++)
            xs[r][k] = r + k;
        rows[2 * r] = pool_bytes(xs[r], sizeof xs[r]);
        rows[2 * r + 1] = pool_double(r + 1.0);
    }
    CHECK(pool_starmap(p, scaled_sum, rows, 4, 2, out) == 0, "starmap of bytes");
    for (int r = 0; r < 4; r++) {
        double want = (50.0 * r + 1225.0) * (r + 1);
        CHECK(out[r].kind == POOL_DOUBLE && out[r].as.d == want, "row %d: %g", r,
              pool_as_double(out[r]));
    }
    pool_destroy(p);
    printf("starmap: ok\n");
}

/* Wrong arity: each row fails with the function's TypeError; bad calls. */
static void starmap_errors(void)
{
    pool *p = pool_create(2);
    enum { N = 20 };
    pool_value in[N * 2], out[N];
    for (int i = 0; i < N * 2; i++)
        in[i] = pool_int(i);
    CHECK(pool_starmap(p, fma3, in, N, 2, out) == N, "every row must fail");
    for (int i = 0; i < N; i++) {
        CHECK_ERROR(out[i], "TypeError", "fma3() takes 3 arguments but 2 were given");
        pool_value_free(out[i]);
    }
    errno = 0;
    CHECK(pool_starmap(p, fma3, in, N, 0, out) == -1 && errno == EINVAL, "argc 0");
    CHECK(pool_starmap(p, fma3, in, N, POOL_MAX_ARGS + 1, out) == -1 && errno == EINVAL,
          "argc over the limit");
    CHECK(strstr(pool_last_error(), "pool_starmap") != NULL, "message: %s", pool_last_error());
    CHECK(pool_starmap(p, fma3, NULL, N, 3, out) == -1 && errno == EINVAL, "no inputs");
    CHECK(pool_starmap(p, fma3, in, 0, 3, out) == 0, "no rows");
    pool_destroy(p);
    printf("starmap_errors: ok\n");
}

/* A worker dies in the middle of a chunk: only the row that kills it
 * fails; the chunk's other rows run again one to a task. */
static void starmap_crash(void)
{
    pool *p = pool_create(2);
    enum { N = 40 };
    pool_value in[N * 3], out[N];
    for (int i = 0; i < N; i++) {
        in[3 * i] = pool_int(i);
        in[3 * i + 1] = pool_int(2);
        in[3 * i + 2] = pool_int(i == 13 ? -1 : 1);
    }
    int failed = pool_starmap_chunked(p, fma3, in, N, 3, out, 8);
    CHECK(failed == 1, "%d rows failed, not 1", failed);
    for (int i = 0; i < N; i++) {
        if (i == 13)
            CHECK_ERROR(out[i], "WorkerDied", "SIGABRT", "fma3");
        else
            CHECK_INT(out[i], 2L * i + 1);
        pool_value_free(out[i]);
    }
    pool_destroy(p);
    printf("starmap_crash: ok\n");
}

/* A task that makes a pool of its own and sends it bytes. */
static void nest(void)
{
    pool *p = pool_create(2);
    for (size_t n = 100; n <= 4 * MB; n *= 40) {
        unsigned char *buf = pattern_buf(n, 12);
        pool_value v = pool_apply(p, nested, pool_bytes(buf, n));
        CHECK_BYTES(v, n, 12);
        pool_value_free(v);
        free(buf);
    }
    pool_destroy(p);
    printf("nest: ok\n");
}

/* pool_map_array's slices: squares of longs; points to their lengths as
 * doubles (other sizes in and out); one element past the slice. */
static void square_slice(const void *in, void *out, size_t count)
{
    const long *x = in;
    long *y = out;
    for (size_t i = 0; i < count; i++)
        y[i] = x[i] * x[i];
}

struct point3 { int x, y, z; };

static void length_slice(const void *in, void *out, size_t count)
{
    const struct point3 *pt = in;
    double *len = out;
    for (size_t i = 0; i < count; i++)
        len[i] = pt[i].x + pt[i].y + pt[i].z;
}

static void past_slice(const void *in, void *out, size_t count)
{
    const long *x = in;
    long *y = out;
    for (size_t i = 0; i <= count; i++)     /* one too many */
        y[i] = x[i < count ? i : 0];
}

/* pool_map_array: every element right, any chunk size, other element
 * sizes; a function that writes one element past its slice fails the map
 * with a message that says so, and the pool goes on; bad calls refused. */
static void array(void)
{
    pool *p = pool_create(2);
    size_t n = 100003;
    long *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out);
    CHECK(in && out, "malloc");
    for (size_t i = 0; i < n; i++)
        in[i] = (long)i - 500;
    size_t chunks[] = {0, 1, 7, 4096, n, 2 * n};
    for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        memset(out, 0, n * sizeof *out);
        size_t m = chunks[k] == 1 ? 300 : n;    /* a task per element: fewer */
        CHECK(pool_map_array_named(p, square_slice, "square_slice", in, sizeof *in, out,
                                   sizeof *out, m, chunks[k]) == 0,
              "chunk %zu: %s", chunks[k], pool_last_error());
        for (size_t i = 0; i < m; i++)
            CHECK(out[i] == in[i] * in[i], "chunk %zu: out[%zu] = %ld, not %ld", chunks[k], i,
                  out[i], in[i] * in[i]);
    }
    struct point3 pts[1001];
    double len[1001];
    for (int i = 0; i < 1001; i++)
        pts[i] = (struct point3){i, 2 * i, -i};
    CHECK(pool_map_array(p, length_slice, pts, sizeof *pts, len, sizeof *len, 1001) == 0,
          "points: %s", pool_last_error());
    for (int i = 0; i < 1001; i++)
        CHECK(len[i] == 2.0 * i, "len[%d] = %g", i, len[i]);
    /* Slices of 8 and of 7 longs: past the end hits the guard page, or the
     * pattern before it. */
    for (size_t chunk = 7; chunk <= 8; chunk++) {
        CHECK(pool_map_array_named(p, past_slice, "past_slice", in, sizeof *in, out,
                                   sizeof *out, 64, chunk) == -1 && errno == EIO,
              "a slice written past its end was not caught");
        CHECK(strstr(pool_last_error(), "past_slice[0..") &&
              strstr(pool_last_error(), "wrote past the end of its pool_bytes_alloc room"),
              "the message: %s", pool_last_error());
    }
    CHECK(pool_map_array(p, square_slice, in, sizeof *in, out, sizeof *out, 0) == 0,
          "no elements");
    CHECK(pool_map_array(p, NULL, in, sizeof *in, out, sizeof *out, 10) == -1 &&
          errno == EINVAL, "no function");
    CHECK(pool_map_array(p, square_slice, in, 0, out, sizeof *out, 10) == -1 &&
          errno == EINVAL, "size 0");
    memset(out, 0, 10 * sizeof *out);
    CHECK(pool_map_array(p, square_slice, in, sizeof *in, out, sizeof *out, 10) == 0 &&
          out[9] == in[9] * in[9], "the pool goes on: %s", pool_last_error());
    free(in);
    free(out);
    pool_destroy(p);
    printf("array: ok\n");
}

/* Misuse: asking an int for its bytes aborts with a message. */
static void wrong_kind(void)
{
    pool_as_bytes(pool_int(3), NULL);
}

int main(int argc, char **argv)
{
    static const check_cmd cmds[] = {
        {"sizes", sizes}, {"kinds", kinds}, {"lifetime", lifetime}, {"errors", errors},
        {"fsize", fsize}, {"crash", crash}, {"fault", fault}, {"maps", maps},
        {"callback", callback}, {"starmap", starmap}, {"starmap_errors", starmap_errors},
        {"starmap_crash", starmap_crash}, {"nest", nest}, {"retry", retry},
        {"array", array}, {"wrong_kind", wrong_kind}, {"recycle", recycle},
    };
    CHECK(pipe(pid_pipe) == 0, "pipe");
    tries = mmap(NULL, sizeof *tries, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(tries != MAP_FAILED, "mmap");
    check_run(cmds, sizeof cmds / sizeof cmds[0], argc, argv);
    return 0;
}
