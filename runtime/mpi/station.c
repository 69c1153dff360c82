/*
 * station.c - a rank other than 0: it runs no user code. It keeps an
 * ordinary local pool for each of the master's pools (its supervisor and
 * workers, as on one machine) and relays: calls in, results out.
 *
 * One thread makes every MPI call, and never waits in one: it looks for
 * messages, for calls that ended, and for silence from the master, then
 * naps (longer while idle). A worker that dies is its local supervisor's
 * business, as ever: the call fails with WorkerDied, and this says where.
 * The master silent for a lease: it is dead; the local pools are ended
 * and the station leaves, without MPI_Finalize (it would wait for the
 * dead). Task output goes to the station's stdout, which mpirun forwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpi/transport.h"

#define MAX_POOLS 64

static int me;                  /* this rank */
static double heard;            /* when the master last said something */
static double said;             /* when this station last sent it something */

/* The local pool of each of the master's pools, by the master's id. */
static struct {
    uint32_t id;
    pool *p;
} pools[MAX_POOLS];

/* A call running here: the master's key for it, and its future. */
struct job {
    uint64_t key;
    uint32_t pool_id;
    future *f;
    pool_value *out;            /* a chunk's results */
    uint32_t nitems;
    struct job *next;
};
static struct job *jobs;

static void send_master(int tag, pool__buf *b)
{
    mp_send(0, tag, b);
    said = pool__now();
}

static pool *local_pool(uint32_t id)
{
    for (int i = 0; i < MAX_POOLS; i++)
        if (pools[i].p && pools[i].id == id)
            return pools[i].p;
    return NULL;
}

/* The end of every local pool, and of the station: without MPI_Finalize
 * unless the master said all is well (a dead rank makes it wait forever). */
static void leave(bool finalize, int status) __attribute__((noreturn));
static void leave(bool finalize, int status)
{
    for (int i = 0; i < MAX_POOLS; i++)
        if (pools[i].p)
            pool_terminate(pools[i].p);
    double until = pool__now() + mp_lease();
    while (mp_progress() && pool__now() < until)
        mp_nap(1e-3);
    fflush(stdout);
    fflush(stderr);
    if (finalize && !mp_progress())
        MPI_Finalize();
    _exit(status);
}

/* An error's message with where it happened: "worker 0 (pid 9) on hostB
 * (rank 2) was killed ...", "its worker 0 on hostB (rank 2) was killed".
 * Other values are as they are. */
static pool_value placed(pool_value v, char *buf, size_t size)
{
    if (v.kind != POOL_ERROR)
        return v;
    const char *m = v.as.err.msg, *at = NULL;
    if (strcmp(v.as.err.type, "WorkerDied") == 0 && (at = strstr(m, "(pid ")) != NULL)
        at = strchr(at, ')');
    else if (strcmp(v.as.err.type, "Timeout") == 0 && (at = strstr(m, "its worker ")) != NULL)
        at += strspn(at + 11, "0123456789") + 10;
    else
        return v;
    if (at == NULL)
        return v;
    snprintf(buf, size, "%.*s on %s (rank %d)%s", (int)(at + 1 - m), m, mp_host(), me, at + 1);
    v.as.err.msg = buf;
    return v;
}

/* Messages. ------------------------------------------------------------------ */

static void on_create(pool__rd *r)
{
    uint32_t id = pool__rd_u32(r);
    int n = (int)pool__rd_u32(r);
    pool__buf b = {0};
    pool__buf_put_u32(&b, id);
    int slot = -1;
    for (int i = 0; i < MAX_POOLS && slot < 0; i++)
        if (pools[i].p == NULL)
            slot = i;
    pool *p = slot >= 0 ? pool_create(n) : NULL;
    if (p) {
        pools[slot].id = id;
        pools[slot].p = p;
        pool__buf_put_u32(&b, (uint32_t)pool_size(p));
        pool__buf_put_str(&b, "");
    } else {
        pool__buf_put_u32(&b, 0);
        char why[600];
        snprintf(why, sizeof why, "rank %d on %s cannot make its pool: %s", me, mp_host(),
                 slot < 0 ? "it has 64 already" : pool_last_error());
        pool__buf_put_str(&b, why);
    }
    send_master(TAG_CREATED, &b);
}

