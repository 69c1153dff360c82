/*
 * namer.c - naming a dead worker's frames beside the supervisor's loop.
 *
 * Naming the frames of a backtrace (the symbol table, addr2line) takes
 * milliseconds, up to hundreds under load. The supervisor must not wait
 * for it: deaths, retries, time limits and kills have bounds of their own.
 * So a helper process (a fork of the supervisor, which holds the
 * addresses) names them and writes the words to a pipe; the supervisor
 * polls the pipe with its other descriptors and, once the words are there,
 * fails the call with them, or writes the record of a try that is run
 * again. A call to be run again is queued at once; workers put off writing
 * their records until that record is written, so that the file keeps a
 * call's tries in order (tracefile.c, pool__trace_flush_worker).
 *
 * If no helper can be had (POOL__NAMING of them run, fork fails), the
 * supervisor names the frames itself, as it always could.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "namer.h"
#include "backtrace.h"
#include "base.h"
#include "queue.h"
#include "shared.h"
#include "trace.h"
#include "tracefile.h"
#include "wire.h"

#define NAMING_S 6.0    /* a helper's bound (addr2line has 5 s of its own) */

struct naming {
    int fd;                 /* -1: the entry is free */
    pid_t pid;
    uint64_t order;         /* deaths of one call are told in the order they came */
    double deadline;
    pool__buf got;          /* what the helper wrote: where, NUL, the frames */
    struct pool__death d;
};

static struct naming pending[POOL__NAMING];
static int npending;
static bool init;

static void setup(void)
{
    if (init)
        return;
    for (int k = 0; k < POOL__NAMING; k++)
        pending[k].fd = -1;
    init = true;
}

/* Mark seq in the region as a call whose retried record is still to come
 * (the next try's worker waits for it); false if the list is full. */
static bool mark(pool__shared *sh, uint64_t seq)
{
    for (int k = 0; k < POOL__NAMING; k++) {
        uint64_t none = 0;
        if (atomic_compare_exchange_strong(&sh->naming[k], &none, seq))
            return true;
    }
    return false;
}

/* One mark of seq goes (a call may have several deaths being named). */
static void unmark(pool__shared *sh, uint64_t seq)
{
    for (int k = 0; k < POOL__NAMING; k++) {
        uint64_t s = seq;
        if (atomic_compare_exchange_strong(&sh->naming[k], &s, 0))
            return;
    }
}

bool pool__naming_holds(uint64_t seq)
{
    for (int k = 0; k < POOL__NAMING && init; k++)
        if (pending[k].fd >= 0 && pending[k].d.seq == seq && !pending[k].d.retried)
            return true;
    return false;
}

/* An earlier death of the same call is still being named. */
static bool earlier(int k)
{
    for (int j = 0; j < POOL__NAMING; j++)
        if (j != k && pending[j].fd >= 0 && pending[j].d.seq == pending[k].d.seq &&
            pending[j].order < pending[k].order)
            return true;
    return false;
}

bool pool__death_retry(pool__shared *sh, struct pool__death *d)
{
    if (!mark(sh, d->seq))
        return false;
    memcpy(&d->snap, pool__slot(sh, d->seq), sizeof d->snap);
    d->snap.status = ST_RETRIED;
    if (!pool__requeue(sh, d->seq, NULL)) {
        unmark(sh, d->seq);
        return false;
    }
    d->retried = true;
    return true;
}

/* The death's words are known (where: "" if none): fail its call, or
 * write the record of the try that runs again. */
static void complete(pool__shared *sh, const struct pool__death *d, const char *where,
                     const char *full)
{
    char msg[1100], err[1200];
    snprintf(msg, sizeof msg, "%s%s%s", d->head, where, d->try);
    if (full && *full) {
        /* POOL_BACKTRACE=2: the frames one to a line, as faulthandler does. */
        fprintf(stderr, "pool: %s%s:\n%s", d->head, d->try, full);
        fflush(stderr);
    }
    snprintf(err, sizeof err, "%s: %s", d->type, msg);
    if (d->retried) {
        if (atomic_load(&sh->trace_gen)) {
            pool__buf b = {0};
            pool__trace_format(&b, sh, &d->snap, err);
            pool__trace_write(sh, b.data, b.len);
            pool__buf_free(&b);
        }
        unmark(sh, d->seq);
        pool__trace_release(sh, false);     /* the records held back for it */
    } else {
        pool__fail_end(sh, d->seq, d->st, d->type, msg);
    }
}

