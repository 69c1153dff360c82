/*
 * walls.c - a task's memory bugs and descriptor games never reach another
 * call, the pool or the master. One sub-command per case:
 *
 *   walls CMD...
 *
 *   overrun_zero   tasks write one double of 0 past their pool_bytes_alloc
 *                  room, among 320 good calls, for rooms of several sizes
 *   overrun_byte   the same with one stray non-zero byte
 *   strcat         a task strcat()s 48 bytes onto its string argument while
 *                  other calls are in flight
 *   closefds       a task closes every descriptor from 3 up, opens a file of
 *                  its own and writes it, then returns bytes
 *   dupfds         the same, and its file is dup2()ed over descriptors 4-63
 *   kept [N]       N bytes results of 1000 bytes kept alive at once
 *                  (default 100000; more than vm.max_map_count mappings)
 *   rlimit_as      a 256 MB result while the master is under RLIMIT_AS
 *   idle_kill [K]  K kill -9s of workers while they wait for work (1000)
 *   scribble_zero  a task zeroes the pool's shared mappings (its header and
 *                  ring among them)
 *   scribble_ones  the same with 0xff bytes
 *
 * Written against pool.h and the behaviour it promises, not against the
 * runtime's insides: the only thing taken from them is where a room is
 * likely to end (rooms of 504 and 1016 doubles fill 4 KiB and 8 KiB).
 * Each sub-command prints "CMD: ok ..." when every check holds; a failed
 * check prints "FAIL file:line: ..." and exits 1 (check.h). Every wait has
 * a bound, so a hang is a failure with a message; tests/walls.bats adds a
 * timeout over the whole program.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "check.h"

#define MB (1024 * 1024)

/* How long any one call may take before the test calls it a hang. */
enum { BOUND = 10 };

/* f completes within BOUND seconds; what names the call in the message. */
static pool_value get_bounded(future *f, const char *what)
{
    CHECK(f != NULL, "%s: no future: %s", what, pool_last_error());
    CHECK(future_wait_for(f, BOUND), "%s (task %lu) did not complete within %d s",
          what, future_id(f), BOUND);
    return future_get(f);
}

/* The value a good call's double i holds. */
static double good_double(long call, size_t i)
{
    return (double)call * 4096.0 + (double)i + 0.25;
}

/* Tasks. ------------------------------------------------------------------- */

static pool_value add(pool_args a)
{
    pool_expect_args(a, 2);
    return pool_int(pool_arg_int(a, 0) + pool_arg_int(a, 1));
}

/* (call, n): n doubles written in place, each good_double(call, i). */
static pool_value fill(pool_args a)
{
    pool_expect_args(a, 2);
    long call = pool_arg_int(a, 0);
    size_t n = (size_t)pool_arg_int(a, 1);
    void *room;
    pool_value v = pool_bytes_alloc(n * sizeof(double), &room);
    double *y = room;
    for (size_t i = 0; i < n; i++)
        y[i] = good_double(call, i);
    return v;
}

/* (n, stray): the off-by-one a student writes, `i <= n`. stray 0 writes
 * y[n] = 0.0; otherwise the one byte just past the room gets stray. */
static pool_value fill_one_too_many(pool_args a)
{
    pool_expect_args(a, 2);
    size_t n = (size_t)pool_arg_int(a, 0);
    long stray = pool_arg_int(a, 1);
    void *room;
    pool_value v = pool_bytes_alloc(n * sizeof(double), &room);
    double *y = room;
    for (size_t i = 0; i < n; i++)
        y[i] = 1.0;
    if (stray == 0)
        y[n] = 0.0;
    else
        ((volatile unsigned char *)room)[n * sizeof(double)] = (unsigned char)stray;
    return v;
}

/* (s): 48 bytes strcat()ed onto the string argument, in place. */
static pool_value grow_arg(pool_args a)
{
    pool_expect_args(a, 1);
    char *s = (char *)pool_arg_str(a, 0);     /* the bug: it is not ours to write */
    strcat(s, "0123456789abcdef0123456789abcdef0123456789abcdef");
    return pool_int((long)strlen(s));
}

/* Byte i of the bytes the descriptor-closing task returns. */
static unsigned char dpattern(size_t i)
{
    return (unsigned char)(i * 7 + 3);
}

#define OWN_WORDS "written by the task, and by nobody else\n"
enum { DAEMON_BYTES = 64 * 1024 };

