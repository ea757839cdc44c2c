/*
 * client_options.c - parse the clients' shared command line with getopt_long.
 *
 * Numbers are parsed strictly: "10x", "", "-3" or a value out of range is an error
 * that names the option, never a silent zero.
 */
#include "client_options.h"

#include "numbers.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Long-only options get codes above any character getopt could return. */
enum {
    OPT_NUMBER = 256,
    OPT_URL,
    OPT_TIMEOUT_MS,
    OPT_JSON,
    OPT_VERBOSE,
    OPT_CONCURRENCY,
    OPT_RATE,
    OPT_TRACE,
    OPT_TIMELINE,
    OPT_HELP
};

enum parse_outcome client_options_parse(struct client_options *options, enum client_kind kind,
                                        int argc, char **argv, char *error, size_t error_size)
{
    *options = (struct client_options){
        .number = DEFAULT_NUMBER,
        .url = DEFAULT_URL,
        .timeout_ms = DEFAULT_TIMEOUT_MS,
    };
    bool takes_concurrency = kind == CLIENT_ASYNC || kind == CLIENT_MINI;
    bool takes_rate = kind == CLIENT_ASYNC;

    const struct option long_options[] = {
        {"number", required_argument, NULL, OPT_NUMBER},
        {"url", required_argument, NULL, OPT_URL},
        {"timeout-ms", required_argument, NULL, OPT_TIMEOUT_MS},
        {"json", no_argument, NULL, OPT_JSON},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"trace", required_argument, NULL, OPT_TRACE},
        {"timeline", no_argument, NULL, OPT_TIMELINE},
        {"help", no_argument, NULL, OPT_HELP},
        /* Listed for every client so that the sync client can say
         * "--concurrency is for the async client" instead of "unknown option". */
        {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
        {"rate", required_argument, NULL, OPT_RATE},
        {0, 0, 0, 0},
    };

    optind = 0; /* glibc: start afresh, so the parser can run more than once (tests do) */
    opterr = 0; /* we word the errors ourselves */
    for (;;) {
        int option_index = 0;
        int code = getopt_long(argc, argv, ":h", long_options, &option_index);
        if (code == -1)
            break;
        const char *name = argv[optind - 1];
        switch (code) {
        case OPT_NUMBER:
            if (!parse_whole_number(optarg, 1, MAX_NUMBER, &options->number)) {
                snprintf(error, error_size, "--number wants a whole number from 1 to %d, not '%s'",
                         MAX_NUMBER, optarg);
                return PARSE_BAD_USAGE;
            }
            break;
        case OPT_URL:
            if (optarg[0] == '\0') {
                snprintf(error, error_size, "--url wants a URL, got an empty string");
                return PARSE_BAD_USAGE;
            }
            options->url = optarg;
            break;
        case OPT_TIMEOUT_MS:
            if (!parse_whole_number(optarg, 0, 3600 * 1000L, &options->timeout_ms)) {
                snprintf(error, error_size,
                         "--timeout-ms wants milliseconds from 0 (no limit) to 3600000, not '%s'",
                         optarg);
                return PARSE_BAD_USAGE;
            }
            break;
        case OPT_JSON: options->json = true; break;
        case OPT_VERBOSE: options->verbose = true; break;
        case OPT_TRACE:
            if (optarg[0] == '\0') {
                snprintf(error, error_size, "--trace wants a file name, got an empty string");
                return PARSE_BAD_USAGE;
            }
            options->trace_path = optarg;
            break;
        case OPT_TIMELINE: options->timeline = true; break;
        case OPT_CONCURRENCY:
            if (!takes_concurrency) {
                snprintf(error, error_size,
                         "--concurrency is for the concurrent clients: this one makes one call at "
                         "a time");
                return PARSE_BAD_USAGE;
            }
            if (!parse_whole_number(optarg, 0, MAX_NUMBER, &options->concurrency)) {
                snprintf(error, error_size,
                         "--concurrency wants a whole number from 0 (all at once) to %d, not '%s'",
                         MAX_NUMBER, optarg);
                return PARSE_BAD_USAGE;
            }
            break;
        case OPT_RATE:
            if (!takes_rate) {
                snprintf(error, error_size, "--rate is only offered by client_async");
                return PARSE_BAD_USAGE;
            }
            if (!parse_real_number(optarg, 0, 1e6, &options->rate)) {
                snprintf(error, error_size,
                         "--rate wants calls per second from 0 (no limit) to 1000000, not '%s'",
                         optarg);
                return PARSE_BAD_USAGE;
            }
            break;
        case 'h':
        case OPT_HELP: return PARSE_SHOW_HELP;
        case ':': snprintf(error, error_size, "%s needs a value", name); return PARSE_BAD_USAGE;
        default: snprintf(error, error_size, "unknown option '%s'", name); return PARSE_BAD_USAGE;
        }
    }
    if (optind < argc) {
        snprintf(error, error_size, "unexpected argument '%s' (options start with --)",
                 argv[optind]);
        return PARSE_BAD_USAGE;
    }
    return PARSE_RUN;
}

void client_options_print_help(FILE *out, const char *program, enum client_kind kind,
                               const char *what_it_does)
{
    fprintf(out, "Usage: %s [options]\n\n%s\n\nOptions:\n", program, what_it_does);
    fprintf(out,
            "  --number N        how many calls to make (default %d)\n"
            "  --url URL         what to call (default %s)\n"
            "  --timeout-ms T    give up on one call after T ms; 0 = never (default %d)\n",
            DEFAULT_NUMBER, DEFAULT_URL, DEFAULT_TIMEOUT_MS);
    if (kind == CLIENT_ASYNC || kind == CLIENT_MINI)
        fprintf(
            out,
            "  --concurrency C   at most C calls in flight at once; 0 = all at once (default)\n");
    if (kind == CLIENT_ASYNC)
        fprintf(out,
                "  --rate R          start at most R calls per second; 0 = no limit (default)\n");
    fprintf(out, "  --json            print one JSON summary on stdout instead of prose\n"
                 "  --verbose         print one line per call: when it started, how long it took\n"
                 "  --trace FILE      write every call's start and end to FILE (CSV), at the end\n"
                 "  --timeline        after the summary, draw the calls as bars on the terminal\n"
                 "  --help            show this help\n"
                 "\nExit status: 0 every call succeeded, 1 some call failed (each reason is\n"
                 "printed on stderr), 2 bad usage, 130 interrupted by Ctrl-C (after the\n"
                 "summary of the calls made so far).\n");
}
