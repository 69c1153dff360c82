/*
 * blob.c - room for payloads too big for a call slot: extents of a memfd
 * that the master, the supervisor and every worker hold.
 *
 * Extents come in size classes of 4 KiB times a power of two. A freed
 * extent over 4 MiB gives its memory back to the system at once (a hole is
 * punched); its offset, like a small one's, is kept for the next extent of its class, so that the file
 * grows only to the most that is in use at once (RLIMIT_FSIZE applies to
 * it, as to any file).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"

#define KEEP_BELOW (4 << 20)    /* extents up to this size keep their memory when freed */

size_t pool__blob_class_size(uint32_t class)
{
    return (size_t)4096 << class;
}

/* The robust lock: a process that died holding it left the lists as they
 * were between two whole steps (each step is one store), so carry on. */
static void lock(pool__shared *sh)
{
    if (pthread_mutex_lock(&sh->blob_lock) == EOWNERDEAD)
        pthread_mutex_consistent(&sh->blob_lock);
}

int pool__blob_alloc(pool__shared *sh, size_t len, uint64_t *off, uint32_t *class)
{
    uint32_t k = 0;
    while (pool__blob_class_size(k) < len)
        if (++k >= POOL__CLASSES) {
            errno = EFBIG;
            return -1;
        }
    size_t size = pool__blob_class_size(k);
    lock(sh);
    if (sh->nfree[k] > 0) {
        *off = sh->free[k][--sh->nfree[k]];
    } else {
        if (sh->blob_end + size > sh->blob_size) {
            uint64_t want = sh->blob_end + size;
            want = (want + (1 << 20) - 1) & ~(uint64_t)((1 << 20) - 1);
            struct rlimit rl;   /* past it, ftruncate would raise SIGXFSZ */
            if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
                want > rl.rlim_cur) {
                pthread_mutex_unlock(&sh->blob_lock);
                errno = EFBIG;
                return -1;
            }
            if (ftruncate(sh->memfd, (off_t)want) == -1) {
                int e = errno;
                pthread_mutex_unlock(&sh->blob_lock);
                errno = e;
                return -1;
            }
            sh->blob_size = want;
        }
        *off = sh->blob_end;
        sh->blob_end += size;
    }
    pthread_mutex_unlock(&sh->blob_lock);
    *class = k;
    return 0;
}

void pool__blob_free(pool__shared *sh, uint64_t off, uint32_t class)
{
    /* Big extents give their memory back; small ones keep it for the next
     * payload of their size (faulting pages in again costs more). */
    if (pool__blob_class_size(class) > KEEP_BELOW)
        fallocate(sh->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
                  (off_t)pool__blob_class_size(class));
    lock(sh);
    if (sh->nfree[class] < POOL__FREE_MAX)
        sh->free[class][sh->nfree[class]++] = off;
    /* else: the offset is not reused; its memory is back already */
    pthread_mutex_unlock(&sh->blob_lock);
}

/* Mappings. ---------------------------------------------------------------- */

/* The mappings of extents that this process has made, kept for the next
 * payload in the same extent (extents are reused, by class): no mmap, no
 * munmap and no page faults the second time. Extents over CACHE_BIG are
 * mapped for each use. An entry in use is never dropped. */
#define CACHE_SLOTS 16
#define CACHE_BIG (8u << 20)

static struct {
    const pool__shared *sh;
    uint64_t off;
    size_t size;
    char *addr;
    int users;
    unsigned long used;     /* for dropping the least recently used */
} cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long ticks;

char *pool__blob_map(pool__shared *sh, uint64_t off, uint32_t class)
{
    size_t size = pool__blob_class_size(class);
    if (size > CACHE_BIG) {
        void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, sh->memfd, (off_t)off);
        return m == MAP_FAILED ? NULL : m;
    }
    pthread_mutex_lock(&cache_lock);
    int free_at = -1, old = -1;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (cache[i].sh == sh && cache[i].off == off && cache[i].size == size) {
            cache[i].users++;
            cache[i].used = ++ticks;
            pthread_mutex_unlock(&cache_lock);
            return cache[i].addr;
        }
        if (cache[i].sh == NULL && free_at < 0)
            free_at = i;
        else if (cache[i].sh && cache[i].users == 0 && (old < 0 || cache[i].used < cache[old].used))
            old = i;
    }
    int at = free_at >= 0 ? free_at : old;
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, sh->memfd, (off_t)off);
    if (m == MAP_FAILED) {
        pthread_mutex_unlock(&cache_lock);
        return NULL;
    }
    if (at >= 0) {
        if (cache[at].sh)
            munmap(cache[at].addr, cache[at].size);
        cache[at].sh = sh;
        cache[at].off = off;
        cache[at].size = size;
        cache[at].addr = m;
        cache[at].users = 1;
        cache[at].used = ++ticks;
    }
    pthread_mutex_unlock(&cache_lock);
    return m;   /* not kept (all in use): pool__blob_unmap unmaps it */
}

void pool__blob_unmap(char *addr, uint32_t class)
{
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (cache[i].sh && cache[i].addr == addr) {
            cache[i].users--;
            pthread_mutex_unlock(&cache_lock);
            return;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    munmap(addr, pool__blob_class_size(class));
}

void pool__blob_forget(const pool__shared *sh, bool all_but)
{
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (cache[i].sh && (all_but ? cache[i].sh != sh : cache[i].sh == sh)) {
            munmap(cache[i].addr, cache[i].size);
            cache[i].sh = NULL;
        }
    }
    pthread_mutex_unlock(&cache_lock);
}
