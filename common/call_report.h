/*
 * call_report.h - count the calls, show the progress, and report the run.
 *
 * All clients report the same way so that their numbers can be compared side by
 * side: a human summary, or with --json one object
 *   {"client": "sync", "requests": N, "ok": n, "failed": n, "seconds": s}
 * What differs between the clients is only *how* they make the calls.
 */
#ifndef CALL_REPORT_H
#define CALL_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "client_options.h"
#include "clock.h" /* the tally's times are monotonic_seconds() */

struct run_tally {
    const char *client;  /* "sync", "async", "mini": the "client" field of the summary */
    const char *program; /* "client_sync", ...: how messages on stderr start */
    const struct client_options *options;
    long ok;
    long failed;
    double started_at;    /* monotonic_seconds() when the run began */
    long failures_listed; /* failure lines printed so far (capped to keep stderr readable) */
    bool told_unreachable;
    bool progress_wanted;  /* stderr is a terminal and not --verbose (asked once: a system call) */
    bool progress_visible; /* a progress bar is on the terminal and must be cleared */
    double progress_drawn_at;
};

void tally_start(struct run_tally *tally, const char *client, const char *program,
                 const struct client_options *options);

/* Call `index` (0-based) succeeded after `seconds`. */
void tally_ok(struct run_tally *tally, long index, double seconds);

/*
 * Call `index` failed. `server_unreachable` marks "nobody is listening there":
 * that is reported once, in one line, however many calls hit it.
 */
void tally_failed(struct run_tally *tally, long index, const char *reason, bool server_unreachable);

/* Print the summary and return the exit code the client should end with. */
int tally_finish(struct run_tally *tally);

#endif
