/*
 * client_sync.c - call the server N times, one call after the other.
 *
 * This is the "before" picture of the lesson. Each call blocks: the program sends
 * a request, then sits idle until the reply arrives, and only then sends the
 * next one. With a server that takes 1 s per call, 10 calls take 10 s, 20 take
 * 20 s: the time is the sum of all the waits. Watch /stats while it runs: the
 * server never has more than one of our calls in flight.
 *
 *   make run-server                     # in one terminal
 *   bin/client_sync --number 10         # in another
 *
 * Compare with client_async.c, which makes the same calls but overlaps the waits.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_report.h"
#include "client_options.h"
#include "curl_helpers.h"
#include "reply_check.h"

static const char WHAT_IT_DOES[] =
    "Calls URL --number times, one call after the other (blocking libcurl),\n"
    "and reports how long it took. The baseline to compare client_async with.";

/*
 * Ctrl-C: the handler only raises a flag (nothing else is safe in a signal
 * handler). The signal also wakes libcurl's poll(), libcurl then calls
 * on_curl_progress, which sees the flag and ends the call; the loop stops and the
 * summary covers the calls made so far.
 */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int signal_number)
{
    (void)signal_number;
    interrupted = 1;
}

/* CURLOPT_XFERINFOFUNCTION: libcurl calls it while a call is under way. */
static int on_curl_progress(void *data, curl_off_t download_total, curl_off_t downloaded,
                            curl_off_t upload_total, curl_off_t uploaded)
{
    (void)data, (void)download_total, (void)downloaded, (void)upload_total, (void)uploaded;
    return interrupted; /* non-zero: abort this call */
}

int main(int argc, char **argv)
{
    struct client_options options;
    char error[256];
    switch (client_options_parse(&options, CLIENT_SYNC, argc, argv, error, sizeof error)) {
    case PARSE_SHOW_HELP:
        client_options_print_help(stdout, "client_sync", CLIENT_SYNC, WHAT_IT_DOES);
        return EXIT_ALL_CALLS_OK;
    case PARSE_BAD_USAGE:
        fprintf(stderr, "client_sync: %s (try --help)\n", error);
        return EXIT_BAD_USAGE;
    case PARSE_RUN: break;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "client_sync: libcurl failed to initialise\n");
        return EXIT_SOME_CALLS_FAILED;
    }
    if (!url_is_usable(options.url, error, sizeof error)) {
        fprintf(stderr, "client_sync: %s\n", error);
        curl_global_cleanup();
        return EXIT_BAD_USAGE;
    }

    /*
     * One easy handle for every call: libcurl keeps its connection open between
     * calls (HTTP keep-alive), so we pay for the TCP handshake once, not N times.
     */
    CURL *easy = curl_easy_init();
    if (easy == NULL) {
        fprintf(stderr, "client_sync: libcurl could not make a handle (out of memory?)\n");
        curl_global_cleanup();
        return EXIT_SOME_CALLS_FAILED;
    }
    struct reply_body body = {0};
    char curl_error[CURL_ERROR_SIZE] = ""; /* libcurl's own words when a call fails */
    curl_easy_setopt(easy, CURLOPT_URL, options.url);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, reply_body_append);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, options.timeout_ms);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "evloop-kit client_sync");
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_curl_progress);
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    struct sigaction interrupt = {.sa_handler = on_interrupt}; /* no SA_RESTART: wake poll() */
    sigaction(SIGINT, &interrupt, NULL);

    struct run_tally tally;
    tally_start(&tally, "sync", "client_sync", &options);
    for (long call = 0; call < options.number && !interrupted; call++) {
        tally_call_started(&tally, call);
        body.length = 0;
        body.too_big = false;
        curl_error[0] = '\0';

        /* Here the whole program waits: nothing else happens until the reply is in. */
        CURLcode code = curl_easy_perform(easy);

        long http_status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &http_status);
        if (interrupted)
            break; /* this call was cut short: it is neither ok nor failed */
        if (code != CURLE_OK) {
            bool unreachable;
            const char *why = transfer_failure(easy, code, &body, curl_error, &unreachable);
            tally_failed(&tally, call, http_status, why, unreachable);
            /* A dead server fails every call the same way: stop, do not hammer it. */
            if (unreachable)
                break;
            continue;
        }
        char reason[128];
        if (reply_is_good(http_status, body.bytes, body.length, reason, sizeof reason))
            tally_ok(&tally, call);
        else
            tally_failed(&tally, call, http_status, reason, false);
    }
    if (interrupted)
        tally_interrupted(&tally);
    int exit_code = tally_finish(&tally);

    free(body.bytes);
    curl_easy_cleanup(easy);
    curl_global_cleanup();
    return exit_code;
}
