/*
 * internal.h - what the runtime's files share and nobody else sees.
 *
 * Names here start with pool__ (two underscores): private to runtime/.
 */
#ifndef POOL_INTERNAL_H
#define POOL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "pool.h"

/* Errors (base.c). ------------------------------------------------------------ */

/* Remember a sentence for pool_last_error(); printf format. */
void pool__set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 0 if $POOL_TIME_SCALE is unset, empty or a number above 0; otherwise -1,
 * EINVAL and a message for pool_last_error (pool_create refuses it). */
int pool__check_time_scale(void);
/* Print "pool: <message>" and abort: a broken invariant or a misuse. */
void pool__die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* What a value of kind k is, in words ("an integer"). */
const char *pool__kind_name(pool_kind k);

/* Clock (base.c). ------------------------------------------------------------ */

/* Seconds on CLOCK_MONOTONIC: one clock for the master and every worker. */
double pool__now(void);

/* Byte buffers and the wire format. ---------------------------------------- */

/* A growable byte buffer; off is where reading (or sending) has got to. */
typedef struct {
    char *data;
    size_t len, cap, off;
} pool__buf;

void pool__buf_reserve(pool__buf *b, size_t more);
void pool__buf_put(pool__buf *b, const void *p, size_t n);
void pool__buf_put_u32(pool__buf *b, uint32_t v);
void pool__buf_put_u64(pool__buf *b, uint64_t v);
void pool__buf_put_f64(pool__buf *b, double v);
void pool__buf_put_str(pool__buf *b, const char *s);
void pool__buf_put_value(pool__buf *b, pool_value v);
/* Drop what has been consumed (off) and keep the rest at the front. */
void pool__buf_compact(pool__buf *b);
void pool__buf_free(pool__buf *b);

/* A reader over one message; bad turns true on a short or garbled message. */
typedef struct {
    const char *p;
    size_t left;
    bool bad;
} pool__rd;

uint32_t pool__rd_u32(pool__rd *r);
uint64_t pool__rd_u64(pool__rd *r);
double pool__rd_f64(pool__rd *r);
/* A pointer into the message (NUL-terminated there), not a copy. */
const char *pool__rd_str(pool__rd *r);
/* Strings of the value point into the message. */
pool_value pool__rd_value(pool__rd *r);

/* Size of an encoded value list (pool__buf_put_value each, from the start
 * of a buffer: bytes are padded to POOL__ALIGN from there). */
size_t pool__values_size(const pool_value *v, size_t n);
#define POOL__ALIGN 16

/* In a spin loop: let the other hyperthread (or the host) run a moment. */
static inline void pool__relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* Futex on a word in shared memory (not private: other processes wait too).
 * seconds < 0: no time limit. */
void pool__futex_wait(_Atomic uint32_t *word, uint32_t seen, double seconds);
/* How many it woke. */
int pool__futex_wake(_Atomic uint32_t *word, int n);

/* The shared region. ------------------------------------------------------- */

/*
 * One region per pool, mapped MAP_SHARED before the pool's first fork, so the
 * master, the pool's supervisor process and every worker see it at the same
 * address. It holds a header, one record per worker, and a ring of call
 * slots. Larger payloads live beside it, in blobs (blob.c).
 *
 * Where a call is in its life is its slot's state word, which only queue.c
 * reads or writes; the rest of the runtime asks its verbs (queue.h).
 */
#define POOL__RING 4096         /* call slots; a power of two */
#define POOL__INLINE 232        /* payload bytes kept in the slot itself */
#define POOL__TRACE_BUF 32768   /* a worker's unwritten trace records */
#define POOL__LENT 4            /* rooms a task can make for bytes (room.c) */
#define POOL__AGAIN 64          /* calls waiting to be tried again at once */
#define POOL__WALL_ROOM 1       /* past the end of a pool_bytes_alloc room */
#define POOL__WALL_ARGS 2       /* past the end of its copy of its arguments */
#define POOL__WALL_READONLY 3   /* into its arguments, which are read-only */
#define POOL__EXIT_LOST 121     /* a worker's exit: it lost the pool's memfd */
#define POOL__BT_MAX 48         /* frames of a dying worker's backtrace */
#define POOL__BT_TAKING (-1)
#define POOL__BT_INJECTED (-2)  /* POOL_FAULT made it crash: nothing to show */

