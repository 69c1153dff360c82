/*
 * wire.c - byte buffers, and values encoded into them.
 *
 * Master and workers are forks of one program on one machine, so numbers go
 * in native byte order; only lengths guard against garbled bytes.
 *
 * A value goes as its kind (4 bytes), then: nothing, an 8-byte number, a
 * string (see pool__buf_put_str), two strings (an error), or bytes: 4 bytes
 * of padding count, the 8-byte size, the padding, the bytes. The padding
 * puts the bytes at a multiple of POOL__ALIGN from the start of the
 * message, so that a reader can use them where they are (an array of
 * doubles read in place must be aligned).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "wire.h"
#include "base.h"
#include "blob.h"
#include "shared.h"

void pool__buf_reserve(pool__buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        pool__die("out of memory (buffer of %zu bytes)", cap);
    b->data = p;
    b->cap = cap;
}

void pool__buf_put(pool__buf *b, const void *p, size_t n)
{
    pool__buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void pool__buf_put_u32(pool__buf *b, uint32_t v) { pool__buf_put(b, &v, sizeof v); }
void pool__buf_put_u64(pool__buf *b, uint64_t v) { pool__buf_put(b, &v, sizeof v); }
void pool__buf_put_f64(pool__buf *b, double v) { pool__buf_put(b, &v, sizeof v); }

/* A string goes as its length with the NUL, then its bytes and the NUL, so a
 * reader can point into the frame instead of copying. */
void pool__buf_put_str(pool__buf *b, const char *s)
{
    if (s == NULL)
        s = "";
    size_t n = strlen(s) + 1;
    pool__buf_put_u32(b, (uint32_t)n);
    pool__buf_put(b, s, n);
}

/* The padding before bytes whose header begins at offset at. */
static uint32_t bytes_pad(size_t at)
{
    return (uint32_t)((POOL__ALIGN - (at + 16) % POOL__ALIGN) % POOL__ALIGN);
}

void pool__buf_put_value(pool__buf *b, pool_value v)
{
    static const char zeros[POOL__ALIGN];
    uint32_t pad;
    pool__buf_put_u32(b, (uint32_t)v.kind);
    switch (v.kind) {
    case POOL_NONE:
        break;
    case POOL_INT:
        pool__buf_put_u64(b, (uint64_t)v.as.i);
        break;
    case POOL_DOUBLE:
        pool__buf_put_f64(b, v.as.d);
        break;
    case POOL_STR:
        pool__buf_put_str(b, v.as.s);
        break;
    case POOL_ERROR:
        pool__buf_put_str(b, v.as.err.type);
        pool__buf_put_str(b, v.as.err.msg);
        break;
    case POOL_BYTES:
        pad = bytes_pad(b->len - 4);
        pool__buf_put_u32(b, pad);
        pool__buf_put_u64(b, (uint64_t)v.as.b.n);
        pool__buf_put(b, zeros, pad);
        if (v.as.b.n)
            pool__buf_put(b, v.as.b.p, v.as.b.n);
        break;
    default:
        pool__die("a value of unknown kind %d", (int)v.kind);
    }
}

void pool__buf_compact(pool__buf *b)
{
    if (b->off == 0)
        return;
    memmove(b->data, b->data + b->off, b->len - b->off);
    b->len -= b->off;
    b->off = 0;
}

void pool__buf_free(pool__buf *b)
{
    free(b->data);
    *b = (pool__buf){0};
}

