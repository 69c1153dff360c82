/*
 * blob.c - a call's bytes: payloads in the slot or in extents of the
 * pool's memfd, the window each process sees them through, and the bytes
 * a program keeps.
 *
 * This file is the one owner of a call's bytes. Its parts:
 * - extents: room in the memfd by size class (4 KiB times a power of two),
 *   each aligned to its size, so that no extent but a huge one crosses a
 *   window segment. A freed extent keeps its memory for the next extent of
 *   its class, up to a point: extents over 4 MiB keep theirs only while
 *   such kept memory stays under 256 MiB in all; past that a freed extent
 *   gives its memory back at once (a hole is punched).
 * - the window: each process maps the memfd once, a segment of 8 MiB at a
 *   time as the file grows, and keeps the mapping until the pool goes. No
 *   call maps or unmaps anything: an extent is an offset, and its address
 *   is the window's base plus the offset. A worker sees the window twice:
 *   read-only, where its task reads its arguments, and read-write, where
 *   the worker (not the task) writes results.
 * - the descriptor: a task may close the memfd's number and open a file of
 *   its own that gets it. Before any use of the number (growing the file,
 *   mapping a segment) the window checks that it is still the memfd it
 *   opened (device and inode); if not, it refuses (EBADF) and the worker
 *   leaves after its call.
 * - payloads: a call's arguments or result, in its slot (small) or in an
 *   extent; every offset and length read from a slot is checked against
 *   the file before it is used, so a scribbled slot costs that call, never
 *   the master.
 * - held bytes: bytes values given to the program, found by their address.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "shared.h"
#include "wire.h"

#define KEEP_BELOW (4 << 20)    /* extents up to this size keep their memory when freed */
#define KEEP_BIG (256u << 20)   /* larger ones, while such kept memory is under this */
#define WARM 1u                 /* on a free list: the extent kept its memory */
#define GROW_MIN (1u << 20)     /* the file grows by at least this much */
#define SEG_SHIFT 23            /* the window is mapped 8 MiB at a time */
#define SEG ((uint64_t)1 << SEG_SHIFT)
#define MAX_SEGS 32768          /* a file of at most 256 GiB */
#define KEEP_COPY (64u << 10)   /* results under this are copied to the heap when kept */

size_t pool__blob_class_size(uint32_t class)
{
    return (size_t)4096 << class;
}

/* The window. -------------------------------------------------------------- */

typedef struct window {
    const pool__shared *sh;     /* NULL once the pool is let go */
    int fd;                     /* the memfd's number in this process */
    dev_t dev;                  /* and what it must still be */
    ino_t ino;
    _Atomic uint64_t known;     /* the file's size, as this process last saw it */
    /* Per view (0 read-write, 1 read-only) and segment: where the segment
     * is, and how much of it is the file. A segment's address range is
     * reserved whole at first use (no access), and the file is mapped over
     * its start as far as the file goes, again in place as the file grows:
     * addresses never move, and nothing is mapped past the file's end. */
    _Atomic(char *) at[2][MAX_SEGS];
    _Atomic uint64_t mapped[2][MAX_SEGS];
    long holds;                 /* bytes values the program keeps in it */
    struct window *next;
} window;

/* Every window of this process. The lock guards the list, mapping and
 * holds; lookups of a mapped address take no lock. */
static pthread_mutex_t win_lock = PTHREAD_MUTEX_INITIALIZER;
static window *windows;
static window *_Atomic last;    /* the window found last: most calls hit it */

static void unmap_window(window *win);

