/*
 * master.h - the master's side of a pool: its two structs (a pool, a
 * future), which the master's files share, and what pool.c gives them.
 * Private to runtime/.
 */
#ifndef POOL_MASTER_H
#define POOL_MASTER_H

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "base.h"
#include "shared.h"
#include "wire.h"

struct future {
    uint32_t tomb;          /* POOL__TOMB once its pool was destroyed (handle.c) */
    pool *p;
    uint64_t id;
    char name[64];          /* the function's name (cut to fit), for the trace */

    /* p->lock must be held when using these. */
    uint64_t seq;           /* its slot in the queue; 0 while it waits outside */
    bool done;              /* harvested: the fields below are final */
    bool user_gone;         /* future_free came before the end */
    int status;             /* ST_* */
    pool_value result;      /* strings point into data */
    char *data;
    double start, end;
    pid_t pid;
    int worker;
    int rank;               /* the MPI rank it ran at (a pool whose calls run elsewhere); -1 */
    future *prev, *next;    /* every future of the pool not yet freed */
    future *onext;          /* the overflow list */
    pool__buf args;         /* encoded arguments, until it is put */
    char small[96];         /* args.data when they fit: most calls need no malloc */
    pool__payload placed;   /* or encoded straight into an extent, when large */
    int place_errno;        /* why they could not be (0: they were) */
    bool raw;               /* a chunk of ints and doubles: args are pool_values as they are */
    /* A chunk of a map: nitems inputs (rows of argc values, pool_starmap;
     * argc 0: one value each) from first; results go to out. */
    uint32_t nitems, argc;
    uint64_t first;
    pool_fn fn;
    double submit;
    pool_value *out;
    int failed;             /* a chunk: inputs that failed */
    double limit;           /* seconds it may run (0: no limit; cancel.c) */
    uint32_t retries;       /* tries it may have after its worker died */
    int tries;              /* how many times it began (once done) */
    /* Its callback (callback.c). */
    future_callback on_ok, on_error;
    void *cb_arg;
    bool cb_pending;        /* on p->cbs: to run once it is done */
    bool cb_ran;
    future *cb_next;        /* p->cbs */
};

struct pool {
    uint32_t tomb;          /* POOL__TOMB once destroyed (handle.c) */
    _Atomic int n;
    pid_t creator;          /* the process that made it (a task's copy is not it) */
    pool__shared *sh;
    pid_t sup_pid;          /* the supervisor process */
    int ev_fd;              /* eventfd: wakes the watcher thread (the master's own) */
    uint64_t serial;        /* sh->serial as made: if the region says otherwise,
                               a task wrote over it (watch.c) */
    bool overwritten;       /* the watcher found the region written over */
    int sup_fd;             /* a pipe that ends when it does */
    int life_fd;            /* a pipe whose end tells it that the master ended */
    int ctl_fd;             /* eventfd to the supervisor */
    int event_fd;           /* the trace, for the master's events (p->lock) */
    uint32_t event_gen;     /* the trace path's generation event_fd is for */
    pthread_t thread;       /* the master's watcher thread */
    bool thread_started, thread_joined, sup_gone;
    sigset_t task_mask;     /* the signal mask workers start with */
    int restarts;           /* supervisors started after one died */

    pthread_mutex_t lock;
    /* lock must be held when using these. */
    pthread_cond_t moved;   /* overflow calls were put, or failed */
    int state;              /* POOL_RUNNING, ... (as sh->state) */
    bool broken;            /* the supervisor died: every call fails */
    future **owner;         /* owner[seq % POOL__RING] */
    future *ovf_head, *ovf_tail;
    future *all;
    future *spare;          /* freed futures, kept for reuse (linked by next) */
    int nspare;
    /* Small extents of results taken in, kept for the next calls' arguments
     * (calls.c): a map's chunks then take no lock of the shared allocator. */
    pool__payload kept[16];
    int nkept;
    future *cbs;            /* futures whose callback waits (callback.c) */
    uint64_t next_id;
    int batch;              /* > 0: puts wake no worker; pool__batch_end does */
    bool held;              /* a put in the batch woke nobody */
    char *trace_path;       /* the trace file (absolute path), NULL if none */
    pool__buf callev;       /* call events not yet in the trace (tracefile.c) */
};

/* pool.c. */
/* Tell the workers and the supervisor the pool's state (pool.c); a close
 * waits until the overflow list is empty. */
void pool__share_state(pool *p);
/* Fork the pool's supervisor process (pool_create; the watcher thread
 * again when one died): p->sup_pid, sup_fd and life_fd are the new one's.
 * -1 with errno if it cannot be. */
int pool__fork_supervisor(pool *p);
/* Close the pool's descriptors and unmap its region (pool_free; a child
 * of fork, for the pools it does not keep). */
void pool__let_go(pool *p);
/* Wake the pool's supervisor to look at the shared state again (one write
 * to its eventfd; async-signal-safe). */
void pool__poke_supervisor(const pool *p);

#endif