static const void *take(pool__rd *r, size_t n)
{
    if (r->bad || r->left < n) {
        r->bad = true;
        return NULL;
    }
    const void *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

uint32_t pool__rd_u32(pool__rd *r)
{
    uint32_t v = 0;
    const void *p = take(r, sizeof v);
    if (p)
        memcpy(&v, p, sizeof v);
    return v;
}

uint64_t pool__rd_u64(pool__rd *r)
{
    uint64_t v = 0;
    const void *p = take(r, sizeof v);
    if (p)
        memcpy(&v, p, sizeof v);
    return v;
}

double pool__rd_f64(pool__rd *r)
{
    double v = 0;
    const void *p = take(r, sizeof v);
    if (p)
        memcpy(&v, p, sizeof v);
    return v;
}

const char *pool__rd_str(pool__rd *r)
{
    uint32_t n = pool__rd_u32(r);
    const char *s = take(r, n);
    if (s == NULL || n == 0 || s[n - 1] != '\0') {
        r->bad = true;
        return "";
    }
    return s;
}

pool_value pool__rd_value(pool__rd *r)
{
    pool_value v = pool_none();
    uint32_t kind = pool__rd_u32(r);
    switch (kind) {
    case POOL_NONE:
        break;
    case POOL_INT:
        v = pool_int((long)pool__rd_u64(r));
        break;
    case POOL_DOUBLE:
        v = pool_double(pool__rd_f64(r));
        break;
    case POOL_STR:
        v.kind = POOL_STR;
        v.as.s = pool__rd_str(r);
        break;
    case POOL_ERROR:
        v.kind = POOL_ERROR;
        v.as.err.type = pool__rd_str(r);
        v.as.err.msg = pool__rd_str(r);
        break;
    case POOL_BYTES: {
        uint32_t pad = pool__rd_u32(r);
        uint64_t n = pool__rd_u64(r);
        if (pad >= POOL__ALIGN || n > r->left) {
            r->bad = true;
            break;
        }
        take(r, pad);
        v.kind = POOL_BYTES;
        v.as.b.n = (size_t)n;
        v.as.b.p = n ? take(r, (size_t)n) : "";
        break;
    }
    default:
        r->bad = true;
    }
    return v;
}

size_t pool__values_size(const pool_value *v, size_t n)
{
    size_t size = 0;
    for (size_t i = 0; i < n; i++) {
        size += 4;
        if (v[i].kind == POOL_INT || v[i].kind == POOL_DOUBLE)
            size += 8;
        else if (v[i].kind == POOL_STR)
            size += 4 + strlen(v[i].as.s ? v[i].as.s : "") + 1;
        else if (v[i].kind == POOL_ERROR)
            size += 8 + strlen(v[i].as.err.type) + strlen(v[i].as.err.msg) + 2;
        else if (v[i].kind == POOL_BYTES)
            size += 12 + bytes_pad(size - 4) + v[i].as.b.n;
    }
    return size;
}

int pool__values_place(pool__shared *sh, const pool_value *v, size_t n, size_t size,
                       pool__payload *p)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].kind == POOL_BYTES && v[i].as.b.n > POOL_MAX_BYTES) {
            errno = E2BIG;
            return -1;
        }
    if (size > UINT32_MAX) {
        errno = E2BIG;
        return -1;
    }
    char *m = pool__blob_take(sh, size, &p->blob, &p->class);
    if (m == NULL)
        return -1;
    /* The buffer is the extent itself: exactly size bytes, never grown. */
    pool__buf b = {.data = m, .cap = size};
    for (size_t i = 0; i < n; i++)
        pool__buf_put_value(&b, v[i]);
    if (b.len != size || b.data != m)
        pool__die("arguments of %zu bytes were encoded in %zu", size, b.len);
    p->len = (uint32_t)size;
    return 0;
}

void pool__place_error(char *buf, size_t len, size_t size, int e)
{
    struct rlimit rl;
    if (e == E2BIG)
        snprintf(buf, len, "%zu bytes are more than one call carries (a bytes value "
                 "holds at most %zu, a call's values at most 4 GiB in all)",
                 size, POOL_MAX_BYTES);
    else if (e == EFBIG && getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        snprintf(buf, len, "%zu bytes do not fit under the file size limit "
                 "(RLIMIT_FSIZE, %llu bytes; `ulimit -f` raises it)", size,
                 (unsigned long long)rl.rlim_cur);
    else if (e == ENOMEM && getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        snprintf(buf, len, "%zu bytes cannot be mapped under the address space limit "
                 "(RLIMIT_AS, %llu bytes; `ulimit -v` raises it)", size,
                 (unsigned long long)rl.rlim_cur);
    else if (e == EBADF)
        snprintf(buf, len, "%zu bytes cannot go to shared memory: a task closed the "
                 "pool's descriptor in this worker (the worker is replaced)", size);
    else if (e == ENOSPC || e == ENOMEM)
        snprintf(buf, len, "%zu bytes of shared memory cannot be had: %s", size, strerror(e));
    else
        snprintf(buf, len, "%zu bytes cannot go to shared memory: %s", size, strerror(e));
}
