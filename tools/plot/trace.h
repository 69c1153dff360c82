/*
 * trace.h - read a pool trace (format v1, runtime/TRACE.md) into memory.
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
 * comes again in a later record. */
enum trace_status { TS_OK, TS_ERROR, TS_CRASH, TS_TERMINATED, TS_RETRIED };

/* One record: one task. Times are seconds since the pool was created. */
struct trace_task {
    long id;
    char *function;
    long pid;               /* 0: the task never started */
    int worker;             /* slot 0..N-1; -1: never started */
    double submit, start, end;
    enum trace_status status;
    char *error;            /* "" for ok */
};

struct trace {
    struct trace_task *task;    /* in file order (the order tasks ended) */
    size_t ntasks;
    int workers;                /* the pool's size from a v2 header; 0 if unknown */
    double time_scale;          /* its POOL_TIME_SCALE from a v2 header; 0 if unknown */
    char program[64];           /* its program's name from a v2 header; "" if unknown */
};

/* Read path into t. On failure return -1 and put one sentence about what is
 * wrong (with the line number when there is one) in why. */
int trace_read(const char *path, struct trace *t, char *why, size_t whysize);
void trace_free(struct trace *t);

/* "ok", "error", "crash", "terminated", "retried". */
const char *trace_status_name(enum trace_status s);
/* True if the task ran in a worker (it has a PID and a slot). */
int trace_task_ran(const struct trace_task *k);

#endif /* TRACE_H */