static void on_destroy(pool__rd *r)
{
    uint32_t id = pool__rd_u32(r);
    for (struct job **j = &jobs; *j;) {
        if ((*j)->pool_id == id) {
            struct job *gone = *j;
            *j = gone->next;
            future_free(gone->f);
            for (uint32_t i = 0; gone->out && i < gone->nitems; i++)
                pool_value_free(gone->out[i]);
            free(gone->out);
            free(gone);
        } else {
            j = &(*j)->next;
        }
    }
    for (int i = 0; i < MAX_POOLS; i++)
        if (pools[i].p && pools[i].id == id) {
            pool_destroy(pools[i].p);
            pools[i].p = NULL;
        }
}

static void on_init(pool__rd *r)
{
    uint32_t id = pool__rd_u32(r);
    uint64_t off = pool__rd_u64(r);
    const char *name = pool__rd_str(r);
    uint32_t argc = pool__rd_u32(r);
    pool *p = local_pool(id);
    static pool_value argv[POOL_MAX_ARGS];
    for (uint32_t i = 0; i < argc && i < POOL_MAX_ARGS && !r->bad; i++)
        argv[i] = pool__rd_value(r);
    if (p && !r->bad && argc <= POOL_MAX_ARGS)
        pool_initializer(p, mp_fn_at(off), name, argv, (int)argc);
}

/* A call: into the local pool, with what is left of its time limit and
 * of its tries. */
static void on_call(pool__rd *r)
{
    uint64_t key = pool__rd_u64(r);
    uint32_t id = pool__rd_u32(r);
    uint64_t off = pool__rd_u64(r);
    const char *name = pool__rd_str(r);
    uint32_t nitems = pool__rd_u32(r);
    uint32_t argc = pool__rd_u32(r);
    uint32_t flags = pool__rd_u32(r);
    uint64_t first = pool__rd_u64(r);
    double limit = pool__rd_f64(r);
    uint32_t retries = pool__rd_u32(r);
    uint32_t len = pool__rd_u32(r);
    /* the payload begins at the next multiple of 16 */
    size_t at = (uintptr_t)r->p % 16;
    if (at && r->left >= 16 - at) {
        r->p += 16 - at;
        r->left -= 16 - at;
    }
    pool *p = local_pool(id);
    if (r->bad || len > r->left || p == NULL)
        return;     /* the master's pool is gone here: nothing to answer */
    size_t width = argc ? argc : 1;
    size_t n = nitems ? nitems * width : argc;
    pool_value *args = malloc((n ? n : 1) * sizeof *args);
    struct job *j = calloc(1, sizeof *j);
    if (args == NULL || j == NULL)
        pool__die("out of memory in a station");
    pool__rd a = {.p = r->p, .left = len};
    if (flags & POOL__RAW_ARGS) {
        if (len != n * sizeof *args)
            a.bad = true;
        else
            memcpy(args, r->p, len);
    } else {
        for (size_t i = 0; i < n && !a.bad; i++)
            args[i] = pool__rd_value(&a);
    }
    j->key = key;
    j->pool_id = id;
    j->nitems = nitems;
    if (nitems)
        j->out = calloc(nitems, sizeof *j->out);
    struct pool__call_opts opts = {.limit = limit, .retries = (int)retries};
    j->f = a.bad ? NULL
                 : pool__submit(p, mp_fn_at(off), name, args, (int)argc, nitems, first, j->out,
                                &opts);
    if (j->f && limit > 0)
        pool__poke_supervisor(p);   /* it looks at limits only while it knows of one */
    free(args);
    if (j->f == NULL) {
        /* Answered at once: a garbled call, or one the pool refused. */
        pool__buf b = {0};
        pool__buf_put_u64(&b, key);
        pool__buf_put_u32(&b, ST_ERROR);
        pool__buf_put_u32(&b, 0);
        pool__buf_put_u32(&b, 1);
        pool__buf_put_u32(&b, (uint32_t)getpid());
        pool__buf_put_u32(&b, (uint32_t)-1);
        pool__buf_put_f64(&b, pool__now());
        pool__buf_put_f64(&b, pool__now());
        char err[600];
        snprintf(err, sizeof err, "PoolError: rank %d could not run the call: %s", me,
                 a.bad ? "it came garbled" : pool_last_error());
        pool__buf_put_str(&b, err);
        pool__buf e = {0};
        pool__buf_put_value(&e, pool_error("PoolError", "%s", err + 11));
        pool__buf_put_u32(&b, (uint32_t)e.len);
        mp_align(&b);
        pool__buf_put(&b, e.data, e.len);
        pool__buf_free(&e);
        send_master(TAG_DONE, &b);
        free(j->out);
        free(j);
        return;
    }
    j->next = jobs;
    jobs = j;
}

