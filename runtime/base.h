/*
 * base.h - the last error, aborting, the time scale and the clock
 * (base.c): a leaf that every file may use.
 * Private to runtime/.
 */
#ifndef POOL_BASE_H
#define POOL_BASE_H

#include "pool.h"

/* Remember a sentence for pool_last_error(); printf format. */
void pool__set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 0 if $POOL_TIME_SCALE is unset, empty or a number above 0; otherwise -1,
 * EINVAL and a message for pool_last_error (pool_create refuses it). */
int pool__check_time_scale(void);
/* Print "pool: <message>" and abort: a broken invariant or a misuse. */
void pool__die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Seconds on CLOCK_MONOTONIC: one clock for the master and every worker. */
double pool__now(void);

#endif
