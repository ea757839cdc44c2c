/*
 * call_report.c - the bookkeeping the clients share: counts, failure lines, a
 * progress bar on a terminal, and the final summary.
 */
#include "call_report.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { MAX_FAILURE_LINES = 20 };
#define PROGRESS_AFTER_SECONDS 0.5 /* short runs need no bar */
#define PROGRESS_EVERY_SECONDS 0.1 /* redrawing more often only costs time */

void tally_start(struct run_tally *tally, const char *client, const char *program,
                 const struct client_options *options)
{
    *tally = (struct run_tally){
        .client = client,
        .program = program,
        .options = options,
        .started_at = monotonic_seconds(),
        .progress_wanted = !options->verbose && isatty(STDERR_FILENO),
    };
}

/* The bar is drawn on stderr, and only when a person is watching it. */
static void clear_progress(struct run_tally *tally)
{
    if (tally->progress_visible) {
        fputs("\r\033[K", stderr);
        tally->progress_visible = false;
    }
}

static void draw_progress(struct run_tally *tally)
{
    if (!tally->progress_wanted)
        return;
    double now = monotonic_seconds();
    if (now - tally->started_at < PROGRESS_AFTER_SECONDS ||
        now - tally->progress_drawn_at < PROGRESS_EVERY_SECONDS)
        return;
    enum { WIDTH = 40 };
    long done = tally->ok + tally->failed, total = tally->options->number;
    int filled = (int)(WIDTH * done / total);
    fprintf(stderr, "\r[%.*s%*s] %ld/%ld calls, %.1f s", filled,
            "########################################", WIDTH - filled, "", done, total,
            now - tally->started_at);
    tally->progress_visible = true;
    tally->progress_drawn_at = now;
}

void tally_ok(struct run_tally *tally, long index, double seconds)
{
    tally->ok++;
    if (tally->options->verbose)
        fprintf(stderr, "call %ld: ok in %.3f s\n", index + 1, seconds);
    draw_progress(tally);
}

void tally_failed(struct run_tally *tally, long index, const char *reason, bool server_unreachable)
{
    tally->failed++;
    clear_progress(tally);
    if (server_unreachable) {
        /* `make run-server` starts the server that the default URL names, and no other. */
        bool kit_server = strcmp(tally->options->url, DEFAULT_URL) == 0;
        if (!tally->told_unreachable)
            fprintf(stderr, "%s: cannot reach %s: %s.%s\n", tally->program, tally->options->url,
                    reason, kit_server ? " Is the server running? (make run-server)" : "");
        tally->told_unreachable = true;
    } else if (tally->failures_listed < MAX_FAILURE_LINES) {
        fprintf(stderr, "call %ld failed: %s\n", index + 1, reason);
        tally->failures_listed++;
    } else if (tally->failures_listed == MAX_FAILURE_LINES) {
        /* Said at the first failure not listed, so that exactly 20 need no notice. */
        fprintf(stderr, "(further failures are counted, not listed)\n");
        tally->failures_listed++;
    }
    draw_progress(tally);
}

int tally_finish(struct run_tally *tally)
{
    clear_progress(tally);
    double seconds = monotonic_seconds() - tally->started_at;
    long requests = tally->options->number;
    /* Calls never attempted (the sync client stops at a dead server) count as failed. */
    long failed = requests - tally->ok;
    if (tally->options->json) {
        printf("{\"client\": \"%s\", \"requests\": %ld, \"ok\": %ld, \"failed\": %ld, "
               "\"seconds\": %.6f}\n",
               tally->client, requests, tally->ok, failed, seconds);
    } else {
        printf("%s client: %ld calls to %s: %ld ok, %ld failed, in %.3f s", tally->client, requests,
               tally->options->url, tally->ok, failed, seconds);
        if (tally->ok > 0 && seconds > 0)
            printf(" (%.1f ok calls/s)", (double)tally->ok / seconds);
        printf("\n");
    }
    fflush(stdout);
    return failed == 0 ? EXIT_ALL_CALLS_OK : EXIT_SOME_CALLS_FAILED;
}
