/*
 * master.c - rank 0: its pools' calls go to the stations.
 *
 * A pool made here is an ordinary pool (pool.c) with one twist
 * (sh->remote): its calls are claimed, not by its workers, but by the
 * transport thread, the one thread of this process that makes MPI calls.
 * It claims a call as worker w (pool__claim_now) when a station has a free
 * worker, sends it there, and when the station's DONE comes finishes it as
 * worker w would (pool__finish_begin / pool__finish_end), with its trace
 * record. A put rings the thread awake (pool__transport.ring). Worker w's
 * process is a stand-in (worker.c): it runs nothing, but the supervisor
 * stops a call as ever by killing it (a cancel, a kill, a time limit,
 * terminate); the transport sees that the call is no longer w's and tells
 * the station to stop it. So futures, waits, callbacks, cancels, limits and
 * retries are the pool's own, unchanged, and a call costs no hop through
 * another process on this side.
 *
 * Leases. Every station beats when it has sent nothing for MP_BEAT; one
 * silent for mp_lease() is dead: its calls are queued again (run
 * elsewhere) if they may be tried again, else fail with StationDied; its
 * workers are
 * taken from the pool's size, and nothing is sent to it again. Stations
 * hold a lease on the master the same way (station.c).
 *
 * The end. At exit the stations are told to stop, and MPI_Finalize is
 * called only if no rank died (it would wait for the dead forever). A
 * file named by $POOL_MPI_STATUS gets main's exit status, which mpirun
 * does not pass on under --enable-recovery (tools/poolrun reads it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mpi/transport.h"

#define MAX_POOLS 64

struct station {
    int rank;
    bool hello, live;
    char host[64];
    char build_id[130];
    int cpus;
    double heard, said;
    /* Its clock: station time - master time, from the ping with the
     * shortest round trip of MP_PINGS (uncertain by half that trip). */
    int pings;
    double offset, rtt;
};

/* A pool of this process whose calls run at the stations. */
struct rpool {
    pool *p;
    pool__shared *sh;
    uint32_t id;
    int *at;                /* its workers at each station (by rank) */
    int *out;               /* its calls out at each station */
    bool busy[POOL_MAX_WORKERS];    /* worker slot w holds a call out at a station */
    pid_t gone[POOL_MAX_WORKERS];   /* slot w's stand-in, killed with its call:
                                     * w waits for its replacement */
    /* A create being answered (only while the pool is made). */
    int waiting, total;
    char why[600];
};

/* A call at a station, held here as worker w, whose stand-in is pid. */
struct flight {
    uint64_t key;
    struct rpool *rp;
    int w;
    pid_t pid;
    uint64_t seq;
    int rank;
    struct flight *next;
};

/* lock guards everything below; the transport thread holds it while it
 * works, and lets it go only to nap. */
static pid_t master_pid;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed;   /* on CLOCK_MONOTONIC (pool__deadline) */
static int nranks;
static struct station *st;          /* st[rank], rank >= 1 */
static struct rpool *pools[MAX_POOLS];
static struct flight *flights;
static uint64_t next_key = 1;
static uint32_t next_id = 1;
static int ready;                   /* 0 handshake going on, 1 done, -1 refused */
static char refused[800];
static bool stopping, stopped, death_seen, welcomed;
static pool__buf *bcast;            /* messages for every live station (API threads) */
static int *bcast_tag;
static size_t nbcast;
static pthread_t thread;

/* Rung when calls wait (shared with every fork: the supervisor rings too). */
static _Atomic uint32_t *bell;

/* The API: pool_create and the rest, on the program's threads. ---------------- */

static struct rpool *find(const pool *p)
{
    for (int i = 0; i < MAX_POOLS; i++)
        if (pools[i] && pools[i]->p == p)
            return pools[i];
    return NULL;
}

/* Any process of a pool, any thread: calls wait. */
static void ring(void)
{
    atomic_fetch_add(bell, 1);
    pool__futex_wake(bell, 1);
}

