/*
 * room.c - the memory a task writes into: its rooms for bytes
 * (pool_bytes_alloc, pool_bytes in a task) and its copy of small arguments.
 *
 * Both are the worker's own memory, never shared memory, and each ends at
 * a page that cannot be touched (a guard): a task that writes past the end
 * of a room dies of SIGSEGV there, and the supervisor's message says what
 * it did (worker.c notes it from the faulting address). A room's bytes end
 * right at the guard when their size is a multiple of 16; the few bytes
 * between a size that is not and the guard hold a known pattern, checked
 * when the task returns. So the classic one-element overrun is always
 * caught, and only the call that made it fails. Rooms are kept for the
 * worker's next call (no system call on the busy path) unless large.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "room.h"
#include "shared.h"

#define KEEP_ROOM (256u << 20)  /* rooms up to this size stay mapped between calls */
#define PATTERN 0xa5

static struct room {
    char *map;          /* the room's pages, then its guard page */
    size_t size;        /* of the mapping, guard included */
    char *data;         /* the task's bytes, NULL while the room is free */
    size_t n;
} rooms[POOL__LENT];
static int taken;           /* rooms[0..taken) hold a task's bytes: they are
                               taken in order and released all at once */

static char *args_page;     /* a page for small arguments, then a guard */

static size_t page_size(void)
{
    static size_t page;
    if (page == 0)
        page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

/* A mapping of body bytes of pages then one guard page. */
static char *map_guarded(size_t body)
{
    size_t page = page_size();
    char *m = mmap(NULL, body + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    if (mprotect(m + body, page, PROT_NONE) == -1) {
        munmap(m, body + page);
        return NULL;
    }
    return m;
}

void *pool__room_take(size_t n)
{
    int i = taken;
    if (i == POOL__LENT) {
        errno = EMLINK;
        return NULL;
    }
    size_t page = page_size();
    size_t body = (n + 15) & ~(size_t)15;
    size_t pages = (body + page - 1) & ~(page - 1);
    if (pages == 0)
        pages = page;
    struct room *r = &rooms[i];
    if (r->map == NULL || r->size - page < pages) {
        if (r->map)
            munmap(r->map, r->size);
        r->map = map_guarded(pages);
        r->size = r->map ? pages + page : 0;
        if (r->map == NULL) {
            errno = ENOMEM;
            return NULL;
        }
    }
    char *end = r->map + r->size - page;
    r->data = end - body;
    r->n = n;
    memset(r->data + n, PATTERN, body - n);
    taken++;
    return r->data;
}

int pool__room_count(void)
{
    return taken;
}

bool pool__room_intact(int from, size_t *n)
{
    for (int i = from; i < taken; i++) {
        struct room *r = &rooms[i];
        size_t body = (r->n + 15) & ~(size_t)15;
        for (size_t k = r->n; k < body; k++)
            if ((unsigned char)r->data[k] != PATTERN) {
                *n = r->n;
                return false;
            }
    }
    return true;
}

size_t pool__room_guard_hit(const void *addr)
{
    size_t page = page_size();
    const char *a = addr;
    for (int i = 0; i < POOL__LENT; i++) {
        const struct room *r = &rooms[i];
        const char *guard = r->map ? r->map + r->size - page : NULL;
        if (r->data && a >= guard && a < guard + page)
            return r->n + 1;
    }
    if (args_page && a >= args_page + page && a < args_page + 2 * page)
        return (size_t)-1;
    return 0;
}

void pool__room_release(void)
{
    for (int i = 0; i < taken; i++) {
        struct room *r = &rooms[i];
        r->data = NULL;
        if (r->map && r->size > KEEP_ROOM) {
            munmap(r->map, r->size);
            r->map = NULL;
            r->size = 0;
        }
    }
    taken = 0;
}

char *pool__room_args(const char *bytes, size_t len)
{
    if (args_page == NULL && (args_page = map_guarded(page_size())) == NULL)
        return NULL;
    if (len > page_size()) {
        errno = E2BIG;
        return NULL;
    }
    memcpy(args_page, bytes, len);
    return args_page;
}
