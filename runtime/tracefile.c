/*
 * tracefile.c - the trace file: written by whoever ends a call (trace.c
 * makes the lines).
 *
 * The trace's path lives in the shared region. Each process that ends calls
 * (a worker, the supervisor, the master) opens it for itself, so records
 * from several processes never overwrite each other: each writes only to a
 * range of the file it claimed first (below). A worker gathers its records
 * in its shared slot and writes them when the slot is full or before it
 * sleeps; if it dies first, the supervisor writes them. So a record is safe
 * in shared memory the moment its call is DONE, and on disk soon after,
 * even if the master is killed (see TRACE.md). The master opens the file
 * (pool_trace_open): checks that it is a regular file no other pool
 * writes, writes its header, and hands its path to the others.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracefile.h"
#include "base.h"
#include "fork.h"
#include "master.h"
#include "namer.h"
#include "remote.h"
#include "shared.h"
#include "trace.h"
#include "wire.h"
#include "worker.h"

/* Writing. ------------------------------------------------------------------
 *
 * Several processes write one file, and any of them may be killed at any
 * instant. Bytes go to the file only from a writer's stage (pool__tstage:
 * a worker's slot, the supervisor's, the master's, all in shared memory),
 * and only to a range of the file claimed for them first. The claim is
 * made in the stage before the bytes are written, so whoever finds the
 * writer dead (the supervisor for a worker or the master, the master for
 * the supervisor and, once it is gone, for the workers) writes the same
 * bytes again to the same range: a write cut short is completed, a write
 * done is done again in place. No record is written twice, none is cut.
 *
 * Claiming is one compare-and-swap on sh->trace_end, which holds the
 * file's next free byte, the generation of the path it counts for and who
 * claimed last. Between a writer's swap and its noting the claim as made,
 * it may die: so a writer first writes the claim it is about to make
 * (PENDING, with the end it read), and each claimer first confirms the
 * last claimer's pending claim if it is the one that ended where trace_end
 * stands. A pending claim that nobody confirms was never made.
 */
#define END_OFF(e)   ((e) & 0xffffffffffULL)            /* 40 bits: 1 TiB */
#define END_WHO(e)   ((int)(((e) >> 40) & 0x3ff))       /* writer + 1; 0 none */
#define END_GEN(e)   ((uint32_t)((e) >> 50) & 0xfff)    /* 12 bits */
#define GEN_BITS(g)  ((uint32_t)(g) & 0xfff)
#define END(off, who, gen) ((uint64_t)(off) | (uint64_t)(who) << 40 | \
                            (uint64_t)GEN_BITS(gen) << 50)
/* A claim: END(off, 0, gen), flagged (bits 62, 63: never 0). */
#define CLAIM_PENDING (1ULL << 63)
#define CLAIM(off, gen) (END(off, 0, gen) | (1ULL << 62))

/* The writer this process is: the master's unless told otherwise. */
static int self_writer = -1;

/* A worker: the generation of the path its gathered records were made for. */
static uint32_t staged_gen;

void pool__trace_writer(int who)
{
    self_writer = who;
    staged_gen = 0;     /* a new process's records: none gathered yet */
}

static pool__tstage *stage_of(pool__shared *sh, int who, char **data, uint32_t *cap)
{
    if (who == POOL__TW_SUP) {
        *data = sh->sup_trace;
        *cap = POOL__STAGE;
        return &sh->sup_at;
    }
    if (who == POOL__TW_MASTER) {
        *data = sh->master_trace;
        *cap = POOL__STAGE;
        return &sh->master_at;
    }
    *data = pool__wslots(sh)[who].trace;
    *cap = POOL__TRACE_BUF;
    return &pool__wslots(sh)[who].trace_at;
}

/* Descriptors of this process for trace files: by pool (its serial: a pool
 * made after another was destroyed may be mapped at the same address) and
 * the path's generation. The master uses them under stage_lock. */
static struct {
    int fd;
    uint64_t serial;
    uint32_t gen;
    dev_t dev;      /* what fd was opened on: in a worker, a task may close */
    ino_t ino;      /* the number and get it again for a file of its own */
} fds[8] = {{.fd = -1}, {.fd = -1}, {.fd = -1}, {.fd = -1},
            {.fd = -1}, {.fd = -1}, {.fd = -1}, {.fd = -1}};

