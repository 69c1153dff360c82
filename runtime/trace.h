/*
 * trace.h - the trace's format (trace.c): its lines, made in memory
 * (TRACE.md).
 * Private to runtime/.
 */
#ifndef POOL_TRACE_H
#define POOL_TRACE_H

#include <stddef.h>
#include <sys/types.h>

#include "wire.h"

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
/* A call event (TRACE.md), appended to b: the master (pid) made task id,
 * of function name, at time submit (pool__now), through the public call
 * api, with count arguments args; a chunk of a map (nitems > 0) runs
 * inputs first.. of the map, its rows of count values (0: one each). */
void pool__trace_call_line(pool__buf *b, const pool__shared *sh, pid_t pid, const char *api,
                           const char *name, uint64_t id, uint32_t nitems, uint64_t first,
                           double submit, const pool_value *args, int count);
/* The first lines of a trace file (TRACE.md, version 3): the version, where
 * the trace comes from (a pool of workers whose time 0 is t0, pool__now),
 * the column names. Version 4 when remote, the pool, runs its calls
 * elsewhere (sh->remote; NULL otherwise): the stations too. */
void pool__trace_header(pool__buf *b, int workers, double t0, const pool *remote);

#endif