/* A chunk's inputs or results as an array of pool_value, copied as they
 * are: only when none holds a string (master and workers are one program). */
#define POOL__RAW_ARGS 1u
#define POOL__RAW_RESULT 2u

/* How a call ended. ST_RETRIED is no end: a try whose worker died, run
 * again (its trace record only; the call goes on). */
enum { ST_OK, ST_ERROR, ST_CRASH, ST_TERMINATED, ST_CANCELLED, ST_TIMEOUT, ST_RETRIED };
enum { POOL_RUNNING, POOL_CLOSED, POOL_TERMINATING };

/* Faults on purpose (POOL_FAULT), for tests and the grader: fault.c's
 * alone. The lists hold call id + 1, then 0. */
typedef struct {
    _Atomic int32_t spawn;      /* replacement starts still to fail */
    uint64_t crash[8], error[8];
    uint64_t crash1[8];         /* crash on the first try only */
    uint64_t hang[8];           /* crash, and hang while taking the backtrace */
} pool__faults;

/* Where a payload is: in the slot (blob 0) or in a blob of the pool's file. */
typedef struct {
    uint64_t blob;      /* offset in the blob file, 0: inline */
    uint32_t len;       /* bytes of encoded values */
    uint32_t class;     /* the blob's size class */
} pool__payload;

typedef struct {
    _Atomic uint64_t state_word;    /* queue.c's alone: ask its verbs */
    _Atomic uint32_t wake;      /* futex: bumped when the call is DONE */
    _Atomic uint32_t sleepers;  /* master threads asleep on wake */
    /* Written by the master before QUEUED; read-only after. */
    uint64_t id;                /* the future's id */
    uint64_t fn;                /* the function's address */
    uint32_t nitems;            /* 0: one call of argc values; n: a chunk of n items */
    uint32_t argc;
    uint32_t flags;             /* POOL__RAW_ARGS (master), POOL__RAW_RESULT (finisher) */
    uint64_t first;             /* a chunk: its first item's index in the map */
    double limit;               /* seconds it may run once begun; 0: no limit */
    uint32_t retries;           /* tries after a death it may have (pool_set_retries) */
    double submit;
    char name[64];
    pool__payload args;
    /* Written by the finisher before DONE. */
    double start, end;
    int32_t pid, worker;
    uint32_t status;            /* ST_* */
    /* Written by the worker that holds it: how many times it has begun. */
    uint32_t tries;
    pool__payload result;
    char data[POOL__INLINE];    /* inline arguments, then an inline result */
} __attribute__((aligned(64))) pool__call;

/* A writer's trace bytes on their way to the file (tracefile.c): gathered in
 * memory the others can read, then written to a range of the file that is
 * claimed first, so that whoever finds the writer dead writes them again
 * to the same place: never twice, never cut. */
typedef struct {
    _Atomic uint32_t len;       /* bytes gathered */
    uint32_t claim_len;         /* bytes of the range being claimed */
    _Atomic uint64_t claim;     /* 0, or that range (tracefile.c) */
} pool__tstage;
#define POOL__STAGE 8192        /* the supervisor's and the master's */

typedef struct {
    _Atomic int32_t pid;        /* the worker's process, 0 while none */
    _Atomic uint64_t holding;   /* seq of the call it runs, 0 between calls */
    _Atomic double start;       /* when that call began */
    _Atomic uint32_t tasks;     /* calls it has run */
    uint32_t spins;             /* times it has been the spinner (queue.c), its own */
    _Atomic int32_t exit_status; /* from its own exit path: -1 until then */
    _Atomic int32_t fatal;      /* a fatal signal its handler caught, 0 if none */
    /* What the task hit when it died of SIGSEGV (room.c): POOL__WALL_*, and
     * the size of the room it wrote past. */
    _Atomic uint32_t wall;
    uint64_t wall_n;
    /* The call it left before beginning, its descriptor for the pool's
     * shared memory gone (exit status POOL__EXIT_LOST); 0 if none. */
    _Atomic uint64_t lost_fd;
    /* Where it was when it died (backtrace.c): return addresses, taken
     * by its fatal-signal handler or its exit path. bt_n is
     * POOL__BT_TAKING while they are being taken, then how many there
     * are; bt_first is the frame where the crash happened. */
    _Atomic int32_t bt_n;
    uint32_t bt_first;
    uint64_t bt[POOL__BT_MAX];
    /* Stopping its call on purpose (cancel.c, supervise.c): the seq the
     * master asks the supervisor to stop, and the seq the supervisor killed
     * the worker for. */
    _Atomic uint64_t cancel;
    _Atomic uint64_t killed;
    _Atomic uint32_t killed_why;    /* which of the two (supervise.c) */
    /* The worker's trace records not yet written. Written by the worker;
     * written out by the supervisor once the worker is dead (tracefile.c). */
    pool__tstage trace_at;
    char trace[POOL__TRACE_BUF];
} __attribute__((aligned(64))) pool__wslot;

