/*
 * future.h - waiting for one future (future.c).
 * Private to runtime/.
 */
#ifndef POOL_FUTURE_H
#define POOL_FUTURE_H

#include <time.h>

#include "pool.h"

/* The CLOCK_MONOTONIC time seconds from now, and the seconds
 * left until such a time (negative once it has passed). */
struct timespec pool__deadline(double seconds);
double pool__until(const struct timespec *t);
/* future_wait, with in naming the public call for the trace. */
void pool__wait_in(future *f, const char *in);
/* Wait for f, then its result (the caller's to free), f freed: pool_apply's
 * future_wait, future_get and future_free under one lock. */
pool_value pool__wait_result(future *f, const char *in);

#endif
