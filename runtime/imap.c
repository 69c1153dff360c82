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
 *
 * pool_map_async is the same machine with the caller's result array and
 * no window: every chunk goes out at once, so the map runs while the
 * caller does other things. Waiting for it hands out nothing; it only
 * sends again the inputs of chunks whose worker died.
 */
#include <errno.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "calls.h"
#include "fork.h"
#include "master.h"

#define WINDOW 256      /* tasks of one iteration out at once */

struct pool_imap {
    pool *p;
    pool_fn fn;
    char name[64];
    const char *what;           /* "pool_imap_unordered" or "pool_map_async" */
    const pool_value *in;
    size_t n, chunk;
    pool_value *out;            /* one result per input, filled by harvest */
    bool *given;                /* handed out (the caller owns it now) */
    size_t next;                /* the next input to send in a chunk */
    size_t *again, nagain, sent_again;  /* inputs to send again, one a task */
    future **fs;                /* the tasks out now: [0, nf) */
    size_t nf, window;
    bool own_out;               /* out is ours (imap), not the caller's (map_async) */
    int failed;                 /* map_async: inputs that failed */
    size_t first, count, at;    /* the ended chunk being handed out */
};

/* Send tasks while the window has room. False if a task cannot be made. */
static bool top_up(pool_imap *m)
{
    bool made = true;
    pool__batch_begin(m->p);
    while (m->nf < m->window && (m->next < m->n || m->sent_again < m->nagain)) {
        size_t first, count;
        if (m->next < m->n) {
            first = m->next;
            count = m->n - first < m->chunk ? m->n - first : m->chunk;
        } else {
            first = m->again[m->sent_again];
            count = 1;
        }
        struct pool__call_opts opts = {.limit = 0, .retries = -1, .api = m->what};
        future *f = pool__submit(m->p, m->fn, m->name, &m->in[first], 0, (uint32_t)count,
                                 first, &m->out[first], &opts);
        if (f == NULL) {
            made = false;
            break;
        }
        m->fs[m->nf++] = f;
        if (m->next < m->n)
            m->next += count;
        else
            m->sent_again++;
    }
    pool__batch_end(m->p);
    return made;
}

/* An iteration over fn(in[i]); results into out (NULL: an array of its
 * own), window tasks out at most. */
static pool_imap *start(pool *p, pool_fn fn, const char *name, const pool_value *in,
                        size_t n, size_t chunksize, pool_value *out, size_t window,
                        const char *what)
{
    if (p == NULL || fn == NULL || (n > 0 && in == NULL)) {
        pool__set_error("%s needs a pool, a function and inputs", what);
        errno = EINVAL;
        return NULL;
    }
    if (pool__foreign(p, what))
        return NULL;
    pool_imap *m = calloc(1, sizeof *m);
    size_t room = n ? n : 1;
    if (m) {
        m->own_out = out == NULL;
        m->out = out ? out : calloc(room, sizeof *m->out);
        m->window = window < room ? window : room;
        m->fs = malloc(m->window * sizeof *m->fs);
    }
    if (m && m->out && m->fs)
        m->given = calloc(room, sizeof *m->given);
    if (m == NULL || m->given == NULL) {
        if (m) {
            if (m->own_out)
                free(m->out);
            free(m->fs);
        }
        free(m);
        pool__set_error("out of memory");
        errno = ENOMEM;
        return NULL;
    }
    m->p = p;
    m->fn = fn;
    m->what = what;
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

pool_imap *pool_imap_start(pool *p, pool_fn fn, const char *name, const pool_value *in,
                           size_t n, size_t chunksize)
{
    return start(p, fn, name, in, n, chunksize, NULL, WINDOW, "pool_imap_unordered");
}

static void chunk_ended(pool_imap *m, size_t k);

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
        chunk_ended(m, (size_t)k);
    }
}

/* Task k of m has ended: hand its chunk out next, or, if its worker died,
 * send its inputs again one to a task. */
static void chunk_ended(pool_imap *m, size_t k)
{
    {
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
            m->failed += f->failed;
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
    /* Results that came but were not handed out (imap's own array). */
    if (m->own_out) {
        for (size_t i = 0; i < m->next; i++)
            if (!m->given[i])
                pool_value_free(m->out[i]);
        free(m->out);
    }
    free(m->again);
    free(m->given);
    free(m->fs);
    free(m);
}

/* pool_map_async. ----------------------------------------------------------- */

pool_imap *pool_map_async_start(pool *p, pool_fn fn, const char *name, const pool_value *in,
                                size_t n, pool_value *out, size_t chunksize)
{
    if (n > 0 && out == NULL) {
        pool__set_error("pool_map_async needs room for the results");
        errno = EINVAL;
        return NULL;
    }
    return start(p, fn, name, in, n, chunksize, out, SIZE_MAX, "pool_map_async");
}

int pool_map_wait(pool_imap *m, double seconds)
{
    if (m == NULL) {
        pool__set_error("pool_map_wait: no map (NULL)");
        errno = EINVAL;
        return -1;
    }
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double end = (double)t.tv_sec + (double)t.tv_nsec / 1e9 + seconds;
    for (;;) {
        if (!top_up(m) && m->nf == 0)
            return -1;
        if (m->nf == 0)
            return m->failed;
        double left = -1;
        if (seconds >= 0) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            left = end - ((double)t.tv_sec + (double)t.tv_nsec / 1e9);
            if (left < 0)
                left = 0;
        }
        /* Take in every chunk that has ended; if none, wait for one. */
        int done = future_wait_many(m->fs, m->nf, FUTURE_FIRST_COMPLETED, left);
        if (done < 0)
            return -1;
        if (done == 0) {
            pool__set_error("the map had not finished within %g s", seconds);
            errno = ETIMEDOUT;
            return -1;
        }
        for (size_t k = m->nf; k-- > 0;)
            if (future_ready(m->fs[k]))
                chunk_ended(m, k);
        m->count = m->at = 0;   /* nothing is handed out here */
    }
}

bool pool_map_ready(pool_imap *m)
{
    if (m == NULL)
        return false;
    int r = pool_map_wait(m, 0);
    return r >= 0;
}

void pool_map_free(pool_imap *m)
{
    pool_imap_free(m);
}