/* (path, dups): close every descriptor from 3 up, as a daemon does, open
 * path (it gets descriptor 3) and write OWN_WORDS; with dups, put the file
 * on descriptors 4-63 too. Then return DAEMON_BYTES of dpattern, keeping
 * the file open. */
static pool_value daemonize(pool_args a)
{
    pool_expect_args(a, 2);
    char path[512];
    snprintf(path, sizeof path, "%s", pool_arg_str(a, 0));
    long dups = pool_arg_int(a, 1);
    if (syscall(SYS_close_range, 3u, ~0u, 0u) == -1)
        for (int fd = 3; fd < 4096; fd++)
            close(fd);
    int fd = open(path, O_RDWR | O_TRUNC);
    if (fd == -1)
        return pool_error("OSError", "open %s: %s", path, strerror(errno));
    if (write(fd, OWN_WORDS, strlen(OWN_WORDS)) != (ssize_t)strlen(OWN_WORDS))
        return pool_error("OSError", "write %s: %s", path, strerror(errno));
    for (int d = 4; dups && d < 64; d++)
        dup2(fd, d);
    void *room;
    pool_value v = pool_bytes_alloc(DAEMON_BYTES, &room);
    unsigned char *p = room;
    for (size_t i = 0; i < DAEMON_BYTES; i++)
        p[i] = dpattern(i);
    return v;
}

/* Whether path is mapped in this process (/proc/self/maps names it). */
static bool maps_file(const char *path)
{
    FILE *f = fopen("/proc/self/maps", "r");
    CHECK(f != NULL, "cannot read /proc/self/maps");
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, path) != NULL;
    fclose(f);
    return found;
}

/* (path): 1 if this worker maps path, else 0. */
static pool_value maps_path(pool_args a)
{
    pool_expect_args(a, 1);
    return pool_int(maps_file(pool_arg_str(a, 0)));
}

/* Byte j of kept result i. */
static unsigned char kpattern(long i, size_t j)
{
    return (unsigned char)(i * 31 + (long)j);
}

enum { KEPT_BYTES = 1000 };

/* (i): KEPT_BYTES of kpattern(i, .). */
static pool_value kept_result(pool_args a)
{
    pool_expect_args(a, 1);
    long i = pool_arg_int(a, 0);
    void *room;
    pool_value v = pool_bytes_alloc(KEPT_BYTES, &room);
    unsigned char *p = room;
    for (size_t j = 0; j < KEPT_BYTES; j++)
        p[j] = kpattern(i, j);
    return v;
}

/* (n): n bytes, only the first and last written (the rest are zero). */
static pool_value big_result(pool_args a)
{
    pool_expect_args(a, 1);
    size_t n = (size_t)pool_arg_int(a, 0);
    void *room;
    pool_value v = pool_bytes_alloc(n, &room);
    unsigned char *p = room;
    p[0] = 1;
    p[n - 1] = 2;
    return v;
}

/* (byte): fill every shared writable mapping of this process (the pool's
 * region: its header, its ring; its extents) with byte, at most 16 MB of
 * each. Returns how many mappings it wrote. */
static pool_value scribble(pool_args a)
{
    pool_expect_args(a, 1);
    int byte = (int)pool_arg_int(a, 0);
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL)
        return pool_error("OSError", "/proc/self/maps: %s", strerror(errno));
    struct { uintptr_t lo, hi; } maps[64];
    int n = 0;
    char line[512];
    while (n < 64 && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 &&
            perms[0] == 'r' && perms[1] == 'w' && perms[3] == 's')
            maps[n++] = (typeof(maps[0])){lo, hi};
    }
    fclose(f);
    for (int i = 0; i < n; i++) {
        size_t len = maps[i].hi - maps[i].lo;
        memset((void *)maps[i].lo, byte, len < 16 * MB ? len : 16 * MB);
    }
    return pool_int(n);
}

/* Sub-commands. ------------------------------------------------------------ */

enum { GOOD_CALLS = 320, BAD_EVERY = 40 };

/* 320 good calls, each a room of n doubles (and one in eight an int), and
 * one bad call after every 40 that writes one past its room; all made
 * before any result is read, so results wait side by side. Every good
 * call must give its exact value; every bad call must fail, saying
 * pool_bytes_alloc (a WorkerDied "wrote past the end of its
 * pool_bytes_alloc room", or a check when the call finished). A master
 * that aborts fails the test by its exit status. */
