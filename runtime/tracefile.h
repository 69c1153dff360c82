/*
 * tracefile.h - the trace file (tracefile.c): opened by each process for
 * itself, written by whoever ends a call, in ranges claimed first.
 * Private to runtime/.
 */
#ifndef POOL_TRACEFILE_H
#define POOL_TRACEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared.h"

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

/* Wait (at most 10 s) until no "retried" record waits to be written. */
void pool__trace_wait_named(pool__shared *sh);

/* The master's event line (TRACE.md, version 3): a thread
 * stopped to wait ("wait") or went on ("resume"), in the public call in,
 * on task on (n > 1: on n tasks, on the lowest id; on < 0: on the whole
 * pool). p->lock held; nothing is written when the pool has no trace. */
void pool__trace_master(pool *p, const char *what, const char *in, long long on, size_t n);
/* The call event of f, made through the public call api with count
 * arguments args (a chunk: its rows); nothing when the pool has no trace.
 * pool__submit makes one for every call it makes. p->lock held. The
 * events are kept in p->callev and written some KiB at a time, with the
 * master's next wait event, and when the pool ends (pool__trace_calls_flush):
 * a write per call would cost more than the call. */
void pool__trace_call(pool *p, const future *f, const pool_value *args, int count,
                      const char *api);
/* Write the call events kept (in the process that made p; another, a
 * child of fork, lets them go). */
void pool__trace_calls_flush(pool *p);

#endif
