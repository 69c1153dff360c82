/*
 * worker.h - a worker process (worker.c): its loop, and what the rest of
 * the runtime asks of it.
 * Private to runtime/.
 */
#ifndef POOL_WORKER_H
#define POOL_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "shared.h"

/* Run calls as worker w until the pool closes. Never returns. */
void pool__worker_main(pool__shared *sh, int w) __attribute__((noreturn));

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

#endif
