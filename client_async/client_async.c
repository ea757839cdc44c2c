/*
 * client_async.c - the same N calls as client_sync, all waiting at the same time.
 *
 * One thread, one event loop (libuv). Instead of waiting for a reply, the program
 * asks the loop to wake it when a socket is ready, and meanwhile starts the next
 * call. N calls to a server that takes 1 s each take about 1 s in all, not N s.
 *
 *   make run-server                       # in one terminal
 *   bin/client_async --number 10          # in another; then try 1000
 *
 * libcurl speaks HTTP and libuv waits; how the two are wired together (the
 * socket callback, the timer callback) is in uv_curl.c: read it first. This file
 * is the program on top: when to start a call, what to do when one finishes.
 *
 * Read it in this order: main() at the bottom, then start_call(), then
 * on_call_done(). (The server's name is looked up once, in host_lookup.c.)
 */
#include <curl/curl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "call_report.h"
#include "client_options.h"
#include "curl_helpers.h"
#include "host_lookup.h"
#include "open_files.h"
#include "reply_check.h"
#include "uv_curl.h"

static const char WHAT_IT_DOES[] =
    "Calls URL --number times, all calls in flight at once (or --concurrency at a\n"
    "time), on a libuv event loop driving libcurl's multi-socket API.";

/* The whole program's state: one of these, made in main(). */
struct program {
    uv_loop_t loop;
    struct uv_curl curl;       /* libcurl on the loop (uv_curl.c) */
    uv_timer_t rate_timer;     /* wakes us when the next start is due (--rate) */
    uv_signal_t interrupt;     /* Ctrl-C, delivered by the loop like any other event */
    struct host_lookup server; /* the server's address, looked up once (host_lookup.c) */
    struct client_options options;
    struct run_tally tally;
    long most_in_flight; /* --concurrency, or fewer if open files run short */
    long calls_started;
    long calls_in_flight;
    bool server_unreachable; /* then we start no more calls: they would all fail */
    bool interrupted;        /* Ctrl-C: stop now, report what was done */
    struct call *idle_calls; /* finished calls, kept to be reused */
    struct call **all_calls; /* every call made, freed at the end */
    long calls_made;
};

/* One call: a libcurl "easy" handle and the reply it collects. */
struct call {
    CURL *easy;
    long index; /* which call this is, 0..N-1 */
    struct reply_body body;
    char error[CURL_ERROR_SIZE]; /* libcurl's own words when the call fails */
    struct call *next_idle;
};

/* A call slot: a finished one if there is one (its handle keeps its settings),
 * else a new one. */