static void on_kill(pool__rd *r)
{
    uint64_t key = pool__rd_u64(r);
    for (struct job *j = jobs; j; j = j->next)
        if (j->key == key)
            future_kill(j->f);
}

/* Calls that ended: their results to the master. ------------------------------ */

static bool plain(const pool_value *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (v[i].kind != POOL_INT && v[i].kind != POOL_DOUBLE && v[i].kind != POOL_NONE)
            return false;
    return true;
}

static void send_done(struct job *j)
{
    future *f = j->f;
    char m1[1200], m2[1200], err[1400] = "";
    pool__buf b = {0}, res = {0};
    uint32_t flags = 0;
    bool each = j->nitems && (f->status == ST_OK || f->status == ST_ERROR);
    if (each && plain(j->out, j->nitems)) {
        flags = POOL__RAW_RESULT;
        pool__buf_put(&res, j->out, j->nitems * sizeof *j->out);
    } else if (each) {
        int failed = 0;
        for (uint32_t i = 0; i < j->nitems; i++) {
            pool_value v = placed(j->out[i], m1, sizeof m1);
            if (v.kind == POOL_ERROR && failed++ == 0) {
                if (j->nitems > 1)
                    snprintf(m2, sizeof m2, "%s: %s", v.as.err.type, v.as.err.msg);
                else
                    snprintf(err, sizeof err, "%s: %s", v.as.err.type, v.as.err.msg);
            }
            pool__buf_put_value(&res, v);
        }
        if (failed && j->nitems > 1)
            snprintf(err, sizeof err, "%d of %u inputs failed; the first: %s", failed,
                     j->nitems, m2);
    } else {
        pool_value v = placed(f->result, m1, sizeof m1);
        if (v.kind == POOL_ERROR)
            snprintf(err, sizeof err, "%s: %s", v.as.err.type, v.as.err.msg);
        pool__buf_put_value(&res, v);
    }
    pool__buf_put_u64(&b, j->key);
    pool__buf_put_u32(&b, (uint32_t)f->status);
    pool__buf_put_u32(&b, flags);
    pool__buf_put_u32(&b, (uint32_t)(f->tries > 0 ? f->tries : 1));
    pool__buf_put_u32(&b, (uint32_t)f->pid);
    pool__buf_put_u32(&b, (uint32_t)f->worker);
    pool__buf_put_f64(&b, f->start);
    pool__buf_put_f64(&b, f->end);
    pool__buf_put_str(&b, err);
    pool__buf_put_u32(&b, (uint32_t)res.len);
    mp_align(&b);
    pool__buf_put(&b, res.data, res.len);
    pool__buf_free(&res);
    send_master(TAG_DONE, &b);
}

/* The calls that ended since the last look; true if any did. */
static bool reap(void)
{
    bool any = false;
    for (struct job **j = &jobs; *j;) {
        if (!future_ready((*j)->f)) {
            j = &(*j)->next;
            continue;
        }
        struct job *done = *j;
        *j = done->next;
        send_done(done);
        future_free(done->f);
        for (uint32_t i = 0; done->out && i < done->nitems; i++)
            pool_value_free(done->out[i]);
        free(done->out);
        free(done);
        any = true;
    }
    return any;
}

/* The loop. ------------------------------------------------------------------ */

/* The station's workers may use every CPU: mpirun's binding (one core by
 * default) would be inherited by all of them. */
