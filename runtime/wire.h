/*
 * wire.h - byte buffers and the encoding of values (wire.c).
 * Private to runtime/.
 */
#ifndef POOL_WIRE_H
#define POOL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared.h"

/* A growable byte buffer; off is where reading (or sending) has got to. */
typedef struct {
    char *data;
    size_t len, cap, off;
} pool__buf;

void pool__buf_reserve(pool__buf *b, size_t more);
void pool__buf_put(pool__buf *b, const void *p, size_t n);
void pool__buf_put_u32(pool__buf *b, uint32_t v);
void pool__buf_put_u64(pool__buf *b, uint64_t v);
void pool__buf_put_f64(pool__buf *b, double v);
void pool__buf_put_str(pool__buf *b, const char *s);
void pool__buf_put_value(pool__buf *b, pool_value v);
/* Drop what has been consumed (off) and keep the rest at the front. */
void pool__buf_compact(pool__buf *b);
void pool__buf_free(pool__buf *b);

/* A reader over one message; bad turns true on a short or garbled message. */
typedef struct {
    const char *p;
    size_t left;
    bool bad;
} pool__rd;

uint32_t pool__rd_u32(pool__rd *r);
uint64_t pool__rd_u64(pool__rd *r);
double pool__rd_f64(pool__rd *r);
/* A pointer into the message (NUL-terminated there), not a copy. */
const char *pool__rd_str(pool__rd *r);
/* Strings of the value point into the message. */
pool_value pool__rd_value(pool__rd *r);

/* Size of an encoded value list (pool__buf_put_value each, from the start
 * of a buffer: bytes are padded to POOL__ALIGN from there). */
size_t pool__values_size(const pool_value *v, size_t n);
#define POOL__ALIGN 16

/* Encode v[0..n) into a new extent of sh (size bytes, from pool__values_size):
 * large bytes are copied once, straight to shared memory. -1 with errno. */
int pool__values_place(pool__shared *sh, const pool_value *v, size_t n, size_t size,
                       pool__payload *p);
/* A sentence on why size bytes cannot go to shared memory (errno e). */
void pool__place_error(char *buf, size_t len, size_t size, int e);

#endif
