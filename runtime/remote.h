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


/* How a call that ran elsewhere ended, as the transport tells a relay. */
typedef struct {
    uint32_t status;            /* ST_*; ST_RETRIED: the place it ran is lost */
    uint32_t flags;             /* POOL__RAW_RESULT */
    uint32_t tries;             /* times it began there (1 unless it was retried there) */
    int32_t pid;                /* the process that ran it, on host */
    double start, end;          /* in this machine's clock */
    pool__payload result;       /* its bytes in the pool's memory (blob != 0), */
    const char *bytes;          /* or here (small ones) */
    size_t len;
    const char *err;            /* "Type: message" for the trace, or "" */
    const char *host;           /* where it ran */
    int rank;
} pool__answer;

/* The transport of pools whose calls run elsewhere: set by the MPI build's
 * constructor in the process that runs main (rank 0), NULL everywhere else. */
typedef struct {
    /* pool_create(n): the worker count the pool has elsewhere (n per
     * place; 0: each place's default), 0 for a local pool (a process
     * forked from the one with the transport), or -1 with the error set.
     * Before the region is made. */
    int (*create)(pool *p, int n);
    /* The region is made (sh->remote is set): before the fork. */
    void (*attach)(pool *p);
    /* A relay, worker w of pool sh: run call seq elsewhere, and wait for
     * how it ended. The answer's strings live until the next call. */
    void (*run)(pool__shared *sh, int w, uint64_t seq, pool__answer *a);
    /* pool_set_initializer: the same initializer everywhere the calls run. */
    void (*initializer)(pool *p);
    /* pool_destroy, after the pool has ended. */
    void (*destroy)(pool *p);
} pool__transport;
extern const pool__transport *pool__remote;

#endif /* POOL_REMOTE_H */
