/*
 * queue.h - the transport seam: the verbs by which calls move between the
 * master, the workers and the supervisor (queue.c). Private to runtime/.
 *
 * A call lives in a slot of the shared ring (pool__slot) from its put until
 * its harvest; its sequence number (seq, from 1) names it. Where the call is
 * in its life (queued, held by a worker, being finished, done) is the
 * slot's state word, and only queue.c reads or writes that word: everything
 * else asks these verbs. A message transport (MPI: workers on other
 * machines) takes queue.c's place by giving the same verbs the same
 * guarantees; nothing above them changes.
 *
 * Every verb is safe against every other, in any process of the pool, at
 * any instant, and against a worker that dies between any two of its steps:
 * the state word changes only by single atomic steps. The verbs that read
 * (call_done, call_over, ...) give a snapshot: true means it was so at some
 * instant during the call; a caller who needs it to stay so must own the
 * next step (under the pool's lock, the master alone harvests and frees).
 */
#ifndef POOL_QUEUE_H
#define POOL_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "shared.h"

/* The region. ---------------------------------------------------------------- */

/* Make the region of a pool of n workers; NULL with errno set. */
pool__shared *pool__shared_map(int n);
void pool__shared_unmap(pool__shared *sh);

/* Futex on a word in shared memory (not private: other processes wait too).
 * seconds < 0: no time limit. */
void pool__futex_wait(_Atomic uint32_t *word, uint32_t seen, double seconds);
/* How many it woke. */
int pool__futex_wake(_Atomic uint32_t *word, int n);

/* The slot of call seq: its fields (not its state word) for whoever the
 * verbs say may read or write them. */
static inline pool__call *pool__slot(pool__shared *sh, uint64_t seq)
{
    return &pool__ring(sh)[seq & (POOL__RING - 1)];
}

/* Whoever finished a call, after marking it DONE: wake the threads that
 * wait for several futures (wait.c), if any does. The fence pairs with the
 * waiter's count: either the waiter sees DONE or this sees the waiter. */
static inline void pool__finished_notify(pool__shared *sh)
{
#if defined(__SANITIZE_THREAD__)
    /* TSan knows no fences: a read-modify-write gives the same order. */
    if (atomic_fetch_add(&sh->finish_waiters, 0) > 0) {
#else
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&sh->finish_waiters, memory_order_relaxed) > 0) {
#endif
        atomic_fetch_add(&sh->finished, 1);
        pool__futex_wake(&sh->finished, 0x7fffffff);
    }
}

/* Master, under the pool's lock. --------------------------------------------- */

/* Make call sh->tail QUEUED (its slot FREE and filled in by the caller) and,
 * if wake, wake a worker when one is needed: none spins and none has been
 * woken already. Puts that come together (a map's chunks) pass false, then
 * call pool__publish once: the same guarantee for all of them. */
void pool__put(pool__shared *sh, bool wake);
void pool__publish(pool__shared *sh);

/* True if call seq is DONE: its result and record fields are written and
 * visible to the caller (acquire), and it is not harvested yet. */
bool pool__call_done(pool__shared *sh, uint64_t seq);
/* True if waiting for call seq is over: it is DONE, or its slot has moved
 * on (another thread harvested it). */
bool pool__call_over(pool__shared *sh, uint64_t seq);
/* Wait until pool__call_over(seq) (a short spin, then a futex on the slot)
 * or until the pool__now() time until (< 0: no limit). True if it is over. */
bool pool__call_wait(pool__shared *sh, uint64_t seq, double until);
/* Call seq is harvested: its slot is FREE for the put after the next
 * POOL__RING - 1. */
void pool__call_free(pool__shared *sh, uint64_t seq);

/* Cancel call seq if no worker has claimed it: QUEUED -> FINISHING in one
 * step, so a claim and the cancel cannot both win. True if the cancel won;
 * the caller then fills in the record fields and calls pool__fail_end. */
bool pool__cancel_queued(pool__shared *sh, uint64_t seq);
/* True if call seq is being finished: its worker writes its result, or the
 * supervisor fails a try that died. It ends, or (retries) is queued again,
 * within milliseconds. */
bool pool__call_finishing(pool__shared *sh, uint64_t seq);

/* Anyone. -------------------------------------------------------------------- */

/* The worker that runs call seq now (claimed, not yet finishing); -1 if
 * none does. */
int pool__call_runner(pool__shared *sh, uint64_t seq);
/* The worker that holds call seq: runs it, or is writing its result; -1 if
 * none does. */
int pool__call_holder(pool__shared *sh, uint64_t seq);
/* True if call seq waits for a worker (queued, or queued again to be tried
 * once more). */
bool pool__call_queued(pool__shared *sh, uint64_t seq);
/* True if call seq has been put and has not ended: queued, held or being
 * finished. */
bool pool__call_unfinished(pool__shared *sh, uint64_t seq);
/* True if a call waits to be claimed (in the ring, or to be tried again). */
bool pool__queue_waiting(pool__shared *sh);

/* Workers. ------------------------------------------------------------------- */

/* Worker w: wait for a call and claim it; its seq, or 0 when the pool is
 * closed (or terminating, or smaller than w) and no call waits. */
uint64_t pool__claim(pool__shared *sh, int w);
/* The transport of a pool whose calls run elsewhere (sh->remote), which
 * claims for worker w: claim a waiting call without waiting; its seq, or 0
 * if none waits (or the pool is being ended). */
uint64_t pool__claim_now(pool__shared *sh, int w);
/* Worker w, done running call seq: take it to FINISHING. False if it is no
 * longer w's to finish (the supervisor failed it: then w leaves it). */
bool pool__finish_begin(pool__shared *sh, uint64_t seq, int w);
/* After finish_begin (or a won cancel_queued / fail_begin) and the result
 * fields: DONE, and wake its waiters (and the master's watcher while it
 * wants that, and the threads waiting for several futures). */
void pool__finish_end(pool__shared *sh, uint64_t seq);

/* The supervisor (and the master when the supervisor is gone). -------------- */

/* Fail call seq with an error if it has not ended (it is QUEUED, or HELD
 * by anyone): a dead worker, terminate, no worker to run it. Its trace
 * record is written at once. False if it had ended. */
bool pool__fail(pool__shared *sh, uint64_t seq, int st, const char *type, const char *msg);
/* The two halves of pool__fail: take the call and note who held it and
 * since when; then its error, its record, DONE. */
bool pool__fail_begin(pool__shared *sh, uint64_t seq);
void pool__fail_end(pool__shared *sh, uint64_t seq, int st, const char *type,
                    const char *msg);
/* Worker w has died: the call it held or was finishing, taken with
 * pool__fail_begin (fail it with pool__fail_end, or pool__requeue it); 0
 * if it held none. */
uint64_t pool__take_held(pool__shared *sh, int w);
/* The call worker w (dead) was finishing, not held by the supervisor's
 * naming of a death; 0 if none. */
uint64_t pool__finishing_by(pool__shared *sh, int w);
/* After pool__fail_begin of a call whose worker died: write a "retried"
 * record with err (NULL: the caller writes it) and queue the call again. False (nothing done) if
 * POOL__AGAIN calls wait to be tried again already. */
bool pool__requeue(pool__shared *sh, uint64_t seq, const char *err);
/* Worker w has died (reaped): undo what it said of itself for waking
 * (asleep, spinning, being woken), and wake another if calls wait. */
void pool__worker_gone(pool__shared *sh, int w);

#endif /* POOL_QUEUE_H */
