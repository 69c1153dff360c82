/*
 * remote.h - pools whose calls run elsewhere (the MPI build, runtime/mpi/):
 * the transport's entry points, which pool.c calls. Private to runtime/.
 *
 * pool__remote is NULL in every build but the MPI one, and there in every
 * process but rank 0's: a pool is then an ordinary local pool.
 */
#ifndef POOL_REMOTE_H
#define POOL_REMOTE_H

#include "shared.h"
#include "wire.h"


/* The transport of pools whose calls run elsewhere: set by the MPI build's
 * constructor in the process that runs main (rank 0), NULL everywhere else
 * (but kept by its forks: the supervisor rings too). */
typedef struct {
    /* pool_create(n): the worker count the pool has elsewhere (n per
     * place; 0: each place's default), 0 for a local pool (a process
     * forked from the one with the transport), or -1 with the error set.
     * Before the region is made. */
    int (*create)(pool *p, int n);
    /* The region is made (sh->remote is set): before the fork. */
    void (*attach)(pool *p);
    /* A call waits in a pool whose calls run elsewhere: wake the
     * transport thread, which claims them. Any process of the pool (the
     * master, its supervisor) may ring. */
    void (*ring)(void);
    /* The host of a rank (the master and its forks). */
    const char *(*host)(int rank);
    /* The end of a trace's line 2 and the header lines about the
     * stations (" hosts=N\n# host ...\n"), for pool p (trace.c). */
    void (*trace_hosts)(const pool *p, pool__buf *b);
    /* pool_set_initializer: the same initializer everywhere the calls run. */
    void (*initializer)(pool *p);
    /* pool_destroy, after the pool has ended. */
    void (*destroy)(pool *p);
} pool__transport;
extern const pool__transport *pool__remote;

/* True if sh's calls run elsewhere: only where a transport is (rank 0 of
 * the MPI build, and its forks), and only for the value pool_create wrote
 * (the region is writable by a task that scribbles: anything else there
 * is a local pool's). */
static inline bool pool__is_remote(const pool__shared *sh)
{
    return pool__remote != NULL && sh->remote == 1;
}

#endif /* POOL_REMOTE_H */