static void name_here(pool__shared *sh, const struct pool__death *d)
{
    char where[800] = "";
    pool__buf full = {0};
    if (sh->backtrace)
        pool__bt_describe(d->bt, d->bt_n, d->bt_first, d->fn, d->status, where, sizeof where,
                          sh->backtrace > 1 ? &full : NULL);
    pool__buf_put(&full, "", 1);
    complete(sh, d, where, full.data);
    pool__buf_free(&full);
}

void pool__death_name(pool__shared *sh, const struct pool__death *d)
{
    setup();
    if (!sh->backtrace) {
        complete(sh, d, "", NULL);
        return;
    }
    int k = 0;
    while (k < POOL__NAMING && pending[k].fd >= 0)
        k++;
    int pfd[2];
    if (k == POOL__NAMING || pipe2(pfd, O_CLOEXEC | O_NONBLOCK) != 0) {
        name_here(sh, d);
        return;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        name_here(sh, d);
        return;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(0);
        prctl(PR_SET_NAME, "pool-namer");
        char where[800] = "";
        pool__buf full = {0};
        pool__bt_describe(d->bt, d->bt_n, d->bt_first, d->fn, d->status, where, sizeof where,
                          sh->backtrace > 1 ? &full : NULL);
        pool__buf out = {0};
        pool__buf_put(&out, where, strlen(where) + 1);
        pool__buf_put(&out, full.data ? full.data : "", full.len);
        int fl = fcntl(pfd[1], F_GETFL);
        fcntl(pfd[1], F_SETFL, fl & ~O_NONBLOCK);
        for (size_t at = 0; at < out.len;) {
            ssize_t w = write(pfd[1], out.data + at, out.len - at);
            if (w <= 0 && errno != EINTR)
                break;
            if (w > 0)
                at += (size_t)w;
        }
        _exit(0);
    }
    close(pfd[1]);
    struct naming *n = &pending[k];
    n->fd = pfd[0];
    n->pid = pid;
    static uint64_t orders;
    n->order = ++orders;
    n->deadline = pool__now() + NAMING_S;
    n->got.len = 0;
    n->d = *d;
    npending++;
}

int pool__naming_pending(void)
{
    return npending;
}

int pool__naming_fds(struct pollfd *pfd, int max)
{
    int n = 0;
    for (int k = 0; k < POOL__NAMING && n < max; k++)
        if (pending[k].fd >= 0 && init)
            pfd[n++] = (struct pollfd){.fd = pending[k].fd, .events = POLLIN};
    return n;
}

int pool__naming_timeout(void)
{
    double now = pool__now(), next = -1;
    for (int k = 0; k < POOL__NAMING && init; k++)
        if (pending[k].fd >= 0 && (next < 0 || pending[k].deadline < next))
            next = pending[k].deadline;
    return next < 0 ? -1 : next <= now ? 0 : (int)((next - now) * 1000) + 1;
}

/* Entry k is done (its helper wrote and closed, or gave up, or is cut
 * short): complete its death with what came. */
static void done(pool__shared *sh, int k)
{
    struct naming *n = &pending[k];
    close(n->fd);
    n->fd = -1;
    kill(n->pid, SIGKILL);      /* ended already, unless it hangs; reaped by the loop */
    npending--;
    pool__buf_put(&n->got, "\0", 2);
    const char *where = n->got.data;
    const char *full = where + strlen(where) + 1;
    if (full >= n->got.data + n->got.len)
        full = "";
    complete(sh, &n->d, where, full);
    pool__buf_free(&n->got);
}

void pool__naming_poll(pool__shared *sh, bool all)
{
    double now = pool__now();
    for (int k = 0; k < POOL__NAMING && init; k++) {
        struct naming *n = &pending[k];
        if (n->fd < 0)
            continue;
        for (;;) {
            char buf[4096];
            ssize_t r = read(n->fd, buf, sizeof buf);
            if (r > 0) {
                pool__buf_put(&n->got, buf, (size_t)r);
                continue;
            }
            if ((r == 0 || (errno != EINTR && errno != EAGAIN) || now > n->deadline) &&
                !earlier(k))
                done(sh, k);
            break;
        }
    }
    /* At the end, every one, with what came, in order. */
    while (all && npending > 0) {
        for (int k = 0; k < POOL__NAMING; k++)
            if (pending[k].fd >= 0 && !earlier(k))
                done(sh, k);
    }
}