#define POOL__CLASSES 40
#define POOL__FREE_MAX 1024

typedef struct pool__shared {
    uint64_t serial;            /* this pool, unlike any other of the machine's */
    _Atomic int32_t n;          /* worker slots in use: the most the pool has had */
    _Atomic int32_t want;       /* the pool's size; workers in slots from here up
                                   leave after their call (pool_resize) */
    double t0;                  /* the pool's time 0 (pool__now) */
    pid_t master;               /* the process that made the pool */
    int memfd;                  /* the blob file */
    size_t size;                /* of the whole region */

    /* Each group on a cache line of its own: who writes it differs, and
     * a write by one side would make the other miss on the rest. */
    _Alignas(64) _Atomic uint64_t head; /* next seq to claim (workers) */
    _Alignas(64) _Atomic uint64_t tail; /* next seq the master will put (master) */
    _Atomic uint32_t work;      /* futex: bumped on every put and on close (master) */
    /* Waking workers (queue.c). Nothing here is a count that a worker
     * killed between two steps could leave wrong: the supervisor undoes a
     * dead worker's part when it reaps it (pool__worker_gone). */
    _Alignas(64) _Atomic uint64_t sleepers[POOL_MAX_WORKERS / 64]; /* bit w: w sleeps on work */
    _Atomic uint64_t spinner;   /* who looks for work without sleeping:
                                   its try count << 16 | its index + 1; 0: none */
    _Atomic uint32_t wake_sent; /* 1: a wake on work is on its way; no other is sent */
    _Alignas(64) _Atomic uint32_t state; /* POOL_RUNNING, ... */
    _Atomic uint32_t want_done; /* count finishes in done (calls wait outside the ring) */
    _Atomic uint32_t done;      /* futex: bumped on each finish while want_done */
    _Atomic uint32_t watching;  /* the watcher wants a wake on done: the first
                                   finish that sees it clears it and wakes it, */
    _Atomic uint32_t done_at;   /* once done reaches this, */
    _Atomic uint64_t blocker;   /* or this call ends (it holds the ring's next slot) */
    _Atomic uint32_t live;      /* workers running now */
    _Atomic uint32_t ready;     /* futex: 1 once the first workers run, 2 if they cannot */
    int start_errno;            /* why, when ready is 2 */
    _Atomic int32_t end_signal; /* the signal ending the program, if one is */
    /* Is the supervisor there (watch.c)? The master bumps ping and pokes
     * it; it answers by copying ping to pong. done: it ended as it should. */
    _Atomic uint32_t sup_ping, sup_pong, sup_done;
    _Alignas(64) char end_of_hot[1];

    /* The trace: a path that each process opens for itself. Writers
     * claim ranges of the file from trace_end (tracefile.c). */
    _Atomic uint32_t trace_gen; /* bumped when the path changes; 0: no trace */
    char trace_path[4096];
    _Atomic uint64_t trace_end; /* next free byte, last claimer, generation */
    pool__tstage sup_at, master_at;
    _Atomic uint32_t trace_lost;    /* records were lost: told once */
    _Atomic uint64_t trace_cut;     /* where the file was cut after a loss (tracefile.c) */
    /* Calls run again whose "retried" record waits for the dead worker's
     * frames to be named (namer.c): their next try's record waits too. */
    _Atomic uint64_t naming[16];
    char sup_trace[POOL__STAGE], master_trace[POOL__STAGE];

    /* The blob allocator (blob.c). blob_lock guards the rest. */
    pthread_mutex_t blob_lock;  /* robust, process-shared */
    uint64_t blob_end, blob_size;
    uint64_t blob_warm;         /* bytes of free extents over 4 MiB that kept their memory */
    uint32_t nfree[POOL__CLASSES];
    uint64_t free[POOL__CLASSES][POOL__FREE_MAX];

    /* Backtraces of dying workers (POOL_BACKTRACE): 0 none, 1 in the
     * error message and the trace, 2 also on stderr. */
    int backtrace;

    pool__faults fault;         /* POOL_FAULT (fault.c) */

    /* Retries (pool_set_retries). A call whose worker died and that may run
     * again is QUEUED once more in its own slot (its seq is behind head by
     * then), and its seq goes into again[]: workers look there before the
     * ring. nagain counts the entries that are not 0. */
    _Atomic uint32_t retries;       /* the pool's setting, for calls made from now on */
    _Atomic uint32_t nagain;
    _Atomic uint64_t again[POOL__AGAIN];

    /* Worker options (pool_set_max_calls, pool_set_initializer). */
    _Atomic uint64_t max_calls;     /* 0: no limit */
    _Atomic uint32_t init_gen;      /* bumped when the initializer changes */
    pthread_mutex_t init_lock;      /* robust, process-shared: guards the rest */
    uint64_t init_fn;
    uint32_t init_argc, init_len;
    char init_name[64];
    char init_data[1024];           /* its arguments, encoded */

    /* Waiting for several futures (wait.c): a futex bumped by whoever
     * finishes a call, but only while a master thread waits on it. */
    _Atomic uint32_t finished;
    _Atomic uint32_t finish_waiters;

} pool__shared;

