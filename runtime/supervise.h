/*
 * supervise.h - the pool's supervisor process (supervise.c).
 * Private to runtime/.
 */
#ifndef POOL_SUPERVISE_H
#define POOL_SUPERVISE_H

#include <signal.h>

#include "shared.h"

/* The supervisor process: starts the workers and starts them again, fails
 * the call a dead worker held, watches the master. Never returns. */
void pool__supervise(pool__shared *sh, int ctl_fd, int life_fd, int sup_fd,
                     const sigset_t *mask)
    __attribute__((noreturn));

/* Worker w is dead: a call it was finishing whose record it had gathered
 * is finished as it would have (its result was written before): DONE,
 * with the worker's record, not failed with a second one. */
void pool__sup_finish_recorded(pool__shared *sh, int w);

/* How a process ended, as a phrase ("was killed by signal 9 (SIGKILL: Killed)"). */
void pool__describe_end(int status, char *buf, size_t size);

#endif