/* fds[i].fd still names the file it was opened on. A number that does not
 * is the task's now: forgotten, never closed or written. */
static bool fd_ours(unsigned i)
{
    struct stat st;
    if (fds[i].fd >= 0 && fstat(fds[i].fd, &st) == 0 && st.st_dev == fds[i].dev &&
        st.st_ino == fds[i].ino)
        return true;
    fds[i].fd = -1;
    return false;
}
static unsigned fds_next;
static pthread_mutex_t stage_lock = PTHREAD_MUTEX_INITIALIZER;

/* A fork never copies stage_lock held by another thread. */
static void stage_unlock(void) { pthread_mutex_unlock(&stage_lock); }
static void stage_lock_raw(void) { pthread_mutex_lock(&stage_lock); }
static void stage_atfork(void) { pthread_atfork(stage_lock_raw, stage_unlock, stage_unlock); }
static pthread_once_t stage_once = PTHREAD_ONCE_INIT;

void pool__trace_atfork(void)
{
    pthread_once(&stage_once, stage_atfork);
}

static void stage_lock_take(void)
{
    pool__trace_atfork();
    pthread_mutex_lock(&stage_lock);
}

/* This process's descriptor for the pool's trace of generation gen; -1 if
 * it cannot be opened. Opened after gen was read: a claim for gen then
 * fails if the path has changed since (pool_trace_open moves trace_end
 * first). */
static int fd_for(pool__shared *sh, uint32_t gen)
{
    /* In a worker, a descriptor is checked before each batch it writes. */
    for (unsigned i = 0; i < 8; i++)
        if (fds[i].fd >= 0 && fds[i].serial == sh->serial && fds[i].gen == gen &&
            (!pool__in_worker || fd_ours(i)))
            return fds[i].fd;
    /* A newer generation of the same pool: the old descriptor goes. */
    unsigned k = fds_next++ % 8;
    for (unsigned i = 0; i < 8; i++)
        if (fds[i].fd >= 0 && fds[i].serial == sh->serial)
            k = i;
    if (fd_ours(k))
        close(fds[k].fd);
    /* The master made the file and checked that it is a regular one. */
    fds[k].fd = open(sh->trace_path, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fds[k].fd >= 0 && fstat(fds[k].fd, &st) == 0) {
        fds[k].dev = st.st_dev;
        fds[k].ino = st.st_ino;
    }
    fds[k].serial = sh->serial;
    fds[k].gen = gen;
    return fds[k].fd;
}

void pool__trace_forget(const pool__shared *sh)
{
    stage_lock_take();
    for (unsigned i = 0; i < 8; i++) {
        if (fds[i].fd >= 0 && fds[i].serial == sh->serial) {
            if (fd_ours(i))
                close(fds[i].fd);
            fds[i].fd = -1;
        }
    }
    stage_unlock();
}

/* Records cannot be written: say so once a pool (whichever process finds
 * out first), then lose them quietly. The calls go on. */
static void lost(pool__shared *sh, const char *why)
{
    if (atomic_exchange(&sh->trace_lost, 1))
        return;
    fprintf(stderr, "pool: warning: trace records are lost: %s: %s\n", sh->trace_path, why);
}

/* A range that cannot be written would leave a hole in the file (NUL
 * bytes between the records around it). So the file ends where the first
 * such range began: it is cut there, and no range past it is written; a
 * writer that wrote past it cuts the file again. sh->trace_cut holds that
 * offset for generation gen (CLAIM(off, gen)), only ever lowered. */
static uint64_t cut_at(pool__shared *sh, uint32_t gen)
{
    uint64_t c = atomic_load(&sh->trace_cut);
    return c != 0 && END_GEN(c) == GEN_BITS(gen) ? END_OFF(c) : UINT64_MAX;
}

static void cut(pool__shared *sh, int fd, uint32_t gen, uint64_t off)
{
    uint64_t c = atomic_load(&sh->trace_cut);
    while (off < cut_at(sh, gen) &&
           !atomic_compare_exchange_weak(&sh->trace_cut, &c, CLAIM(off, gen)))
        ;
    /* Again while another cut lower meanwhile: a cut never lengthens it. */
    for (uint64_t at = cut_at(sh, gen), done = UINT64_MAX; fd >= 0 && at < done;
         done = at, at = cut_at(sh, gen)) {
        struct stat st;
        if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > at && ftruncate(fd, (off_t)at) != 0)
            break;
    }
}

