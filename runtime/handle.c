/*
 * handle.c - a pool or a future used after pool_destroy: named, not a crash.
 *
 * pool_destroy frees the pool and the futures it made. A program that
 * touches one afterwards (a second pool_destroy, a call on the old pool,
 * future_get on one of its futures) would read freed memory. So the
 * struct the program holds is not freed at once: pool_destroy marks it
 * with a tombstone word, frees everything it points to, and keeps the
 * bare struct in a ring here. Every public function looks at the word
 * before anything else (pool__foreign, pool__future_gone), on memory that
 * is still the runtime's, and answers "this pool was destroyed".
 *
 * The rings hold the last POOL_SHELLS pools and FUTURE_SHELLS futures so
 * kept; an older one is freed when a newer one comes. Past that, or for a
 * future freed with future_free (its memory goes back at once), a handle
 * is freed memory again and its use stays undefined: runtime/README.md
 * says so. Lock-free (one atomic exchange), so a fork cannot leave it
 * held.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "handle.h"
#include "base.h"
#include "fork.h"
#include "master.h"

#define POOL_SHELLS 16
#define FUTURE_SHELLS 256

static void *_Atomic pool_ring[POOL_SHELLS];
static void *_Atomic future_ring[FUTURE_SHELLS];
static atomic_size_t pool_next, future_next;

/* Keep shell in ring (of n); free the one it replaces. */
static void keep(void *_Atomic *ring, size_t n, atomic_size_t *next, void *shell)
{
    size_t i = atomic_fetch_add(next, 1) % n;
    free(atomic_exchange(&ring[i], shell));
}

void pool__pool_free(pool *p)
{
    if (p->tomb == POOL__TOMB)
        keep(pool_ring, POOL_SHELLS, &pool_next, p);
    else
        free(p);
}

void pool__future_free(future *f)
{
    if (f->tomb == POOL__TOMB)
        keep(future_ring, FUTURE_SHELLS, &future_next, f);
    else
        free(f);
}

bool pool__pool_gone(const pool *p, const char *what)
{
    if (p->tomb != POOL__TOMB)
        return false;
    pool__set_error("%s: this pool was destroyed (pool_destroy); "
                    "make a new one with pool_create", what);
    errno = EINVAL;
    return true;
}

bool pool__future_gone(const future *f, const char *what)
{
    if (f == NULL) {
        pool__set_error("%s: no future (NULL)", what);
        errno = EINVAL;
        return true;
    }
    if (f->tomb != POOL__TOMB)
        return pool__foreign(f->p, what);
    pool__set_error("%s: this future's pool was destroyed (pool_destroy frees "
                    "its futures); take the results before pool_destroy", what);
    errno = EINVAL;
    return true;
}
