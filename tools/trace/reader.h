/*
 * reader.h - the one reader of pool traces (formats v1 to v4,
 * runtime/TRACE.md). The plots (tracestat, trace2json), the grader and the
 * tests (through pooltrace) all read traces with it.
 *
 * Three ways in:
 * - trace_read: the whole trace in memory, for the plots. Task ids come
 *   out counted from 0 whatever the version (v1 and v2 counted from 1), so
 *   that every version of one run reads the same. It refuses anything it
 *   cannot vouch for: another format version, a missing or changed header,
 *   a record cut short, a field that is not what the format says. Each
 *   refusal is one sentence, so that a tool can print it on one line and
 *   stop.
 * - trace_check: every rule of the format, each broken one reported (the
 *   tests' check: pooltrace check).
 * - trace_open and trace_next: the file line by line, records split into
 *   their fields and events as text, for a reader with rules of its own
 *   (the grader's, which takes records as a program wrote them).
 */
#ifndef TRACE_READER_H
#define TRACE_READER_H

#include <stddef.h>

#include "status.h"     /* the status words and their looks: runtime/status.h */

/* The status of a record, as runtime/status.h numbers them. TS_RETRIED: a
 * try whose worker died and that ran again; the task's id comes again in
 * a later record. TS_CANCELLED: future_cancel or future_kill stopped it;
 * TS_TIMEOUT: it ran past its time limit. */
enum trace_status {
    TS_OK = POOL_STATUS_OK, TS_ERROR = POOL_STATUS_ERROR, TS_CRASH = POOL_STATUS_CRASH,
    TS_TERMINATED = POOL_STATUS_TERMINATED, TS_RETRIED = POOL_STATUS_RETRIED,
    TS_CANCELLED = POOL_STATUS_CANCELLED, TS_TIMEOUT = POOL_STATUS_TIMEOUT
};
#define TS_COUNT POOL_STATUS_COUNT

