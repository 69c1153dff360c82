/*
 * fault.h - POOL_FAULT, faults on purpose (fault.c).
 * Private to runtime/.
 */
#ifndef POOL_FAULT_H
#define POOL_FAULT_H

#include <stdbool.h>

#include "shared.h"

/* pool_create: read $POOL_FAULT into sh (a word it does not know: a warning). */
void pool__fault_read(pool__shared *sh);
/* Worker w, as a try of call c begins (c->tries counts it): die of SIGSEGV
 * here if POOL_FAULT says so (crash, crash1 on a first try, hang). */
void pool__fault_crash(pool__shared *sh, int w, const pool__call *c);
/* In the worker's fatal-signal handler: true if the backtrace is to hang
 * (hang:ID), as an unwinder stuck on a lock would. */
bool pool__fault_hang(void);
/* Worker: true, with the InjectedError in *v, if call c is to fail. */
bool pool__fault_error(const pool__shared *sh, const pool__call *c, pool_value *v);
/* Supervisor: true (errno EAGAIN) if this start of a replacement worker is
 * to fail (spawn:N). */
bool pool__fault_spawn(pool__shared *sh);

#endif