/* lock held: a message for every live station, sent by the transport. */
static void broadcast(int tag, pool__buf *b)
{
    bcast = realloc(bcast, (nbcast + 1) * sizeof *bcast);
    bcast_tag = realloc(bcast_tag, (nbcast + 1) * sizeof *bcast_tag);
    if (bcast == NULL || bcast_tag == NULL)
        pool__die("out of memory");
    bcast[nbcast] = *b;
    bcast_tag[nbcast++] = tag;
    *b = (pool__buf){0};
    ring();
}

/* lock held: wait (at most seconds) until done() or the handshake failed. */
static bool wait_until(bool (*done)(void *), void *arg, double seconds)
{
    struct timespec t = pool__deadline(seconds);
    while (!done(arg) && ready >= 0)
        if (pthread_cond_timedwait(&changed, &lock, &t) == ETIMEDOUT)
            return done(arg);
    return done(arg);
}

static bool handshake_over(void *arg)
{
    (void)arg;
    return ready != 0;
}

static bool create_answered(void *arg)
{
    return ((struct rpool *)arg)->waiting == 0;
}

static int remote_create(pool *p, int n)
{
    if (getpid() != master_pid)
        return 0;   /* a fork of the master: no transport thread here */
    pthread_mutex_lock(&lock);
    wait_until(handshake_over, NULL, 10 + 2 * mp_lease());
    if (ready != 1) {
        pool__set_error("%s", ready < 0 ? refused : "the stations did not say hello in time");
        pthread_mutex_unlock(&lock);
        errno = ready < 0 ? EPROTO : ETIMEDOUT;
        return -1;
    }
    int slot = -1;
    for (int i = 0; i < MAX_POOLS && slot < 0; i++)
        if (pools[i] == NULL)
            slot = i;
    struct rpool *rp = calloc(1, sizeof *rp);
    if (rp)
        rp->at = calloc((size_t)nranks, sizeof *rp->at);
    if (rp)
        rp->out = calloc((size_t)nranks, sizeof *rp->out);
    if (slot < 0 || rp == NULL || rp->at == NULL || rp->out == NULL) {
        pool__set_error("cannot set up a pool across ranks: %s",
                        slot < 0 ? "64 are made already" : "out of memory");
        pthread_mutex_unlock(&lock);
        errno = ENOMEM;
        return -1;
    }
    rp->p = p;
    rp->id = next_id++;
    for (int r = 1; r < nranks; r++)
        rp->waiting += st[r].live;
    pools[slot] = rp;
    pool__buf b = {0};
    pool__buf_put_u32(&b, rp->id);
    pool__buf_put_u32(&b, (uint32_t)n);
    broadcast(TAG_CREATE, &b);
    bool answered = wait_until(create_answered, rp, 5 + 2 * mp_lease());
    int total = rp->total;
    if (!answered || rp->why[0] || total < 1 || total > POOL_MAX_WORKERS) {
        if (rp->why[0])
            pool__set_error("%s", rp->why);
        else if (!answered)
            pool__set_error("the stations did not answer in time");
        else
            pool__set_error("the stations have %d workers in all: a pool holds 1 to %d",
                            total, POOL_MAX_WORKERS);
        pool__buf d = {0};
        pool__buf_put_u32(&d, rp->id);
        broadcast(TAG_DESTROY, &d);
        pools[slot] = NULL;
        free(rp->at);
        free(rp->out);
        free(rp);
        pthread_mutex_unlock(&lock);
        errno = EAGAIN;
        return -1;
    }
    pthread_mutex_unlock(&lock);
    return total;
}

static void remote_attach(pool *p)
{
    pthread_mutex_lock(&lock);
    struct rpool *rp = find(p);
    if (rp)
        rp->sh = p->sh;
    pthread_mutex_unlock(&lock);
}

