/*
 * check.h - what the runtime's test programs share.
 *
 * A failed CHECK prints "FAIL file:line: what" on stderr and exits 1, so a
 * bats test sees a non-zero status and the reason. Everything here is
 * static inline: each program includes it once and uses what it needs.
 */
#ifndef RUNTIME_CHECK_H
#define RUNTIME_CHECK_H

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"

#define CHECK(cond, ...)                                                \
    do {                                                                \
        if (!(cond)) {                                                  \
            fflush(stdout);                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);        \
            fprintf(stderr, __VA_ARGS__);                               \
            fprintf(stderr, "  [%s]\n", #cond);                         \
            exit(1);                                                    \
        }                                                               \
    } while (0)

/* Seconds on the monotonic clock. */
static inline double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The next of a xorshift sequence: *s is its state (never 0). */
static inline unsigned next_rand(unsigned *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* A field of this process's /proc/self/status, in kB ("VmRSS", "VmSize"). */
static inline long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f != NULL, "cannot read /proc/self/status");
    char line[256];
    size_t n = strlen(field);
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':' &&
            sscanf(line + n + 1, "%ld", &kb) == 1)
            break;
    fclose(f);
    CHECK(kb > 0, "no %s in /proc/self/status", field);
    return kb;
}

/* The value's kind is right and its integer is want. */
#define CHECK_INT(v, want)                                              \
    do {                                                                \
        pool_value v_ = (v);                                            \
        char b_[256];                                                   \
        CHECK(v_.kind == POOL_INT && v_.as.i == (long)(want),           \
              "expected the integer %ld, got %s", (long)(want),         \
              pool_value_format(v_, b_, sizeof b_));                    \
    } while (0)

/* v is an error of this type whose message holds every given piece. */
static inline void check_error(pool_value v, const char *type, const char *const *pieces,
                               const char *file, int line)
{
    char buf[1200];
    if (v.kind != POOL_ERROR || strcmp(pool_error_type(v), type) != 0) {
        fflush(stdout);
        fprintf(stderr, "FAIL %s:%d: expected a %s error, got %s\n", file, line, type,
                pool_value_format(v, buf, sizeof buf));
        exit(1);
    }
    for (; pieces && *pieces; pieces++) {
        if (strstr(pool_error_message(v), *pieces) == NULL) {
            fflush(stdout);
            fprintf(stderr, "FAIL %s:%d: the %s message \"%s\" does not say \"%s\"\n",
                    file, line, type, pool_error_message(v), *pieces);
            exit(1);
        }
    }
}
#define CHECK_ERROR(v, type, ...) \
    check_error((v), (type), (const char *const[]){__VA_ARGS__ __VA_OPT__(,) NULL}, \
                __FILE__, __LINE__)

/* The PIDs of the processes whose parent is one of the n in parents
 * (zombies included), at most max; returns how many. A supervisor's helper
 * that names a dead worker's frames ("pool-namer", ended and reaped by the
 * supervisor a little later) is not one of its workers: not counted. */
static inline int children_of(const pid_t *parents, int np, pid_t *out, int max)
{
    DIR *d = opendir("/proc");
    CHECK(d != NULL, "cannot read /proc");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;   /* gone meanwhile */
        size_t got = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[got] = '\0';
        /* pid (comm) state ppid ...: comm may hold spaces, so from the last ')' */
        char *close = strrchr(buf, ')');
        char state;
        long ppid;
        char *open = strchr(buf, '(');
        if (open && close && close - open - 1 == 10 && memcmp(open + 1, "pool-namer", 10) == 0)
            continue;
        if (close && sscanf(close + 1, " %c %ld", &state, &ppid) == 2) {
            for (int i = 0; i < np; i++) {
                if (ppid == parents[i]) {
                    if (n < max)
                        out[n] = (pid_t)pid;
                    n++;
                }
            }
        }
    }
    closedir(d);
    return n;
}

/* This process's children (a pool's supervisor process is one). */
static inline int children(pid_t *out, int max)
{
    pid_t me = getpid();
    return children_of(&me, 1, out, max);
}

/* The worker processes of this process's pools: the children of its
 * children (a pool's workers are its supervisor process's children). */
static inline int workers(pid_t *out, int max)
{
    pid_t kids[64];
    int nk = children(kids, 64);
    return children_of(kids, nk < 64 ? nk : 64, out, max);
}

/* True if pid is in the n PIDs of set. */
static inline int pid_in(pid_t pid, const pid_t *set, int n)
{
    for (int i = 0; i < n; i++)
        if (set[i] == pid)
            return 1;
    return 0;
}

/* A task: (bytes) gives the same bytes back, each plus one, written in
 * place (pool_bytes_alloc). */
static inline pool_value plus_one(pool_args a)
{
    pool_expect_args(a, 1);
    size_t n;
    const unsigned char *x = pool_arg_bytes(a, 0, &n);
    void *room;
    pool_value v = pool_bytes_alloc(n, &room);
    unsigned char *y = room;
    for (size_t i = 0; i < n; i++)
        y[i] = (unsigned char)(x[i] + 1);
    return v;
}

/* A gate: tasks block on it until the master opens it, one byte per task.
 * Made before pool_create so that every worker inherits it. */
typedef struct {
    int fd[2];
} gate;

static inline void gate_make(gate *g)
{
    CHECK(pipe(g->fd) == 0, "pipe: %s", strerror(errno));
}

/* In a task: wait for the gate to let one task through. */
static inline void gate_pass(const gate *g)
{
    char c;
    while (read(g->fd[0], &c, 1) == -1 && errno == EINTR)
        ;
}

/* In the master: let n tasks through. */
static inline void gate_open(const gate *g, int n)
{
    for (int i = 0; i < n; i++)
        CHECK(write(g->fd[1], "x", 1) == 1, "write to the gate: %s", strerror(errno));
}

/* A signal from tasks to the master: each task that starts writes a byte. */
static inline void gate_wait(const gate *g, int n)
{
    for (int i = 0; i < n; i++)
        gate_pass(g);
}

/* The same, giving up after seconds in all: false if fewer came. */
static inline bool gate_wait_for(const gate *g, int n, int seconds)
{
    for (int i = 0; i < n; i++) {
        struct pollfd pfd = {.fd = g->fd[0], .events = POLLIN};
        if (poll(&pfd, 1, seconds * 1000) != 1)
            return false;
        gate_pass(g);
    }
    return true;
}

/* A sub-command of a test program: its name and what it runs. */
typedef struct {
    const char *name;
    void (*run)(void);
} check_cmd;

/* Run the sub-commands that argv[1..argc) name, in that order; a name
 * that is none of cmds[0..n) fails. */
static inline void check_run(const check_cmd *cmds, size_t n, int argc, char **argv)
{
    for (int a = 1; a < argc; a++) {
        size_t k = 0;
        while (k < n && strcmp(cmds[k].name, argv[a]) != 0)
            k++;
        CHECK(k < n, "unknown sub-command %s", argv[a]);
        cmds[k].run();
    }
}

#endif /* RUNTIME_CHECK_H */
