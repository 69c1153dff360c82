/*
 * pool.h - a process pool with futures, and a trace of every task.
 *
 * The one public header of Parallel C's runtime. A pool owns N worker
 * processes (fork()ed); a call runs a function in one of them and gives its
 * result back to the master through a future.
 *
 *     static pool_value slow_add(pool_args a)
 *     {
 *         pool_expect_args(a, 3);
 *         int nsecs = pool_arg_int(a, 0), x = pool_arg_int(a, 1), y = pool_arg_int(a, 2);
 *         sleep(nsecs);
 *         return pool_int(x + y);
 *     }
 *
 *     pool *p = pool_create(0);                  // 0: POOL_WORKERS, else one per CPU
 *     future *f = pool_apply_async(p, slow_add, 1, 6, 7);
 *     printf("%ld\n", pool_as_int(future_get(f)));   // 13
 *     pool_destroy(p);
 *
 * Conventions: calls that can fail return 0 (or a pointer) on success and -1
 * (or NULL) on failure, with errno set and a sentence in pool_last_error().
 * The runtime never exits the program; the pool_as_* accessors abort with a
 * message when asked for the wrong kind of value, and pool_bytes when given
 * no memory for its bytes, because that is a bug in the caller. Everything
 * here is safe to call from any master thread.
 *
 * Environment: POOL_WORKERS (worker count when pool_create gets 0),
 * POOL_TRACE (trace file path) and POOL_BACKTRACE (0: no backtrace of a
 * dying worker; 1, the default: where it died goes into its WorkerDied
 * message; 2: also its frames on stderr). The trace format is in
 * runtime/TRACE.md.
 */
#ifndef POOL_H
#define POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header, as the trace's header gives it. The major
 * number is the shared library's ABI (libpool.so.2): it changes only when
 * a program built against an older pool.h could break; a minor release
 * only adds. POOL_CHECK_VERSION(2, 1) is true from version 2.1 on, for
 * #if; pool_version() says which library the program runs with. */
#define POOL_VERSION_MAJOR 2
#define POOL_VERSION_MINOR 1
#define POOL_VERSION "2.1"
#define POOL_CHECK_VERSION(major, minor) \
    (POOL_VERSION_MAJOR > (major) ||     \
     (POOL_VERSION_MAJOR == (major) && POOL_VERSION_MINOR >= (minor)))

/* The shared library exports what this header declares, and nothing else
 * (the runtime is built with -fvisibility=hidden). */
#ifdef __GNUC__
#pragma GCC visibility push(default)
#endif

/* The version of the library linked in, "2.1" (POOL_VERSION of the
 * pool.h it was built from). */
const char *pool_version(void);

typedef struct pool pool;       /* opaque */
typedef struct future future;   /* opaque */

/* Values. ------------------------------------------------------------------ */

/* What a value holds. POOL_ERROR is a failed task: an error type and a message. */
typedef enum {
    POOL_NONE,
    POOL_INT,
    POOL_DOUBLE,
    POOL_STR,
    POOL_ERROR,
    POOL_BYTES      /* raw bytes of any size: an array of doubles, a struct */
} pool_kind;

/* An argument or a result. Pass it by value; its strings and bytes belong
 * to whoever made it (see each function below), never to the holder of the
 * copy. */
typedef struct {
    pool_kind kind;
    union {
        long i;
        double d;
        const char *s;
        struct {
            const char *type;   /* "ValueError", "TypeError", "WorkerDied", ... */
            const char *msg;
        } err;
        struct {
            const void *p;
            size_t n;
        } b;
    } as;
} pool_value;

pool_value pool_none(void);
pool_value pool_int(long i);
pool_value pool_double(double d);
/* In a worker, the string is copied (it may live on the task's stack). */
pool_value pool_str(const char *s);
/* A failed result: return it from a task, as a raise in other languages.
 * msg is a printf format. In a worker, both strings are copied. */
pool_value pool_error(const char *type, const char *msg, ...)
    __attribute__((format(printf, 2, 3)));

