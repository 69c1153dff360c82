/*
 * tracefaults.c - the trace and the supervisor under faults, one
 * sub-command per case; tests/trace.bats drives them (POOL_TRACE set) and
 * checks the trace each leaves with pooltrace (tools/trace).
 *
 *     tracefaults killflush K    quick calls on 4 workers while a thread kills
 *                                a worker every millisecond or so, K kills
 *     tracefaults supkill N      N calls; the supervisor is killed (SIGKILL)
 *                                once half of them have returned
 *     tracefaults supkillfail DIR
 *                                a call crashes; the supervisor is killed
 *                                while it names the frames (addr2line, made
 *                                to wait in DIR by the test)
 *     tracefaults supstop        the supervisor is stopped (SIGSTOP) while a
 *                                call runs; pool_destroy must still return
 *     tracefaults initcrash      an initializer that crashes: three calls
 *                                whose worker died before they began
 *     tracefaults many N         N quick calls (run under ulimit -f)
 *     tracefaults retryahead DIR a call with a retry crashes while six wait;
 *                                naming its frames is slow (the test's addr2line)
 *     tracefaults limitheld DIR  a time limit beside a crash whose frames are
 *                                slow to name
 *     tracefaults nofile         the master can open no descriptor
 *                                (RLIMIT_NOFILE) from just after pool_create;
 *                                twenty calls follow, each waited for
 *
 * Each prints one line "NAME: ..." with its counts when its checks pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static pool_value add(pool_args a)
{
    return pool_int(pool_arg_int(a, 0) + pool_arg_int(a, 1));
}

static pool_value nap(pool_args a)
{
    pool_sleep(pool_arg_double(a, 0));
    return pool_int(getpid());
}

/* Say which process runs it, then crash (a real SIGSEGV: a backtrace). */
static int pid_pipe[2];
static pool_value crasher(pool_args a)
{
    (void)a;
    pid_t me = getpid();
    CHECK(write(pid_pipe[1], &me, sizeof me) == sizeof me, "write");
    raise(SIGSEGV);
    return pool_none();
}

static pool_value bad_init(pool_args a)
{
    (void)a;
    raise(SIGSEGV);
    return pool_none();
}

static pid_t supervisor(void)
{
    pid_t kids[8];
    int n = children(kids, 8);
    CHECK(n == 1, "%d children, not one supervisor", n);
    return kids[0];
}

/* Count how the futures ended; each must have. */
static void tally(future **f, int n, int *ok, int *failed)
{
    *ok = *failed = 0;
    for (int i = 0; i < n; i++) {
        pool_value v = future_get(f[i]);
        if (pool_is_error(v))
            (*failed)++;
        else
            (*ok)++;
    }
}

/* killflush ---------------------------------------------------------------- */

static atomic_bool stop_killing;
static atomic_int kills;

static void *killer(void *arg)
{
    (void)arg;
    unsigned seed = 7;
    while (!atomic_load(&stop_killing)) {
        pid_t w[16];
        int n = workers(w, 16);
        if (n > 0 && kill(w[rand_r(&seed) % (n < 16 ? n : 16)], SIGKILL) == 0)
            atomic_fetch_add(&kills, 1);
        usleep(200 + rand_r(&seed) % 800);
    }
    return NULL;
}

static int killflush(int argc, char **argv)
{
    int want = argc > 0 ? atoi(argv[0]) : 300;     /* kills */
    pool *p = pool_create(4);
    CHECK(p, "pool_create: %s", pool_last_error());
    enum { BATCH = 4000 };
    future **f = calloc(BATCH, sizeof *f);
    pthread_t t;
    pthread_create(&t, NULL, killer, NULL);
    int n = 0, ok = 0, failed = 0;
    for (int round = 0; round < 500 && atomic_load(&kills) < want; round++) {
        for (int i = 0; i < BATCH; i++)
            f[i] = pool_apply_async(p, add, i, 1);
        int o, e;
        tally(f, BATCH, &o, &e);
        for (int i = 0; i < BATCH; i++)
            future_free(f[i]);
        n += BATCH;
        ok += o;
        failed += e;
    }
    atomic_store(&stop_killing, true);
    pthread_join(t, NULL);
    pool_destroy(p);
    free(f);
    printf("killflush: calls=%d ok=%d failed=%d kills=%d\n", n, ok, failed,
           atomic_load(&kills));
    return 0;
}

