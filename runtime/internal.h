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
#include <signal.h>
#include <sys/types.h>

#include "pool.h"

/* Errors. ------------------------------------------------------------------ */

/* Remember a sentence for pool_last_error(); printf format. */
void pool__set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "pool: <message>" and abort: a broken invariant or a misuse. */
void pool__die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* What a value of kind k is, in words ("an integer"). */
const char *pool__kind_name(pool_kind k);

/* Clock. ------------------------------------------------------------------- */

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

/*
 * Messages are frames: a u32 length, then the body.
 *   task   (master -> worker): u64 seq (set when handed out), u64 id,
 *                              u64 function address, str name,
 *                              u32 argc, argc values
 *   result (worker -> master): u64 id, f64 start, f64 end, value
 * Values: u8-in-u32 kind, then i64 | f64 | str | str type + str message.
 */

/* Start a frame in b; return the offset to give pool__frame_end. */
size_t pool__frame_begin(pool__buf *b);
void pool__frame_end(pool__buf *b, size_t at);
/* If b holds a whole frame at off: point r at its body, step off past it. */
bool pool__frame_next(pool__buf *b, pool__rd *r);

/* Workers. ----------------------------------------------------------------- */

/* What a worker and the master share without a message, in memory mapped
 * into both. A worker starts the task frame numbered seq only if it can move
 * started from seq - 1 to seq (compare-and-swap). The master takes back the
 * frames a worker has not begun by moving started past them: then the
 * worker skips them. Reads and writes of started are atomic; task and start
 * are written by the worker and read by the master only after it has reaped
 * the worker, or to tell who runs what (future_pid, hand-out). */
typedef struct {
    uint64_t started;   /* seq of the last frame begun or taken back */
    uint64_t task;      /* id of the task running now, 0 between tasks */
    double start;       /* when it began (pool__now) */
} __attribute__((aligned(64))) pool__slot;  /* a cache line each: workers
                                               write theirs on every task */

/* The transport (transport.c): one worker, as the master reaches it. */
typedef struct {
    pid_t pid;          /* 0: no worker */
    int send_fd;        /* tasks go out here (non-blocking) */
    int recv_fd;        /* results come in here */
} pool__link;

/* An empty link. */
void pool__link_init(pool__link *l);
/* Start a worker that reports in slot; it starts with signal mask mask and
 * closes the descriptors others (the pool's, not its own). 0, or -1 with
 * errno set. */
int pool__link_start(pool__link *l, pool__slot *slot, const sigset_t *mask,
                     const int *others, int nothers);
/* As write(2) without blocking: bytes taken, or -1 (EAGAIN: full; EPIPE:
 * the worker is gone). */
ssize_t pool__link_send(pool__link *l, const void *p, size_t n);
/* As read(2): bytes read, 0 when the worker is gone, -1 with errno. */
ssize_t pool__link_recv(pool__link *l, void *p, size_t n);
/* No more tasks: the worker finishes and exits. */
void pool__link_end_tasks(pool__link *l);
/* End the worker now (it is not waited for). */
void pool__link_kill(pool__link *l);
/* Wait for the worker to end and return its wait status; with force, end it
 * if it is still running after a moment's grace. */
int pool__link_reap(pool__link *l, bool force);
/* How a worker with wait status status ended, as a phrase ("was killed by
 * signal 9 (SIGKILL: Killed)"). */
void pool__link_describe(int status, char *buf, size_t size);
/* Let go of the link's descriptors; it is empty again. */
void pool__link_close(pool__link *l);

/* Run tasks from task_fd, answer on result_fd, until task_fd ends. Never
 * returns. Called in a freshly forked child. */
void pool__worker_main(int task_fd, int result_fd, pool__slot *slot)
    __attribute__((noreturn));

/* True in a worker process (pool_str copies, pool_raise jumps). */
extern bool pool__in_worker;

/* Strings that a worker's values point to until its task's result is sent. */
char *pool__worker_strdup(const char *s);

#endif /* POOL_INTERNAL_H */