/* Bytes: n bytes from p, copied once on their way to the other process
 * (an argument when the call is made, a result when the task returns).
 * In the master the value only points to p: keep p as it is until the call
 * is made (pool_apply_async, pool_map, pool_starmap and pool_map_async copy
 * it before they return; pool_imap_unordered copies each chunk as it sends
 * it, so there p must stay as it is until the iteration is freed). In a
 * task p may be on its stack; the bytes are copied at once, into a room of
 * the task's own (see pool_bytes_alloc). At most POOL_MAX_BYTES bytes in one value.
 * p NULL with n > 0 is a bug in the caller: it aborts with a message. */
#define POOL_MAX_BYTES ((size_t)1 << 31)
pool_value pool_bytes(const void *p, size_t n);
/* Bytes that you write in place: *out gets room for n bytes (aligned for
 * any type), and the value returned holds them. In a task the room is the
 * worker's own memory, ending at a guard page: writing past its end fails
 * the call (WorkerDied, naming the room), and returning it copies it once
 * into shared memory; if no room can be had, the task ends with a
 * PoolError. In the master the room is
 * malloc()ed, yours to free with pool_value_free (for n over the limit, or
 * out of memory: *out is NULL and the value a PoolError). out NULL aborts. */
pool_value pool_bytes_alloc(size_t n, void **out);

/* The value inside; abort with a clear message if v is of another kind
 * (pool_as_double also takes an int). */
long pool_as_int(pool_value v);
double pool_as_double(pool_value v);
const char *pool_as_str(pool_value v);
/* The bytes and their count (*n; n may be NULL). A result's bytes live as
 * long as what holds them: the future (until future_free or pool_destroy),
 * or, from pool_apply and the maps, until pool_value_free, which may come
 * after pool_destroy. Nothing is copied: they are read where they landed. */
const void *pool_as_bytes(pool_value v, size_t *n);
bool pool_is_error(pool_value v);
/* The error's type and message ("" for a value that is not an error). */
const char *pool_error_type(pool_value v);
const char *pool_error_message(pool_value v);
/* Write v as text into buf (at most size bytes); return buf. */
char *pool_value_format(pool_value v, char *buf, size_t size);

/* Arguments, as a task sees them. ------------------------------------------ */

/* The argument list of one call. */
typedef struct {
    const pool_value *v;
    int count;
} pool_args;

/* A task: runs in a worker, takes the call's argument list, returns a value. */
typedef pool_value (*pool_fn)(pool_args args);

/* In a task: end the task with a TypeError unless exactly n arguments came.
 * Call it first, before the task does anything. */
void pool_expect_args(pool_args a, int n);
/* In a task: argument i. A missing argument or one of the wrong kind ends
 * the task with a TypeError that names the function, as a bad call would. */
long pool_arg_int(pool_args a, int i);
double pool_arg_double(pool_args a, int i);    /* an int is taken too */
const char *pool_arg_str(pool_args a, int i);  /* valid until the task returns */
/* The bytes of argument i and their count (*n), valid until the task
 * returns, and not to be written: large ones are read in place, in shared
 * memory the task sees read-only (a write kills the worker and fails the
 * call); small ones (a call's arguments under a couple of hundred bytes in
 * all) are the task's own copy, where a write spoils only that copy. */