/* supkill ------------------------------------------------------------------- */

static int supkill(int argc, char **argv)
{
    int n = argc > 0 ? atoi(argv[0]) : 400;
    pool *p = pool_create(2);
    CHECK(p, "pool_create: %s", pool_last_error());
    future **f = calloc((size_t)n, sizeof *f);
    for (int i = 0; i < n; i++)
        f[i] = pool_apply_async(p, nap, 0.002);
    for (int i = 0; i < n / 2; i++)
        future_wait(f[i]);
    CHECK(kill(supervisor(), SIGKILL) == 0, "kill");
    int ok, failed;
    tally(f, n, &ok, &failed);
    pool_destroy(p);
    free(f);
    printf("supkill: calls=%d ok=%d failed=%d\n", n, ok, failed);
    return 0;
}

/* supkillfail -------------------------------------------------------------- */

static int supkillfail(int argc, char **argv)
{
    CHECK(argc > 0, "usage: tracefaults supkillfail DIR");
    char flag[4096];
    snprintf(flag, sizeof flag, "%s/naming", argv[0]);
    CHECK(pipe(pid_pipe) == 0, "pipe");
    pool *p = pool_create(1);
    CHECK(p, "pool_create: %s", pool_last_error());
    future *f = pool_apply_async(p, crasher);
    pid_t worker;
    CHECK(read(pid_pipe[0], &worker, sizeof worker) == sizeof worker, "read");
    /* The supervisor names the frames: the test's addr2line says so, then waits. */
    struct stat st;
    for (int i = 0; i < 1000 && stat(flag, &st) != 0; i++)
        usleep(10000);
    CHECK(stat(flag, &st) == 0, "addr2line was never run");
    CHECK(kill(supervisor(), SIGKILL) == 0, "kill");
    pool_value v = future_get(f);
    CHECK(pool_is_error(v), "the call did not fail");
    CHECK(future_pid(f) == worker, "future_pid %d, not the worker's %d", (int)future_pid(f),
          (int)worker);
    printf("supkillfail: %s: %s (pid %d)\n", pool_error_type(v), pool_error_message(v),
           (int)worker);
    pool_destroy(p);
    return 0;
}

/* supstop ------------------------------------------------------------------ */

static int supstop(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    pool *p = pool_create(2);
    CHECK(p, "pool_create: %s", pool_last_error());
    future *quick = pool_apply_async(p, add, 1, 2);
    CHECK_INT(future_get(quick), 3);
    future *slow = pool_apply_async(p, nap, 30.0);
    (void)slow;
    usleep(100000);
    pid_t sup = supervisor();
    CHECK(kill(sup, SIGSTOP) == 0, "kill");
    pool_destroy(p);
    CHECK(waitpid(sup, NULL, WNOHANG) <= 0, "the supervisor was not reaped by the pool");
    printf("supstop: pool_destroy returned\n");
    return 0;
}

/* initcrash ---------------------------------------------------------------- */

static int initcrash(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    pool *p = pool_create(1);
    CHECK(p, "pool_create: %s", pool_last_error());
    CHECK(pool_set_initializer(p, bad_init) == 0, "pool_set_initializer");
    future *f[3];
    for (int i = 0; i < 3; i++)
        f[i] = pool_apply_async(p, add, i, 1);
    for (int i = 0; i < 3; i++)
        CHECK_ERROR(future_get(f[i]), "WorkerDied", "before it began add");
    pool_destroy(p);
    printf("initcrash: 3 calls failed before they began\n");
    return 0;
}

/* retryahead, limitheld ------------------------------------------------------ */

static char marker[4096];

/* Crash on the first try (no marker yet), return on the next. */
static pool_value crash_once(pool_args a)
{
    (void)a;
    if (access(marker, F_OK) != 0) {
        FILE *f = fopen(marker, "w");
        if (f)
            fclose(f);
        raise(SIGSEGV);
    }
    return pool_int(7);
}

