/*
 * client_options.h - the command line every client of the kit shares.
 *
 * The sync, async and mini clients do the same job in three ways, so they take the
 * same options (`--number`, `--url`, `--json`, ...). A student who learnt one
 * program's command line can run the next. Parsing lives here once, returns an
 * outcome instead of exiting, and so can be unit-tested.
 */
#ifndef CLIENT_OPTIONS_H
#define CLIENT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The exit codes every client documents in its --help. */
enum {
    EXIT_ALL_CALLS_OK = 0,
    EXIT_SOME_CALLS_FAILED = 1,
    EXIT_BAD_USAGE = 2,
    EXIT_INTERRUPTED = 130, /* 128 + SIGINT, as a shell reports a Ctrl-C */
};

/* Which client is parsing: the async and mini clients accept more options. */
enum client_kind { CLIENT_SYNC, CLIENT_ASYNC, CLIENT_MINI };

#define DEFAULT_URL "http://127.0.0.1:8080/say-hi"
#define DEFAULT_NUMBER 10
#define DEFAULT_TIMEOUT_MS 30000
#define MAX_NUMBER 1000000

struct client_options {
    long number;            /* --number N: how many calls to make */
    const char *url;        /* --url URL: what to call (points into argv or a literal) */
    long timeout_ms;        /* --timeout-ms T: give up on one call after T ms; 0 = never */
    bool json;              /* --json: one JSON object on stdout instead of prose */
    bool verbose;           /* --verbose: one line per call with its time */
    long concurrency;       /* --concurrency C (async, mini): most calls in flight; 0 = all */
    double rate;            /* --rate R (async): most call starts per second; 0 = no limit */
    const char *trace_path; /* --trace FILE: every call's start and end, as CSV; NULL = none */
    bool timeline;          /* --timeline: draw the calls on the terminal after the summary */
};

enum parse_outcome { PARSE_RUN, PARSE_SHOW_HELP, PARSE_BAD_USAGE };

/*
 * Fill `options` from argv. On PARSE_BAD_USAGE, `error` holds a one-line message
 * that names the offending option or value.
 */
enum parse_outcome client_options_parse(struct client_options *options, enum client_kind kind,
                                        int argc, char **argv, char *error, size_t error_size);

/* The --help text: what the program does, its options and its exit codes. */
void client_options_print_help(FILE *out, const char *program, enum client_kind kind,
                               const char *what_it_does);

#endif
