/*
 * test_call_report.c - how a reply is judged and how a run is reported
 * (common/call_report.c).
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "call_report.h"
#include "reply_check.h"

static bool judge(long status, const char *body, char *reason)
{
    return reply_is_good(status, body, body ? strlen(body) : 0, reason, 128);
}

Test(reply, a_200_with_a_json_object_is_good)
{
    char reason[128];
    cr_assert(judge(200, "{\"message\": \"hi\"}", reason));
    cr_assert(judge(200, "  {}\n", reason));
}

Test(reply, another_status_is_a_failure_that_names_it)
{
    char reason[128];
    cr_assert_not(judge(404, "{\"error\": \"no\"}", reason));
    cr_assert(strstr(reason, "404") != NULL, "reason: %s", reason);
    cr_assert_not(judge(503, "{}", reason));
    cr_assert(strstr(reason, "503") != NULL, "reason: %s", reason);
}

Test(reply, a_body_that_is_not_a_json_object_is_a_failure)
{
    char reason[128];
    cr_assert_not(judge(200, "hello", reason));
    cr_assert(strstr(reason, "JSON") != NULL, "reason: %s", reason);
    cr_assert_not(judge(200, "[1, 2]", reason));
    cr_assert_not(judge(200, "\"hi\"", reason));
    cr_assert_not(judge(200, "{\"cut\": ", reason));
    cr_assert_not(judge(200, "", reason));
    cr_assert_not(judge(200, NULL, reason));
}

Test(reply, the_length_is_respected_not_the_terminator)
{
    char reason[128];
    const char *two_objects = "{}{\"x\":";
    cr_assert(reply_is_good(200, two_objects, 2, reason, sizeof reason));
}

/* --- the run's tally and its summary ---------------------------------------- */

/* What tally_* printed, caught by pointing stdout and stderr at temporary files. */
struct captured {
    int saved_stdout, saved_stderr;
    FILE *out_file, *err_file;
    char out[4096], err[8192];
};

static void capture_begin(struct captured *capture)
{
    fflush(stdout);
    fflush(stderr);
    capture->out_file = tmpfile();
    capture->err_file = tmpfile();
    cr_assert(capture->out_file != NULL && capture->err_file != NULL);
    capture->saved_stdout = dup(STDOUT_FILENO);
    capture->saved_stderr = dup(STDERR_FILENO);
    dup2(fileno(capture->out_file), STDOUT_FILENO);
    dup2(fileno(capture->err_file), STDERR_FILENO);
}

static void read_all(FILE *file, char *text, size_t size)
{
    rewind(file);
    size_t length = fread(text, 1, size - 1, file);
    text[length] = '\0';
    fclose(file);
}

static void capture_end(struct captured *capture)
{
    fflush(stdout);
    fflush(stderr);
    dup2(capture->saved_stdout, STDOUT_FILENO);
    dup2(capture->saved_stderr, STDERR_FILENO);
    close(capture->saved_stdout);
    close(capture->saved_stderr);
    read_all(capture->out_file, capture->out, sizeof capture->out);
    read_all(capture->err_file, capture->err, sizeof capture->err);
}

static int count_lines(const char *text)
{
    int lines = 0;
    for (const char *at = strchr(text, '\n'); at != NULL; at = strchr(at + 1, '\n'))
        lines++;
    return lines;
}

static struct client_options options_for(long number, bool json)
{
    return (struct client_options){
        .number = number, .url = "http://127.0.0.1:9/say-hi", .timeout_ms = 1000, .json = json};
}

static double number_field(const cJSON *summary, const char *field)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(summary, field);
    cr_assert(cJSON_IsNumber(item), "the summary has no number \"%s\"", field);
    return item->valuedouble;
}

Test(tally, the_json_summary_has_the_documented_fields)
{
    struct client_options options = options_for(3, true);
    struct run_tally tally;
    struct captured capture;
    capture_begin(&capture);
    tally_start(&tally, "sync", "client_sync", &options);
    tally_ok(&tally, 0);
    tally_failed(&tally, 1, 0, "HTTP 404 instead of 200", false);
    tally_ok(&tally, 2);
    int exit_code = tally_finish(&tally);
    capture_end(&capture);

    cr_assert_eq(exit_code, EXIT_SOME_CALLS_FAILED);
    cr_assert_eq(count_lines(capture.out), 1, "one JSON line on stdout, got: %s", capture.out);
    cJSON *summary = cJSON_Parse(capture.out);
    cr_assert(cJSON_IsObject(summary), "stdout is not a JSON object: %s", capture.out);
    const cJSON *client = cJSON_GetObjectItemCaseSensitive(summary, "client");
    cr_assert(cJSON_IsString(client) && strcmp(client->valuestring, "sync") == 0);
    cr_assert_eq(number_field(summary, "requests"), 3);
    cr_assert_eq(number_field(summary, "ok"), 2);
    cr_assert_eq(number_field(summary, "failed"), 1);
    cr_assert_geq(number_field(summary, "seconds"), 0);
    cJSON_Delete(summary);
    cr_assert(strstr(capture.err, "call 2 failed: HTTP 404") != NULL,
              "the failure should be reported with its reason: %s", capture.err);
}

