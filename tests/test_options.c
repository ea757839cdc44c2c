/*
 * test_options.c - the clients' shared command line (common/client_options.c).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "client_options.h"

/* Parse a command line given as a NULL-terminated list of words. */
static enum parse_outcome parse(enum client_kind kind, struct client_options *options, char *error,
                                const char *const words[])
{
    char *argv[32] = {"client"};
    int argc = 1;
    for (; words[argc - 1] != NULL; argc++)
        argv[argc] = (char *)words[argc - 1];
    argv[argc] = NULL;
    return client_options_parse(options, kind, argc, argv, error, 256);
}

Test(options, defaults_when_nothing_is_given)
{
    struct client_options options;
    char error[256];
    cr_assert_eq(parse(CLIENT_SYNC, &options, error, (const char *const[]){NULL}), PARSE_RUN);
    cr_assert_eq(options.number, 10);
    cr_assert_str_eq(options.url, "http://127.0.0.1:8080/say-hi");
    cr_assert_eq(options.timeout_ms, 30000);
    cr_assert(!options.json && !options.verbose);
    cr_assert_eq(options.concurrency, 0);
    cr_assert_eq(options.rate, 0.0);
}

Test(options, every_option_is_read)
{
    struct client_options options;
    char error[256];
    const char *const words[] = {
        "--number", "1000",   "--url",     "http://127.0.0.1:9/x", "--timeout-ms",
        "250",      "--json", "--verbose", "--concurrency",        "64",
        "--rate",   "12.5",   NULL};
    cr_assert_eq(parse(CLIENT_ASYNC, &options, error, words), PARSE_RUN, "%s", error);
    cr_assert_eq(options.number, 1000);
    cr_assert_str_eq(options.url, "http://127.0.0.1:9/x");
    cr_assert_eq(options.timeout_ms, 250);
    cr_assert(options.json && options.verbose);
    cr_assert_eq(options.concurrency, 64);
    cr_assert_float_eq(options.rate, 12.5, 1e-9);
}

Test(options, equals_form_works_too)
{
    struct client_options options;
    char error[256];
    cr_assert_eq(parse(CLIENT_SYNC, &options, error, (const char *const[]){"--number=7", NULL}),
                 PARSE_RUN);
    cr_assert_eq(options.number, 7);
}

struct bad_line {
    enum client_kind kind;
    const char *words[4];
    const char *error_mentions;
};

static const struct bad_line bad_lines[] = {
    {CLIENT_SYNC, {"--number", "10x", NULL}, "--number"},
    {CLIENT_SYNC, {"--number", "", NULL}, "--number"},
    {CLIENT_SYNC, {"--number", "-1", NULL}, "--number"},
    {CLIENT_SYNC, {"--number", "0", NULL}, "--number"},
    {CLIENT_SYNC, {"--number", "1000001", NULL}, "--number"}, /* MAX_NUMBER + 1 */
    {CLIENT_SYNC, {"--number", "99999999999999999999", NULL}, "--number"},
    {CLIENT_SYNC, {"--number", " 5", NULL}, "--number"},
    {CLIENT_SYNC, {"--timeout-ms", "3600001", NULL}, "--timeout-ms"},
    {CLIENT_SYNC, {"--timeout-ms", "soon", NULL}, "--timeout-ms"},
    {CLIENT_SYNC, {"--url", "", NULL}, "--url"},
    {CLIENT_SYNC, {"--number", NULL}, "--number"},
    {CLIENT_ASYNC, {"--json", "--url", NULL}, "--url"},
    {CLIENT_SYNC, {"--frobnicate", NULL}, "--frobnicate"},
    {CLIENT_SYNC, {"stray", NULL}, "stray"},
    {CLIENT_SYNC, {"--concurrency", "4", NULL}, "--concurrency"},
    {CLIENT_SYNC, {"--rate", "4", NULL}, "--rate"},
    {CLIENT_MINI, {"--rate", "4", NULL}, "--rate"},
    {CLIENT_ASYNC, {"--concurrency", "-2", NULL}, "--concurrency"},
    {CLIENT_ASYNC, {"--rate", "fast", NULL}, "--rate"},
    {CLIENT_ASYNC, {"--rate", "nan", NULL}, "--rate"},
    {CLIENT_ASYNC, {"--rate", "-1", NULL}, "--rate"},
};

Test(options, bad_usage_is_refused_with_a_message_naming_it)
{
    for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
        const struct bad_line *line = &bad_lines[i];
        struct client_options options;
        char error[256] = "";
        cr_assert_eq(parse(line->kind, &options, error, line->words), PARSE_BAD_USAGE,
                     "'%s %s' was accepted", line->words[0], line->words[1] ? line->words[1] : "");
        cr_assert(strstr(error, line->error_mentions) != NULL,
                  "the message '%s' does not name '%s'", error, line->error_mentions);
    }
}

Test(options, the_edges_of_each_range_are_accepted)
{
    struct client_options options;
    char error[256];
    const char *const largest[] = {"--number", "1000000", "--timeout-ms", "0", NULL};
    cr_assert_eq(parse(CLIENT_SYNC, &options, error, largest), PARSE_RUN, "%s", error);
    cr_assert_eq(options.number, MAX_NUMBER);
    cr_assert_eq(options.timeout_ms, 0, "--timeout-ms 0 means no limit");
    const char *const smallest[] = {"--number", "1", "--concurrency", "0", "--rate", "0", NULL};
    cr_assert_eq(parse(CLIENT_ASYNC, &options, error, smallest), PARSE_RUN, "%s", error);
    cr_assert_eq(options.number, 1);
}

Test(options, the_mini_client_takes_concurrency_but_not_rate)
{
    struct client_options options;
    char error[256];
    cr_assert_eq(
        parse(CLIENT_MINI, &options, error, (const char *const[]){"--concurrency", "8", NULL}),
        PARSE_RUN, "%s", error);
    cr_assert_eq(options.concurrency, 8);
}

Test(options, help_is_asked_for)
{
    struct client_options options;
    char error[256];
    cr_assert_eq(parse(CLIENT_SYNC, &options, error, (const char *const[]){"--help", NULL}),
                 PARSE_SHOW_HELP);
    cr_assert_eq(parse(CLIENT_ASYNC, &options, error, (const char *const[]){"-h", NULL}),
                 PARSE_SHOW_HELP);
}

Test(options, parsing_twice_starts_afresh)
{
    struct client_options options;
    char error[256];
    parse(CLIENT_SYNC, &options, error, (const char *const[]){"--number", "5", "--json", NULL});
    cr_assert_eq(parse(CLIENT_SYNC, &options, error, (const char *const[]){"--verbose", NULL}),
                 PARSE_RUN);
    cr_assert_eq(options.number, 10, "a second parse kept the first one's --number");
    cr_assert(!options.json && options.verbose);
}