static void overrun(long stray)
{
    static const size_t sizes[] = {504, 1016, 1000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        pool *p = pool_create(2);
        CHECK(p != NULL, "pool_create: %s", pool_last_error());
        enum { TOTAL = GOOD_CALLS + GOOD_CALLS / BAD_EVERY };
        future *f[TOTAL];
        bool bad[TOTAL];
        int made = 0;
        for (long good = 0; good < GOOD_CALLS; good++) {
            if (good % BAD_EVERY == BAD_EVERY / 2) {
                bad[made] = true;
                f[made++] = pool_apply_async(p, fill_one_too_many, (long)n, stray);
            }
            bad[made] = false;
            if (good % 8 == 7)
                f[made++] = pool_apply_async(p, add, good, 1);
            else
                f[made++] = pool_apply_async(p, fill, good, (long)n);
        }
        CHECK(made == TOTAL, "%d calls made, not %d", made, TOTAL);
        int none = 0, garbled = 0, bad_ok = 0;
        long good = 0;
        char what[64], buf[300];
        for (int i = 0; i < made; i++) {
            snprintf(what, sizeof what, "call %d (room of %zu doubles)", i, n);
            pool_value v = get_bounded(f[i], what);
            if (bad[i]) {
                if (!pool_is_error(v))
                    bad_ok++;
                else
                    CHECK(strstr(pool_error_message(v), "pool_bytes_alloc") != NULL,
                          "%s wrote past its room and failed, but its %s does not "
                          "say pool_bytes_alloc: %s", what, pool_error_type(v),
                          pool_error_message(v));
                continue;
            }
            if (good % 8 == 7) {
                if (!(v.kind == POOL_INT && v.as.i == good + 1))
                    garbled++;
            } else if (v.kind == POOL_NONE) {
                none++;
            } else if (v.kind != POOL_BYTES) {
                garbled++;
                fprintf(stderr, "%s: %s\n", what, pool_value_format(v, buf, sizeof buf));
            } else {
                size_t len;
                const double *y = pool_as_bytes(v, &len);
                bool right = len == n * sizeof(double);
                for (size_t j = 0; right && j < n; j++)
                    right = y[j] == good_double(good, j);
                garbled += !right;
            }
            good++;
        }
        CHECK(none == 0 && garbled == 0,
              "rooms of %zu doubles: %d of %d good calls came back as none and %d "
              "wrong, after tasks wrote past their rooms", n, none, GOOD_CALLS, garbled);
        CHECK(bad_ok == 0, "rooms of %zu doubles: %d of %d tasks wrote past their "
              "pool_bytes_alloc room and their calls succeeded", n, bad_ok,
              GOOD_CALLS / BAD_EVERY);
        pool_destroy(p);
    }
}

/* (x): a room of 100 bytes; input 7 writes one byte past it (into the
 * few bytes before the guard page). */
static pool_value map_one_over(pool_args a)
{
    long x = pool_arg_int(a, 0);
    char *r;
    pool_value v = pool_bytes_alloc(100, (void **)&r);
    memset(r, 'x', x == 7 ? 101 : 100);
    return v;
}

/* A map's chunk in which one input writes past its room: only that input
 * fails; the others of its chunk keep their results. */
static void cmd_overrun_chunk(void)
{
    pool *p = pool_create(1);
    pool_value in[10], out[10];
    for (int i = 0; i < 10; i++)
        in[i] = pool_int(i);
    int failed = pool_map_chunked(p, map_one_over, in, 10, out, 5);
    CHECK(failed == 1, "%d inputs failed, not 1 (input 7 wrote past its room)", failed);
    for (int i = 0; i < 10; i++) {
        if (i == 7)
            CHECK(pool_is_error(out[i]) &&
                  strstr(pool_error_message(out[i]), "pool_bytes_alloc room of 100 bytes"),
                  "input 7: %s", pool_error_message(out[i]));
        else
            CHECK(out[i].kind == POOL_BYTES, "input %d (of the same chunk) failed: %s", i,
                  pool_error_message(out[i]));
        pool_value_free(out[i]);
    }
    pool_destroy(p);
    printf("overrun_chunk: ok\n");
}

/* (how): closes every descriptor from 3 up, one by one (0) or with one
 * close_range (1), and returns nothing that needs shared memory. */
