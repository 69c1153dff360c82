/*
 * imap.c - pool_imap_unordered: a map whose results come as they are ready.
 *
 * The inputs go out in chunks, as pool_map sends them (map.c), at most
 * WINDOW tasks at a time. Each call of pool_imap_next hands out one result
 * of a chunk that has ended, waiting (future_wait_any, wait.c) for the
 * next chunk to end when none is left. A chunk whose worker died is sent
 * again one input to a task, so only the input that kills a worker fails.
 * Freeing the iteration early cancels the tasks not begun and waits for
 * the ones that run (their results land in its array).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master.h"

#define WINDOW 256      /* tasks of one iteration out at once */

struct pool_imap {
    pool *p;
    pool_fn fn;
    char name[64];
    const pool_value *in;
    size_t n, chunk;
    pool_value *out;            /* one result per input, filled by harvest */
    bool *given;                /* handed out (the caller owns it now) */
    size_t next;                /* the next input to send in a chunk */
    size_t *again, nagain, sent_again;  /* inputs to send again, one a task */
    future *fs[WINDOW];         /* the tasks out now: [0, nf) */
    size_t nf;
    size_t first, count, at;    /* the ended chunk being handed out */
};

/* Send tasks while the window has room. False if a task cannot be made. */
static bool top_up(pool_imap *m)
{
    while (m->nf < WINDOW && (m->next < m->n || m->sent_again < m->nagain)) {
        size_t first, count;
        if (m->next < m->n) {
            first = m->next;
            count = m->n - first < m->chunk ? m->n - first : m->chunk;
        } else {
            first = m->again[m->sent_again];
            count = 1;
        }
        future *f = pool__submit(m->p, m->fn, m->name, &m->in[first], 0, (uint32_t)count,
                                 first, &m->out[first]);
        if (f == NULL)
            return false;
        m->fs[m->nf++] = f;
        if (m->next < m->n)
            m->next += count;
        else
            m->sent_again++;
    }
    return true;
}

pool_imap *pool_imap_start(pool *p, pool_fn fn, const char *name, const pool_value *in,
                           size_t n, size_t chunksize)
{
    if (p == NULL || fn == NULL || (n > 0 && in == NULL)) {
        pool__set_error("pool_imap_unordered needs a pool, a function and inputs");
        errno = EINVAL;
        return NULL;
    }
    if (pool__foreign(p, "pool_imap_unordered"))
        return NULL;
    pool_imap *m = calloc(1, sizeof *m);
    if (m)
        m->out = calloc(n ? n : 1, sizeof *m->out);
    if (m && m->out)
        m->given = calloc(n ? n : 1, sizeof *m->given);
    if (m == NULL || m->given == NULL) {
        if (m)
            free(m->out);
        free(m);
        pool__set_error("out of memory");
        errno = ENOMEM;
        return NULL;
    }
    m->p = p;
    m->fn = fn;
    snprintf(m->name, sizeof m->name, "%s", name && *name ? name : "?");
    m->in = in;
    m->n = n;
    if (chunksize == 0) {   /* pool_map's rule: about four chunks per worker */
        size_t per = (size_t)p->n * 4;
        chunksize = n / per + (n % per != 0);
    }
    if (chunksize == 0)
        chunksize = 1;
    m->chunk = chunksize > UINT32_MAX / 2 ? UINT32_MAX / 2 : chunksize;
    if (!top_up(m) && m->nf == 0) {
        int e = errno;
        pool_imap_free(m);
        errno = e;
        return NULL;
    }
    return m;
}

int pool_imap_next(pool_imap *m, size_t *index, pool_value *value)
{
    if (m == NULL) {
        pool__set_error("pool_imap_next: no iteration (NULL)");
        errno = EINVAL;
        return -1;
    }
    for (;;) {
        if (m->at < m->count) {
            size_t i = m->first + m->at++;
            m->given[i] = true;
            if (index)
                *index = i;
            if (value)
                *value = m->out[i];
            else
                pool_value_free(m->out[i]);
            return 1;
        }
        if (!top_up(m) && m->nf == 0)
            return -1;
        if (m->nf == 0)
            return 0;
        long k = future_wait_any(m->fs, m->nf, -1);
        if (k < 0)
            return -1;
        future *f = m->fs[k];
        m->fs[k] = m->fs[--m->nf];
        if (f->status == ST_CRASH && f->nitems > 1 && !m->p->broken) {
            /* Its worker died: each input again, alone. */
            for (uint32_t i = 0; i < f->nitems; i++) {
                pool_value_free(m->out[f->first + i]);
                m->out[f->first + i] = pool_none();
            }
            size_t *grown = realloc(m->again, (m->nagain + f->nitems) * sizeof *m->again);
            if (grown == NULL)
                pool__die("out of memory");
            m->again = grown;
            for (uint32_t i = 0; i < f->nitems; i++)
                m->again[m->nagain++] = f->first + i;
        } else {
            m->first = f->first;
            m->count = f->nitems;
            m->at = 0;
        }
        future_free(f);
    }
}

void pool_imap_free(pool_imap *m)
{
    if (m == NULL)
        return;
    /* Tasks not begun go; the ones running are waited for: they write
     * into m->out. */
    for (size_t k = 0; k < m->nf; k++)
        future_cancel(m->fs[k]);
    for (size_t k = 0; k < m->nf; k++) {
        future_wait(m->fs[k]);
        future_free(m->fs[k]);
    }
    /* Results that came but were not handed out. */
    size_t sent = m->next;
    for (size_t i = 0; i < sent; i++)
        if (!m->given[i])
            pool_value_free(m->out[i]);
    free(m->again);
    free(m->given);
    free(m->out);
    free(m);
}