static struct call *take_call(struct program *program)
{
    struct call *call = program->idle_calls;
    if (call != NULL) {
        program->idle_calls = call->next_idle;
        return call;
    }
    call = calloc(1, sizeof *call);
    if (call == NULL)
        return NULL;
    call->easy = curl_easy_init();
    if (call->easy == NULL) {
        free(call);
        return NULL;
    }
    program->all_calls[program->calls_made++] = call;
    curl_easy_setopt(call->easy, CURLOPT_URL, program->options.url);
    curl_easy_setopt(call->easy, CURLOPT_WRITEFUNCTION, reply_body_append);
    curl_easy_setopt(call->easy, CURLOPT_WRITEDATA, &call->body);
    curl_easy_setopt(call->easy, CURLOPT_PRIVATE, call);
    curl_easy_setopt(call->easy, CURLOPT_ERRORBUFFER, call->error);
    curl_easy_setopt(call->easy, CURLOPT_RESOLVE, program->server.resolve); /* NULL: none */
    curl_easy_setopt(call->easy, CURLOPT_TIMEOUT_MS, program->options.timeout_ms);
    curl_easy_setopt(call->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(call->easy, CURLOPT_USERAGENT, "evloop-kit client_async");
    return call;
}

/*
 * Starting a call takes microseconds: it only hands the request to libcurl.
 * Nothing waits here; the loop will tell libcurl when the socket is ready.
 */
static bool start_call(struct program *program)
{
    struct call *call = take_call(program);
    if (call == NULL)
        return false;
    call->index = program->calls_started++;
    call->body.length = 0;
    call->body.too_big = false;
    if (!uv_curl_start(&program->curl, call->easy))
        return false;
    tally_call_started(&program->tally, call->index);
    program->calls_in_flight++;
    return true;
}

/* libuv calls this when the next --rate start is due. */
static void on_uv_rate_due(uv_timer_t *timer);

/* Start as many calls as --concurrency and --rate allow right now. */
static void start_calls_allowed_now(struct program *program)
{
    const struct client_options *options = &program->options;
    while (program->calls_started < options->number && !program->server_unreachable &&
           !program->interrupted && program->calls_in_flight < program->most_in_flight) {
        if (options->rate > 0) {
            /* Call i is due i/R seconds after the run began: starts are spread
             * evenly, and a late start does not make the next one wait longer. */
            double due = program->tally.started_at + (double)program->calls_started / options->rate;
            double wait_seconds = due - monotonic_seconds();
            if (wait_seconds > 0) {
                uv_timer_start(&program->rate_timer, on_uv_rate_due,
                               (uint64_t)ceil(wait_seconds * 1000), 0);
                return;
            }
        }
        if (!start_call(program)) {
            fprintf(stderr, "client_async: could not start call %ld\n", program->calls_started + 1);
            program->server_unreachable = true; /* stop starting; unstarted calls count as failed */
            return;
        }
    }
}

static void on_uv_rate_due(uv_timer_t *timer)
{
    start_calls_allowed_now(timer->data);
}

/* host_lookup calls this when the server's address is known (or is not). */
static void on_server_found(struct host_lookup *server, const char *error)
{
    struct program *program = server->data;
    if (error != NULL) {
        program->server_unreachable = true; /* no call is made: all count as failed */
        tally_failed(&program->tally, 0, 0, error, true);
        return;
    }
    start_calls_allowed_now(program);
}

/*
 * uv_curl calls this for each finished call: judge the reply, start the next
 * call in its place, and when every call is done, stop the loop.
 */
static void on_call_done(struct uv_curl *glue, CURL *easy, CURLcode result)
{
    struct program *program = glue->data;
    struct call *call;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&call);
    program->calls_in_flight--;

    char reason[128];
    long http_status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &http_status);
    if (result != CURLE_OK) {
        bool unreachable;
        const char *why = transfer_failure(easy, result, &call->body, call->error, &unreachable);
        program->server_unreachable |= unreachable;
        tally_failed(&program->tally, call->index, http_status, why, unreachable);
    } else if (reply_is_good(http_status, call->body.bytes, call->body.length, reason,
                             sizeof reason)) {
        tally_ok(&program->tally, call->index);
    } else {
        tally_failed(&program->tally, call->index, http_status, reason, false);
    }
    call->next_idle = program->idle_calls;
    program->idle_calls = call;

    start_calls_allowed_now(program);
    if (program->calls_in_flight == 0 &&
        (program->calls_started == program->options.number || program->server_unreachable))
        uv_stop(&program->loop);
}

/* libuv calls this on Ctrl-C: start no more calls, and stop the loop now. The
 * calls still in flight are dropped in shut_down(); the summary counts them as
 * not done. */
static void on_uv_interrupt(uv_signal_t *interrupt, int signal_number)
{
    (void)signal_number;
    struct program *program = interrupt->data;
    program->interrupted = true;
    tally_interrupted(&program->tally);
    uv_stop(&program->loop);
}

/* After the run: close every handle, let the loop finish closing them, free. */
static int shut_down(struct program *program)
{
    for (long i = 0; i < program->calls_made; i++) {
        uv_curl_cancel(&program->curl, program->all_calls[i]->easy); /* after Ctrl-C */
        curl_easy_cleanup(program->all_calls[i]->easy);
        free(program->all_calls[i]->body.bytes);
        free(program->all_calls[i]);
    }
    free(program->all_calls);
    host_lookup_free(&program->server); /* after the handles that used it */
    uv_curl_close(&program->curl);
    uv_close((uv_handle_t *)&program->rate_timer, NULL);
    uv_close((uv_handle_t *)&program->interrupt, NULL);
    uv_run(&program->loop, UV_RUN_DEFAULT); /* runs the close callbacks */
    int still_open = uv_loop_close(&program->loop);
    if (still_open != 0)
        fprintf(stderr, "client_async: bug: the loop still has handles: %s\n",
                uv_strerror(still_open));
    curl_global_cleanup();
    return still_open;
}