static pool_value closer(pool_args a)
{
    if (pool_arg_int(a, 0))
        syscall(SYS_close_range, 3, ~0u, 0);
    else
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    return pool_none();
}

/* (n, big): a result of n bytes of 'S'; big: an argument of that many bytes. */
static pool_value innocent(pool_args a)
{
    long n = pool_arg_int(a, 0);
    size_t len = 0;
    if (a.count > 1)
        pool_arg_bytes(a, 1, &len);
    void *r;
    pool_value v = pool_bytes_alloc((size_t)n, &r);
    memset(r, 'S', (size_t)n);
    return len == (size_t)n || a.count == 1 ? v : pool_error("WrongArgument", "%zu bytes", len);
}

/* A task closes the pool's descriptors and itself needs nothing more: the
 * calls after it on the same one-worker pool (a large result, a large
 * argument) are innocent and must work. */
static void cmd_closer_then_innocent(void)
{
    size_t big = 20u << 20;
    char *buf = malloc(big);
    CHECK(buf != NULL, "malloc");
    memset(buf, 1, big);
    for (int how = 0; how < 2; how++) {
        pool *p = pool_create(1);
        future *a = pool_apply_async(p, closer, how);
        future *b = pool_apply_async(p, innocent, 100000L);
        future *c = pool_apply_async(p, innocent, (long)big, pool_bytes(buf, big));
        pool_value v = get_bounded(a, "the closing call");
        CHECK(!pool_is_error(v), "the closing call failed: %s", pool_error_message(v));
        v = get_bounded(b, "an innocent call after it (a result of 100000 bytes)");
        CHECK(v.kind == POOL_BYTES, "%s: an innocent call after it failed: %s",
              how ? "close_range" : "close", pool_error_message(v));
        v = get_bounded(c, "an innocent call after it (an argument of 20 MB)");
        CHECK(v.kind == POOL_BYTES, "%s: an innocent call with 20 MB failed: %s",
              how ? "close_range" : "close", pool_error_message(v));
        future_free(a);
        future_free(b);
        future_free(c);
        pool_destroy(p);
    }
    free(buf);
    printf("closer_then_innocent: ok\n");
}

static void cmd_overrun_zero(void)
{
    overrun(0);
    printf("overrun_zero: ok\n");
}

static void cmd_overrun_byte(void)
{
    overrun(0x5a);
    printf("overrun_byte: ok\n");
}

/* A task strcat()s 48 bytes onto its 223-character argument while 200
 * other calls are in flight, four times. Each other call completes with
 * its value. The bad calls themselves may succeed (the task wrote into a
 * copy of its own) or fail (it wrote into memory it may not write, and
 * its worker died): either is right, so neither is checked. */
static void cmd_strcat(void)
{
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    char s[224];
    memset(s, 'a', 223);
    s[223] = '\0';
    enum { CALLS = 200, BAD = 4 };
    future *f[CALLS], *b[BAD];
    int nb = 0;
    for (long i = 0; i < CALLS; i++) {
        if (i % (CALLS / BAD) == 10)
            b[nb++] = pool_apply_async(p, grow_arg, s);
        f[i] = pool_apply_async(p, add, i, 1000);
    }
    char what[64];
    for (long i = 0; i < CALLS; i++) {
        snprintf(what, sizeof what, "call %ld of add", i);
        CHECK_INT(get_bounded(f[i], what), i + 1000);
    }
    int failed = 0;
    for (int i = 0; i < nb; i++)
        failed += pool_is_error(get_bounded(b[i], "the call that strcat()s its argument"));
    /* And the pool still works. */
    CHECK_INT(get_bounded(pool_apply_async(p, add, 1, 2), "a call after them"), 3);
    pool_destroy(p);
    printf("strcat: ok (%d of %d calls that wrote past their argument failed)\n",
           failed, nb);
}

/* The task closes every descriptor from 3 up and opens a scratch file of
 * its own (with dups, also on descriptors 4-63), then returns bytes. The
 * pool must never write into or map that file: afterwards it holds only
 * what the task wrote. The call gives its bytes, or fails with an error;
 * nobody maps it (the master, or the workers as far as four calls a round
 * see); the master lives (no SIGBUS), and later bytes calls work. */