int pool__blob_open(pool__shared *sh)
{
    int fd = memfd_create("pool-blobs", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    window *win = calloc(1, sizeof *win);
    if (win == NULL || fstat(fd, &st) == -1) {
        int e = win ? errno : ENOMEM;
        free(win);
        close(fd);
        errno = e;
        return -1;
    }
    win->sh = sh;
    win->fd = fd;
    win->dev = st.st_dev;
    win->ino = st.st_ino;
    sh->memfd = fd;
    pthread_mutex_lock(&win_lock);
    win->next = windows;
    windows = win;
    pthread_mutex_unlock(&win_lock);
    return 0;
}

static window *find(const pool__shared *sh)
{
    window *w = atomic_load_explicit(&last, memory_order_acquire);
    if (w && w->sh == sh)
        return w;
    pthread_mutex_lock(&win_lock);
    for (w = windows; w && w->sh != sh; w = w->next)
        ;
    pthread_mutex_unlock(&win_lock);
    if (w)
        atomic_store_explicit(&last, w, memory_order_release);
    return w;
}

/* The memfd's number still names the memfd (a task may have closed it and
 * opened a file that got the number). */
static bool fd_is_ours(window *win)
{
    struct stat st;
    if (fstat(win->fd, &st) == 0 && st.st_dev == win->dev && st.st_ino == win->ino)
        return true;
    errno = EBADF;
    return false;
}

bool pool__blob_readonly_hit(const pool__shared *sh, const void *addr)
{
    /* In a fatal-signal handler: no lock; the process is dying anyway. */
    const char *a = addr;
    for (window *win = windows; win; win = win->next)
        for (uint64_t i = 0; win->sh == sh && i < MAX_SEGS; i++) {
            char *m = atomic_load_explicit(&win->at[1][i], memory_order_relaxed);
            if (m && a >= m && a < m + atomic_load_explicit(&win->mapped[1][i],
                                                            memory_order_relaxed))
                return true;
        }
    return false;
}

bool pool__blob_fd_lost(pool__shared *sh)
{
    window *win = find(sh);
    return win == NULL || !fd_is_ours(win);
}

/* win_lock held. Map the file in view v from segment s on, over [s, e]:
 * as far as the file goes within s when s == e, else the whole span (one
 * extent of a segment or more, all of it in the file). */
static bool map_segments(window *win, int v, uint64_t s, uint64_t e, int prot)
{
    uint64_t size = atomic_load(&win->known), from = s << SEG_SHIFT;
    char *base = atomic_load(&win->at[v][s]);
    if (s != e) {
        size_t len = (size_t)((e - s + 1) << SEG_SHIFT);
        char *m = fd_is_ours(win) ? mmap(NULL, len, prot, MAP_SHARED, win->fd, (off_t)from)
                                  : MAP_FAILED;
        if (m == MAP_FAILED)
            return false;
        /* A segment's older reservation stays: bytes values may be in it. */
        for (uint64_t i = s; i <= e; i++) {
            atomic_store(&win->mapped[v][i], SEG);
            atomic_store_explicit(&win->at[v][i], m + ((i - s) << SEG_SHIFT),
                                  memory_order_release);
        }
        return true;
    }
    if (base == NULL) {
        base = mmap(NULL, (size_t)SEG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                    -1, 0);
        if (base == MAP_FAILED)
            return false;
        atomic_store(&win->mapped[v][s], 0);
        atomic_store_explicit(&win->at[v][s], base, memory_order_release);
    }
    uint64_t have = atomic_load(&win->mapped[v][s]);
    uint64_t want = size - from < SEG ? size - from : SEG;
    if (want <= have)
        return true;
    if (!fd_is_ours(win) || mmap(base + have, (size_t)(want - have), prot, MAP_SHARED | MAP_FIXED,
                                 win->fd, (off_t)(from + have)) == MAP_FAILED)
        return false;
    atomic_store_explicit(&win->mapped[v][s], want, memory_order_release);
    return true;
}

/* Where [off, off + len) of the file is in this process's view (read-only
 * or read-write); NULL with errno if it cannot be: EINVAL for a range
 * outside the file, EBADF for a lost descriptor, ENOMEM from mmap. */
static char *at(const pool__shared *sh, uint64_t off, uint64_t len, bool ro)
{
    window *win = find(sh);
    if (win == NULL) {
        errno = EBADF;
        return NULL;
    }
    uint64_t end = off + len;
    if (off < 4096 || end < off || end > (uint64_t)MAX_SEGS << SEG_SHIFT) {
        errno = EINVAL;
        return NULL;
    }
    int v = ro;
    uint64_t s = off >> SEG_SHIFT, e = (len ? end - 1 : off) >> SEG_SHIFT;
    char *base = atomic_load_explicit(&win->at[v][s], memory_order_acquire);
    if (base && end - (e << SEG_SHIFT) <= atomic_load_explicit(&win->mapped[v][e],
                                                               memory_order_acquire) &&
        (s == e || atomic_load_explicit(&win->at[v][e], memory_order_relaxed) ==
                       base + ((e - s) << SEG_SHIFT)))
        return base + (off - (s << SEG_SHIFT));
    /* The slow way, once per segment and growth of the file: is the range
     * in the file, then map it. */
    pthread_mutex_lock(&win_lock);
    char *p = NULL;
    if (end > atomic_load(&win->known)) {
        struct stat st;
        if (!fd_is_ours(win) || fstat(win->fd, &st) == -1)
            goto unlock;
        atomic_store(&win->known, (uint64_t)st.st_size);
        if (end > (uint64_t)st.st_size) {
            errno = EINVAL;
            goto unlock;
        }
    }
    base = atomic_load(&win->at[v][s]);
    bool whole = base && end - (e << SEG_SHIFT) <= atomic_load(&win->mapped[v][e]) &&
                 (s == e || atomic_load(&win->at[v][e]) == base + ((e - s) << SEG_SHIFT));
    if (whole || map_segments(win, v, s, e, ro ? PROT_READ : PROT_READ | PROT_WRITE))
        p = atomic_load(&win->at[v][s]) + (off - (s << SEG_SHIFT));
unlock:
    pthread_mutex_unlock(&win_lock);
    return p;
}

/* win_lock held. Unmap every mapping of the window. */
static void unmap_window(window *win)
{
    for (int v = 0; v < 2; v++) {
        for (uint64_t i = 0; i < MAX_SEGS; i++) {
            char *m = atomic_load(&win->at[v][i]);
            if (m == NULL)
                continue;
            /* A reservation or a span covers the segments from i on that
             * follow on in addresses; one replaced in the table leaks. */
            uint64_t j = i + 1;
            while (j < MAX_SEGS && atomic_load(&win->at[v][j]) == m + ((j - i) << SEG_SHIFT))
                j++;
            munmap(m, (size_t)((j - i) << SEG_SHIFT));
            for (uint64_t k = i; k < j; k++) {
                atomic_store(&win->at[v][k], NULL);
                atomic_store(&win->mapped[v][k], 0);
            }
            i = j - 1;
        }
    }
}

void pool__blob_forget(const pool__shared *sh, bool all_but)
{
    pthread_mutex_lock(&win_lock);
    for (window **at_ = &windows, *win; (win = *at_) != NULL;) {
        if (win->sh == NULL || (all_but ? win->sh == sh : win->sh != sh)) {
            at_ = &win->next;
            continue;
        }
        win->sh = NULL;     /* found by no lookup from now on */
        close(win->fd);
        if (atomic_load(&last) == win)
            atomic_store(&last, NULL);
        if (win->holds > 0) {
            at_ = &win->next;   /* the program's bytes keep it mapped */
            continue;
        }
        unmap_window(win);
        *at_ = win->next;
        free(win);
    }
    pthread_mutex_unlock(&win_lock);
}

/* Extents. ----------------------------------------------------------------- */

/* The robust lock: a process that died holding it left the lists as they
 * were between two whole steps (each step is one store), so carry on. (At
 * worst blob_warm is off by one extent: less memory is kept warm.) */
static void lock(pool__shared *sh)
{
    if (pthread_mutex_lock(&sh->blob_lock) == EOWNERDEAD)
        pthread_mutex_consistent(&sh->blob_lock);
}

static void give_back(pool__shared *sh, uint64_t off, uint32_t class, bool backed);

/* blob_lock held. Make the file at least want bytes long, with memory
 * behind the new part (a page of shared memory comes when first written,
 * and if there is none then, the writer dies of SIGBUS: asked for here,
 * it is ENOSPC or ENOMEM to report instead). */
static int grow(pool__shared *sh, window *win, uint64_t want)
{
    uint64_t size = sh->blob_size;
    uint64_t to = want + (size / 8 > GROW_MIN ? size / 8 : GROW_MIN);
    to = (to + GROW_MIN - 1) & ~(uint64_t)(GROW_MIN - 1);
    struct rlimit rl;   /* past it, ftruncate would raise SIGXFSZ */
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        if (want > rl.rlim_cur) {
            errno = EFBIG;
            return -1;
        }
        if (to > rl.rlim_cur)
            to = rl.rlim_cur;
    }
    if (!fd_is_ours(win) || ftruncate(win->fd, (off_t)to) == -1)
        return -1;
    if (fallocate(win->fd, 0, (off_t)size, (off_t)(to - size)) == -1 &&
        errno != EOPNOTSUPP) {
        int e = errno;
        if (ftruncate(win->fd, (off_t)size) == 0)
            errno = e;
        errno = e;
        return -1;
    }
    sh->blob_size = to;
    return 0;
}

