/*
 * master.h - the master's side of a pool: what pool.c, future.c and map.c
 * share. Private to runtime/.
 */
#ifndef POOL_MASTER_H
#define POOL_MASTER_H

#include <pthread.h>
#include <time.h>

#include "internal.h"

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
    future *cbs;            /* futures whose callback waits (callback.c) */
    uint64_t next_id;
    int batch;              /* > 0: puts wake no worker; pool__batch_end does */
    bool held;              /* a put in the batch woke nobody */
    char *trace_path;       /* the trace file (absolute path), NULL if none */
};

/* future.c: the CLOCK_MONOTONIC time seconds from now, and the seconds
 * left until such a time (negative once it has passed). */
struct timespec pool__deadline(double seconds);
double pool__until(const struct timespec *t);

/* tracefile.c: an event line of the master (TRACE.md, version 3): a thread
 * stopped to wait ("wait") or went on ("resume"), in the public call in,
 * on task on (n > 1: on n tasks, on the lowest id; on < 0: on the whole
 * pool). p->lock held; nothing is written when the pool has no trace. */
void pool__trace_master(pool *p, const char *what, const char *in, long long on, size_t n);
/* future.c: future_wait, with in naming the public call for the trace. */
void pool__wait_in(future *f, const char *in);

/* This process's PID, kept without a system call (pool.c). */
extern pid_t pool__self;

/* pool.c, p->lock held: */
/* Take a DONE call's result into its future. */
void pool__harvest(pool *p, future *f);
/* A new future's call: into the queue, or onto the overflow list. */
void pool__enqueue(pool *p, future *f);
/* Complete f in the master (a closed pool, a broken one): its trace record
 * is written here. */
/* p->lock held. f was put, but its slot no longer holds it (written
 * over): fail it with PoolError msg, from the master's own records. */
void pool__slot_lost(pool *p, future *f, const char *msg);
void pool__complete_here(pool *p, future *f, int st, const char *type, const char *msg);
/* Tell the workers and the supervisor the pool's state (pool.c); a close
 * waits until the overflow list is empty. */
void pool__share_state(pool *p);
/* Put what waits on the overflow list while the ring has room. */
void pool__pump(pool *p);
/* Submits that come together (a map's chunks): between these, puts wake
 * no worker; the end wakes one if a put needed it (takes p->lock). */
void pool__batch_begin(pool *p);
void pool__batch_end(pool *p);
/* A copy of v whose strings are the caller's (pool_value_free). */
pool_value pool__value_dup(pool_value v);
/* Fork the pool's supervisor process (pool_create; the watcher thread
 * again when one died): p->sup_pid, sup_fd and life_fd are the new one's.
 * -1 with errno if it cannot be. */
int pool__fork_supervisor(pool *p);
/* Close the pool's descriptors and unmap its region (pool_free; a child
 * of fork, for the pools it does not keep). */
void pool__let_go(pool *p);
/* Unlink f from the pool and free it (onto the pool's spares). */
void pool__release(future *f);
/* Free the pool's spare futures (pool_free). */
void pool__spares_free(pool *p);
/* What one call carries besides its function and arguments, set by the
 * public call that makes it and passed down to pool__submit. */
struct pool__call_opts {
    double limit;       /* seconds it may run once begun, scaled (cancel.c); 0: none */
    int retries;        /* tries it may have after its worker died; < 0: the
                           pool's setting (pool_set_retries) */
};
/* Submit a map chunk (nitems > 0 rows of count values, count 0 meaning
 * one) or a call of count values, with opts (NULL: no limit, the pool's
 * retries): the future, or NULL. */
future *pool__submit(pool *p, pool_fn fn, const char *name, const pool_value *args,
                     int count, uint32_t nitems, uint64_t first, pool_value *out,
                     const struct pool__call_opts *opts);
/* A call of count values, its arguments checked as pool_submit checks
 * them (pool_submit, pool_submit_limit, pool_submit_retries). */
future *pool__submit_call(pool *p, pool_fn fn, const char *name, const pool_value *args,
                          int count, const struct pool__call_opts *opts);
/* True (and a PoolError raised or set) if p is not this process's own. */
bool pool__foreign(const pool *p, const char *what);

/* handle.c: a pool or future that pool_destroy freed keeps its struct for
 * a while, marked with the tombstone, so that a later use is named. */
#define POOL__TOMB 0x746f6d62u  /* "tomb" */
/* Free p or f, or keep its bare struct if it carries the tombstone. */
void pool__pool_free(pool *p);
void pool__future_free(future *f);
/* True (with errno EINVAL and a message) for a destroyed pool. */
bool pool__pool_gone(const pool *p, const char *what);
/* True (with errno and a message) for no future, a future of a destroyed
 * pool, or one of a pool that is not this process's (pool__foreign). */
bool pool__future_gone(const future *f, const char *what);

/* fork.c */
/* The pool this thread is forking a supervisor for (its child keeps it). */
extern _Thread_local const pool__shared *pool__forking;
void pool__pools_add(pool *p);
void pool__pools_remove(pool *p);
/* True if another pool of this process traces to the file st describes. */
struct stat;
bool pool__trace_in_use(const pool *self, const struct stat *st);

/* callback.c: on the watcher thread, run the callbacks of the futures that
 * are done (takes p->lock). Poke the watcher. */
void pool__run_callbacks(pool *p);
void pool__poke_watcher(pool *p);
/* Wake the pool's supervisor to look at the shared state again (one write
 * to its eventfd; async-signal-safe). */
void pool__poke_supervisor(const pool *p);

/* watch.c: the watcher thread's body. */
void *pool__watcher_main(void *arg);

#endif