static void daemon_case(const char *cmd, long dups)
{
    char path[] = "/tmp/walls-daemon-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd != -1, "mkstemp: %s", strerror(errno));
    close(fd);
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    const char *how = "gave its bytes";
    char buf[300];
    for (int round = 0; round < 4; round++) {
        pool_value v = get_bounded(pool_apply_async(p, daemonize, path, dups),
                                   "the call that closes its descriptors");
        if (pool_is_error(v)) {
            how = "failed";
            printf("%s: the task's call: %s\n", cmd,
                    pool_value_format(v, buf, sizeof buf));
        } else {
            CHECK(v.kind == POOL_BYTES, "the task's call gave %s",
                  pool_value_format(v, buf, sizeof buf));
            size_t n;
            const unsigned char *b = pool_as_bytes(v, &n);
            CHECK(n == DAEMON_BYTES, "the task's call gave %zu bytes, not %d", n,
                  DAEMON_BYTES);
            for (size_t i = 0; i < n; i++)
                CHECK(b[i] == dpattern(i), "byte %zu of the task's result is wrong", i);
        }
        /* The file holds the task's words and nothing else. */
        char got[4096];
        int rfd = open(path, O_RDONLY);
        CHECK(rfd != -1, "open %s: %s", path, strerror(errno));
        ssize_t n = read(rfd, got, sizeof got - 1);
        close(rfd);
        CHECK(n >= 0, "read %s: %s", path, strerror(errno));
        got[n] = '\0';
        struct stat st;
        CHECK(stat(path, &st) == 0, "stat %s", path);
        CHECK((size_t)st.st_size == strlen(OWN_WORDS) && strcmp(got, OWN_WORDS) == 0,
              "round %d: the task's own file holds %lld bytes, not only its %zu: "
              "the pool wrote into it", round, (long long)st.st_size, strlen(OWN_WORDS));
        /* Nobody maps it: not the master, not a worker. */
        CHECK(!maps_file(path), "round %d: the master maps the task's file", round);
        for (int i = 0; i < 4; i++)
            CHECK_INT(get_bounded(pool_apply_async(p, maps_path, path), "maps_path"), 0);
    }
    /* Later bytes calls, in and out, still work. */
    unsigned char in[3000];
    for (int i = 0; i < 50; i++) {
        for (size_t j = 0; j < sizeof in; j++)
            in[j] = (unsigned char)(i + j);
        pool_value v = get_bounded(pool_apply_async(p, plus_one, pool_bytes(in, sizeof in)),
                                   "a bytes call after it");
        CHECK(v.kind == POOL_BYTES, "a bytes call after it gave %s",
              pool_value_format(v, buf, sizeof buf));
        size_t n;
        const unsigned char *b = pool_as_bytes(v, &n);
        CHECK(n == sizeof in, "%zu bytes back, not %zu", n, sizeof in);
        for (size_t j = 0; j < n; j++)
            CHECK(b[j] == (unsigned char)(i + j + 1), "byte %zu of call %d is wrong", j, i);
    }
    pool_destroy(p);
    unlink(path);
    printf("%s: ok (the task's call %s)\n", cmd, how);
}

static void cmd_closefds(void) { daemon_case("closefds", 0); }
static void cmd_dupfds(void) { daemon_case("dupfds", 1); }

static long kept_count = 100000;

/* kept_count results of KEPT_BYTES, all alive at once (their futures are
 * kept), then all read back. More than vm.max_map_count (65,530): a pool
 * that maps each result apart cannot. */
static void cmd_kept(void)
{
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    future **f = calloc((size_t)kept_count, sizeof *f);
    CHECK(f != NULL, "out of memory");
    enum { WINDOW = 256 };
    char buf[300];
    for (long i = 0; i < kept_count; i++) {
        f[i] = pool_apply_async(p, kept_result, i);
        CHECK(f[i] != NULL, "call %ld: %s", i, pool_last_error());
        long j = i - WINDOW;
        if (j >= 0 || i == kept_count - 1) {
            for (long k = j < 0 ? 0 : j; k <= (i == kept_count - 1 ? i : j); k++) {
                pool_value v = get_bounded(f[k], "a kept result");
                CHECK(v.kind == POOL_BYTES, "result %ld of %ld kept: %s", k, kept_count,
                      pool_value_format(v, buf, sizeof buf));
            }
        }
    }
    for (long i = 0; i < kept_count; i++) {
        size_t n;
        const unsigned char *b = pool_as_bytes(future_get(f[i]), &n);
        CHECK(n == KEPT_BYTES, "result %ld: %zu bytes", i, n);
        for (size_t j = 0; j < n; j++)
            CHECK(b[j] == kpattern(i, j), "result %ld, byte %zu is wrong", i, j);
    }
    pool_destroy(p);
    free(f);
    printf("kept: ok (%ld results of %d bytes alive at once, all read back)\n",
           kept_count, KEPT_BYTES);
}

