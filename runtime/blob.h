/*
 * blob.h - a call's bytes (blob.c): the pool's memfd and each process's
 * window on it, extents, payloads, kept results.
 * Private to runtime/.
 */
#ifndef POOL_BLOB_H
#define POOL_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared.h"

/* Make the pool's memfd (sh->memfd) and this process's window on it. */
int pool__blob_open(pool__shared *sh);
/* True if the memfd's number no longer names the memfd in this process (a
 * task closed it, and maybe opened a file that got the number). */
bool pool__blob_fd_lost(pool__shared *sh);
/* In a worker's fatal-signal handler: addr is in its read-only view. */
bool pool__blob_readonly_hit(const pool__shared *sh, const void *addr);
/* Let go of the windows of pool sh (all_but: of every pool but sh) and
 * close their descriptors. Bytes values still held keep theirs mapped. */
void pool__blob_forget(const pool__shared *sh, bool all_but);

/* Extents of the memfd, by size class. */
int pool__blob_alloc(pool__shared *sh, size_t len, uint64_t *off, uint32_t *class);
void pool__blob_free(pool__shared *sh, uint64_t off, uint32_t class);
size_t pool__blob_class_size(uint32_t class);
/* A new extent for len bytes, with its memory behind it, at its address in
 * this process's read-write view: NULL with errno (EFBIG: a limit, ENOSPC,
 * ENOMEM, EBADF: the descriptor was lost) if it cannot be had. */
char *pool__blob_take(pool__shared *sh, size_t len, uint64_t *off, uint32_t *class);

/* Write len bytes as payload p of call c (inline if they fit, else an
 * extent). -1 with errno if no extent can be had. */
int pool__payload_put(pool__shared *sh, pool__call *c, pool__payload *p,
                      const char *bytes, size_t len);
/* A payload's bytes, read-only (ro, a worker's view for its task) or not;
 * NULL with errno if the slot's description of them is not to be trusted
 * (EINVAL) or they cannot be mapped (ENOMEM). Nothing to give back. */
const char *pool__payload_view(pool__shared *sh, pool__call *c, const pool__payload *p,
                               bool ro);
/* Give a payload's extent back. */
void pool__payload_free(pool__shared *sh, pool__payload *p);
/* Write len bytes (more than fit in a slot) as payload to, in the extent
 * of payload from if they fit there: from is then empty, and the extent
 * to's. No lock of the allocator is taken. -1 (nothing changed) if from
 * has no extent, or too small a one, or it cannot be reached. */
int pool__payload_reuse(pool__shared *sh, pool__payload *to, pool__payload *from,
                        const char *bytes, size_t len);
/* A sentence on why a payload of size bytes could not be read (errno e). */
void pool__payload_error(char *buf, size_t len, size_t size, int e);

/* Bytes that a value given to the program holds (pool_value_free gives
 * them back): a result's extent, or a malloc()ed block. A process-wide
 * table found by the data's address. False if there is no memory for it. */
bool pool__hold_block(void *data);
/* Give back what holds data; false if nothing does (the program's own bytes). */
bool pool__hold_release(const void *data);
/* A copy of the bytes of v in a malloc()ed block that the table holds (a
 * MemoryError value if there is no memory). */
pool_value pool__bytes_copy(pool_value v);
/* Master, harvesting: v (decoded from payload p) as a value that lives on:
 * a large result is kept in its extent (p is taken), a small one copied. */
pool_value pool__bytes_keep(pool__shared *sh, pool__payload *p, pool_value v);

#endif
