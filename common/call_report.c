/*
 * call_report.c - the bookkeeping the clients share: counts, failure lines, a
 * progress bar on a terminal, the trace, and the final summary.
 */
#include "call_report.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

enum { MAX_FAILURE_LINES = 20 };
#define PROGRESS_AFTER_SECONDS 0.5 /* short runs need no bar */
#define PROGRESS_EVERY_MS 100      /* ten times a second: smooth enough, costs nothing */

static void *redraw_progress_until_stopped(void *tally_ptr);

void tally_start(struct run_tally *tally, const char *client, const char *program,
                 const struct client_options *options)
{
    *tally = (struct run_tally){
        .client = client,
        .program = program,
        .options = options,
        .started_at = monotonic_seconds(),
        .tracing = options->trace_path != NULL || options->timeline || options->verbose,
        .progress_wanted = !options->verbose && isatty(STDERR_FILENO),
    };
    atomic_init(&tally->started, 0);
    atomic_init(&tally->ok, 0);
    atomic_init(&tally->failed, 0);
    call_trace_init(&tally->trace, tally->started_at, false);
    pthread_mutex_init(&tally->stderr_lock, NULL);
    monotonic_cond_init(&tally->progress_wake);
    if (tally->progress_wanted &&
        pthread_create(&tally->progress_thread, NULL, redraw_progress_until_stopped, tally) != 0)
        tally->progress_wanted = false; /* no bar, the run goes on */
}

/* --- the progress bar: on stderr, and only when a person is watching it --------- */

/* Both with stderr_lock held. */
static void clear_progress(struct run_tally *tally)
{
    if (tally->progress_visible) {
        fputs("\r\033[K", stderr);
        tally->progress_visible = false;
    }
}

static void draw_progress(struct run_tally *tally)
{
    double elapsed = monotonic_seconds() - tally->started_at;
    if (elapsed < PROGRESS_AFTER_SECONDS)
        return;
    enum { WIDTH = 30 };
    long ok = atomic_load(&tally->ok), failed = atomic_load(&tally->failed);
    long done = ok + failed, total = tally->options->number;
    long in_flight = atomic_load(&tally->started) - done;
    int filled = (int)(WIDTH * (done < total ? done : total) / total);
    fprintf(stderr, "\r[%.*s%*s] %ld/%ld done, %ld in flight, %.1f s\033[K", filled,
            "##############################", WIDTH - filled, "", done, total,
            in_flight > 0 ? in_flight : 0, elapsed);
    tally->progress_visible = true;
}

static void *redraw_progress_until_stopped(void *tally_ptr)
{
    struct run_tally *tally = tally_ptr;
    pthread_mutex_lock(&tally->stderr_lock);
    while (!tally->progress_stopping) {
        struct timespec next = monotonic_deadline(PROGRESS_EVERY_MS);
        /* Sleeps a tenth of a second, or until tally_finish wakes it to stop. */
        pthread_cond_timedwait(&tally->progress_wake, &tally->stderr_lock, &next);
        if (!tally->progress_stopping)
            draw_progress(tally);
    }
    clear_progress(tally);
    pthread_mutex_unlock(&tally->stderr_lock);
    return NULL;
}

/* --- each call ------------------------------------------------------------------ */

void tally_call_started(struct run_tally *tally, long index)
{
    atomic_fetch_add(&tally->started, 1);
    if (tally->tracing)
        call_trace_started(&tally->trace, index, monotonic_seconds());
}

/* When call `index` started, in seconds since the run began (-1: not known). */
static double call_started_at(const struct run_tally *tally, long index)
{
    if (index < 0 || index >= tally->trace.count)
        return -1;
    return tally->trace.records[index].started;
}

void tally_ok(struct run_tally *tally, long index)
{
    atomic_fetch_add(&tally->ok, 1);
    double now = monotonic_seconds();
    if (tally->tracing)
        call_trace_ended(&tally->trace, index, now, 200, true, NULL);
    if (tally->options->verbose) {
        double started = call_started_at(tally, index);
        if (started >= 0)
            fprintf(stderr, "call %ld: started at %.3f s, ok in %.3f s\n", index + 1, started,
                    now - tally->started_at - started);
        else
            fprintf(stderr, "call %ld: ok at %.3f s\n", index + 1, now - tally->started_at);
    }
}

void tally_failed(struct run_tally *tally, long index, long http_status, const char *reason,
                  bool server_unreachable)
{
    atomic_fetch_add(&tally->failed, 1);
    if (tally->tracing)
        call_trace_ended(&tally->trace, index, monotonic_seconds(), http_status, false, reason);
    pthread_mutex_lock(&tally->stderr_lock);
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
    pthread_mutex_unlock(&tally->stderr_lock);
}

void tally_interrupted(struct run_tally *tally)
{
    tally->interrupted = true;
}

/* --- the end of the run --------------------------------------------------------- */

static int terminal_width(void)
{
    struct winsize size;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 40)
        return size.ws_col;
    return 80; /* not a terminal: a width every terminal has */
}

int tally_finish(struct run_tally *tally)
{
    if (tally->progress_wanted) {
        pthread_mutex_lock(&tally->stderr_lock);
        tally->progress_stopping = true;
        pthread_cond_signal(&tally->progress_wake);
        pthread_mutex_unlock(&tally->stderr_lock);
        pthread_join(tally->progress_thread, NULL);
    }
    double seconds = monotonic_seconds() - tally->started_at;
    long requests = tally->options->number, ok = atomic_load(&tally->ok);
    /* Calls never attempted (the sync client stops at a dead server, Ctrl-C stops
     * them all) count as failed. */
    long failed = requests - ok;
    if (tally->options->json) {
        printf("{\"client\": \"%s\", \"requests\": %ld, \"ok\": %ld, \"failed\": %ld, "
               "\"seconds\": %.6f%s}\n",
               tally->client, requests, ok, failed, seconds,
               tally->interrupted ? ", \"interrupted\": true" : "");
    } else {
        if (tally->interrupted)
            printf("interrupted (Ctrl-C) after %ld of %ld calls: the summary so far\n",
                   atomic_load(&tally->started), requests);
        printf("%s client: %ld calls to %.200s: %ld ok, ", tally->client, requests,
               tally->options->url, ok);
        if (tally->interrupted)
            printf("%ld failed, %ld not done, in %.3f s", atomic_load(&tally->failed),
                   failed - atomic_load(&tally->failed), seconds);
        else
            printf("%ld failed, in %.3f s", failed, seconds);
        if (ok > 0 && seconds > 0)
            printf(" (%.1f ok calls/s)", (double)ok / seconds);
        printf("\n");
    }
    if (tally->options->timeline)
        call_trace_print_timeline(&tally->trace, stdout, terminal_width(), seconds);
    fflush(stdout);
    int exit_code = tally->interrupted ? EXIT_INTERRUPTED
                    : failed == 0      ? EXIT_ALL_CALLS_OK
                                       : EXIT_SOME_CALLS_FAILED;
    char error[512];
    if (tally->options->trace_path != NULL &&
        !call_trace_write_csv(&tally->trace, tally->options->trace_path, error, sizeof error)) {
        fprintf(stderr, "%s: %s\n", tally->program, error);
        if (exit_code == EXIT_ALL_CALLS_OK)
            exit_code = EXIT_SOME_CALLS_FAILED;
    }
    call_trace_free(&tally->trace);
    pthread_cond_destroy(&tally->progress_wake);
    pthread_mutex_destroy(&tally->stderr_lock);
    return exit_code;
}