/* The worker slots (POOL_MAX_WORKERS of them, after the header) and the
 * ring (POOL__RING slots, after the workers): found from the region's own
 * address, never from a pointer stored in it (a task could overwrite one). */
#define POOL__HEAD_SIZE ((sizeof(pool__shared) + 4095) & ~(size_t)4095)
static inline pool__wslot *pool__wslots(const pool__shared *sh)
{
    return (pool__wslot *)((char *)sh + POOL__HEAD_SIZE);
}
static inline size_t pool__shared_size(void)
{
    return POOL__HEAD_SIZE + (size_t)POOL_MAX_WORKERS * sizeof(pool__wslot) +
           (size_t)POOL__RING * sizeof(pool__call);
}
static inline pool__call *pool__ring(const pool__shared *sh)
{
    return (pool__call *)((char *)sh + POOL__HEAD_SIZE +
                          (size_t)POOL_MAX_WORKERS * sizeof(pool__wslot));
}

/* Make the region of a pool of n workers; NULL with errno set. */
pool__shared *pool__shared_map(int n);
void pool__shared_unmap(pool__shared *sh);

/* The queue (queue.c): the transport's verbs are in queue.h. ---------------- */

#include "queue.h"

/* The slot of call seq: its fields (not its state word) for whoever the
 * verbs say may read or write them. */
static inline pool__call *pool__slot(pool__shared *sh, uint64_t seq)
{
    return &pool__ring(sh)[seq & (POOL__RING - 1)];
}

/* Whoever finished a call, after marking it DONE: wake the threads that
 * wait for several futures (wait.c), if any does. The fence pairs with the
 * waiter's count: either the waiter sees DONE or this sees the waiter. */
static inline void pool__finished_notify(pool__shared *sh)
{
#if defined(__SANITIZE_THREAD__)
    /* TSan knows no fences: a read-modify-write gives the same order. */
    if (atomic_fetch_add(&sh->finish_waiters, 0) > 0) {
#else
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&sh->finish_waiters, memory_order_relaxed) > 0) {
#endif
        atomic_fetch_add(&sh->finished, 1);
        pool__futex_wake(&sh->finished, 0x7fffffff);
    }
}

/* A call's bytes (blob.c). -------------------------------------------------- */

/* Make the pool's memfd (sh->memfd) and this process's window on it. */
int pool__blob_open(pool__shared *sh);
/* True if the memfd's number no longer names the memfd in this process (a
 * task closed it, and maybe opened a file that got the number). */
bool pool__blob_fd_lost(pool__shared *sh);
/* In a worker's fatal-signal handler: addr is in its read-only view. */
bool pool__blob_readonly_hit(const pool__shared *sh, const void *addr);
/* Let go of the windows of pool sh (all_but: of every pool but sh) and
 * close their descriptors. Bytes values still held keep theirs mapped. */
void pool__blob_forget(const pool__shared *sh, bool all_but);