/* Write n bytes at off. Never past the file-size limit (RLIMIT_FSIZE):
 * a write there would cut the record and raise SIGXFSZ, which ends the
 * process; the record is lost instead. */
static void put_range(pool__shared *sh, int fd, const char *p, size_t n, uint64_t off)
{
    uint32_t gen = atomic_load(&sh->trace_gen);
    if (off >= cut_at(sh, gen))
        return;     /* after a range lost: lost too (told already) */
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        off + n > (uint64_t)rl.rlim_cur) {
        lost(sh, "the file-size limit (ulimit -f) is reached");
        cut(sh, fd, gen, off);
        return;
    }
    if (fd < 0) {
        lost(sh, "it cannot be opened");
        cut(sh, fd, gen, off);  /* a dead writer's range: the file ends there */
        return;
    }
    /* Room first: on a full disk a write stops part way and leaves the
     * end of the file inside a record. A range that has no room is lost
     * whole (a file system that cannot say takes the write as it comes). */
    int r;
    while ((r = fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)n)) != 0 && errno == EINTR)
        ;
    if (r != 0 && errno != EOPNOTSUPP && errno != ENOSYS) {
        lost(sh, strerror(errno));
        cut(sh, fd, gen, off);
        return;
    }
    uint64_t from = off;
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            lost(sh, w < 0 ? strerror(errno) : "nothing was written");
            cut(sh, fd, gen, from);
            return;     /* a full disk, an I/O error: records lost, calls not */
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    if (from >= cut_at(sh, gen))
        cut(sh, fd, gen, cut_at(sh, gen));  /* written past a cut made meanwhile */
}

/* Confirm the pending claim of the last claimer in e, if it ends at e. */
static void help(pool__shared *sh, uint64_t e)
{
    int who = END_WHO(e) - 1;
    if (who < 0 || (who >= POOL_MAX_WORKERS && who != POOL__TW_SUP && who != POOL__TW_MASTER))
        return;     /* no writer: the word was written over */
    char *data;
    uint32_t cap;
    pool__tstage *st = stage_of(sh, who, &data, &cap);
    uint64_t c = atomic_load(&st->claim);
    if (!(c & CLAIM_PENDING) || END_GEN(c) != END_GEN(e))
        return;
    uint32_t len = st->claim_len;
    if (END_OFF(c) + len != END_OFF(e))
        return;
    atomic_compare_exchange_strong(&st->claim, &c, CLAIM(END_OFF(c), END_GEN(e)));
}

/* Claim len bytes of the file for writer who (stage st) in generation gen.
 * False if the trace moved to another path meanwhile. */
static bool claim(pool__shared *sh, int who, pool__tstage *st, uint32_t len, uint32_t gen,
                  uint64_t *off)
{
    for (;;) {
        uint64_t e = atomic_load(&sh->trace_end);
        if (END_GEN(e) != GEN_BITS(gen))
            return false;
        help(sh, e);
        st->claim_len = len;
        atomic_store(&st->claim, CLAIM_PENDING | END(END_OFF(e), 0, gen));
        if (atomic_compare_exchange_strong(&sh->trace_end, &e,
                                           END(END_OFF(e) + len, who + 1, gen))) {
            uint64_t c = CLAIM_PENDING | END(END_OFF(e), 0, gen);
            atomic_compare_exchange_strong(&st->claim, &c, CLAIM(END_OFF(e), gen));
            *off = END_OFF(e);
            return true;
        }
        atomic_store(&st->claim, 0);
    }
}

/* Writer who: write what its stage gathered, to the current trace file. */
static void stage_flush(pool__shared *sh, int who)
{
    char *data;
    uint32_t cap;
    pool__tstage *st = stage_of(sh, who, &data, &cap);
    uint32_t n = atomic_load(&st->len);
    if (n == 0)
        return;
    for (int tries = 0; tries < 1000; tries++) {
        uint32_t gen = atomic_load(&sh->trace_gen);
        if (gen == 0)
            break;
        int fd = fd_for(sh, gen);
        if (fd < 0) {
            /* No range claimed: a claim left unwritten would be a hole of
             * NUL bytes between the records around it. */
            lost(sh, "it cannot be opened");
            break;
        }
        uint64_t off;
        if (!claim(sh, who, st, n, gen, &off))
            continue;   /* pool_trace_open is moving the trace: look again */
        put_range(sh, fd, data, n, off);
        break;
    }
    /* Emptied before the claim is dropped: a writer killed between the two
     * has its range written again (the same bytes), not its bytes twice. */
    atomic_store(&st->len, 0);
    atomic_store(&st->claim, 0);
}

