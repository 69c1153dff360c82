/*
 * fork.h - the pools of a process across fork, exit and signals (fork.c).
 * Private to runtime/.
 */
#ifndef POOL_FORK_H
#define POOL_FORK_H

#include <stdbool.h>
#include <sys/types.h>

#include "shared.h"

/* This process's PID, kept without a system call (pool_create sets it,
 * the fork handler keeps it). */
extern pid_t pool__self;
/* In a child of fork: let go of every pool's descriptors and mappings but
 * keep's (NULL: all of them). */
void pool__forget_pools(const pool__shared *keep);
/* The pool this thread is forking a supervisor for (its child keeps it). */
extern _Thread_local const pool__shared *pool__forking;
void pool__pools_add(pool *p);
void pool__pools_remove(pool *p);
/* True if another pool of this process traces to the file st describes. */
struct stat;
bool pool__trace_in_use(const pool *self, const struct stat *st);
/* True (and a PoolError raised or set) if p is not this process's own. */
bool pool__foreign(const pool *p, const char *what);

#endif