/* Extents of the memfd, by size class. */
int pool__blob_alloc(pool__shared *sh, size_t len, uint64_t *off, uint32_t *class);
void pool__blob_free(pool__shared *sh, uint64_t off, uint32_t class);
size_t pool__blob_class_size(uint32_t class);
/* A new extent for len bytes, with its memory behind it, at its address in
 * this process's read-write view: NULL with errno (EFBIG: a limit, ENOSPC,
 * ENOMEM, EBADF: the descriptor was lost) if it cannot be had. */
char *pool__blob_take(pool__shared *sh, size_t len, uint64_t *off, uint32_t *class);

/* Write len bytes as payload p of call c (inline if they fit, else an
 * extent). -1 with errno if no extent can be had. */
int pool__payload_put(pool__shared *sh, pool__call *c, pool__payload *p,
                      const char *bytes, size_t len);
/* A payload's bytes, read-only (ro, a worker's view for its task) or not;
 * NULL with errno if the slot's description of them is not to be trusted
 * (EINVAL) or they cannot be mapped (ENOMEM). Nothing to give back. */
const char *pool__payload_view(pool__shared *sh, pool__call *c, const pool__payload *p,
                               bool ro);
/* Give a payload's extent back. */
void pool__payload_free(pool__shared *sh, pool__payload *p);
/* A sentence on why a payload of size bytes could not be read (errno e). */
void pool__payload_error(char *buf, size_t len, size_t size, int e);

/* Bytes that a value given to the program holds (pool_value_free gives
 * them back): a result's extent, or a malloc()ed block. A process-wide
 * table found by the data's address. False if there is no memory for it. */
bool pool__hold_block(void *data);
/* Give back what holds data; false if nothing does (the program's own bytes). */
bool pool__hold_release(const void *data);
/* A copy of the bytes of v in a malloc()ed block that the table holds (a
 * MemoryError value if there is no memory). */
pool_value pool__bytes_copy(pool_value v);
/* Master, harvesting: v (decoded from payload p) as a value that lives on:
 * a large result is kept in its extent (p is taken), a small one copied. */
pool_value pool__bytes_keep(pool__shared *sh, pool__payload *p, pool_value v);

/* Encode v[0..n) into a new extent of sh (size bytes, from pool__values_size):
 * large bytes are copied once, straight to shared memory. -1 with errno. */
int pool__values_place(pool__shared *sh, const pool_value *v, size_t n, size_t size,
                       pool__payload *p);
/* A sentence on why size bytes cannot go to shared memory (errno e). */
void pool__place_error(char *buf, size_t len, size_t size, int e);

/* A task's own memory (room.c). --------------------------------------------- */

/* In a task: a room of n bytes (16-aligned) of the worker's own memory,
 * ending at a guard page; NULL with errno (EMLINK: the call has its four). */
void *pool__room_take(size_t n);
/* After the task: false, with the room's size, if it wrote past the end of
 * a room (from the from-th on) into the few bytes before the guard. */
bool pool__room_intact(int from, size_t *n);
/* How many rooms the running call has taken (they are taken in order). */
int pool__room_count(void);
/* In the fatal-signal handler: the room whose guard addr is in, as its
 * size + 1; (size_t)-1 for the guard after the arguments' copy; 0 none. */
size_t pool__room_guard_hit(const void *addr);
/* After the call: every room free again (large ones unmapped). */
void pool__room_release(void);
/* The task's own copy of small arguments (len bytes at most a page), at
 * the start of a page that a guard page follows; NULL if no memory. */
char *pool__room_args(const char *bytes, size_t len);

/* The trace's format (trace.c): lines made in memory. ----------------------- */

/* Append call c's record, as a CSV line, to b. err: "Type: message" or "". */
void pool__trace_format(pool__buf *b, const pool__shared *sh, const pool__call *c,
                        const char *err);
/* A call that ended before it began says so: start_s is end_s. */
void pool__trace_not_begun(pool__call *c);
/* A worker's event line ("# event worker=..."), into line (size bytes, cut
 * to fit): its length, 0 if none could be made. */
size_t pool__trace_event_line(char *line, size_t size, const pool__shared *sh, int w,
                              pid_t pid, double at, const char *what, const char *how);
/* A master thread's event line: it stopped to wait ("wait") or went on
 * ("resume") in the public call in, on task on (n > 1: on n tasks; on < 0:
 * on the whole pool). As pool__trace_event_line. */