void pool__trace_recover(pool__shared *sh, int who)
{
    bool master = getpid() == sh->master;
    if (master)
        stage_lock_take();
    char *data;
    uint32_t cap;
    pool__tstage *st = stage_of(sh, who, &data, &cap);
    help(sh, atomic_load(&sh->trace_end));
    uint64_t c = atomic_load(&st->claim);
    uint32_t gen = atomic_load(&sh->trace_gen);
    if (c != 0 && !(c & CLAIM_PENDING)) {
        /* Claimed: write the same bytes to the same range, unless the
         * trace has moved to another file since (then they are lost). */
        uint32_t n = st->claim_len;
        if (gen && END_GEN(c) == GEN_BITS(gen) && n <= cap)
            put_range(sh, fd_for(sh, gen), data, n, END_OFF(c));
        atomic_store(&st->len, 0);
        atomic_store(&st->claim, 0);
    } else {
        atomic_store(&st->claim, 0);    /* a claim never made */
        if (atomic_load(&st->len) > cap)
            atomic_store(&st->len, 0);  /* garbled: write nothing */
        stage_flush(sh, who);
    }
    if (master)
        stage_unlock();
}

/* The supervisor or the master: write n bytes through its own stage, in
 * pieces of whole lines that fit it. */
void pool__trace_write(pool__shared *sh, const char *p, size_t n)
{
    if (atomic_load(&sh->trace_gen) == 0 || n == 0)
        return;
    bool master = getpid() == sh->master;
    int who = master ? POOL__TW_MASTER : self_writer >= 0 ? self_writer : POOL__TW_SUP;
    if (master)
        stage_lock_take();
    char *data;
    uint32_t cap;
    pool__tstage *st = stage_of(sh, who, &data, &cap);
    while (n > 0) {
        size_t k = n;
        if (k > cap) {
            const char *nl = memrchr(p, '\n', cap);
            k = nl ? (size_t)(nl - p) + 1 : cap;
        }
        uint32_t len = atomic_load(&st->len);
        if (len + k > cap) {
            stage_flush(sh, who);
            len = 0;
        }
        memcpy(data + len, p, k);
        atomic_store(&st->len, len + (uint32_t)k);
        if (who >= POOL__TW_SUP)
            stage_flush(sh, who);
        p += k;
        n -= k;
    }
    if (master)
        stage_unlock();
}

/* A "retried" record waits for a dead worker's frames to be named
 * (namer.c); the records of the next tries must not come before it. */
static bool naming_any(pool__shared *sh)
{
    for (int k = 0; k < POOL__NAMING; k++)
        if (atomic_load(&sh->naming[k]))
            return true;
    return false;
}

/* The supervisor: records of dead workers held back while a "retried"
 * record waits to be written (they may hold the next try's). */
static pool__buf held;

void pool__trace_recover_later(pool__shared *sh, int w)
{
    pool__tstage *st = &pool__wslots(sh)[w].trace_at;
    uint64_t c = atomic_load(&st->claim);
    uint32_t n = atomic_load(&st->len);
    if (!naming_any(sh) || (c != 0 && !(c & CLAIM_PENDING)) || n > POOL__TRACE_BUF) {
        pool__trace_recover(sh, w);     /* a range claimed is written now */
        return;
    }
    if (n > 0)
        pool__buf_put(&held, pool__wslots(sh)[w].trace, n);
    atomic_store(&st->len, 0);
    atomic_store(&st->claim, 0);
}

/* A "retried" record of call seq is still to be written. */
static bool naming_call(pool__shared *sh, uint64_t seq)
{
    for (int k = 0; k < POOL__NAMING; k++)
        if (atomic_load(&sh->naming[k]) == seq)
            return true;
    return false;
}