static void remote_initializer(pool *p)
{
    pool__shared *sh = p->sh;
    uint64_t off;
    pool__buf b = {0};
    pthread_mutex_lock(&sh->init_lock);
    bool ok = mp_fn_offset((pool_fn)(uintptr_t)sh->init_fn, &off);
    pthread_mutex_lock(&lock);
    struct rpool *rp = find(p);
    if (rp && ok) {
        pool__buf_put_u32(&b, rp->id);
        pool__buf_put_u64(&b, off);
        pool__buf_put_str(&b, sh->init_name);
        pool__buf_put_u32(&b, sh->init_argc);
        pool__buf_put(&b, sh->init_data, sh->init_len);
        broadcast(TAG_INIT, &b);
    }
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&sh->init_lock);
    if (!ok)
        fprintf(stderr, "pool: warning: the initializer %s is not in the program's own "
                "code; the stations cannot run it\n", sh->init_name);
}

static void remote_destroy(pool *p)
{
    pthread_mutex_lock(&lock);
    struct rpool *rp = find(p);
    if (rp) {
        for (struct flight **f = &flights; *f;) {
            if ((*f)->rp == rp) {
                struct flight *gone = *f;
                *f = gone->next;
                free(gone);
            } else {
                f = &(*f)->next;
            }
        }
        pool__buf b = {0};
        pool__buf_put_u32(&b, rp->id);
        broadcast(TAG_DESTROY, &b);
        for (int i = 0; i < MAX_POOLS; i++)
            if (pools[i] == rp)
                pools[i] = NULL;
        free(rp->at);
        free(rp->out);
        free(rp);
    }
    pthread_mutex_unlock(&lock);
}

/* The master and its forks (the supervisor writes records too): the
 * stations' names are known before any pool is made, and never change. */
static const char *host_of(int rank)
{
    return rank == 0 ? mp_host() : rank > 0 && rank < nranks ? st[rank].host : "?";
}