/* A 256 MB result under RLIMIT_AS, two ways. The master is limited after
 * its pool started (the workers are not): the call fails with a PoolError
 * that names RLIMIT_AS, or, if the master had the room already, gives the
 * result whole. The limit is set before the pool starts (as the grader's
 * sandbox does; the workers inherit it): the pool works, and the call
 * fails with a PoolError that names RLIMIT_AS. Either way the master
 * lives, and later calls (bytes among them) work. */
static void rlimit_case(pool *p, const char *when, bool may_fit)
{
    char buf[300];
    pool_value v = get_bounded(pool_apply_async(p, big_result, (long)(256 * MB)),
                               "the 256 MB result");
    if (v.kind == POOL_BYTES && may_fit) {
        size_t n;
        const unsigned char *b = pool_as_bytes(v, &n);
        CHECK(n == 256 * MB && b[0] == 1 && b[n - 1] == 2,
              "%s: the 256 MB result is wrong", when);
        printf("rlimit_as: %s: the result came whole\n", when);
    } else {
        CHECK_ERROR(v, "PoolError", "RLIMIT_AS");
        printf("rlimit_as: %s: %s\n", when, pool_value_format(v, buf, sizeof buf));
    }
    for (long i = 0; i < 20; i++)
        CHECK_INT(get_bounded(pool_apply_async(p, add, i, 5), "a call after it"), i + 5);
    unsigned char in[3000] = {0};
    v = get_bounded(pool_apply_async(p, plus_one, pool_bytes(in, sizeof in)),
                    "a bytes call after it");
    CHECK(v.kind == POOL_BYTES, "%s: a bytes call after it gave %s", when,
          pool_value_format(v, buf, sizeof buf));
    size_t n;
    const unsigned char *b = pool_as_bytes(v, &n);
    CHECK(n == sizeof in && b[0] == 1 && b[n - 1] == 1, "a bytes call after it is wrong");
}

/* Limit the address space to what it is now and 64 MB more; the old
 * limit in *old. */
static void limit_as(struct rlimit *old)
{
    CHECK(getrlimit(RLIMIT_AS, old) == 0, "getrlimit");
    struct rlimit rl = *old;
    rl.rlim_cur = (rlim_t)status_kb("VmSize") * 1024 + 64 * MB;
    CHECK(setrlimit(RLIMIT_AS, &rl) == 0, "setrlimit: %s", strerror(errno));
}

static void cmd_rlimit_as(void)
{
    struct rlimit old;
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    CHECK_INT(get_bounded(pool_apply_async(p, add, 1, 2), "a first call"), 3);
    limit_as(&old);
    rlimit_case(p, "limited after the pool started", true);
    CHECK(setrlimit(RLIMIT_AS, &old) == 0, "setrlimit back: %s", strerror(errno));
    pool_destroy(p);

    limit_as(&old);
    p = pool_create(2);
    CHECK(p != NULL, "pool_create under RLIMIT_AS: %s", pool_last_error());
    rlimit_case(p, "limited before the pool started", false);
    pool_destroy(p);
    CHECK(setrlimit(RLIMIT_AS, &old) == 0, "setrlimit back: %s", strerror(errno));
    printf("rlimit_as: ok\n");
}

static long kills = 1000;

/* One call at a time; as soon as it is done, the worker that ran it (now
 * looking for work) gets SIGKILL after 0 to 60 us, at a random instant;
 * the next call comes 0 to 1.5 ms later (by then the workers left may all
 * sleep). Every call completes within BOUND seconds with its value
 * (retries cover a kill that lands after the next call began). */