const void *pool_arg_bytes(pool_args a, int i, size_t *n);
/* In a task: end it now with this error (does not return). */
void pool_raise(const char *type, const char *msg, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Pool. -------------------------------------------------------------------- */

#define POOL_MAX_WORKERS 256

/* Start a pool of n worker processes. n = 0: $POOL_WORKERS if set, else one
 * per online CPU. NULL (errno EINVAL) for n < 0, n > POOL_MAX_WORKERS, a bad
 * $POOL_WORKERS or a $POOL_TIME_SCALE that is not a number above 0; NULL (errno from fork) if its workers cannot be started;
 * it returns once they run. Also starts the pool's supervisor process.
 * Makes the master's stdout line buffered, so that master and worker lines
 * come out in the order they happen, even through a pipe. */
pool *pool_create(int n);
/* How many workers the pool has. */
int pool_size(const pool *p);
/* The worker count that pool_create(0) would use, or -1 with a message. */
int pool_default_size(void);

/* No more calls: those already made still run. */
void pool_close(pool *p);
/* After pool_close: wait for every call to finish and the workers to exit. */
int pool_join(pool *p);
/* pool_join for at most seconds: -1 with errno ETIMEDOUT if they have not
 * all finished by then (call it again, or pool_terminate). */
int pool_join_for(pool *p, double seconds);
/* Stop now: kill the workers; every unfinished future fails with a
 * "Terminated" error (none is left waiting). */
void pool_terminate(pool *p);
/* pool_terminate, then free the pool and every future it made that was not
 * freed yet. Wait for your futures first, or their work is lost: the trace
 * marks such calls "terminated". Using p or those futures afterwards is a
 * bug that the runtime names when it can: a pool function gives -1 or NULL
 * with errno EINVAL and "this pool was destroyed", future_get a PoolError
 * "this future's pool was destroyed" (runtime/README.md, "After
 * pool_destroy", says which uses stay undefined). */
void pool_destroy(pool *p);

/* Workers. ----------------------------------------------------------------- */

/* Replace each worker once it has run n calls (0: never, the default), as
 * Python's maxtasksperchild: a task that leaks memory or state is cut off.
 * The replacement takes the next calls. -1 (EINVAL) for n < 0. */
int pool_set_max_calls(pool *p, long n);

/* pool_set_initializer(p, fn, arg, ...): every worker runs fn(args) once,
 * before its next call (a worker started later too), as Python's
 * initializer: to open a file or fill a table each worker keeps. Arguments
 * as for pool_apply_async; a setting replaces the one before. If fn fails
 * (returns an error, raises, or gets wrong arguments), that worker's calls
 * fail with an "InitializerError" that says why; none hangs. -1 (EINVAL)
 * for no pool or no function, (E2BIG) if the arguments take over 1 KiB. */
#define pool_set_initializer(p, ...) pool_initializer((p), POOL__CALL(__VA_ARGS__))
int pool_initializer(pool *p, pool_fn fn, const char *name,
                     const pool_value *args, int count);

/* Make the pool n workers (1 to POOL_MAX_WORKERS) from now on. Larger: the
 * new workers start at once (pool_resize does not wait for them; calls
 * wait in the queue meanwhile). Smaller: the workers in the highest slots
 * leave once their current call is done; no call is stopped. pool_size
 * then says n. -1 (EINVAL) for no pool, a bad n, or a pool that is closed
 * or terminated. */
int pool_resize(pool *p, int n);

/* Retries. ----------------------------------------------------------------- */

#define POOL_MAX_RETRIES 100

/* Give each call made from now on n more tries if its worker dies while
 * running it (a crash, abort, exit, kill -9), as Ray's max_retries and
 * Dask's retries: it runs again, on another worker, before its future
 * completes. 0 (the default): a death fails the call with WorkerDied.
 * Calls that return an error, that time out or that are cancelled are not
 * tried again. Each try is in the trace: a try whose worker died and that
 * runs again has status "retried". -1 (EINVAL) for no pool, n < 0 or
 * n > POOL_MAX_RETRIES. */
int pool_set_retries(pool *p, int n);

/* pool_apply_async_retries(p, n, fn, arg, ...): as pool_apply_async, with
 * n retries for this call whatever the pool's setting. NULL (errno EINVAL)
 * for n < 0 or n > POOL_MAX_RETRIES. */
#define pool_apply_async_retries(p, n, ...) \
    pool_submit_retries((p), (n), POOL__CALL(__VA_ARGS__))
future *pool_submit_retries(pool *p, int retries, pool_fn fn, const char *name,
                            const pool_value *args, int count);

/* Calls. ------------------------------------------------------------------- */

#define POOL_MAX_ARGS 1024

/* Run fn(args) in a worker; never blocks. name is fn's name, for the trace.
 * NULL (errno EINVAL) for no pool, no function or more than POOL_MAX_ARGS
 * arguments; NULL (errno ENOMEM) when out of memory. A call on a closed pool
 * gives a future that has already failed (ValueError). */
future *pool_submit(pool *p, pool_fn fn, const char *name,
                    const pool_value *args, int count);

/* pool_apply_async(p, fn, arg, ...): the arguments are ints, longs, doubles,
 * strings or pool_values, up to 16 of them; no argument at all is fine.
 * Bytes go as pool_bytes(ptr, n): a bare pointer is not taken. */
#define pool_apply_async(p, ...) pool_submit((p), POOL__CALL(__VA_ARGS__))

/* pool_apply_async_limit(p, seconds, fn, arg, ...): as pool_apply_async,
 * with a time limit. If the call runs longer than seconds (counted from its
 * start, to within 10 ms), its worker is killed and replaced, and the future
 * fails with a "Timeout" error (trace status "timeout"). The seconds are
 * the program's, as pool_sleep's: $POOL_TIME_SCALE scales both alike (the
 * waits' limits below count real seconds). NULL (errno EINVAL) for a limit
 * that is not more than 0. */
#define pool_apply_async_limit(p, seconds, ...) \
    pool_submit_limit((p), (seconds), POOL__CALL(__VA_ARGS__))
future *pool_submit_limit(pool *p, double seconds, pool_fn fn, const char *name,
                          const pool_value *args, int count);

/* pool_apply(p, fn, arg, ...): run it and wait; the result (a POOL_ERROR value
 * if the task failed). A string, error or bytes result is the caller's, to
 * free with pool_value_free (bytes stay where they landed: not copied). */
#define pool_apply(p, ...) pool_call((p), POOL__CALL(__VA_ARGS__))
pool_value pool_call(pool *p, pool_fn fn, const char *name,
                     const pool_value *args, int count);
/* Free the strings or bytes of a value that pool_apply or a map gave you
 * (a bytes value gives its shared memory back to the pool). A bytes value
 * that you made on your own memory with pool_bytes is left alone. */
void pool_value_free(pool_value v);

/* fn(in[i]) for every i; out[i] gets its result, in input order (free with
 * pool_value_free). Inputs go out in chunks of several per task (see
 * pool_map_chunked); each input still gets its own result or error.
 * Returns how many calls failed, or -1 (errno set) if the calls could not
 * be made. */
#define pool_map(p, fn, in, n, out) pool_map_named((p), (fn), #fn, (in), (n), (out))
int pool_map_named(pool *p, pool_fn fn, const char *name,
                   const pool_value *in, size_t n, pool_value *out);

/* As pool_map, with chunksize inputs per task (a task runs fn on each of
 * them in turn; the trace shows it as one record, see TRACE.md). chunksize
 * 0 picks a size as pool_map does: about n / (4 * workers), at least 1.
 * chunksize 1 makes each input its own task. */
#define pool_map_chunked(p, fn, in, n, out, chunksize) \
    pool_map_chunks((p), (fn), #fn, (in), (n), (out), (chunksize))
int pool_map_chunks(pool *p, pool_fn fn, const char *name, const pool_value *in,
                    size_t n, pool_value *out, size_t chunksize);

/* A map over a plain C array, for many cheap inputs of one fixed-size type
 * (numbers, structs): fn(in + a*in_size, out + a*out_size, count) runs in
 * a worker on each slice of count inputs, in chunks as pool_map makes them
 * (chunk 0: about n / (4 * workers)). in and out are n elements of in_size
 * and out_size bytes. No pool_value per element: a slice travels as one
 * read-only block and comes back as one. fn must write only its slice of
 * out (count * out_size bytes): past it, the chunk fails. Returns 0, or -1
 * with pool_last_error() naming the first chunk that failed (errno EIO; its
 * part of out is left as it was) or why the map could not be made. */
typedef void (*pool_array_fn)(const void *in, void *out, size_t count);
#define pool_map_array(p, fn, in, in_size, out, out_size, n) \
    pool_map_array_named((p), (fn), #fn, (in), (in_size), (out), (out_size), (n), 0)
int pool_map_array_named(pool *p, pool_array_fn fn, const char *name, const void *in,
                         size_t in_size, void *out, size_t out_size, size_t n,
                         size_t chunk);

/* pool_starmap(p, fn, in, n, argc, out): fn(in[i*argc], ..., in[i*argc +
 * argc-1]) for every row i of n (Pool.starmap): in holds n rows of argc
 * values each, out gets n results. Chunks, errors, a dead worker and the
 * return value as in pool_map; a function that takes another number of
 * arguments fails each row with its TypeError (pool_expect_args). -1 (errno
 * EINVAL) also for argc < 1 or over POOL_MAX_ARGS. */
#define pool_starmap(p, fn, in, n, argc, out) \
    pool_starmap_chunks((p), (fn), #fn, (in), (n), (argc), (out), 0)
/* As pool_starmap, with chunksize rows per task (0: as pool_map picks). */
#define pool_starmap_chunked(p, fn, in, n, argc, out, chunksize) \
    pool_starmap_chunks((p), (fn), #fn, (in), (n), (argc), (out), (chunksize))
int pool_starmap_chunks(pool *p, pool_fn fn, const char *name, const pool_value *in,
                        size_t n, int argc, pool_value *out, size_t chunksize);

/* Results as they come (Pool.imap_unordered): an iteration over fn(in[i]).
 * Inputs go out in chunks as in pool_map_chunked (chunksize 0: the same
 * choice as pool_map); in, and the bytes its values point to, must stay
 * valid and unchanged until the iteration is freed (chunks are sent as
 * workers free up).
 * NULL (errno EINVAL) for no pool, function or inputs. */
typedef struct pool_imap pool_imap;     /* opaque */
#define pool_imap_unordered(p, fn, in, n, chunksize) \
    pool_imap_start((p), (fn), #fn, (in), (n), (chunksize))
pool_imap *pool_imap_start(pool *p, pool_fn fn, const char *name, const pool_value *in,
                           size_t n, size_t chunksize);
/* The next result to be ready, waiting for it: 1 with its input's index and
 * its value (an error value if that input failed; free its strings with
 * pool_value_free), 0 when every result has been handed out, -1 (errno set)
 * if the calls cannot be made. If a chunk's worker dies, its inputs run
 * again one to a task, so only the input that kills a worker fails. */
int pool_imap_next(pool_imap *m, size_t *index, pool_value *value);
/* Free it: calls not begun are cancelled, running ones waited for. */
void pool_imap_free(pool_imap *m);

/* A map that does not block (Pool.map_async): every chunk goes out now;
 * out[i] gets fn(in[i]) as in pool_map. in and out must stay valid until
 * pool_map_free. NULL (errno EINVAL) for no pool, function, inputs or out. */
typedef struct pool_imap pool_map_result;   /* opaque */
#define pool_map_async(p, fn, in, n, out) \
    pool_map_async_start((p), (fn), #fn, (in), (n), (out), 0)
pool_map_result *pool_map_async_start(pool *p, pool_fn fn, const char *name,
                                      const pool_value *in, size_t n, pool_value *out,
                                      size_t chunksize);
/* Wait at most seconds (< 0: no limit) for every result: how many inputs
 * failed, or -1 with errno ETIMEDOUT. A chunk whose worker died is sent
 * again one input to a task when this looks, as pool_map does. */
int pool_map_wait(pool_map_result *m, double seconds);
/* True once every result is in out; never blocks. */
bool pool_map_ready(pool_map_result *m);
/* Free it (not out): calls not begun are cancelled (their out[i] hold a
 * Cancelled error), running ones waited for. */
void pool_map_free(pool_map_result *m);

/* Futures. ----------------------------------------------------------------- */

/* Block until the result is there. */
void future_wait(future *f);
/* Block at most seconds; true if the result is there. */
bool future_wait_for(future *f, double seconds);
/* The result, after waiting for it: a POOL_ERROR value if the task failed
 * (pool_error_type / pool_error_message tell why). Its strings live as long
 * as the future. */
pool_value future_get(future *f);
/* future_get for at most seconds: the result, or, if it is not there in
 * time, a "TimeoutError" value (the call runs on; ask again later). */
pool_value future_get_for(future *f, double seconds);
/* True once the result is there; never blocks. */
bool future_ready(future *f);
/* 1 if the task returned a value, 0 if it failed. Asking before the result is
 * there is an error: -1, errno EAGAIN, and a message in pool_last_error(). */
int future_successful(future *f);
/* Forget the future, done or not (a running task still runs and is traced).
 * Optional: pool_destroy frees every future left. */
void future_free(future *f);

/* The task's id: its place in call order, from 0 (0, 1, 2, ...), as in the
 * trace; ULONG_MAX for no future (NULL). */
unsigned long future_id(const future *f);
/* The PID of the worker that ran it (0 if it never started). Across
 * machines (the MPI build) a PID on the host that ran it, known once the
 * call has ended (0 before). */
pid_t future_pid(future *f);
/* The name of the host whose worker ran it: this host's for a pool on one
 * machine; across machines, the host of the station that ran it, known
 * once the call has ended. NULL if it never started (or has not yet), or
 * for no future. The string lives as long as the program. */
const char *future_host(future *f);
/* How many times its call has begun so far: 0 if it never started, more
 * than 1 if it was tried again after its worker died (pool_set_retries).
 * -1 for no future. */
int future_tries(future *f);

/* Callbacks. --------------------------------------------------------------- */

/* A function to run once a future is done. */
typedef void (*future_callback)(future *f, void *arg);
/* Run on_ok(f, arg) once f has succeeded, or on_error(f, arg) once it has
 * failed (any error: the task's, a dead worker, Cancelled, Timeout,
 * Terminated); either may be NULL. One callback per future: -1 with errno
 * EBUSY for a second, EINVAL for none. It runs on the pool's watcher thread
 * (one callback at a time), or at once in this thread if f is done already.
 * Each runs exactly once, also when the pool is terminated. A callback may
 * read f (future_get does not block there), make calls, cancel, and free
 * f; it must not wait for other futures or for the pool (future_wait,
 * pool_join, pool_destroy): the watcher puts waiting calls only between
 * callbacks. */
int future_on_done(future *f, future_callback on_ok, future_callback on_error, void *arg);

/* Cancelling. -------------------------------------------------------------- */

/* Cancel a call that has not begun: its future fails at once with a
 * "Cancelled" error, and the trace says "cancelled". 0 if so; -1 with errno
 * EBUSY if it runs now (future_kill stops it), EALREADY if it has ended
 * (the future is then done). A call whose try died and that waits for its
 * retry has not begun: it is cancelled. */
int future_cancel(future *f);
/* As future_cancel, and a call that runs is stopped too: its worker is
 * killed (the pool starts a new one) and the future fails "Cancelled".
 * Blocks until the future is done. 0 if the call was cancelled; -1 with
 * errno EALREADY if it ended first, on its own. */
int future_kill(future *f);
/* True if the future was cancelled; never blocks. */
bool future_cancelled(future *f);

/* Waiting for several. ----------------------------------------------------- */

/* When future_wait_many returns (as concurrent.futures.wait's return_when). */
typedef enum {
    FUTURE_FIRST_COMPLETED,     /* one of them is done */
    FUTURE_FIRST_EXCEPTION,     /* one of them failed, or all are done */
    FUTURE_ALL_COMPLETED        /* all of them are done */
} future_when;

/* The futures of one pool. Block until `when` holds (as in Python, a
 * cancelled future is done but not a failure), or seconds have passed
 * (seconds < 0: no limit). Returns how many of fs[0..n) are done then (check
 * each with future_ready), or -1 (errno EINVAL) for a NULL future or futures
 * of two pools. A time limit that passes is not an error. */
int future_wait_many(future *const *fs, size_t n, future_when when, double seconds);
/* Block until one of fs[0..n) is done: its index (of several done, the one
 * that ended first). -1 with errno ETIMEDOUT when seconds pass first, EINVAL
 * as above or for n = 0. */
long future_wait_any(future *const *fs, size_t n, double seconds);

/* An as-completed iteration: the futures in the order they end. */
typedef struct future_iter future_iter;     /* opaque */
/* Start one over fs[0..n) (one pool; a future listed twice comes once).
 * NULL with errno EINVAL or ENOMEM. The array fs may be freed after this;
 * the futures must live until they have been handed out. */
future_iter *future_as_completed(future *const *fs, size_t n);
/* The next future to end (waiting for it at most seconds; < 0: no limit).
 * NULL when every future has been handed out (errno 0) or the time passed
 * (errno ETIMEDOUT). Futures that ended while nobody looked come in the
 * order of their end times. */
future *future_iter_next(future_iter *it, double seconds);
/* How many futures it has not handed out yet. */
size_t future_iter_left(const future_iter *it);
/* Free the iteration (not its futures). */
void future_iter_free(future_iter *it);

/* Tracing. ----------------------------------------------------------------- */

/* Trace to path (one CSV record per task; see runtime/TRACE.md); replaces
 * $POOL_TRACE. Calls that end from now on are recorded there; the old file
 * keeps what it has. -1 if the file cannot be opened or is not a regular
 * file (EINVAL), or if another pool of this program traces to it (EBUSY). */
int pool_trace_open(pool *p, const char *path);

/* Time. -------------------------------------------------------------------- */

/* Sleep for seconds times $POOL_TIME_SCALE (default 1; e.g. 0.1 runs a
 * lesson ten times faster without changing its logic). Restarts after a
 * signal. A call's time limit (pool_apply_async_limit) is scaled the same
 * way; a wait's limit (future_wait_for, pool_join_for, ...) is not. */
void pool_sleep(double seconds);
/* The scale pool_sleep uses: 1 when $POOL_TIME_SCALE is unset or bad (a bad
 * one, or 0, also makes pool_create refuse to start). */
double pool_time_scale(void);

/* Errors. ------------------------------------------------------------------ */

/* A sentence about this thread's last failed call (without the name of
 * the call: pool_perror adds what you give it). */
const char *pool_last_error(void);
/* Print "what: <last error>" on stderr (as perror does). */
void pool_perror(const char *what);

/* Internals of the macros above. ------------------------------------------- */

pool_value pool__id(pool_value v);
pool_value pool__str(const char *s);

/* The kinds an argument may be, each with what to make of it. */
#define POOL__TYPES(i, d, s, v)                                             \
        _Bool: i, char: i, signed char: i, unsigned char: i,                \
        short: i, unsigned short: i, int: i, unsigned: i,                   \
        long: i, unsigned long: i, long long: i, unsigned long long: i,     \
        float: d, double: d, char *: s, const char *: s, pool_value: v
/* An argument made a pool_value. Any other kind (a pointer, a struct) stops
 * the compiler with the message of POOL__NOT_A_VALUE: the default branch
 * only has to be well formed (pool_int of 0), as _Generic type-checks each
 * branch whether or not it is chosen. */
#define POOL__V(x)                                                          \
    _Generic((x), POOL__TYPES(pool_int, pool_double, pool__str, pool__id),  \
             default: pool_int)                                             \
    (_Generic((x), POOL__TYPES((x), (x), (x), (x)), default: POOL__NOT_A_VALUE(x)))
/* 0, once the static assertion has passed: it fails, with its message, for
 * an x of no kind above (a _Static_assert may stand in a struct, C11
 * 6.7.2.1, and so in an expression). */
#define POOL__NOT_A_VALUE(x) (0 * (int)sizeof(struct {                     \
    _Static_assert(_Generic((x), POOL__TYPES(1, 1, 1, 1), default: 0),      \
        "pool.h: an argument of this call is a pointer, a struct or another "\
        "kind that is not a whole number, a double, a string (char *) or a " \
        "pool_value. A pointer does not reach the task: the worker is "      \
        "another process, with memory of its own. Send the bytes it points " \
        "to as pool_bytes(ptr, size) (the task reads them with "             \
        "pool_arg_bytes), a struct as pool_bytes(&s, sizeof s), text as a "  \
        "char *.");                                                         \
    int pool__n; }))
/* POOL__CALL(fn, arg, ...) gives the four parameters fn, "fn", args, count
 * of pool_submit and its kin: args is an array of the arguments made
 * pool_values (NULL when there are none), count how many. fn is part of
 * the variadic list so that a call with no argument needs no __VA_OPT__
 * nor GNU's `, ##`: plain C11, quiet under -pedantic. */
#define POOL__CALL(...) POOL__FN(__VA_ARGS__, ~), POOL__NAME(__VA_ARGS__, ~), \
    POOL__CAT(POOL__ARGV_, POOL__SOME(__VA_ARGS__))(__VA_ARGS__), POOL__ARGC(__VA_ARGS__)
#define POOL__FN(fn, ...) (fn)
#define POOL__NAME(fn, ...) #fn
/* The 66th of (fn, args..., 64, ..., 0, ~) is the number of args. Counts
 * from 17 to 64 are there only to be refused with a message
 * (POOL__ARGV_POOL__MANY: a name no program defines, as it is expanded
 * before it is pasted); past 64 the compiler says what it can. */
#define POOL__N(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, \
        _16, _17, _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, \
        _30, _31, _32, _33, _34, _35, _36, _37, _38, _39, _40, _41, _42, _43, \
        _44, _45, _46, _47, _48, _49, _50, _51, _52, _53, _54, _55, _56, _57, \
        _58, _59, _60, _61, _62, _63, _64, _65, n, ...) n
#define POOL__ARGC(...) POOL__N(__VA_ARGS__, \
        64, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, \
        47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, \
        30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, \
        13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, ~)
#define POOL__SOME(...) POOL__N(__VA_ARGS__, \
        POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, \
        POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, \
        POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, \
        POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, \
        POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, \
        POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, \
        POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, \
        POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, \
        POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, POOL__MANY, \
        POOL__MANY, POOL__MANY, POOL__MANY, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, \
        1, 1, 1, 1, 1, 1, 0, ~)
#define POOL__ARGV_0(fn) ((const pool_value *)0)
#define POOL__ARGV_1(fn, ...) \
    ((const pool_value[]){ POOL__CAT(POOL__M, POOL__ARGC(fn, __VA_ARGS__))(POOL__V, __VA_ARGS__) })
#define POOL__ARGV_POOL__MANY(...) ((const pool_value *)(0 * sizeof(struct { \
    _Static_assert(0,                                                       \
        "pool.h: a call takes at most 16 arguments after the function. "   \
        "Send more as one value: a struct as pool_bytes(&s, sizeof s), an " \
        "array as pool_bytes(a, sizeof a); or fill an array of pool_value " \
        "and call pool_submit(p, fn, \"fn\", args, n) (up to POOL_MAX_ARGS).");\
    int pool__n; })))