void pool__trace_write_call(pool__shared *sh, uint64_t seq, const char *p, size_t n)
{
    bool master = getpid() == sh->master;
    if (!master && self_writer == POOL__TW_SUP && naming_call(sh, seq)) {
        pool__buf_put(&held, p, n);     /* after the retried record, with the rest held */
        return;
    }
    /* The master (a retry cancelled in the queue) has no place to hold it:
     * it waits for that record, as a worker leaving does. */
    for (int i = 0; master && i < 20000 && naming_call(sh, seq); i++)     /* 10 s at most */
        usleep(500);
    pool__trace_write(sh, p, n);
}

void pool__trace_release(pool__shared *sh, bool now)
{
    if (held.len == 0 || (!now && naming_any(sh)))
        return;
    pool__trace_write(sh, held.data, held.len);
    held.len = 0;
}

void pool__trace_flush_worker(pool__shared *sh, int w)
{
    if (naming_any(sh))
        return;     /* later: before its next sleep, or when it leaves */
    pool__trace_flush_worker_all(sh, w);
}

void pool__trace_flush_worker_all(pool__shared *sh, int w)
{
    pool__trace_wait_named(sh);
    pool__tstage *st = &pool__wslots(sh)[w].trace_at;
    uint32_t gen = atomic_load(&sh->trace_gen), n = atomic_load(&st->len);
    if (n > 0 && staged_gen != 0 && staged_gen != gen) {
        /* Records made for the file before a pool_trace_open go to that
         * file, at its end: nobody claims ranges of it any more. */
        int fd = -1;
        for (unsigned i = 0; i < 8 && fd < 0; i++)
            if (fds[i].fd >= 0 && fds[i].serial == sh->serial && fds[i].gen == staged_gen &&
                fd_ours(i))
                fd = fds[i].fd;
        /* A description of its own: O_APPEND must not reach the others'. */
        char self[64];
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        int afd = fd >= 0 ? open(self, O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK) : -1;
        ssize_t wrote = afd >= 0 ? write(afd, pool__wslots(sh)[w].trace, n) : -1;
        if (wrote != (ssize_t)n) {
            char why[160];
            snprintf(why, sizeof why, "the records made before pool_trace_open: %s",
                     fd < 0 ? "this worker had no descriptor for that file"
                     : wrote < 0 ? strerror(errno) : "a short write");
            lost(sh, why);
        }
        if (afd >= 0)
            close(afd);
        atomic_store(&st->len, 0);
    }
    staged_gen = gen;
    stage_flush(sh, w);
}

void pool__trace_add_worker(pool__shared *sh, int w, const char *rec, size_t n, bool now)
{
    pool__tstage *st = &pool__wslots(sh)[w].trace_at;
    uint32_t gen = atomic_load(&sh->trace_gen);
    if (gen == 0)
        return;
    if (gen != staged_gen) {
        if (atomic_load(&st->len) > 0)
            pool__trace_flush_worker_all(sh, w);    /* made for the file before */
        staged_gen = gen;
        fd_for(sh, gen);
    }
    uint32_t len = atomic_load(&st->len);
    if (len + n > POOL__TRACE_BUF) {
        pool__trace_flush_worker_all(sh, w);
        len = 0;
    }
    if (n > POOL__TRACE_BUF)
        return;     /* no record is that long */
    /* The record counts once it is whole. */
    memcpy(pool__wslots(sh)[w].trace + len, rec, n);
    atomic_store(&st->len, len + (uint32_t)n);
    if (now)
        pool__trace_flush_worker_all(sh, w);
}

bool pool__trace_staged(pool__shared *sh, int w, const pool__call *c)
{
    const char *data = pool__wslots(sh)[w].trace;
    uint32_t len = atomic_load(&pool__wslots(sh)[w].trace_at.len);
    if (len == 0 || len > POOL__TRACE_BUF || data[len - 1] != '\n')
        return false;
    const char *last = len > 1 ? memrchr(data, '\n', len - 1) : NULL;
    last = last ? last + 1 : data;
    char id[32];
    int n = snprintf(id, sizeof id, "%llu,", (unsigned long long)c->id);
    return (size_t)(data + len - last) > (size_t)n && memcmp(last, id, (size_t)n) == 0;
}

void pool__trace_wait_named(pool__shared *sh)
{
    for (int i = 0; i < 20000 && naming_any(sh); i++)     /* 10 s at most */
        usleep(500);
}

