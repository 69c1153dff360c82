/*
 * handle.h - what pool_destroy keeps of a pool and its futures, to name a
 * later use (handle.c): a struct marked with the tombstone.
 * Private to runtime/.
 */
#ifndef POOL_HANDLE_H
#define POOL_HANDLE_H

#include <stdbool.h>

#include "pool.h"

#define POOL__TOMB 0x746f6d62u  /* "tomb" */
/* Free p or f, or keep its bare struct if it carries the tombstone. */
void pool__pool_free(pool *p);
void pool__future_free(future *f);
/* True (with errno EINVAL and a message) for a destroyed pool. */
bool pool__pool_gone(const pool *p, const char *what);
/* True (with errno and a message) for no future, a future of a destroyed
 * pool, or one of a pool that is not this process's (pool__foreign). */
bool pool__future_gone(const future *f, const char *what);

#endif
