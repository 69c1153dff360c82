/*
 * shared.h - the layout of a pool's shared region: its header, the worker
 * slots and the ring of call slots (made by queue.c, pool__shared_map).
 * Private to runtime/.
 */
#ifndef POOL_SHARED_H
#define POOL_SHARED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pool.h"
#include "status.h"

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

/* How a call ended: status.h's table, which the trace reader shares.
 * ST_RETRIED is no end: a try whose worker died, run again (its trace
 * record only; the call goes on). */
enum {
    ST_OK = POOL_STATUS_OK, ST_ERROR = POOL_STATUS_ERROR, ST_CRASH = POOL_STATUS_CRASH,
    ST_TERMINATED = POOL_STATUS_TERMINATED, ST_RETRIED = POOL_STATUS_RETRIED,
    ST_CANCELLED = POOL_STATUS_CANCELLED, ST_TIMEOUT = POOL_STATUS_TIMEOUT
};
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
    int32_t rank;               /* where it was sent (sh->remote): an MPI rank; -1 none */
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

    /* 1: a pool whose calls run elsewhere (the MPI build, runtime/mpi/):
     * the transport thread claims its calls as worker w, sends them to a
     * station and finishes them with what comes back; worker w's process
     * only stands in for the call, so that the supervisor stops it as
     * ever (a cancel, a time limit, terminate: it kills the stand-in, and
     * the transport tells the station). Set before the fork. */
    uint32_t remote;

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

#endif