static void cmd_idle_kill(void)
{
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    CHECK(pool_set_retries(p, 5) == 0, "pool_set_retries: %s", pool_last_error());
    unsigned seed = (unsigned)time(NULL) | 1;
    char what[64];
    for (long k = 0; k < kills; k++) {
        snprintf(what, sizeof what, "the call after %ld kills", k);
        future *f = pool_apply_async(p, add, k, 7);
        CHECK_INT(get_bounded(f, what), k + 7);
        pid_t pid = future_pid(f);
        future_free(f);
        unsigned r = next_rand(&seed) % 80;
        if (r > 0 && r <= 60) {
            struct timespec d = {0, (long)r * 1000};
            nanosleep(&d, NULL);
        }
        kill(pid, SIGKILL);
        /* A pause before the next call, so that it sometimes comes when
         * every worker left has gone to sleep. */
        struct timespec pause = {0, (long)(next_rand(&seed) % 1500) * 1000};
        nanosleep(&pause, NULL);
    }
    CHECK_INT(get_bounded(pool_apply_async(p, add, 1, 1), "the last call"), 2);
    pool_destroy(p);
    printf("idle_kill: ok (%ld workers killed while idle)\n", kills);
}

/* A task fills the pool's shared mappings with byte while calls are in
 * flight and more come after. What it holds: the master does not die, and
 * every call completes (a value or an error) within BOUND seconds of the
 * last one made; pool_destroy returns (tests/walls.bats bounds the run).
 * Wrong values are counted and printed, not failed: a task that may write
 * anywhere in the pool's memory can forge a result. */
static void scribble_case(const char *cmd, int byte)
{
    pool *p = pool_create(2);
    CHECK(p != NULL, "pool_create: %s", pool_last_error());
    enum { BEFORE = 10, AFTER = 20 };
    future *f[BEFORE + 1 + AFTER];
    int n = 0;
    for (long i = 0; i < BEFORE; i++)
        f[n++] = pool_apply_async(p, add, i, 100);
    f[n++] = pool_apply_async(p, scribble, byte);
    for (long i = BEFORE; i < BEFORE + AFTER; i++)
        f[n++] = pool_apply_async(p, add, i, 100);
    double deadline = now() + BOUND;
    int right = 0, failed = 0, wrong = 0;
    char buf[300];
    for (int i = 0; i < n; i++) {
        CHECK(f[i] != NULL, "call %d could not be made: %s", i, pool_last_error());
        double left = deadline - now();
        CHECK(future_wait_for(f[i], left > 0 ? left : 0),
              "call %d of %d (task %lu) did not complete within %d s after a task "
              "wrote over the pool's shared memory", i, n, future_id(f[i]), BOUND);
        pool_value v = future_get(f[i]);
        if (pool_is_error(v)) {
            failed++;
            if (i == BEFORE)
                printf("%s: the scribbling call: %s\n", cmd,
                        pool_value_format(v, buf, sizeof buf));
        } else if (i == BEFORE || (v.kind == POOL_INT && v.as.i == i - (i > BEFORE) + 100)) {
            right++;
        } else {
            wrong++;
        }
    }
    pool_destroy(p);
    printf("%s: ok (of %d calls: %d right, %d failed, %d wrong)\n", cmd, n, right,
           failed, wrong);
}

static void cmd_scribble_zero(void) { scribble_case("scribble_zero", 0); }
static void cmd_scribble_ones(void) { scribble_case("scribble_ones", 0xff); }

int main(int argc, char **argv)
{
    static const check_cmd cmds[] = {
        {"overrun_zero", cmd_overrun_zero},
        {"overrun_byte", cmd_overrun_byte},
        {"overrun_chunk", cmd_overrun_chunk},
        {"closer_then_innocent", cmd_closer_then_innocent},
        {"strcat", cmd_strcat},
        {"closefds", cmd_closefds},
        {"dupfds", cmd_dupfds},
        {"kept", cmd_kept},
        {"rlimit_as", cmd_rlimit_as},
        {"idle_kill", cmd_idle_kill},
        {"scribble_zero", cmd_scribble_zero},
        {"scribble_ones", cmd_scribble_ones},
    };
    /* kept N and idle_kill K take a count. */
    if (argc == 3 && strcmp(argv[1], "kept") == 0) {
        kept_count = atol(argv[2]);
        CHECK(kept_count > 0, "kept: a count above 0, not %s", argv[2]);
        argc = 2;
    } else if (argc == 3 && strcmp(argv[1], "idle_kill") == 0) {
        kills = atol(argv[2]);
        CHECK(kills > 0, "idle_kill: a count above 0, not %s", argv[2]);
        argc = 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    check_run(cmds, sizeof cmds / sizeof *cmds, argc, argv);
    return 0;
}