#define POOL__M1(f, x) f(x)
#define POOL__M2(f, x, ...) f(x), POOL__M1(f, __VA_ARGS__)
#define POOL__M3(f, x, ...) f(x), POOL__M2(f, __VA_ARGS__)
#define POOL__M4(f, x, ...) f(x), POOL__M3(f, __VA_ARGS__)
#define POOL__M5(f, x, ...) f(x), POOL__M4(f, __VA_ARGS__)
#define POOL__M6(f, x, ...) f(x), POOL__M5(f, __VA_ARGS__)
#define POOL__M7(f, x, ...) f(x), POOL__M6(f, __VA_ARGS__)
#define POOL__M8(f, x, ...) f(x), POOL__M7(f, __VA_ARGS__)
#define POOL__M9(f, x, ...) f(x), POOL__M8(f, __VA_ARGS__)
#define POOL__M10(f, x, ...) f(x), POOL__M9(f, __VA_ARGS__)
#define POOL__M11(f, x, ...) f(x), POOL__M10(f, __VA_ARGS__)
#define POOL__M12(f, x, ...) f(x), POOL__M11(f, __VA_ARGS__)
#define POOL__M13(f, x, ...) f(x), POOL__M12(f, __VA_ARGS__)
#define POOL__M14(f, x, ...) f(x), POOL__M13(f, __VA_ARGS__)
#define POOL__M15(f, x, ...) f(x), POOL__M14(f, __VA_ARGS__)
#define POOL__M16(f, x, ...) f(x), POOL__M15(f, __VA_ARGS__)
#define POOL__CAT(a, b) POOL__CAT_(a, b)
#define POOL__CAT_(a, b) a##b

#ifdef __GNUC__
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif /* POOL_H */
