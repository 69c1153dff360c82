/*
 * namer.h - naming a dead worker's frames beside the supervisor's loop
 * (namer.c).
 * Private to runtime/.
 */
#ifndef POOL_NAMER_H
#define POOL_NAMER_H

#include <stdbool.h>
#include <stdint.h>

#include "shared.h"

#define POOL__NAMING 16
struct pool__death {
    uint64_t seq;               /* its call (FINISHING, taken by the supervisor) */
    int st;                     /* how to fail it */
    const char *type;           /* a static string */
    char head[600];             /* "worker 0 (pid 9) was killed by ... while running f" */
    char try[64];               /* " (try 1 of 3)" or "" */
    uint64_t bt[POOL__BT_MAX];
    int bt_n;
    uint32_t bt_first;
    uint64_t fn;
    int status;
    bool retried;               /* queued again: only its record is to write */
    pool__call snap;            /* then: the call as the try left it */
};
/* The call runs again (queued at once, ahead of calls not begun); its
 * "retried" record comes once the frames are named. False (nothing done)
 * if it cannot be queued again: fail it. */
bool pool__death_retry(pool__shared *sh, struct pool__death *d);
/* Name the frames and then fail the call (or write the retried record):
 * in a helper process, or here if none can be had. */
void pool__death_name(pool__shared *sh, const struct pool__death *d);
/* The supervisor's loop: how many are being named, their descriptors to
 * poll, the milliseconds until one must be given up (-1: none), and the
 * ones whose words came (all: every one, with what came). */
int pool__naming_pending(void);
/* True while the supervisor names the death of call seq's worker (it holds
 * the call, FINISHING, until then). */
bool pool__naming_holds(uint64_t seq);
struct pollfd;
int pool__naming_fds(struct pollfd *pfd, int max);
int pool__naming_timeout(void);
void pool__naming_poll(pool__shared *sh, bool all);

#endif