size_t pool__trace_wait_line(char *line, size_t size, const pool__shared *sh, pid_t pid,
                             double at, const char *what, const char *in, long long on,
                             size_t n);
/* The first lines of a trace file (TRACE.md, version 3): the version, where
 * the trace comes from (a pool of workers whose time 0 is t0, pool__now),
 * the column names. */
void pool__trace_header(pool__buf *b, int workers, double t0);

/* The trace file (tracefile.c). ------------------------------------------- */

/* Write bytes to this process's descriptor for the pool's current trace file
 * (opened on first use, again when the path changes). */
void pool__trace_write(pool__shared *sh, const char *p, size_t n);
/* A line "# event ..." for a worker's start ("start") or end ("end", with
 * how it ended) at time `at` (pool__now()), written at once (TRACE.md,
 * version 2). A start is stamped before the fork: the worker may begin a
 * call before its parent gets back from fork(). */
void pool__trace_event(pool__shared *sh, int w, pid_t pid, double at, const char *what,
                       const char *how);
/* Worker w: write out its buffered records (before it sleeps; put off
 * while a "retried" record waits to be written, namer.c). _all: now,
 * waiting for such a record first (its buffer is full, or it leaves). */
void pool__trace_flush_worker(pool__shared *sh, int w);
void pool__trace_flush_worker_all(pool__shared *sh, int w);
/* Writer ids for pool__trace_recover: a worker's slot, the supervisor's,
 * the master's. */
#define POOL__TW_SUP POOL_MAX_WORKERS
#define POOL__TW_MASTER (POOL_MAX_WORKERS + 1)
/* Writer `who` is dead (or killed and about to be): write what it had not
 * written, each byte once, to where it claimed; then empty its buffer. */
void pool__trace_recover(pool__shared *sh, int who);
/* Once a process, before the pools' own fork handlers (fork.c): a child
 * of fork gets the trace's lock free, before it lets pools go. */
void pool__trace_atfork(void);
/* Close this process's descriptors for pool sh's trace (it is let go). */
void pool__trace_forget(const pool__shared *sh);
/* Supervisor: as pool__trace_recover for dead worker w, but while a
 * "retried" record waits to be written (namer.c) its records are held back
 * here; pool__trace_release writes them once none waits (now: at once). */
void pool__trace_recover_later(pool__shared *sh, int w);
void pool__trace_release(pool__shared *sh, bool now);
/* Write call seq's record, after the "retried" record of its try before
 * if that one still waits to be named (namer.c): the supervisor holds it
 * back with the dead workers' records (a try stopped by its time limit or
 * killed for a cancel); the master, cancelling a retry in the queue, waits
 * for that record (10 s at most). */
void pool__trace_write_call(pool__shared *sh, uint64_t seq, const char *p, size_t n);
/* This process writes as writer who (a worker, the supervisor). */
void pool__trace_writer(int who);
/* True if the last record worker w gathered is call c's: the worker got
 * that far in finishing it (it had written the result first). */
bool pool__trace_staged(pool__shared *sh, int w, const pool__call *c);
/* A worker's record: kept in its slot, written with the ones before it
 * when the slot is full, when now, or before the worker sleeps. */
void pool__trace_add_worker(pool__shared *sh, int w, const char *rec, size_t n, bool now);

/* Workers (worker.c) and the supervisor process (supervise.c). -------------- */

/* The supervisor process: starts the workers and starts them again, fails
 * the call a dead worker held, watches the master. Never returns. */
void pool__supervise(pool__shared *sh, int ctl_fd, int life_fd, int sup_fd,
                     const sigset_t *mask)
    __attribute__((noreturn));

/* Worker w is dead: a call it was finishing whose record it had gathered
 * is finished as it would have (its result was written before): DONE,
 * with the worker's record, not failed with a second one. */
void pool__sup_finish_recorded(pool__shared *sh, int w);

/* Naming a dead worker's frames beside the supervisor's loop (namer.c). */
#define POOL__NAMING 16
struct pool__death {
    uint64_t seq;               /* its call (FINISHING, taken by the supervisor) */
    int st;                     /* how to fail it */
    const char *type;           /* a static string */
    char head[600];             /* "worker 0 (pid 9) was killed by ... while running f" */
    char try[64];               /* " (try 1 of 3)" or "" */
    uint64_t bt[POOL__BT_MAX];
    int bt_n;
    uint32_t bt_first;
    uint64_t fn;
    int status;
    bool retried;               /* queued again: only its record is to write */
    pool__call snap;            /* then: the call as the try left it */
};
/* The call runs again (queued at once, ahead of calls not begun); its
 * "retried" record comes once the frames are named. False (nothing done)
 * if it cannot be queued again: fail it. */