/* An extent for len bytes, with its memory behind it. */
int pool__blob_alloc(pool__shared *sh, size_t len, uint64_t *off, uint32_t *class)
{
    uint32_t k = 0;
    while (pool__blob_class_size(k) < len)
        if (++k >= POOL__CLASSES) {
            errno = EFBIG;
            return -1;
        }
    window *win = find(sh);
    if (win == NULL) {
        errno = EBADF;
        return -1;
    }
    size_t size = pool__blob_class_size(k);
    lock(sh);
    bool warm = true;
    if (sh->nfree[k] > 0) {
        uint64_t e = sh->free[k][--sh->nfree[k]];
        *off = e & ~(uint64_t)WARM;
        warm = e & WARM;
        if (warm && size > KEEP_BELOW)
            sh->blob_warm -= size;
    } else {
        /* Aligned to its size: an extent of a segment or less stays in one. */
        uint64_t at = (sh->blob_end + size - 1) & ~(uint64_t)(size - 1);
        if (at + size > sh->blob_size && grow(sh, win, at + size) == -1) {
            int e = errno;
            pthread_mutex_unlock(&sh->blob_lock);
            errno = e;
            return -1;
        }
        *off = at;
        sh->blob_end = at + size;
    }
    pthread_mutex_unlock(&sh->blob_lock);
    *class = k;
    /* An extent whose memory was given back gets it again, all of it. */
    if (!warm && (!fd_is_ours(win) ||
                  (fallocate(win->fd, 0, (off_t)*off, (off_t)size) == -1 &&
                   errno != EOPNOTSUPP))) {
        int e = errno;
        give_back(sh, *off, k, false);
        errno = e;
        return -1;
    }
    return 0;
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
    window *win = find(sh);
    if (win && fd_is_ours(win))
        fallocate(win->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
                  (off_t)size);
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

char *pool__blob_take(pool__shared *sh, size_t len, uint64_t *off, uint32_t *class)
{
    if (pool__blob_alloc(sh, len, off, class) == -1)
        return NULL;
    char *m = at(sh, *off, pool__blob_class_size(*class), false);
    if (m == NULL) {
        int e = errno;
        pool__blob_free(sh, *off, *class);
        errno = e;
    }
    return m;
}

/* Payloads. ---------------------------------------------------------------- */

int pool__payload_put(pool__shared *sh, pool__call *c, pool__payload *p,
                      const char *bytes, size_t len)
{
    p->len = (uint32_t)len;
    if (len <= POOL__INLINE) {
        p->blob = 0;
        if (len)
            memcpy(c->data, bytes, len);
        return 0;
    }
    if (len > UINT32_MAX) {
        errno = EFBIG;
        return -1;
    }
    char *m = pool__blob_take(sh, len, &p->blob, &p->class);
    if (m == NULL) {
        p->blob = 0;
        return -1;
    }
    memcpy(m, bytes, len);
    return 0;
}

const char *pool__payload_view(pool__shared *sh, pool__call *c, const pool__payload *p,
                               bool ro)
{
    if (p->blob == 0) {
        if (p->len > POOL__INLINE) {
            errno = EINVAL;
            return NULL;
        }
        return c->data;
    }
    /* Read from a slot that a task could have scribbled on: the extent
     * must be one the allocator could have made, holding the length. */
    if (p->class >= POOL__CLASSES || p->len > pool__blob_class_size(p->class) ||
        (p->blob & (pool__blob_class_size(p->class) - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    return at(sh, p->blob, p->len, ro);
}

/* p names an extent the allocator could have made (a slot a task wrote
 * over may say anything). */
static bool extent_ok(const pool__payload *p)
{
    return p->blob && p->class < POOL__CLASSES &&
           (p->blob & (pool__blob_class_size(p->class) - 1)) == 0;
}

void pool__payload_free(pool__shared *sh, pool__payload *p)
{
    if (extent_ok(p))
        pool__blob_free(sh, p->blob, p->class);
    p->blob = 0;
    p->len = 0;
}

int pool__payload_reuse(pool__shared *sh, pool__payload *to, pool__payload *from,
                        const char *bytes, size_t len)
{
    if (len <= POOL__INLINE || !extent_ok(from) || len > pool__blob_class_size(from->class))
        return -1;
    char *m = at(sh, from->blob, len, false);
    if (m == NULL)
        return -1;
    memcpy(m, bytes, len);
    *to = (pool__payload){.blob = from->blob, .len = (uint32_t)len, .class = from->class};
    *from = (pool__payload){0};
    return 0;
}

void pool__payload_error(char *buf, size_t len, size_t size, int e)
{
    if (e == EINVAL)
        snprintf(buf, len, "its %zu bytes were not where its slot said (the slot was "
                 "overwritten)", size);
    else
        pool__place_error(buf, len, size, e);
}

/* Held bytes. -------------------------------------------------------------- */

/* What holds the bytes of a value given to the program, found by the
 * data's address in a hash table (guarded by hold_lock). */
typedef struct hold {
    const void *data;
    window *win;            /* NULL: a malloc()ed block */
    pool__shared *sh;       /* the pool, while the window is its */
    uint64_t off;
    uint32_t class;
    struct hold *next;
} hold;

static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static hold **holds;
static size_t nholds, nbuckets;

static size_t bucket(const void *data, size_t n)
{
    uintptr_t x = (uintptr_t)data;
    x ^= x >> 17;
    x *= 0x9e3779b97f4a7c15u;
    return (size_t)(x >> 20) & (n - 1);
}

/* hold_lock held. Room for one more entry; false if there is none. */
static bool holds_grow(void)
{
    if (nholds < nbuckets * 2)
        return true;
    size_t n = nbuckets ? nbuckets * 4 : 256;
    hold **t = calloc(n, sizeof *t);
    if (t == NULL)
        return nbuckets > 0;    /* longer chains, but it works */
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
    return true;
}

static bool hold_add(hold h)
{
    hold *e = malloc(sizeof *e);
    if (e == NULL)
        return false;
    *e = h;
    pthread_mutex_lock(&hold_lock);
    if (!holds_grow()) {
        pthread_mutex_unlock(&hold_lock);
        free(e);
        return false;
    }
    size_t b = bucket(e->data, nbuckets);
    e->next = holds[b];
    holds[b] = e;
    nholds++;
    pthread_mutex_unlock(&hold_lock);
    return true;
}

bool pool__hold_block(void *data)
{
    return hold_add((hold){.data = data});
}

bool pool__hold_release(const void *data)
{
    pthread_mutex_lock(&hold_lock);
    hold *h = NULL;
    if (nbuckets) {
        hold **at_ = &holds[bucket(data, nbuckets)];
        while (*at_ && (*at_)->data != data)
            at_ = &(*at_)->next;
        if ((h = *at_) != NULL) {
            *at_ = h->next;
            nholds--;
        }
    }
    pthread_mutex_unlock(&hold_lock);
    if (h == NULL)
        return false;
    if (h->win) {
        pthread_mutex_lock(&win_lock);
        bool ours = h->win->sh == h->sh;    /* else the pool was let go */
        if (--h->win->holds == 0 && h->win->sh == NULL) {
            unmap_window(h->win);
            for (window **at_ = &windows; *at_; at_ = &(*at_)->next)
                if (*at_ == h->win) {
                    *at_ = h->win->next;
                    break;
                }
            free(h->win);
        }
        pthread_mutex_unlock(&win_lock);
        if (ours)
            pool__blob_free(h->sh, h->off, h->class);
    } else {
        free((void *)h->data);
    }
    free(h);
    return true;
}

pool_value pool__bytes_copy(pool_value v)
{
    void *block = malloc(v.as.b.n ? v.as.b.n : 1);
    if (block == NULL || !pool__hold_block(block)) {
        free(block);
        return pool_error("MemoryError", "out of memory for a bytes value of %zu bytes",
                          v.as.b.n);
    }
    if (v.as.b.n)
        memcpy(block, v.as.b.p, v.as.b.n);
    v.as.b.p = block;
    return v;
}

pool_value pool__bytes_keep(pool__shared *sh, pool__payload *p, pool_value v)
{
    if (p->blob == 0 || p->len < KEEP_COPY)
        return pool__bytes_copy(v);     /* in the slot, which is reused; or small */
    window *win = find(sh);
    if (win == NULL)
        return pool__bytes_copy(v);
    pthread_mutex_lock(&win_lock);
    win->holds++;
    pthread_mutex_unlock(&win_lock);
    if (!hold_add((hold){.data = v.as.b.p, .win = win, .sh = sh, .off = p->blob,
                         .class = p->class})) {
        pthread_mutex_lock(&win_lock);
        win->holds--;
        pthread_mutex_unlock(&win_lock);
        return pool__bytes_copy(v);
    }
    *p = (pool__payload){0};
    return v;
}