static pool_value spin_forever(pool_args a)
{
    (void)a;
    for (;;)
        pause();
    return pool_none();
}

static pool_value crash_later(pool_args a)
{
    pool_sleep(pool_arg_double(a, 0));
    raise(SIGSEGV);
    return pool_none();
}

/* A call with a retry crashes while six wait; its frames take a while to
 * name (the test's addr2line). The order of the starts is in the trace. */
static int retryahead(int argc, char **argv)
{
    CHECK(argc > 0, "usage: tracefaults retryahead DIR");
    snprintf(marker, sizeof marker, "%s/crashed", argv[0]);
    pool *p = pool_create(1);
    CHECK(p, "pool_create: %s", pool_last_error());
    future *f = pool_apply_async_retries(p, 1, crash_once);
    future *g[6];
    for (int i = 0; i < 6; i++)
        g[i] = pool_apply_async(p, add, i, 1);
    CHECK_INT(future_get(f), 7);
    for (int i = 0; i < 6; i++)
        CHECK_INT(future_get(g[i]), i + 1);
    pool_destroy(p);
    printf("retryahead: the retry and six calls returned\n");
    return 0;
}

/* An endless call with a 0.5 s limit; beside it a call crashes at 0.3 s
 * and its frames take seconds to name (the test's addr2line touches
 * DIR/named when it ends). The limit is kept while they are named. */
static int limitheld(int argc, char **argv)
{
    CHECK(argc > 0, "usage: tracefaults limitheld DIR");
    char named[4096];
    snprintf(named, sizeof named, "%s/named", argv[0]);
    pool *p = pool_create(2);
    CHECK(p, "pool_create: %s", pool_last_error());
    future *f = pool_apply_async_limit(p, 0.5, spin_forever);
    future *g = pool_apply_async(p, crash_later, 0.3);
    CHECK_ERROR(future_get(f), "Timeout");
    CHECK(access(named, F_OK) != 0, "the limit was kept only once the frames were named");
    CHECK_ERROR(future_get(g), "WorkerDied", "crash_later");
    pool_destroy(p);
    printf("limitheld: the limit held while a death was named\n");
    return 0;
}

/* nofile -------------------------------------------------------------------- */

static int nofile(int argc, char **argv)
{
    (void)argc, (void)argv;
    pool *p = pool_create(1);
    CHECK(p, "pool_create: %s", pool_last_error());
    /* From here on the master can open no descriptor. */
    int lowest = dup(0);
    CHECK(lowest >= 0, "dup: %s", strerror(errno));
    close(lowest);
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
    rl.rlim_cur = (rlim_t)lowest;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit: %s", strerror(errno));
    for (int i = 0; i < 20; i++)
        CHECK_INT(pool_apply(p, add, i, 1), i + 1);
    pool_destroy(p);
    printf("nofile: 20 calls returned\n");
    return 0;
}

/* many --------------------------------------------------------------------- */

static int many(int argc, char **argv)
{
    int n = argc > 0 ? atoi(argv[0]) : 2000;
    pool *p = pool_create(2);
    CHECK(p, "pool_create: %s", pool_last_error());
    future **f = calloc((size_t)n, sizeof *f);
    for (int i = 0; i < n; i++)
        f[i] = pool_apply_async(p, add, i, 1);
    for (int i = 0; i < n; i++)
        CHECK_INT(future_get(f[i]), i + 1);
    pool_destroy(p);
    free(f);
    printf("many: %d calls returned\n", n);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } cmds[] = {{"killflush", killflush}, {"supkill", supkill}, {"supkillfail", supkillfail},
                {"supstop", supstop},     {"initcrash", initcrash}, {"many", many},
                {"retryahead", retryahead}, {"limitheld", limitheld}, {"nofile", nofile}};
    for (size_t k = 0; argc > 1 && k < sizeof cmds / sizeof cmds[0]; k++)
        if (strcmp(argv[1], cmds[k].name) == 0)
            return cmds[k].run(argc - 2, argv + 2);
    fprintf(stderr, "usage: tracefaults killflush|supkill|supkillfail|supstop|initcrash|many|retryahead|limitheld|nofile ...\n");
    return 2;
}
