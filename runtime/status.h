/*
 * status.h - how a call ended: the trace's status words (runtime/TRACE.md)
 * and how the tools show each. The one table of them: the runtime writes
 * the words from it, the trace reader (tools/trace) reads them with it,
 * and the plots take their marks and colours from it (tracestat writes
 * them out for gnuplot and for the HTML report). Private to the project:
 * not part of pool.h.
 *
 * The order is the status code the plots use (1 ok ... 7 timeout, in
 * gnuplot's linetypes): add a status at the end, and to TRACE.md.
 */
#ifndef POOL_STATUS_H
#define POOL_STATUS_H

/* X(NAME, word, mark, legend, fill, edge, gnuplot pattern, HTML pattern,
 *   Perfetto colour name)
 * mark: the letter a box carries after its id, so that a status shows
 * where colours do not (a text chart, a print in black and white).
 * Patterns: gnuplot's fill pattern number (3 solid, 1 and 2 cross-hatched,
 * 4 and 5 striped) and report.html's name for the same. */
#define POOL_STATUSES(X) \
    X(OK,         "ok",         "",  "ok",             "#9ecae1", "#3182bd", 3, "solid", "good") \
    X(ERROR,      "error",      "!", "error (!)",      "#fdae6b", "#d94801", 3, "solid", "bad") \
    X(CRASH,      "crash",      "X", "crash (X)",      "#e34a33", "#b30000", 2, "cross", "terrible") \
    X(TERMINATED, "terminated", "T", "terminated (T)", "#bdbdbd", "#636363", 1, "cross", "grey") \
    X(RETRIED,    "retried",    "R", "retried (R)",    "#807dba", "#6a51a3", 1, "cross", "yellow") \
    X(CANCELLED,  "cancelled",  "C", "cancelled (C)",  "#d9a300", "#7f6000", 5, "up",    "olive") \
    X(TIMEOUT,    "timeout",    "L", "timeout (L)",    "#dd3497", "#7a0177", 4, "down",  "black")

/* ST_OK, ST_ERROR, ...: the runtime's names (internal.h); TS_OK, ...: the
 * reader's (tools/trace/trace.h). The same numbers. ST_RETRIED is no end:
 * a try whose worker died, run again (its trace record only; the call
 * goes on). */
#define POOL__STATUS_ENUM(name, ...) POOL_STATUS_##name,
enum pool_status { POOL_STATUSES(POOL__STATUS_ENUM) POOL_STATUS_COUNT };
#undef POOL__STATUS_ENUM

/* One status's word and looks. */
struct pool_status_look {
    const char *word, *mark, *legend, *fill, *edge;
    int gnuplot_pattern;
    const char *html_pattern, *perfetto;
};

#define POOL__STATUS_LOOK(name, word, mark, legend, fill, edge, gp, html, pf) \
    { word, mark, legend, fill, edge, gp, html, pf },
static const struct pool_status_look pool_status_looks[POOL_STATUS_COUNT]
    __attribute__((unused)) = { POOL_STATUSES(POOL__STATUS_LOOK) };
#undef POOL__STATUS_LOOK

/* The word of status s ("ok" ... "timeout"); "error" for a number that
 * is no status (a slot written over). */
static inline const char *pool_status_word(unsigned s)
{
    return pool_status_looks[s < POOL_STATUS_COUNT ? s : POOL_STATUS_ERROR].word;
}

#endif /* POOL_STATUS_H */
