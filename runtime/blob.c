/*
 * blob.c - room for payloads too big for a call slot: extents of a memfd
 * that the master, the supervisor and every worker hold.
 *
 * Extents come in size classes of 4 KiB times a power of two. A freed
 * extent keeps its memory for the next extent of its class (faulting pages
 * in again, zeroed, costs as much as copying them), up to a point: extents
 * over 4 MiB keep theirs only while such kept memory stays under 256 MiB in
 * all; past that a freed extent gives its memory back to the system at once
 * (a hole is punched). Its offset is kept all the same, so that the file
 * grows only to the most that is in use at once (RLIMIT_FSIZE applies to
 * it, as to any file).
 *
 * Bytes values (pool_bytes) also live here; see "Bytes a task makes" and
 * "Held bytes" below for who frees their extents, whatever way a call ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"

#define KEEP_BELOW (4 << 20)    /* extents up to this size keep their memory when freed */
#define KEEP_BIG (256u << 20)   /* larger ones, while such kept memory is under this */
#define WARM 1u                 /* on a free list: the extent kept its memory */

size_t pool__blob_class_size(uint32_t class)
{
    return (size_t)4096 << class;
}

/* The robust lock: a process that died holding it left the lists as they
 * were between two whole steps (each step is one store), so carry on. (At
 * worst blob_warm is off by one extent: less memory is kept warm.) */
static void lock(pool__shared *sh)
{
    if (pthread_mutex_lock(&sh->blob_lock) == EOWNERDEAD)
        pthread_mutex_consistent(&sh->blob_lock);
}

static void give_back(pool__shared *sh, uint64_t off, uint32_t class, bool backed);

/* An extent for len bytes; with record, its offset | class is stored there
 * in the same locked step, so that a process that dies a moment later
 * leaves it on a list someone reclaims (pool__lend). */
static int alloc(pool__shared *sh, size_t len, uint64_t *off, uint32_t *class,
                 _Atomic uint64_t *record)
{
    uint32_t k = 0;
    while (pool__blob_class_size(k) < len)
        if (++k >= POOL__CLASSES) {
            errno = EFBIG;
            return -1;
        }
    size_t size = pool__blob_class_size(k);
    lock(sh);
    bool warm = false;
    if (sh->nfree[k] > 0) {
        uint64_t e = sh->free[k][--sh->nfree[k]];
        *off = e & ~(uint64_t)WARM;
        warm = e & WARM;
        if (warm && size > KEEP_BELOW)
            sh->blob_warm -= size;
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
    if (record)
        atomic_store_explicit(record, *off | k, memory_order_relaxed);
    pthread_mutex_unlock(&sh->blob_lock);
    *class = k;
    /* A new or emptied extent gets its memory now, all of it: a page of
     * shared memory comes when first written, and if there is none then,
     * the writer dies of SIGBUS. Asked for here, it is ENOSPC or ENOMEM to
     * report instead. So every extent kept warm has all its memory. */
    if (!warm && fallocate(sh->memfd, 0, (off_t)*off, (off_t)size) == -1 &&
        errno != EOPNOTSUPP) {
        int e = errno;
        if (record)
            atomic_store(record, 0);
        give_back(sh, *off, k, false);
        errno = e;
        return -1;
    }
    return 0;
}

int pool__blob_alloc(pool__shared *sh, size_t len, uint64_t *off, uint32_t *class)
{
    return alloc(sh, len, off, class, NULL);
}

/* alloc, mapped. */
static char *take(pool__shared *sh, size_t len, uint64_t *off, uint32_t *class,
                  _Atomic uint64_t *record)
{
    if (alloc(sh, len, off, class, record) == -1)
        return NULL;
    char *m = pool__blob_map(sh, *off, *class);
    if (m == NULL) {
        int e = errno;
        if (record)
            atomic_store(record, 0);
        pool__blob_free(sh, *off, *class);
        errno = e;
        return NULL;
    }
    return m;
}

/* Put the extent back on its free list: warm (keeping its memory, if all
 * of it is there and the rule allows) or cold (its memory given back). */
static void give_back(pool__shared *sh, uint64_t off, uint32_t class, bool backed)
{
    size_t size = pool__blob_class_size(class);
    lock(sh);
    if (backed && sh->nfree[class] < POOL__FREE_MAX &&
        (size <= KEEP_BELOW || sh->blob_warm + size <= KEEP_BIG)) {
        if (size > KEEP_BELOW)
            sh->blob_warm += size;
        sh->free[class][sh->nfree[class]++] = off | WARM;
        pthread_mutex_unlock(&sh->blob_lock);
        return;
    }
    pthread_mutex_unlock(&sh->blob_lock);
    /* Its memory goes back before anyone can take the extent again. */
    fallocate(sh->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)size);
    lock(sh);
    if (sh->nfree[class] < POOL__FREE_MAX)
        sh->free[class][sh->nfree[class]++] = off;
    /* else: the offset is not reused; its memory is back already */
    pthread_mutex_unlock(&sh->blob_lock);
}