bool pool__death_retry(pool__shared *sh, struct pool__death *d);
/* Name the frames and then fail the call (or write the retried record):
 * in a helper process, or here if none can be had. */
void pool__death_name(pool__shared *sh, const struct pool__death *d);
/* The supervisor's loop: how many are being named, their descriptors to
 * poll, the milliseconds until one must be given up (-1: none), and the
 * ones whose words came (all: every one, with what came). */
int pool__naming_pending(void);
/* True while the supervisor names the death of call seq's worker (it holds
 * the call, FINISHING, until then). */
bool pool__naming_holds(uint64_t seq);
struct pollfd;
int pool__naming_fds(struct pollfd *pfd, int max);
int pool__naming_timeout(void);
void pool__naming_poll(pool__shared *sh, bool all);
/* Wait (at most 10 s) until no "retried" record waits to be written. */
void pool__trace_wait_named(pool__shared *sh);

/* Run calls as worker w until the pool closes. Never returns. */
void pool__worker_main(pool__shared *sh, int w) __attribute__((noreturn));

/* How a process ended, as a phrase ("was killed by signal 9 (SIGKILL: Killed)"). */
void pool__describe_end(int status, char *buf, size_t size);

/* POOL_FAULT (fault.c). ----------------------------------------------------- */

/* pool_create: read $POOL_FAULT into sh (a word it does not know: a warning). */
void pool__fault_read(pool__shared *sh);
/* Worker w, as a try of call c begins (c->tries counts it): die of SIGSEGV
 * here if POOL_FAULT says so (crash, crash1 on a first try, hang). */
void pool__fault_crash(pool__shared *sh, int w, const pool__call *c);
/* In the worker's fatal-signal handler: true if the backtrace is to hang
 * (hang:ID), as an unwinder stuck on a lock would. */
bool pool__fault_hang(void);
/* Worker: true, with the InjectedError in *v, if call c is to fail. */
bool pool__fault_error(const pool__shared *sh, const pool__call *c, pool_value *v);
/* Supervisor: true (errno EAGAIN) if this start of a replacement worker is
 * to fail (spawn:N). */
bool pool__fault_spawn(pool__shared *sh);

/* Backtraces (backtrace.c). ------------------------------------------------- */

/* Worker: load what backtrace() needs now, and give the fatal-signal
 * handler a stack of its own (a task that overflows its stack still gets
 * its backtrace). */
void pool__bt_prepare(void);
/* Worker, in its fatal-signal handler (uctx: the handler's third
 * argument) or its exit path (NULL): take the backtrace into slot ws.
 * hang: stop there, as an unwinder stuck on a lock would (POOL_FAULT). */
void pool__bt_take(pool__wslot *ws, const void *uctx, bool hang);
/* Supervisor: where a worker was when it died running fn, from the n
 * addresses pc of its slot (the crash at pc[first]): for the error
 * message, what follows "while running f" (": in g at x.c:3, called from
 * f at x.c:9"; "" if there is nothing to say); and for stderr, the frames
 * one to a line (full may be NULL). status: how it ended (wait status). */
void pool__bt_describe(const uint64_t *pc, int n, uint32_t first, uint64_t fn, int status,
                       char *line, size_t size, pool__buf *full);
/* The function that calls tasks (worker.c): a backtrace stops below it. */
extern const void *const pool__task_caller;

/* True in a worker process (pool_str copies, pool_raise jumps). */
extern bool pool__in_worker;
/* True in a process forked from a worker by its task (not the worker). */
extern bool pool__forked;

/* Strings that a worker's values point to until its task's result is sent. */
char *pool__worker_strdup(const char *s);
/* Room of n bytes (8-aligned) that lives as long as those strings. */
void *pool__worker_alloc(size_t n);

/* In a child of fork: let go of every pool's descriptors and mappings but
 * keep's (NULL: all of them). */
void pool__forget_pools(const pool__shared *keep);

#endif /* POOL_INTERNAL_H */