static void trace_hosts(const pool *p, pool__buf *b)
{
    char line[400];
    pthread_mutex_lock(&lock);
    struct rpool *rp = find(p);
    int hosts = 0;
    for (int r = 1; r < nranks; r++) {
        bool seen = false;
        for (int q = 1; q < r && !seen; q++)
            seen = strcmp(st[q].host, st[r].host) == 0;
        hosts += !seen;
    }
    snprintf(line, sizeof line, " hosts=%d\n", hosts);
    pool__buf_put(b, line, strlen(line));
    for (int r = 1; r < nranks; r++) {
        struct station *s = &st[r];
        int n = snprintf(line, sizeof line, "# host name=\"%s\" rank=%d workers=%d cpus=%d "
                         "clock_offset_us=%+.0f clock_uncertainty_us=%.0f build_id=%s\n",
                         s->host, r, rp ? rp->at[r] : 0, s->cpus, s->offset * 1e6,
                         s->rtt / 2 * 1e6, s->build_id);
        if (n > 0)
            pool__buf_put(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    }
    pthread_mutex_unlock(&lock);
}

static const pool__transport transport = {
    .create = remote_create,
    .attach = remote_attach,
    .ring = ring,
    .host = host_of,
    .trace_hosts = trace_hosts,
    .initializer = remote_initializer,
    .destroy = remote_destroy,
};

/* The transport thread: every MPI call of this process. ---------------------- */

static void send_to(int rank, int tag, pool__buf *b)
{
    mp_send(rank, tag, b);
    st[rank].said = pool__now();
}

/* How a call ended, as its station tells it (or the transport itself). */
struct ending {
    uint32_t status, flags, tries;
    int32_t pid, worker;
    double start, end;
    const char *err;            /* "Type: message" for the trace, or "" */
    const char *bytes;          /* the result, encoded */
    size_t len;
};

/* Worker slot w of rp holds no call any more. A closing pool's stand-ins
 * may leave once none is held: they are told to look. */
static void release(struct rpool *rp, int w)
{
    pool__shared *sh = rp->sh;
    rp->busy[w] = false;
    atomic_store(&pool__wslots(sh)[w].holding, 0);
    atomic_store(&pool__wslots(sh)[w].start, 0);
    if (atomic_load(&sh->state) != POOL_RUNNING) {
        atomic_fetch_add(&sh->work, 1);
        pool__futex_wake(&sh->work, INT_MAX);
    }
}

/* Call seq, held as worker w, ended: finished as the worker would finish
 * it (its fields, its result, its trace record, DONE). Nothing if it is
 * no longer w's: the supervisor took it (a cancel, a limit, terminate),
 * killing the stand-in, whose replacement w then waits for. */
static void finish(struct rpool *rp, int w, pid_t pid, uint64_t seq, const struct ending *e)
{
    pool__shared *sh = rp->sh;
    pool__call *c = pool__slot(sh, seq);
    if (!pool__finish_begin(sh, seq, w)) {
        rp->gone[w] = pid;
        release(rp, w);
        return;
    }
    if (e->tries > 1)
        c->tries += e->tries - 1;   /* tried again at the station (its own retries) */
    c->pid = e->pid;
    c->worker = e->worker;
    c->start = e->start;
    c->end = e->end;    /* last: a record with an end is whole (pool__fail_begin) */
    c->status = e->status;
    c->flags = e->flags;
    pool__payload_free(sh, &c->args);
    if (pool__payload_put(sh, c, &c->result, e->bytes, e->len) == -1) {
        pool__buf v = {0};
        pool__buf_put_value(&v, pool_error("PoolError", "no room in shared memory for the "
                                           "result (%zu bytes)", e->len));
        c->status = ST_ERROR;
        c->flags = 0;
        if (pool__payload_put(sh, c, &c->result, v.data, v.len) == -1)
            c->result = (pool__payload){0};
        pool__buf_free(&v);
    }
    if (atomic_load_explicit(&sh->trace_gen, memory_order_relaxed)) {
        pool__buf rec = {0};
        pool__trace_format(&rec, sh, c, e->err);
        pool__trace_write_call(sh, seq, rec.data, rec.len);
        pool__buf_free(&rec);
    }
    atomic_fetch_add_explicit(&pool__wslots(sh)[w].tasks, 1, memory_order_relaxed);
    pool__finish_end(sh, seq);
    release(rp, w);     /* after DONE: its stand-in may leave once none is held */
}

/* Call seq, held as worker w, fails here without reaching a station. */
static void finish_error(struct rpool *rp, int w, pid_t pid, uint64_t seq, const char *type,
                         const char *msg)
{
    pool__buf v = {0};
    char err[700];
    pool__buf_put_value(&v, (pool_value){.kind = POOL_ERROR, .as.err = {type, msg}});
    snprintf(err, sizeof err, "%s: %s", type, msg);
    double now = pool__now();
    struct ending e = {.status = ST_ERROR, .tries = 1, .pid = 0, .worker = -1, .start = now,
                       .end = now, .err = err, .bytes = v.data, .len = v.len};
    finish(rp, w, pid, seq, &e);
    pool__buf_free(&v);
}

static void station_dead(int rank, const char *why)
{
    struct station *s = &st[rank];
    s->live = false;
    death_seen = true;
    mp_abandon(rank);
    fprintf(stderr, "pool: rank %d on %s %s; its calls are run again elsewhere or fail\n",
            rank, s->host, why);
    for (struct flight **f = &flights; *f;) {
        struct flight *fl = *f;
        if (fl->rank != rank) {
            f = &fl->next;
            continue;
        }
        *f = fl->next;
        /* Lost with the place it ran, as if its worker had died: queued
         * again if it may be tried again, else failed. */
        pool__shared *sh = fl->rp->sh;
        pool__call *c = pool__slot(sh, fl->seq);
        if (pool__finish_begin(sh, fl->seq, fl->w)) {
            char msg[600], err[700];
            snprintf(msg, sizeof msg, "rank %d on %s stopped answering while running %s "
                     "(try %u of %u)", rank, s->host, c->name, c->tries, c->retries + 1);
            snprintf(err, sizeof err, "StationDied: %s", msg);
            c->pid = 0;
            c->worker = -1;
            double start = atomic_load(&pool__wslots(sh)[fl->w].start);
            c->start = start > 0 && start < c->submit ? c->submit : start;
            c->end = pool__now();
            pool__trace_not_begun(c);
            if (c->tries > c->retries || atomic_load(&sh->state) == POOL_TERMINATING ||
                !pool__requeue(sh, fl->seq, err))
                pool__fail_end(sh, fl->seq, ST_CRASH, "StationDied", msg);
        } else {
            fl->rp->gone[fl->w] = fl->pid;
        }
        release(fl->rp, fl->w);
        free(fl);
    }
    /* The pools have fewer workers now: pool_size says so. */
    for (int i = 0; i < MAX_POOLS; i++) {
        struct rpool *rp = pools[i];
        if (rp == NULL || rp->sh == NULL || rp->at[rank] == 0)
            continue;
        int left = rp->p->n - rp->at[rank];
        rp->at[rank] = 0;
        rp->out[rank] = 0;
        if (left >= 1) {
            pthread_mutex_unlock(&lock);    /* pool_resize takes the pool's lock */
            pool_resize(rp->p, left);
            pthread_mutex_lock(&lock);
        }
    }
    pthread_cond_broadcast(&changed);
}

/* A ping to station rank: this clock now. */
static void ping(int rank)
{
    pool__buf m = {0};
    pool__buf_put_f64(&m, pool__now());
    send_to(rank, TAG_PING, &m);
}

static void on_pong(int rank, pool__rd *r)
{
    struct station *s = &st[rank];
    double t0 = pool__rd_f64(r), there = pool__rd_f64(r), t1 = pool__now();
    if (r->bad || t1 < t0)
        return;
    if (s->pings == 0 || t1 - t0 < s->rtt) {
        s->rtt = t1 - t0;
        s->offset = there - (t0 + t1) / 2;
    }
    if (++s->pings < MP_PINGS)
        ping(rank);
}

static void on_hello(int rank, pool__rd *r)
{
    struct station *s = &st[rank];
    const char *id = pool__rd_str(r);
    snprintf(s->host, sizeof s->host, "%s", pool__rd_str(r));
    snprintf(s->build_id, sizeof s->build_id, "%s", id);
    s->cpus = (int)pool__rd_u32(r);
    s->hello = true;
    ping(rank);
    if (strcmp(id, mp_build_id()) != 0 && ready == 0) {
        ready = -1;
        snprintf(refused, sizeof refused, "rank %d on %s runs another build of the program "
                 "(build-id %.16s, not %.16s): every rank must run the same binary",
                 rank, s->host, id, mp_build_id());
    }
}

static void on_created(int rank, pool__rd *r)
{
    uint32_t id = pool__rd_u32(r);
    uint32_t n = pool__rd_u32(r);
    const char *why = pool__rd_str(r);
    for (int i = 0; i < MAX_POOLS; i++) {
        struct rpool *rp = pools[i];
        if (rp == NULL || rp->id != id || rp->waiting == 0)
            continue;
        rp->waiting--;
        rp->at[rank] = (int)n;
        rp->total += (int)n;
        if (n == 0 && rp->why[0] == '\0')
            snprintf(rp->why, sizeof rp->why, "%s", why);
        pthread_cond_broadcast(&changed);
    }
}

static void on_done(int rank, pool__rd *r)
{
    uint64_t key = pool__rd_u64(r);
    struct flight *fl = NULL, **at;
    for (at = &flights; *at; at = &(*at)->next)
        if ((*at)->key == key) {
            fl = *at;
            *at = fl->next;
            break;
        }
    if (fl == NULL)
        return;     /* the call ended here first (cancelled, killed, terminated) */
    fl->rp->out[rank]--;
    struct ending e;
    e.status = pool__rd_u32(r);
    e.flags = pool__rd_u32(r);
    e.tries = pool__rd_u32(r);
    e.pid = (int32_t)pool__rd_u32(r);
    e.worker = (int32_t)pool__rd_u32(r);
    e.start = pool__rd_f64(r) - st[rank].offset;     /* in this clock */
    e.end = pool__rd_f64(r) - st[rank].offset;
    e.err = pool__rd_str(r);
    /* The offset is good to half a round trip: the call began no sooner
     * than it was sent, and ended before its DONE came. */
    double sent = atomic_load(&pool__wslots(fl->rp->sh)[fl->w].start), now = pool__now();
    e.start = e.start < sent ? sent : e.start > now ? now : e.start;
    e.end = e.end < e.start ? e.start : e.end > now ? now : e.end;
    uint32_t len = pool__rd_u32(r);
    size_t pad = (uintptr_t)r->p % 16 ? 16 - (uintptr_t)r->p % 16 : 0;
    if (r->bad || pad + len > r->left || e.status > ST_TIMEOUT)
        finish_error(fl->rp, fl->w, fl->pid, fl->seq, "PoolError",
                     "the station's answer came garbled");
    else {
        e.bytes = r->p + pad;
        e.len = len;
        finish(fl->rp, fl->w, fl->pid, fl->seq, &e);
    }
    free(fl);
}

/* A worker slot of rp free to claim a call as: none of rp's calls out,
 * and its stand-in alive (not the one killed with its last call); -1 if
 * none is. */
static int free_slot(struct rpool *rp)
{
    int want = (int)atomic_load(&rp->sh->want);
    for (int w = 0; w < want && w < POOL_MAX_WORKERS; w++) {
        pid_t pid = atomic_load(&pool__wslots(rp->sh)[w].pid);
        if (!rp->busy[w] && pid > 0 && pid != rp->gone[w])
            return w;
    }
    return -1;
}

/* The live station with the most free workers for rp (by share); -1 if
 * every one is busy. */
static int free_station(struct rpool *rp)
{
    int rank = -1;
    for (int r = 1; r < nranks; r++)
        if (st[r].live && rp->out[r] < rp->at[r] &&
            (rank < 0 || rp->out[r] * rp->at[rank] < rp->out[rank] * rp->at[r]))
            rank = r;
    return rank;
}

/* Call seq, just claimed as worker w of rp: sent to station rank. */
static void send_call(struct rpool *rp, int w, uint64_t seq, int rank)
{
    pool__shared *sh = rp->sh;
    pool__call *c = pool__slot(sh, seq);
    pid_t pid = atomic_load(&pool__wslots(sh)[w].pid);
    atomic_store(&pool__wslots(sh)[w].start, pool__now());
    c->tries++;
    c->rank = rank;
    rp->busy[w] = true;
    uint64_t off;
    if (!mp_fn_offset((pool_fn)(uintptr_t)c->fn, &off)) {
        finish_error(rp, w, pid, seq, "PoolError", "the function is not in the program's "
                     "own code (a shared library's): it cannot run on another rank");
        return;
    }
    const char *args = pool__payload_view(sh, c, &c->args, false);
    if (args == NULL) {
        finish_error(rp, w, pid, seq, "PoolError", "the arguments could not be read");
        return;
    }
    pool__buf m = {0};
    uint64_t key = next_key++;
    pool__buf_put_u64(&m, key);
    pool__buf_put_u32(&m, rp->id);
    pool__buf_put_u64(&m, off);
    pool__buf_put_str(&m, c->name);
    pool__buf_put_u32(&m, c->nitems);
    pool__buf_put_u32(&m, c->argc);
    pool__buf_put_u32(&m, c->flags & POOL__RAW_ARGS);
    pool__buf_put_u64(&m, c->first);
    pool__buf_put_f64(&m, c->limit);
    pool__buf_put_u32(&m, c->retries + 1 > c->tries ? c->retries + 1 - c->tries : 0);
    pool__buf_put_u32(&m, c->args.len);
    mp_align(&m);
    pool__buf_put(&m, args, c->args.len);
    send_to(rank, TAG_CALL, &m);
    struct flight *fl = malloc(sizeof *fl);
    if (fl == NULL)
        pool__die("out of memory");
    *fl = (struct flight){.key = key, .rp = rp, .w = w, .pid = pid, .seq = seq, .rank = rank,
                          .next = flights};
    flights = fl;
    rp->out[rank]++;
}

/* Calls that wait, claimed and sent while a station has a free worker. */
static bool dispatch(void)
{
    bool any = false;
    for (int i = 0; i < MAX_POOLS; i++) {
        struct rpool *rp = pools[i];
        if (rp == NULL || rp->sh == NULL)
            continue;
        for (;;) {
            int rank = free_station(rp), w = rank < 0 ? -1 : free_slot(rp);
            uint64_t seq = w < 0 ? 0 : pool__claim_now(rp->sh, w);
            if (seq == 0)
                break;  /* none waits, or no place: a DONE or a put rings again */
            send_call(rp, w, seq, rank);
            any = true;
        }
    }
    return any;
}

/* Calls that ended here while a station ran them (cancelled, killed,
 * terminated: the supervisor killed the stand-in and took the call): the
 * station is told to stop them. */
static void abandoned(void)
{
    for (struct flight **f = &flights; *f;) {
        struct flight *fl = *f;
        if (pool__call_runner(fl->rp->sh, fl->seq) == fl->w) {
            f = &fl->next;
            continue;
        }
        pool__buf m = {0};
        pool__buf_put_u64(&m, fl->key);
        if (st[fl->rank].live)
            send_to(fl->rank, TAG_KILL, &m);
        fl->rp->out[fl->rank]--;
        fl->rp->gone[fl->w] = fl->pid;
        release(fl->rp, fl->w);
        *f = fl->next;
        free(fl);
    }
}

static void stop_all(void)
{
    for (int r = 1; r < nranks; r++) {
        if (!st[r].live)
            continue;
        pool__buf m = {0};
        pool__buf_put_u32(&m, death_seen ? 0 : 1);
        send_to(r, TAG_STOP, &m);
    }
    double until = pool__now() + mp_lease();
    while (mp_progress() && pool__now() < until)
        mp_nap(1e-3);
    if (!death_seen && !mp_progress())
        MPI_Finalize();
}

static void *transport_main(void *arg)
{
    (void)arg;
    int got;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &got);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    pthread_mutex_lock(&lock);
    double t0 = pool__now();
    for (int r = 1; r < nranks; r++)
        st[r] = (struct station){.rank = r, .heard = t0, .said = t0};
    pool__buf in = {0};
    double nap = 0, idle_since = 0;
    for (;;) {
        bool busy = false;
        int from, tag;
        while (mp_recv(&from, &tag, &in)) {
            busy = true;
            if (from < 1 || from >= nranks || (!st[from].live && welcomed))
                continue;   /* a station given up for dead: a late word is dropped */
            st[from].heard = pool__now();
            pool__rd r = {.p = in.data, .left = in.len};
            switch (tag) {
            case TAG_HELLO: on_hello(from, &r); break;
            case TAG_CREATED: on_created(from, &r); break;
            case TAG_DONE: on_done(from, &r); break;
            case TAG_PONG: on_pong(from, &r); break;
            default: break;
            }
        }
        double now = pool__now();
        if (!welcomed) {
            /* The handshake: every station said hello with our build-id,
             * or one did not (then every station is sent away). */
            bool all = true;
            for (int r = 1; r < nranks; r++)
                all &= st[r].hello && st[r].pings >= MP_PINGS;
            if (ready == 0 && (all || now - t0 > 10)) {
                if (!all)
                    snprintf(refused, sizeof refused, "not every rank said hello within 10 s");
                ready = all ? 1 : -1;
            }
            if (ready != 0) {
                welcomed = true;
                death_seen |= ready < 0;    /* the ranks sent away do not finalize */
                for (int r = 1; r < nranks; r++) {
                    st[r].live = st[r].hello;
                    if (!st[r].live)
                        continue;
                    pool__buf m = {0};
                    pool__buf_put_u32(&m, ready == 1);
                    pool__buf_put_str(&m, ready == 1 ? "" : refused);
                    send_to(r, TAG_WELCOME, &m);
                    if (ready != 1)
                        st[r].live = false;
                }
                pthread_cond_broadcast(&changed);
            }
        }
        for (size_t i = 0; i < nbcast; i++) {
            for (int r = 1; r < nranks; r++) {
                if (!st[r].live)
                    continue;
                pool__buf m = {0};
                pool__buf_put(&m, bcast[i].data, bcast[i].len);
                send_to(r, bcast_tag[i], &m);
            }
            pool__buf_free(&bcast[i]);
        }
        nbcast = 0;
        busy |= dispatch();
        abandoned();
        mp_progress();
        now = pool__now();
        for (int r = 1; r < nranks; r++) {
            if (!st[r].live)
                continue;
            if (now - st[r].heard > mp_lease()) {
                char why[100];
                snprintf(why, sizeof why, "has said nothing for %g s", mp_lease());
                station_dead(r, why);
            } else if (now - st[r].said > MP_BEAT) {
                pool__buf m = {0};
                send_to(r, TAG_BEAT, &m);
            }
        }
        if (stopping) {
            stop_all();
            stopped = true;
            pthread_cond_broadcast(&changed);
            pthread_mutex_unlock(&lock);
            return NULL;
        }
        if (busy) {
            idle_since = now;
            nap = 0;
            continue;
        }
        /* Poll while an answer is due (calls are out: a short call's DONE
         * comes soon after its CALL), and a moment after any work. Polling,
         * not sched_yield: on a shared machine a yield waits behind every
         * other process's time slice. Then nap longer and longer, to 1 ms
         * while calls are out, 20 ms when idle; a put rings the bell. (A
         * longer poll with no call out, for the program's next put, was
         * slower on 2 cores: one more spinner beside the workers.) */
        bool due = flights != NULL;     /* answers due: DONEs, and the handshake's pongs */
        for (int r = 1; r < nranks && !due && !welcomed; r++)
            due = st[r].hello && st[r].pings < MP_PINGS;
        if (now - idle_since < (due ? MP_SPIN : MP_HOT)) {
            pthread_mutex_unlock(&lock);    /* the API's threads are not held up */
            pthread_mutex_lock(&lock);
            continue;
        }
        nap = nap == 0 ? 20e-6 : nap * 2;
        double most = now - idle_since < MP_WARM ? MP_WARM_NAP : flights ? 1e-3 : 20e-3;
        if (nap > most)
            nap = most;
        uint32_t seen = atomic_load(bell);
        pthread_mutex_unlock(&lock);
        pool__futex_wait(bell, seen, nap);
        pthread_mutex_lock(&lock);
    }
}

/* main has returned (or exit was called): the stations are told to stop;
 * main's status goes to $POOL_MPI_STATUS. After the program's pools have
 * ended (their atexit handler was registered later, so it ran first). */
static void at_exit(int status, void *arg)
{
    (void)arg;
    if (getpid() != master_pid)
        return;     /* a fork of the master (a worker that called exit) */
    pthread_mutex_lock(&lock);
    stopping = true;
    ring();
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    const char *path = getenv("POOL_MPI_STATUS");
    if (path && *path) {
        FILE *f = fopen(path, "w");
        if (f) {
            fprintf(f, "%d\n", status);
            fclose(f);
        }
    }
}

void mp_master_start(int size)
{
    nranks = size;
    st = calloc((size_t)size, sizeof *st);
    bell = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (st == NULL || bell == MAP_FAILED)
        pool__die("cannot start the MPI transport: out of memory");
    master_pid = getpid();
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&changed, &ca);
    pthread_condattr_destroy(&ca);
    int e = pthread_create(&thread, NULL, transport_main, NULL);
    if (e != 0)
        pool__die("cannot start the MPI transport's thread: %s", strerror(e));
    on_exit(at_exit, NULL);
    pool__remote = &transport;
}