void pool__trace_event(pool__shared *sh, int w, pid_t pid, double at, const char *what,
                       const char *how)
{
    if (!atomic_load(&sh->trace_gen) || pool__is_remote(sh))
        return;     /* a remote pool's workers only stand in for calls elsewhere */
    char line[512];
    size_t n = pool__trace_event_line(line, sizeof line, sh, w, pid, at, what, how);
    if (n > 0)
        pool__trace_write(sh, line, n);
}

/* The master. ---------------------------------------------------------------- */

void pool__trace_master(pool *p, const char *what, const char *in, long long on, size_t n)
{
    pool__shared *sh = p->sh;
    if (!atomic_load(&sh->trace_gen))
        return;
    char line[256];
    size_t len = pool__trace_wait_line(line, sizeof line, sh, pool__self, pool__now(), what,
                                       in, on, n);
    if (len == 0)
        return;
    if (p->callev.len == 0) {
        pool__trace_write(sh, line, len);
        return;
    }
    /* The call events kept go out with it, in the same write: a program
     * that then waits for ever has them in its trace. */
    pool__buf_put(&p->callev, line, len);
    pool__trace_calls_flush(p);
}

#define CALLEV_BATCH 8192   /* bytes of call events written at once */

void pool__trace_call(pool *p, const future *f, const pool_value *args, int count,
                      const char *api)
{
    if (p->overwritten || !atomic_load(&p->sh->trace_gen))
        return;
    pool__trace_call_line(&p->callev, p->sh, pool__self, api, f->name, f->id, f->nitems,
                          f->first, f->submit, args, count);
    if (p->callev.len >= CALLEV_BATCH)
        pool__trace_calls_flush(p);
}

void pool__trace_calls_flush(pool *p)
{
    if (p->callev.len && p->sh && pool__self == p->creator && !p->overwritten)
        pool__trace_write(p->sh, p->callev.data, p->callev.len);
    p->callev.len = 0;
}

/* The master: pool_trace_open. ----------------------------------------------- */

int pool_trace_open(pool *p, const char *path)
{
    if (p == NULL || path == NULL || *path == '\0') {
        pool__set_error("no pool or no trace path");
        errno = EINVAL;
        return -1;
    }
    if (pool__foreign(p, "pool_trace_open"))
        return -1;
    /* Non-blocking, so that a FIFO with no reader cannot hold us here. */
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0644);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        close(fd);
        pool__set_error("cannot write the trace %s: not a regular file", path);
        errno = EINVAL;
        return -1;
    }
    if (fd < 0) {
        int e = errno;
        pool__set_error("cannot write the trace %s: %s", path,
                        e == ENXIO ? "a FIFO with no reader (not a regular file)" : strerror(e));
        errno = e;
        return -1;
    }
    if (pool__trace_in_use(p, &st)) {
        close(fd);
        pool__set_error("cannot write the trace %s: another pool writes it", path);
        errno = EBUSY;
        return -1;
    }
    char *abs = realpath(path, NULL);
    if (abs == NULL || strlen(abs) >= sizeof p->sh->trace_path) {
        int e = abs ? ENAMETOOLONG : errno;
        free(abs);
        close(fd);
        pool__set_error("cannot write the trace %s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    pool__buf head = {0};
    pool__trace_header(&head, p->n, p->sh->t0, pool__is_remote(p->sh) ? p : NULL);
    bool wrote = ftruncate(fd, 0) == 0 && write(fd, head.data, head.len) == (ssize_t)head.len;
    uint64_t head_len = head.len;
    pool__buf_free(&head);
    if (!wrote) {
        int e = errno;
        free(abs);
        close(fd);
        pool__set_error("cannot write the trace %s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    close(fd);
    pthread_mutex_lock(&p->lock);
    free(p->trace_path);
    p->trace_path = abs;
    /* Processes reopen it by name when the generation changes; a record
     * being written as it changes goes to the old file. */
    uint32_t gen = atomic_load(&p->sh->trace_gen) + 1;
    atomic_store(&p->sh->trace_end, END(head_len, 0, gen));
    memcpy(p->sh->trace_path, abs, strlen(abs) + 1);
    atomic_store(&p->sh->trace_gen, gen);
    pthread_mutex_unlock(&p->lock);
    /* The master's own descriptor, now: a program that later runs out of
     * descriptors (RLIMIT_NOFILE) still has its records written. */
    stage_lock_take();
    fd_for(p->sh, gen);
    stage_unlock();
    return 0;
}
