/*
 * trace2json - a pool trace as Chrome trace-event JSON.
 *
 *     trace2json [-o OUT.json] TRACE
 *
 * Perfetto (ui.perfetto.dev) and chrome://tracing open the result. Each task
 * is one complete event ("ph":"X") from its start to its end; each worker
 * process is one row: pid and tid are the worker's PID, and the process is
 * named after its slot. Tasks that never started sit at pid 0. A v3 trace
 * adds the master's row: an event "blocked" for each time it waited. A
 * worker that ended other than by a normal exit (v2, v3) gets an instant
 * event "worker ended" on its row, with how it ended. Times are in
 * microseconds since the pool was created.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);   /* UTF-8 passes through as it came */
        }
    }
    fputc('"', f);
}

/* Name each worker's row once: "w1 (pid 8999)", ordered by slot. */
static void put_names(FILE *f, const struct trace *t)
{
    long *seen = malloc((t->ntasks + 1) * sizeof *seen);
    size_t nseen = 0;

    if (seen == NULL) {
        fprintf(stderr, "trace2json: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < t->ntasks; i++) {
        const struct trace_task *k = &t->task[i];
        size_t j;
        for (j = 0; j < nseen && seen[j] != k->pid; j++)
            ;
        if (j < nseen)
            continue;           /* named already */
        seen[nseen++] = k->pid;
        char name[64];
        if (trace_task_ran(k))
            snprintf(name, sizeof name, "w%d (pid %ld)", k->worker, k->pid);
        else
            snprintf(name, sizeof name, "never started");
        fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%ld,\"tid\":%ld,"
                "\"args\":{\"name\":\"%s\"}},\n", k->pid, k->pid, name);
        fprintf(f, "{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%ld,"
                "\"tid\":%ld,\"args\":{\"sort_index\":%d}},\n", k->pid, k->pid,
                trace_task_ran(k) ? k->worker : 1 << 20);
        fprintf(f, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%ld,\"tid\":%ld,"
                "\"args\":{\"name\":\"tasks\"}},\n", k->pid, k->pid);
    }
    free(seen);
}

/* A v3 trace: the master's row, one event for each time it was blocked
 * waiting. */
static void put_master(FILE *f, const struct trace *t)
{
    long pid = t->master_pid;
    if (t->version < 3)
        return;
    fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%ld,\"tid\":%ld,"
            "\"args\":{\"name\":\"master (pid %ld)\"}},\n", pid, pid, pid);
    fprintf(f, "{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%ld,"
            "\"tid\":%ld,\"args\":{\"sort_index\":-1}},\n", pid, pid);
    for (size_t i = 0; i < t->nblocked; i++) {
        fprintf(f, "{\"name\":\"blocked\",\"cat\":\"master\",\"ph\":\"X\",\"ts\":%.3f,"
                "\"dur\":%.3f,\"pid\":%ld,\"tid\":%ld,\"cname\":\"grey\",\"args\":{\"in\":",
                t->blocked[i].from * 1e6, (t->blocked[i].to - t->blocked[i].from) * 1e6,
                pid, pid);
        put_string(f, t->blocked[i].on);
        fputs("}},\n", f);
    }
}

/* v2, v3: an instant event where a worker died or was killed. */
static void put_ends(FILE *f, const struct trace *t)
{
    for (size_t i = 0; i < t->nends; i++) {
        const struct trace_end *e = &t->ends[i];
        if (!trace_end_abnormal(e))
            continue;
        fprintf(f, "{\"name\":\"worker ended\",\"cat\":\"worker\",\"ph\":\"i\",\"s\":\"p\","
                "\"ts\":%.3f,\"pid\":%ld,\"tid\":%ld,\"args\":{\"worker\":%d,\"how\":",
                e->t * 1e6, e->pid, e->pid, e->slot);
        put_string(f, e->how);
        fputs("}},\n", f);
    }
}

static void put_events(FILE *f, const struct trace *t)
{
    /* Chrome's colour names, for viewers that know them. */

    for (size_t i = 0; i < t->ntasks; i++) {
        const struct trace_task *k = &t->task[i];
        fputs("{\"name\":", f);
        put_string(f, k->function);
        fprintf(f, ",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,"
                "\"pid\":%ld,\"tid\":%ld,\"cname\":\"%s\",\"args\":{\"task\":%ld,"
                "\"worker\":%d,\"status\":\"%s\",\"submit_us\":%.3f,\"error\":",
                trace_status_name(k->status), k->start * 1e6,
                (k->end - k->start) * 1e6, k->pid, k->pid, pool_status_looks[k->status].perfetto,
                k->id, k->worker, trace_status_name(k->status), k->submit * 1e6);
        put_string(f, k->error);
        fprintf(f, "}}%s\n", i + 1 < t->ntasks ? "," : "");
    }
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    struct trace t;
    char why[512];
    int opt;

    while ((opt = getopt(argc, argv, "o:h")) != -1) {
        if (opt == 'o') {
            out = optarg;
        } else {
            fprintf(stderr, "usage: trace2json [-o OUT.json] TRACE\n");
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "usage: trace2json [-o OUT.json] TRACE\n");
        return 2;
    }
    const char *path = argv[optind];
    if (trace_read(path, &t, why, sizeof why) != 0) {
        fprintf(stderr, "trace2json: %s: %s\n", path, why);
        return 1;
    }

    FILE *f = out ? fopen(out, "w") : stdout;
    if (f == NULL) {
        fprintf(stderr, "trace2json: cannot write %s: %s\n", out, strerror(errno));
        trace_free(&t);
        return 1;
    }
    fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"format\":\"pool-trace\","
          "\"source\":", f);
    put_string(f, path);
    fputs("},\n\"traceEvents\":[\n", f);
    put_names(f, &t);
    put_master(f, &t);
    put_ends(f, &t);
    put_events(f, &t);
    fputs("]}\n", f);
    trace_free(&t);
    if (ferror(f) || (out ? fclose(f) : fflush(f)) != 0) {
        fprintf(stderr, "trace2json: cannot write %s: %s\n", out ? out : "the JSON",
                strerror(errno));
        return 1;
    }
    return 0;
}