/* One record: one task. Times are seconds since the pool was created. */
struct trace_task {
    long id;                /* the call's place in call order, from 0 */
    char *function;
    long pid;               /* 0: the task never started */
    int worker;             /* slot 0..N-1; -1: never started. v4 (across
                               machines): the station's slot, counted on after
                               the slots of the stations of lower rank, so
                               that every worker of the pool has its own */
    int slot;               /* the slot as the file has it (v4: the station's) */
    int rank;               /* v4: the MPI rank of its station; -1 none; 0 before v4 */
    char host[64];          /* v4: its station's host; "" before v4 or none */
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

/* A station of a v4 trace (a "# host" line): its workers' slots in the
 * pool are first .. first + workers - 1. */
struct trace_host {
    char name[64];
    int rank, workers, first;
    double offset_us, uncertainty_us;   /* its clock against the master's */
};

struct trace {
    struct trace_task *task;    /* in file order (the order tasks ended) */
    size_t ntasks;
    int workers;                /* the pool's size from a v2/v3 header; 0 if unknown */
    double time_scale;          /* its POOL_TIME_SCALE from a v2/v3 header; 0 if unknown */
    char program[64];           /* its program's name from a v2/v3 header; "" if unknown */
    int version;                /* 1 to 4: the file's */
    struct trace_host *hosts;   /* v4: the stations, by rank */
    size_t nhosts;
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

/* The word of status s: "ok", "error", ... (runtime/status.h). */
const char *trace_status_name(enum trace_status s);
/* The status named by word; -1 if it is none. */
int trace_status_parse(const char *word);
/* True if the task ran in a worker (it has a PID and a slot). */
int trace_task_ran(const struct trace_task *k);
/* True if a worker's end was not a normal exit (status 0). */
int trace_end_abnormal(const struct trace_end *e);

/* Line by line. -------------------------------------------------------------- */

#define TRACE_FIELDS 11     /* at most: v4's; 9 before (TRACE_FIELDS_V3) */
#define TRACE_FIELDS_V3 9
#define TRACE_HEADER "task,function,pid,worker,submit_s,start_s,end_s,status,error"
#define TRACE_HEADER_V4 TRACE_HEADER ",host,rank"

/* A trace being walked (trace_open). */
struct trace_cursor {
    char *buf, *p, *end;    /* the whole file, NUL-terminated; the next line */
    int line;               /* the number of the line at p */
    int version;            /* 1 to 4 */
    int fields;             /* a record's fields: 9; 11 in v4 (host, rank) */
    long base;              /* the file's first task id: 1 in v1 and v2, 0 in v3, v4 */
    const char *about;      /* line 2 of a v2 or v3 trace ("# workers=..."); NULL if none */
    size_t aboutlen;        /* its length, without the line end */
    int header_line;        /* the column header's line */
    int lenient;            /* TRACE_LENIENT */
    struct trace_host *hosts;   /* v4: the stations ("# host" lines), by rank */
    size_t nhosts;
};

/* trace_open's flags. TRACE_LENIENT: take the file as a program may have
 * written it: any bytes, a last record without its line end, a record
 * that cannot be split skipped (trace_next gives the lines that can be).
 * The version line and the column header are required all the same. */
#define TRACE_LENIENT 1

/* One item of a trace (trace_next). */
struct trace_item {
    enum { TRACE_RECORD, TRACE_EVENT } kind;
    int line;                       /* the line it starts on */
    int nfields;                    /* a record's fields in the file (may be more than kept) */
    char *field[TRACE_FIELDS];      /* unquoted, NUL-terminated; "" past nfields */
    const char *text;               /* an event ("# event ..." or another "#" line of v2,
                                       v3): the line without its end, not NUL-terminated */
    size_t len;
};

/* Read path and check it is a pool trace: line 1 (its version), line 2 of
 * v2 to v4 when it is there, v4's "# host" lines, the column header. 0, or -1 with a sentence
 * in why. */
int trace_open(const char *path, int flags, struct trace_cursor *c, char *why, size_t size);
/* The next item: 1; 0 at the end of the file; -1 with a sentence in why
 * for a record that cannot be split (cut short, bad quoting; never in
 * TRACE_LENIENT). A record's fields are the file's, its id as written. */
int trace_next(struct trace_cursor *c, struct trace_item *it, char *why, size_t size);
void trace_close(struct trace_cursor *c);

/* Every rule. ---------------------------------------------------------------- */

/* The master's events of a checked trace (v3), in file order. */
struct trace_event {
    char what[16];      /* "wait", "resume" or "call" */
    char in[40];        /* wait, resume: the call waited in; call: the API that made it */
    char on[48];        /* the task id, "ID n=K" or "all" */
    char t[24];         /* its time, as written */
    char inputs[48];    /* call, a chunk of a map: "FIRST..LAST"; "" for a call */
    char *fn;           /* call: the function's name; NULL for the others */
    char *args;         /* call: its arguments, as TRACE.md writes them; NULL */
};

/* Read an event line of the master's (v3; text, len bytes without the
 * line end): '# event worker=master pid=P t=T what=wait in=CALL on=ID'
 * (what=resume; on=ID n=K, on=all), or 'what=call api=API fn="NAME"
 * on=ID [inputs=F..L] args="..."'. 1 and e filled (e->fn and e->args are
 * the caller's to free); 0 if the line is not one; -1: out of memory. */
int trace_master_event(const char *text, size_t len, struct trace_event *e);

/* What trace_check found in a trace that keeps every rule. */
struct trace_checked {
    char *(*record)[TRACE_FIELDS];  /* each record's fields, the id counted from 0 */
    size_t nrecords;
    int fields;                     /* of each record: 9; 11 in v4 */
    struct trace_event *event;      /* the master's events */
    size_t nevents;
    int version;
};

/* Check path against every rule of runtime/TRACE.md: the first lines, the
 * event lines, each record (nine fields, eleven in v4 with a station's
 * host and rank and a slot below its workers, numbers, six decimals, submit <=
 * start <= end, status words, an error exactly when the status is not ok,
 * pid 0 exactly when the worker is -1), task ids from 0 (v3, v4) or 1
 * (v1, v2) and repeated only after a retried record, and no task whose last
 * record says retried. Each problem goes to problem(ctx, sentence); the
 * count of problems is returned (-1: out of memory). With none, out (if
 * not NULL) holds the records and the master's events: trace_checked_free. */
int trace_check(const char *path, struct trace_checked *out,
                void (*problem)(void *ctx, const char *sentence), void *ctx);
void trace_checked_free(struct trace_checked *out);

#endif /* TRACE_READER_H */