static void unbind(void)
{
    cpu_set_t all;
    CPU_ZERO(&all);
    long n = sysconf(_SC_NPROCESSORS_CONF);
    for (long i = 0; i < n && i < CPU_SETSIZE; i++)
        CPU_SET(i, &all);
    sched_setaffinity(0, sizeof all, &all);
}

void mp_station_main(int rank, int size)
{
    (void)size;
    me = rank;
    int got;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &got) != MPI_SUCCESS) {
        fprintf(stderr, "pool: rank %d could not start MPI\n", rank);
        _exit(1);
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    unbind();
    /* The master writes every record; a station's pools write none. */
    unsetenv("POOL_TRACE");

    pool__buf b = {0};
    pool__buf_put_str(&b, mp_build_id());
    pool__buf_put_str(&b, mp_host());
    pool__buf_put_u32(&b, (uint32_t)sysconf(_SC_NPROCESSORS_ONLN));
    pool__buf_put_u32(&b, (uint32_t)getpid());
    send_master(TAG_HELLO, &b);
    heard = pool__now();

    pool__buf in = {0};
    double nap = 0, idle_since = 0;
    for (;;) {
        bool busy = false;
        int from, tag;
        while (mp_recv(&from, &tag, &in)) {
            busy = true;
            if (from != 0)
                continue;
            heard = pool__now();
            pool__rd r = {.p = in.data, .left = in.len};
            switch (tag) {
            case TAG_WELCOME:
                if (pool__rd_u32(&r) != 1) {
                    fprintf(stderr, "pool: rank %d on %s leaves: %s\n", me, mp_host(),
                            pool__rd_str(&r));
                    leave(false, 1);
                }
                break;
            case TAG_CREATE: on_create(&r); break;
            case TAG_CALL: on_call(&r); break;
            case TAG_KILL: on_kill(&r); break;
            case TAG_INIT: on_init(&r); break;
            case TAG_DESTROY: on_destroy(&r); break;
            case TAG_PING: {
                /* The master's clock, and this one's: the clocks' offset. */
                pool__buf pong = {0};
                pool__buf_put_f64(&pong, pool__rd_f64(&r));
                pool__buf_put_f64(&pong, pool__now());
                send_master(TAG_PONG, &pong);
                break;
            }
            case TAG_STOP: leave(pool__rd_u32(&r) == 1, 0);
            default: break;
            }
        }
        busy |= reap();
        mp_progress();
        double now = pool__now();
        if (now - heard > mp_lease()) {
            fprintf(stderr, "pool: rank %d on %s: the master (rank 0) has said nothing "
                    "for %g s; its pools here are ended\n", me, mp_host(), mp_lease());
            mp_abandon(0);
            leave(false, 1);
        }
        if (now - said > MP_BEAT) {
            pool__buf beat = {0};
            send_master(TAG_BEAT, &beat);
        }
        if (busy) {
            idle_since = now;
            nap = 0;
            continue;
        }
        /* With no call here, poll for a while after work: the master's
         * next call comes soon after a DONE (polling, not sched_yield: on
         * a shared machine a yield waits behind every other process's
         * time slice). Calls running here: sleep on their pool's
         * finishes. Then nap longer and longer: to 1 ms while calls run
         * here (woken at once when one of them ends), to 20 ms when idle. */
        if (now - idle_since < (jobs ? MP_HOT : MP_SPIN))
            continue;
        nap = nap == 0 ? 20e-6 : nap * 2;
        double most = now - idle_since < MP_WARM ? MP_WARM_NAP : jobs ? 1e-3 : 20e-3;
        if (nap > most)
            nap = most;
        if (jobs) {
            /* Woken by a finish in the pool of the oldest call (wait.c's word). */
            pool__shared *sh = jobs->f->p->sh;
            atomic_fetch_add(&sh->finish_waiters, 1);
            uint32_t seen = atomic_load(&sh->finished);
            if (!reap())
                pool__futex_wait(&sh->finished, seen, nap);
            atomic_fetch_sub(&sh->finish_waiters, 1);
        } else {
            mp_nap(nap);
        }
    }
}