Test(tally, all_calls_ok_is_exit_0_and_a_quiet_stderr)
{
    struct client_options options = options_for(2, false);
    struct run_tally tally;
    struct captured capture;
    capture_begin(&capture);
    tally_start(&tally, "async", "client_async", &options);
    tally_ok(&tally, 1);
    tally_ok(&tally, 0);
    int exit_code = tally_finish(&tally);
    capture_end(&capture);

    cr_assert_eq(exit_code, EXIT_ALL_CALLS_OK);
    cr_assert_str_empty(capture.err);
    cr_assert(strstr(capture.out, "2 ok") && strstr(capture.out, "0 failed") &&
                  strstr(capture.out, options.url),
              "the human summary: %s", capture.out);
}

Test(tally, an_unreachable_server_is_one_line_however_many_calls_hit_it)
{
    struct client_options options = options_for(50, true);
    struct run_tally tally;
    struct captured capture;
    capture_begin(&capture);
    tally_start(&tally, "async", "client_async", &options);
    for (long i = 0; i < 50; i++)
        tally_failed(&tally, i, 0, "Connection refused", true);
    int exit_code = tally_finish(&tally);
    capture_end(&capture);

    cr_assert_eq(exit_code, EXIT_SOME_CALLS_FAILED);
    cr_assert_eq(count_lines(capture.err), 1, "stderr: %s", capture.err);
    cr_assert(strncmp(capture.err, "client_async", 12) == 0 && strstr(capture.err, options.url),
              "the line should name the program and the URL: %s", capture.err);
}

/* The sync client stops at a dead server: the calls it never made count as failed. */
Test(tally, calls_never_made_count_as_failed)
{
    struct client_options options = options_for(5, true);
    struct run_tally tally;
    struct captured capture;
    capture_begin(&capture);
    tally_start(&tally, "sync", "client_sync", &options);
    tally_failed(&tally, 0, 0, "Connection refused", true);
    int exit_code = tally_finish(&tally);
    capture_end(&capture);

    cr_assert_eq(exit_code, EXIT_SOME_CALLS_FAILED);
    cJSON *summary = cJSON_Parse(capture.out);
    cr_assert_eq(number_field(summary, "ok"), 0);
    cr_assert_eq(number_field(summary, "failed"), 5);
    cJSON_Delete(summary);
}

Test(tally, a_flood_of_failures_does_not_flood_stderr)
{
    struct client_options options = options_for(1000, true);
    struct run_tally tally;
    struct captured capture;
    capture_begin(&capture);
    tally_start(&tally, "async", "client_async", &options);
    for (long i = 0; i < 1000; i++)
        tally_failed(&tally, i, 0, "HTTP 500 instead of 200", false);
    tally_finish(&tally);
    capture_end(&capture);

    cr_assert(strstr(capture.err, "call 1 failed: HTTP 500") != NULL, "stderr: %s", capture.err);
    cr_assert_lt(count_lines(capture.err), 50, "1000 failures gave %d lines",
                 count_lines(capture.err));
    cJSON *summary = cJSON_Parse(capture.out);
    cr_assert_eq(number_field(summary, "failed"), 1000, "every failure is still counted");
    cJSON_Delete(summary);
}

/* Failures are listed up to 20; the notice that the rest are only counted comes
 * with the 21st, never after exactly 20 (then nothing was left out). */
static void fail_n_times(long failures, struct captured *capture)
{
    struct client_options options = options_for(failures, true);
    struct run_tally tally;
    capture_begin(capture);
    tally_start(&tally, "sync", "client_sync", &options);
    for (long i = 0; i < failures; i++)
        tally_failed(&tally, i, 0, "HTTP 500 instead of 200", false);
    tally_finish(&tally);
    capture_end(capture);
}

Test(tally, the_not_listed_notice_comes_only_when_a_failure_is_not_listed)
{
    struct captured capture;
    fail_n_times(20, &capture);
    cr_assert_eq(count_lines(capture.err), 20, "20 failures, 20 lines: %s", capture.err);
    cr_assert_null(strstr(capture.err, "not listed"), "nothing was left out: %s", capture.err);
    fail_n_times(25, &capture);
    cr_assert_eq(count_lines(capture.err), 21, "20 listed, then the notice: %s", capture.err);
    cr_assert_not_null(strstr(capture.err, "call 20 failed"));
    cr_assert_null(strstr(capture.err, "call 21 failed"));
    cr_assert_not_null(strstr(strstr(capture.err, "call 20 failed"), "not listed"));
}

/* "Is the server running? (make run-server)" only for the URL make run-server serves. */
Test(tally, make_run_server_is_suggested_only_for_the_kits_own_url)
{
    struct client_options options = options_for(1, true);
    struct run_tally tally;
    struct captured capture;
    capture_begin(&capture);
    tally_start(&tally, "sync", "client_sync", &options);
    tally_failed(&tally, 0, 0, "Could not resolve host: nowhere.invalid", true);
    tally_finish(&tally);
    capture_end(&capture);
    cr_assert_null(strstr(capture.err, "make run-server"), "%s", capture.err);
    options.url = DEFAULT_URL;
    capture_begin(&capture);
    tally_start(&tally, "sync", "client_sync", &options);
    tally_failed(&tally, 0, 0, "Couldn't connect to server", true);
    tally_finish(&tally);
    capture_end(&capture);
    cr_assert_not_null(strstr(capture.err, "make run-server"), "%s", capture.err);
}
