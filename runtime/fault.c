/*
 * fault.c - POOL_FAULT: faults on purpose, for tests and graders.
 *
 * POOL_FAULT=crash:ID,crash1:ID,hang:ID,error:ID,spawn:N (runtime/README.md
 * says what each does). pool_create reads it into the pool's shared region
 * (pool__fault_read); the worker asks, as each try of a call begins,
 * whether to crash (pool__fault_crash) or fail it (pool__fault_error); the
 * supervisor asks before it starts a replacement worker (pool__fault_spawn).
 * Nothing else in the runtime knows of POOL_FAULT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "shared.h"

void pool__fault_read(pool__shared *sh)
{
    pool__faults *f = &sh->fault;
    const char *s = getenv("POOL_FAULT");
    if (s == NULL || *s == '\0')
        return;
    int ncrash = 0, ncrash1 = 0, nhang = 0, nerror = 0;
    char *copy = strdup(s), *save = NULL;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(t, ':'), *end;
        unsigned long long v = colon ? strtoull(colon + 1, &end, 10) : 0;
        if (colon == NULL || end == colon + 1 || *end != '\0') {
            fprintf(stderr, "pool: warning: POOL_FAULT: '%s' is not kind:number\n", t);
            continue;
        }
        *colon = '\0';
        /* Ids count from 0; the lists keep id + 1, so that 0 ends them. */
        if (strcmp(t, "crash") == 0 && ncrash < 8)
            f->crash[ncrash++] = v + 1;
        else if (strcmp(t, "crash1") == 0 && ncrash1 < 8)
            f->crash1[ncrash1++] = v + 1;
        else if (strcmp(t, "hang") == 0 && nhang < 8)
            f->hang[nhang++] = v + 1;
        else if (strcmp(t, "error") == 0 && nerror < 8)
            f->error[nerror++] = v + 1;
        else if (strcmp(t, "spawn") == 0)
            f->spawn = v > INT32_MAX ? INT32_MAX : (int32_t)v;
        else
            fprintf(stderr, "pool: warning: POOL_FAULT: '%s' is not crash, crash1, hang, "
                    "error or spawn (at most 8 of each)\n", t);
    }
    free(copy);
}

/* ids holds id + 1 for each listed id, then 0. */
static bool listed(const uint64_t *ids, uint64_t id)
{
    for (int i = 0; i < 8 && ids[i]; i++)
        if (ids[i] == id + 1)
            return true;
    return false;
}

/* hang:ID for the call this worker runs: its backtrace hangs. */
static bool hang;

void pool__fault_crash(pool__shared *sh, int w, const pool__call *c)
{
    const pool__faults *f = &sh->fault;
    if (listed(f->crash, c->id) || (c->tries == 1 && listed(f->crash1, c->id))) {
        atomic_store(&pool__wslots(sh)[w].bt_n, POOL__BT_INJECTED);
        raise(SIGSEGV);     /* crash:ID, crash1:ID */
    }
    if (listed(f->hang, c->id)) {
        hang = true;
        raise(SIGSEGV);     /* hang:ID: the backtrace hangs */
    }
}

bool pool__fault_hang(void)
{
    return hang;
}

bool pool__fault_error(const pool__shared *sh, const pool__call *c, pool_value *v)
{
    if (!listed(sh->fault.error, c->id))
        return false;
    *v = pool_error("InjectedError", "POOL_FAULT made call %llu fail",
                    (unsigned long long)c->id);
    return true;
}

bool pool__fault_spawn(pool__shared *sh)
{
    if (atomic_load(&sh->fault.spawn) <= 0)
        return false;
    atomic_fetch_sub(&sh->fault.spawn, 1);     /* spawn:N */
    errno = EAGAIN;
    return true;
}