void pool__blob_free(pool__shared *sh, uint64_t off, uint32_t class)
{
    give_back(sh, off, class, true);
}

/* Mappings. ---------------------------------------------------------------- */

/* The mappings of extents that this process has made, kept for the next
 * payload in the same extent (extents are reused, by class): no mmap, no
 * munmap and no page faults the second time. Extents over CACHE_BIG are
 * mapped for each use. An entry in use is never dropped. */
#define CACHE_SLOTS 16
#define CACHE_BIG (1u << 30)

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

static void holds_orphan(const pool__shared *sh, bool all_but);
static void task_forget(const pool__shared *sh, bool all_but);

void pool__blob_forget(const pool__shared *sh, bool all_but)
{
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (cache[i].sh && (all_but ? cache[i].sh != sh : cache[i].sh == sh)) {
            /* One in use is a bytes value the program still holds: it
             * stays mapped, and pool__blob_unmap unmaps it in the end. */
            if (cache[i].users == 0)
                munmap(cache[i].addr, cache[i].size);
            cache[i].sh = NULL;
        }
    }
    holds_orphan(sh, all_but);
    pthread_mutex_unlock(&cache_lock);
    task_forget(sh, all_but);
}

char *pool__blob_take(pool__shared *sh, size_t len, uint64_t *off, uint32_t *class)
{
    return take(sh, len, off, class, NULL);
}

/* Bytes a task makes. ------------------------------------------------------ */

pool__shared *pool__task_sh;
pool__call *pool__task_call;

/* The extents this worker's running task has made (this process only). */
static struct {
    const pool__shared *sh;
    char *map;
    uint64_t off;
    uint32_t class;
    size_t n;
} task_ext[POOL__LENT];

char *pool__lend(size_t n)
{
    pool__shared *sh = pool__task_sh;
    pool__call *c = pool__task_call;
    if (sh == NULL || c == NULL) {
        errno = EINVAL;
        return NULL;
    }
    int at = 0;
    while (at < POOL__LENT && (task_ext[at].map || atomic_load(&c->lent[at])))
        at++;
    if (at == POOL__LENT) {
        errno = EMLINK;
        return NULL;
    }
    uint64_t off;
    uint32_t class;
    char *m = take(sh, POOL__BYTES_AT + n, &off, &class, &c->lent[at]);
    if (m == NULL)
        return NULL;
    task_ext[at].sh = sh;
    task_ext[at].map = m;
    task_ext[at].off = off;
    task_ext[at].class = class;
    task_ext[at].n = n;
    return m + POOL__BYTES_AT;
}

/* The entry of task_ext whose data v's bytes are, or -1. */
static int lent_index(pool_value v)
{
    for (int i = 0; v.kind == POOL_BYTES && i < POOL__LENT; i++)
        if (task_ext[i].map && v.as.b.p == task_ext[i].map + POOL__BYTES_AT &&
            v.as.b.n <= task_ext[i].n)
            return i;
    return -1;
}

bool pool__lent_holds(pool_value v)
{
    return lent_index(v) >= 0;
}

bool pool__lent_result(pool__shared *sh, pool__call *c, pool_value v)
{
    (void)sh;
    int i = lent_index(v);
    if (i < 0)
        return false;
    /* The header of one bytes value (wire.c), padded to the data. */
    char *m = task_ext[i].map;
    uint32_t kind = POOL_BYTES, pad = POOL__BYTES_AT - 16;
    uint64_t n = v.as.b.n;
    memcpy(m, &kind, 4);
    memcpy(m + 4, &pad, 4);
    memcpy(m + 8, &n, 8);
    c->result = (pool__payload){.blob = task_ext[i].off, .class = task_ext[i].class,
                                .len = (uint32_t)(POOL__BYTES_AT + n)};
    return true;
}

void pool__lent_unmap(void)
{
    for (int i = 0; i < POOL__LENT; i++) {
        if (task_ext[i].map)
            pool__blob_unmap(task_ext[i].map, task_ext[i].class);
        task_ext[i].map = NULL;
    }
}

/* The pools being let go (in a child of fork: every pool but its own):
 * a task of theirs runs in no call here. */
static void task_forget(const pool__shared *sh, bool all_but)
{
    for (int i = 0; i < POOL__LENT; i++)
        if (task_ext[i].map && (all_but ? task_ext[i].sh != sh : task_ext[i].sh == sh))
            task_ext[i].map = NULL;
    if (pool__task_sh && (all_but ? pool__task_sh != sh : pool__task_sh == sh)) {
        pool__task_sh = NULL;
        pool__task_call = NULL;
    }
}

