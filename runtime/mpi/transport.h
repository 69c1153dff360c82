/*
 * transport.h - what the MPI transport's files share (runtime/mpi/). Private.
 *
 * Rank 0 is the master: it runs main, and one thread of its own, the
 * transport thread (master.c), claims its pools' calls from their rings
 * and sends them to the stations (pool__transport in internal.h). Every
 * other rank is a station (station.c): diverted before main, it runs no
 * user code, keeps an ordinary local pool for each of the master's pools
 * and relays calls and results. Every MPI call of a process is made by one thread, never
 * blocking after start-up: sends are MPI_Isend, abandoned when the peer's
 * lease runs out (Open MPI 4.1 never reports a dead peer).
 */
#ifndef POOL_MPI_TRANSPORT_H
#define POOL_MPI_TRANSPORT_H

#include <mpi.h>

#include "internal.h"
#include "master.h"
#include "calls.h"
#include "future.h"
#include "remote.h"

/* Messages: the tag says what; the body is a pool__buf (wire.c), its
 * payload (arguments, a result) 16-aligned from the start. */
enum {
    TAG_HELLO = 1,  /* station -> master: build-id, host, CPUs, pid */
    TAG_WELCOME,    /* master -> station: 1, or 0 and why it is refused */
    TAG_CREATE,     /* master -> station: pool id, workers (0: the station's default) */
    TAG_CREATED,    /* station -> master: pool id, its size (-1: why not) */
    TAG_CALL,       /* master -> station: a call (a map's chunk is one) */
    TAG_DONE,       /* station -> master: how it ended, its result */
    TAG_KILL,       /* master -> station: stop that call (ended at the master) */
    TAG_INIT,       /* master -> station: a pool's initializer */
    TAG_DESTROY,    /* master -> station: a pool is gone */
    TAG_BEAT,       /* either way: still here */
    TAG_STOP,       /* master -> station: the program has ended */
    TAG_PING,       /* master -> station: its clock (the handshake: clock offsets) */
    TAG_PONG,       /* station -> master: that clock, and its own */
};

#define MP_PINGS 8      /* pings a station gets at the handshake; the fastest gives its clock */

#define MP_BEAT 0.2     /* seconds between beats when nothing else was sent */
#define MP_SPIN 1e-3    /* seconds a loop polls, after work, while it expects a message */
#define MP_HOT 50e-6    /* seconds it polls after work in any case */
#define MP_WARM 0.05    /* for this long after work, */
#define MP_WARM_NAP 200e-6  /* naps are at most this long (the next call comes soon) */

/* Seconds of silence after which a peer is taken for dead: $POOL_MPI_LEASE,
 * default 2. */
double mp_lease(void);

/* The program's build-id (NT_GNU_BUILD_ID) in hex; "none" without one. */
const char *mp_build_id(void);
/* This host's name. */
const char *mp_host(void);

/* A function as its offset in the program's own code (the same on every
 * rank of one build, though addresses differ: PIE and ASLR); false if fn
 * is not in the program (a shared library's). */
bool mp_fn_offset(pool_fn fn, uint64_t *off);
pool_fn mp_fn_at(uint64_t off);

/* Send b's bytes to rank with tag, without waiting: b's buffer is taken
 * (b is left empty). */
void mp_send(int rank, int tag, pool__buf *b);
/* Let finished sends go; true if sends are still on their way. */
bool mp_progress(void);
/* True while a send to rank is on its way. */
bool mp_sending_to(int rank);
/* The peer is dead: its sends are given up (their buffers are never
 * freed: MPI may still hold them). */
void mp_abandon(int rank);
/* A message if one has come: its source, tag and bytes (into b, which is
 * emptied first). Never waits for one; once one has begun, waits at most
 * the lease for the rest of it (false then, and *rank says who). */
bool mp_recv(int *rank, int *tag, pool__buf *b);

/* Pad b with zeros to a multiple of 16 bytes: what follows is aligned. */
void mp_align(pool__buf *b);

/* A short sleep: the poll loops spin a little, then sleep longer and
 * longer, to at most max seconds. */
void mp_nap(double seconds);

/* The station: never returns. */
void mp_station_main(int rank, int size) __attribute__((noreturn));
/* The master's side: start the transport thread (MPI is initialised by
 * it); pool__remote is set. */
void mp_master_start(int size);

#endif
