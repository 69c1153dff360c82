/*
 * backtrace.h - where a worker was when it died (backtrace.c).
 * Private to runtime/.
 */
#ifndef POOL_BACKTRACE_H
#define POOL_BACKTRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "shared.h"
#include "wire.h"

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

#endif