int main(int argc, char **argv)
{
    struct program program = {0};
    char error[256];
    switch (client_options_parse(&program.options, CLIENT_ASYNC, argc, argv, error, sizeof error)) {
    case PARSE_SHOW_HELP:
        client_options_print_help(stdout, "client_async", CLIENT_ASYNC, WHAT_IT_DOES);
        return EXIT_ALL_CALLS_OK;
    case PARSE_BAD_USAGE:
        fprintf(stderr, "client_async: %s (try --help)\n", error);
        return EXIT_BAD_USAGE;
    case PARSE_RUN: break;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "client_async: libcurl failed to initialise\n");
        return EXIT_SOME_CALLS_FAILED;
    }
    if (!url_is_usable(program.options.url, error, sizeof error)) {
        fprintf(stderr, "client_async: %s\n", error);
        curl_global_cleanup();
        return EXIT_BAD_USAGE;
    }
    long most_at_once =
        program.options.concurrency > 0 && program.options.concurrency < program.options.number
            ? program.options.concurrency
            : program.options.number;
    /* A socket per call in flight, plus some for stdio, libuv and libcurl. */
    enum { SPARE_FILES = 64 };
    long room = make_room_for_open_files(most_at_once + SPARE_FILES);
    if (room < most_at_once + SPARE_FILES) {
        long fits = room > 2 * SPARE_FILES ? room - SPARE_FILES : SPARE_FILES;
        fprintf(stderr,
                "client_async: only %ld open files allowed (ulimit -n): at most %ld calls "
                "in flight, the others wait for a free socket\n",
                room, fits);
        most_at_once = fits;
    }
    program.most_in_flight = most_at_once;

    /* The event loop, libcurl wired to it, and the timer that paces --rate. */
    uv_loop_init(&program.loop);
    uv_timer_init(&program.loop, &program.rate_timer);
    program.rate_timer.data = &program;
    uv_signal_init(&program.loop, &program.interrupt);
    program.interrupt.data = &program;
    uv_signal_start(&program.interrupt, on_uv_interrupt, SIGINT);
    uv_unref((uv_handle_t *)&program.interrupt); /* waiting for Ctrl-C alone keeps no loop alive */
    program.all_calls = calloc((size_t)most_at_once, sizeof *program.all_calls);
    if (!uv_curl_init(&program.curl, &program.loop, on_call_done, &program) ||
        program.all_calls == NULL) {
        fprintf(stderr, "client_async: out of memory\n");
        return EXIT_SOME_CALLS_FAILED;
    }
    /* Keep every connection for the next call. By default libcurl keeps 4 per
     * handle still running, so as the last calls finish it closes connections
     * (a FIN exchange each: 250 of them for 1000 calls) while the run is timed. */
    curl_multi_setopt(program.curl.multi, CURLMOPT_MAXCONNECTS, most_at_once);

    tally_start(&program.tally, "async", "client_async", &program.options);
    /* A host name is looked up first (then on_server_found starts the calls);
     * a numeric address, like the default 127.0.0.1, needs no lookup. */
    if (!host_lookup_start(&program.server, &program.loop, program.options.url, on_server_found,
                           &program))
        start_calls_allowed_now(&program);

    /* The event loop: it waits for sockets and timers and runs our callbacks,
     * until on_call_done() sees the last call done and stops it. */
    uv_run(&program.loop, UV_RUN_DEFAULT);

    int exit_code = tally_finish(&program.tally);
    if (shut_down(&program) != 0)
        exit_code = EXIT_SOME_CALLS_FAILED;
    return exit_code;
}