void pool__lent_reclaim(pool__shared *sh, pool__call *c)
{
    for (int i = 0; i < POOL__LENT; i++) {
        if (atomic_load_explicit(&c->lent[i], memory_order_relaxed) == 0)
            continue;   /* the usual case: a read, no write to the slot */
        uint64_t e = atomic_exchange_explicit(&c->lent[i], 0, memory_order_relaxed);
        uint64_t off = e & ~(uint64_t)0xfff;
        if (e && off != c->result.blob)
            pool__blob_free(sh, off, (uint32_t)(e & 0xfff));
    }
}

/* Held bytes. -------------------------------------------------------------- */

/* What holds the bytes of a value given to the program, found by the
 * data's address in a hash table (guarded by cache_lock). */
typedef struct hold {
    const void *data;
    pool__shared *sh;       /* NULL: a malloc()ed block, or the pool is gone */
    uint64_t off;
    uint32_t class;
    void *map;              /* the extent's mapping; NULL for a block */
    struct hold *next;
} hold;

static hold **holds;
static size_t nholds, nbuckets;

static size_t bucket(const void *data, size_t n)
{
    uintptr_t x = (uintptr_t)data;
    x ^= x >> 17;
    x *= 0x9e3779b97f4a7c15u;
    return (size_t)(x >> 20) & (n - 1);
}

/* cache_lock held. Room for one more entry. */
static void holds_grow(void)
{
    if (nholds < nbuckets * 2)
        return;
    size_t n = nbuckets ? nbuckets * 4 : 256;
    hold **t = calloc(n, sizeof *t);
    if (t == NULL)
        pool__die("out of memory");
    for (size_t i = 0; i < nbuckets; i++)
        for (hold *h = holds[i], *next; h; h = next) {
            next = h->next;
            size_t b = bucket(h->data, n);
            h->next = t[b];
            t[b] = h;
        }
    free(holds);
    holds = t;
    nbuckets = n;
}

static void hold_add(hold h)
{
    hold *e = malloc(sizeof *e);
    if (e == NULL)
        pool__die("out of memory");
    *e = h;
    pthread_mutex_lock(&cache_lock);
    holds_grow();
    size_t b = bucket(e->data, nbuckets);
    e->next = holds[b];
    holds[b] = e;
    nholds++;
    pthread_mutex_unlock(&cache_lock);
}

void pool__hold_extent(const void *data, pool__shared *sh, const pool__payload *p, void *map)
{
    hold_add((hold){.data = data, .sh = sh, .off = p->blob, .class = p->class, .map = map});
}

void pool__hold_block(void *data)
{
    hold_add((hold){.data = data});
}

bool pool__hold_release(const void *data)
{
    pthread_mutex_lock(&cache_lock);
    hold *h = NULL;
    if (nbuckets) {
        hold **at = &holds[bucket(data, nbuckets)];
        while (*at && (*at)->data != data)
            at = &(*at)->next;
        if ((h = *at) != NULL) {
            *at = h->next;
            nholds--;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    if (h == NULL)
        return false;
    if (h->map) {
        pool__blob_unmap(h->map, h->class);
        if (h->sh)
            pool__blob_free(h->sh, h->off, h->class);
    } else {
        free((void *)h->data);
    }
    free(h);
    return true;
}

/* cache_lock held. The pools being let go: their held extents keep their
 * mappings (the memory lives while mapped) but are no longer given back. */
static void holds_orphan(const pool__shared *sh, bool all_but)
{
    for (size_t i = 0; i < nbuckets; i++)
        for (hold *h = holds[i]; h; h = h->next)
            if (h->sh && (all_but ? h->sh != sh : h->sh == sh))
                h->sh = NULL;
}

pool_value pool__bytes_copy(pool_value v)
{
    void *block = malloc(v.as.b.n ? v.as.b.n : 1);
    if (block == NULL)
        pool__die("out of memory (bytes of %zu)", v.as.b.n);
    if (v.as.b.n)
        memcpy(block, v.as.b.p, v.as.b.n);
    pool__hold_block(block);
    v.as.b.p = block;
    return v;
}

pool_value pool__bytes_keep(pool__shared *sh, pool__payload *p, void **map, pool_value v)
{
    if (p->blob == 0 || *map == NULL)
        return pool__bytes_copy(v);     /* in the call's slot, which is reused */
    pool__hold_extent(v.as.b.p, sh, p, *map);
    *map = NULL;
    *p = (pool__payload){0};
    return v;
}
