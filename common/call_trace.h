/*
 * call_trace.h - when each call started and ended, for --trace FILE and --timeline.
 *
 * A blocking client's calls stand one after another (a staircase); an event-loop
 * client's calls all wait at once (a stack). The trace keeps every call's start
 * and end in memory while the run goes on (a few stores per call: it must not
 * slow the run it measures) and writes them at the end:
 *   --trace FILE   as CSV, one line per call, for gnuplot, a spreadsheet, `make pictures`
 *   --timeline     as a text picture on the terminal, one bar per call
 */
#ifndef CALL_TRACE_H
#define CALL_TRACE_H

#include <stdbool.h>
#include <stdio.h>

struct call_record {
    double started, ended; /* seconds since the run began; ended < 0: never ended */
    long status;           /* the HTTP status, 0 when none came */
    bool ok;
    char failure[96]; /* why it failed, in words (cut to fit) */
    /* The FirecREST clients say what each request was for. */
    long job;            /* the job's index, -1 for none (a token) */
    const char *service; /* "compute", "tasks", "utilities", "auth"... */
    const char *kind;    /* "submit", "poll", "output", "token"... */
};

struct call_trace {
    struct call_record *records; /* records[i] is call i */
    long count, capacity;
    double run_started; /* monotonic_seconds() when the run began */
    bool with_jobs;     /* write the FirecREST columns too */
};

/* An empty trace of a run that began at `run_started` (monotonic seconds). */
void call_trace_init(struct call_trace *trace, double run_started, bool with_jobs);

/* Call `index` started at `now`. Returns its record (NULL if out of memory: the
 * trace then lacks that call, the run goes on). */
struct call_record *call_trace_started(struct call_trace *trace, long index, double now);

/* Call `index` ended at `now`: ok, or failed for `failure`. Ignored for a call
 * that never started. */
void call_trace_ended(struct call_trace *trace, long index, double now, long status, bool ok,
                      const char *failure);

/* The CSV: a header, then "call,start_ms,end_ms,status,result[,job,service,kind]".
 * Returns false with `error` filled when the file cannot be written. */
bool call_trace_write_csv(const struct call_trace *trace, const char *path, char *error,
                          size_t error_size);

/* The text timeline: up to 40 calls, one bar each, `width` columns wide in all. A
 * call that never ended (Ctrl-C) runs to `run_seconds`, the end of the run. */
void call_trace_print_timeline(const struct call_trace *trace, FILE *out, int width,
                               double run_seconds);

void call_trace_free(struct call_trace *trace);

#endif
