/*
 * call_report.h - count the calls, show the progress, and report the run.
 *
 * All clients report the same way so that their numbers can be compared side by
 * side: a human summary, or with --json one object
 *   {"client": "sync", "requests": N, "ok": n, "failed": n, "seconds": s}
 * What differs between the clients is only *how* they make the calls. Each client
 * says when a call starts (tally_call_started) and how it ended (tally_ok,
 * tally_failed); the tally keeps the counts, the --trace / --timeline record
 * (call_trace.c) and, on a terminal, a progress bar.
 */
#ifndef CALL_REPORT_H
#define CALL_REPORT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "call_trace.h"
#include "client_options.h"
#include "clock.h" /* the tally's times are monotonic_seconds() */

struct run_tally {
    const char *client;  /* "sync", "async", "mini": the "client" field of the summary */
    const char *program; /* "client_sync", ...: how messages on stderr start */
    const struct client_options *options;
    double started_at; /* monotonic_seconds() when the run began */
    /* Atomic: the progress bar reads them from its own thread. */
    atomic_long started, ok, failed;
    bool interrupted;     /* Ctrl-C: the summary covers the calls made so far */
    long failures_listed; /* failure lines printed so far (capped to keep stderr readable) */
    bool told_unreachable;
    bool tracing; /* --trace or --timeline: record every call */
    struct call_trace trace;

    /*
     * The progress bar, on a terminal only. A thread of its own redraws it ten
     * times a second, so that it ticks even while the blocking client sits in
     * curl_easy_perform() or every call of the async one is still waiting.
     * `stderr_lock` keeps its lines and the clients' failure lines apart.
     */
    bool progress_wanted;
    bool progress_visible;
    bool progress_stopping;
    pthread_t progress_thread;
    pthread_mutex_t stderr_lock;
    pthread_cond_t progress_wake;
};

void tally_start(struct run_tally *tally, const char *client, const char *program,
                 const struct client_options *options);

/* Call `index` (0-based) has started: its request is on its way. */
void tally_call_started(struct run_tally *tally, long index);

/* Call `index` succeeded (its time runs from tally_call_started to now). */
void tally_ok(struct run_tally *tally, long index);

/*
 * Call `index` failed: `http_status` (0 when no reply came) and `reason` in words.
 * `server_unreachable` marks "nobody is listening there": that is reported once,
 * in one line, however many calls hit it.
 */
void tally_failed(struct run_tally *tally, long index, long http_status, const char *reason,
                  bool server_unreachable);

/* Ctrl-C: the run stops early; the summary says so and the exit code is 130. */
void tally_interrupted(struct run_tally *tally);

/* Print the summary (then the timeline, write the trace), and return the exit
 * code the client should end with. */
int tally_finish(struct run_tally *tally);

#endif
