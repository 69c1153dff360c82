/*
 * value.c - values (bytes among them): making them, reading them, freeing
 * them, and the rooms of bytes a task makes.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "value.h"
#include "base.h"
#include "blob.h"
#include "room.h"
#include "worker.h"

/* Values. ------------------------------------------------------------------ */

pool_value pool_none(void) { return (pool_value){.kind = POOL_NONE}; }
pool_value pool_int(long i) { return (pool_value){.kind = POOL_INT, .as.i = i}; }
pool_value pool_double(double d) { return (pool_value){.kind = POOL_DOUBLE, .as.d = d}; }
pool_value pool__id(pool_value v) { return v; }

/* As an argument in the master the string is sent at once: no copy needed. */
pool_value pool__str(const char *s)
{
    return (pool_value){.kind = POOL_STR, .as.s = s ? s : ""};
}

pool_value pool_str(const char *s)
{
    if (pool__in_worker)
        s = pool__worker_strdup(s ? s : "");
    return pool__str(s);
}

pool_value pool_error(const char *type, const char *msg, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, msg);
    vsnprintf(text, sizeof text, msg ? msg : "", ap);
    va_end(ap);
    pool_value v = {.kind = POOL_ERROR};
    if (pool__in_worker) {
        v.as.err.type = pool__worker_strdup(type && *type ? type : "Error");
        v.as.err.msg = pool__worker_strdup(text);
    } else {
        /* In the master an error value must outlive this call: it is the
         * caller's, as a value from pool_apply is (pool_value_free). */
        v.as.err.type = strdup(type && *type ? type : "Error");
        v.as.err.msg = strdup(text);
        if (v.as.err.type == NULL || v.as.err.msg == NULL)
            pool__die("out of memory");
    }
    return v;
}

const char *pool__kind_name(pool_kind k)
{
    switch (k) {
    case POOL_NONE: return "nothing";
    case POOL_INT: return "an integer";
    case POOL_DOUBLE: return "a double";
    case POOL_STR: return "a string";
    case POOL_ERROR: return "an error";
    case POOL_BYTES: return "bytes";
    }
    return "a value of unknown kind";
}

static void wrong_kind(const char *fn, pool_value v) __attribute__((noreturn));
static void wrong_kind(const char *fn, pool_value v)
{
    if (v.kind == POOL_ERROR)
        pool__die("%s: the value is an error, %s: %s (check future_successful "
                  "or pool_is_error first)", fn, v.as.err.type, v.as.err.msg);
    pool__die("%s: the value is %s", fn, pool__kind_name(v.kind));
}

long pool_as_int(pool_value v)
{
    if (v.kind != POOL_INT)
        wrong_kind("pool_as_int", v);
    return v.as.i;
}

double pool_as_double(pool_value v)
{
    if (v.kind == POOL_INT)
        return (double)v.as.i;
    if (v.kind != POOL_DOUBLE)
        wrong_kind("pool_as_double", v);
    return v.as.d;
}

const char *pool_as_str(pool_value v)
{
    if (v.kind != POOL_STR)
        wrong_kind("pool_as_str", v);
    return v.as.s;
}

/* Bytes. ------------------------------------------------------------------- */

/* In a task: room for n bytes that live until the result is sent: one of
 * the call's guarded rooms (room.c), or past those the worker's heap. */
static void *task_room(size_t n, const char *what)
{
    if (n > POOL_MAX_BYTES)
        pool_raise("PoolError", "%s(%zu bytes): a bytes value holds at most %zu",
                   what, n, POOL_MAX_BYTES);
    void *room = pool__room_take(n);
    if (room)
        return room;
    if (errno != EMLINK) {      /* EMLINK: the call has made its share */
        char why[300];
        pool__payload_error(why, sizeof why, n, errno);
        pool_raise("PoolError", "%s: %s", what, why);
    }
    return pool__worker_alloc(n);
}

pool_value pool_bytes(const void *p, size_t n)
{
    if (p == NULL && n > 0)
        pool__die("pool_bytes: no data (NULL) for %zu bytes", n);
    pool_value v = {.kind = POOL_BYTES, .as.b = {p ? p : "", n}};
    if (pool__in_worker && n > 0) {
        void *room = task_room(n, "pool_bytes");
        memcpy(room, p, n);
        v.as.b.p = room;
    }
    return v;
}

pool_value pool_bytes_alloc(size_t n, void **out)
{
    if (out == NULL)
        pool__die("pool_bytes_alloc: nowhere to put the address (out is NULL)");
    if (pool__in_worker) {
        *out = task_room(n, "pool_bytes_alloc");
        return (pool_value){.kind = POOL_BYTES, .as.b = {*out, n}};
    }
    *out = n <= POOL_MAX_BYTES ? malloc(n ? n : 1) : NULL;
    if (*out != NULL && !pool__hold_block(*out)) {
        free(*out);
        *out = NULL;
    }
    if (*out == NULL)
        return pool_error("PoolError", "pool_bytes_alloc(%zu bytes): %s", n,
                          n > POOL_MAX_BYTES ? "over POOL_MAX_BYTES" : "out of memory");
    return (pool_value){.kind = POOL_BYTES, .as.b = {*out, n}};
}

const void *pool_as_bytes(pool_value v, size_t *n)
{
    if (v.kind != POOL_BYTES)
        wrong_kind("pool_as_bytes", v);
    if (n)
        *n = v.as.b.n;
    return v.as.b.p;
}

bool pool_is_error(pool_value v) { return v.kind == POOL_ERROR; }

const char *pool_error_type(pool_value v)
{
    return v.kind == POOL_ERROR ? v.as.err.type : "";
}

const char *pool_error_message(pool_value v)
{
    return v.kind == POOL_ERROR ? v.as.err.msg : "";
}

char *pool_value_format(pool_value v, char *buf, size_t size)
{
    if (buf == NULL || size == 0)
        return buf;
    switch (v.kind) {
    case POOL_NONE: snprintf(buf, size, "none"); break;
    case POOL_INT: snprintf(buf, size, "%ld", v.as.i); break;
    case POOL_DOUBLE: snprintf(buf, size, "%g", v.as.d); break;
    case POOL_STR: snprintf(buf, size, "%s", v.as.s); break;
    case POOL_ERROR: snprintf(buf, size, "%s: %s", v.as.err.type, v.as.err.msg); break;
    case POOL_BYTES: snprintf(buf, size, "<%zu bytes>", v.as.b.n); break;
    default: snprintf(buf, size, "?"); break;
    }
    return buf;
}

void pool_value_free(pool_value v)
{
    if (v.kind == POOL_STR) {
        free((char *)v.as.s);
    } else if (v.kind == POOL_ERROR) {
        free((char *)v.as.err.type);
        free((char *)v.as.err.msg);
    } else if (v.kind == POOL_BYTES) {
        pool__hold_release(v.as.b.p);
    }
}
