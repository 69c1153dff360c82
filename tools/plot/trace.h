/*
 * trace.h - read a pool trace (formats v1, v2 and v3, runtime/TRACE.md)
 * into memory. Task ids come out counted from 0 whatever the version (v1
 * and v2 counted from 1), so that every version of one run reads the same.
 *
 * The plot tools share this reader. It refuses anything it cannot vouch
 * for: another format version, a missing or changed header, a record cut
 * short, a field that is not what the format says. Each refusal is one
 * sentence, so that a tool can print it on one line and stop.
 */
#ifndef TRACE_H
#define TRACE_H

#include <stddef.h>

/* TS_RETRIED: a try whose worker died and that ran again; the task's id
 * comes again in a later record. TS_CANCELLED: future_cancel or
 * future_kill stopped it; TS_TIMEOUT: it ran past its time limit. */
enum trace_status { TS_OK, TS_ERROR, TS_CRASH, TS_TERMINATED, TS_RETRIED,
                    TS_CANCELLED, TS_TIMEOUT };
#define TS_COUNT 7

/* One record: one task. Times are seconds since the pool was created. */
struct trace_task {
    long id;                /* the call's place in call order, from 0 */
    char *function;
    long pid;               /* 0: the task never started */
    int worker;             /* slot 0..N-1; -1: never started */
    double submit, start, end;
    double queued;          /* when this try joined the queue: submit for the
                               first, the try before's end for a retry */
    enum trace_status status;
    char *error;            /* "" for ok */
};

/* A time the master was blocked waiting (v3's master events). */
struct trace_span {
    double from, to;
    char on[48];            /* what it waited in, on what: "pool_apply #0", "pool_join" */
};

/* A worker's end (a v2/v3 event "what=end how=..."). */
struct trace_end {
    int slot;
    long pid;
    double t;
    char how[128];          /* "exited with status 0", "was killed by signal 9 (...)" */
};

struct trace {
    struct trace_task *task;    /* in file order (the order tasks ended) */
    size_t ntasks;
    int workers;                /* the pool's size from a v2/v3 header; 0 if unknown */
    double time_scale;          /* its POOL_TIME_SCALE from a v2/v3 header; 0 if unknown */
    char program[64];           /* its program's name from a v2/v3 header; "" if unknown */
    int version;                /* 1, 2 or 3: the file's */
    struct trace_span *blocked; /* when a thread of the master was blocked (v3) */
    size_t nblocked;
    long master_pid;            /* the master's PID from its events (v3); 0 if none */
    struct trace_end *ends;     /* every worker's end event (v2, v3), in file order */
    size_t nends;
    struct trace_end *starts;   /* and its start event (how is "") */
    size_t nstarts;
};

/* Read path into t. On failure return -1 and put one sentence about what is
 * wrong (with the line number when there is one) in why. */
int trace_read(const char *path, struct trace *t, char *why, size_t whysize);
void trace_free(struct trace *t);

/* "ok", "error", "crash", "terminated", "retried", "cancelled", "timeout". */
const char *trace_status_name(enum trace_status s);
/* True if the task ran in a worker (it has a PID and a slot). */
int trace_task_ran(const struct trace_task *k);
/* True if a worker's end was not a normal exit (status 0). */
int trace_end_abnormal(const struct trace_end *e);

#endif /* TRACE_H */
