/*
 * test_firecrest_clients.c - bin/firecrest_sync running the tutorial's workflow
 * against the kit's fake FirecREST.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

TestSuite(firecrest_clients, .timeout = 60);

static cJSON *run_workflow(const struct server_process *server, const char *const extra[],
                           struct process_result *result)
{
    const char *args[24] = {"--url", server->base_url, "--json", "--poll-ms", "100"};
    size_t count = 5;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && count < 23; i++)
        args[count++] = extra[i];
    args[count] = NULL;
    run_program(result, "firecrest_sync", args, 50);
    return cJSON_Parse(result->out);
}

Test(firecrest_clients, sync_completes_every_job_with_its_output)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--threads", "16", "--job-ms", "200", NULL});
    struct process_result result;
    cJSON *summary = run_workflow(&server, (const char *const[]){"--jobs", "3", NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(summary, "client")),
                     "firecrest-sync");
    cr_assert_eq(json_number(summary, "completed"), 3);
    cr_assert_eq(json_number(summary, "failed"), 0);
    const cJSON *requests = cJSON_GetObjectItem(summary, "requests");
    cr_assert_eq(json_number(requests, "auth"), 1, "one token serves the whole run");
    cr_assert_geq(json_number(requests, "compute"), 9, "submit, squeue and acct for each job");
    /* The log, on stderr with --json, has the tutorial's lines and each job's output. */
    for (int job = 0; job < 3; job++) {
        char line[64];
        snprintf(line, sizeof line, "%d: job output: %d\n", job, job);
        cr_assert(strstr(result.err, line) != NULL, "missing '%s' in: %s", line, result.err);
        snprintf(line, sizeof line, "%d: Submitted job with jobid: ", job);
        cr_assert(strstr(result.err, line) != NULL);
    }
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

Test(firecrest_clients, a_failing_job_is_reported_and_the_exit_is_1)
{
    char script[] = "/tmp/evloop-failing-XXXXXX";
    int fd = mkstemp(script);
    cr_assert(fd >= 0);
    cr_assert(write(fd, "echo oops\nexit 4\n", 17) == 17);
    close(fd);
    struct server_process server;
    server_start(&server, (const char *const[]){"--threads", "16", "--job-ms", "100", NULL});
    struct process_result result;
    cJSON *summary = run_workflow(
        &server, (const char *const[]){"--jobs", "1", "--script", script, NULL}, &result);
    unlink(script);
    cr_assert_eq(result.exit_code, 1);
    cr_assert_eq(json_number(summary, "failed"), 1);
    cr_assert(strstr(result.err, "FAILED") != NULL, "stderr: %s", result.err);
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

/* Tokens of 11 s are refreshed 10 s early, so every second: the run must go on. */
Test(firecrest_clients, short_lived_tokens_are_refreshed_mid_run)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--threads", "16", "--job-ms", "1200",
                                                "--token-lifetime", "11", NULL});
    struct process_result result;
    cJSON *summary = run_workflow(&server, (const char *const[]){"--jobs", "2", NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    cr_assert_geq(json_number(cJSON_GetObjectItem(summary, "requests"), "auth"), 2);
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

Test(firecrest_clients, refused_credentials_dead_servers_and_bad_usage)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--threads", "16", NULL});
    struct process_result result;
    cJSON *summary =
        run_workflow(&server, (const char *const[]){"--client-secret", "wrong", NULL}, &result);
    cr_assert_eq(result.exit_code, 1);
    cr_assert(strstr(result.err, "token") != NULL, "stderr: %s", result.err);
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);

    run_program(&result, "firecrest_sync",
                (const char *const[]){"--url", "http://127.0.0.1:1", "--jobs", "1", NULL}, 20);
    cr_assert_eq(result.exit_code, 1);
    cr_assert(strstr(result.err, "Couldn't connect") != NULL, "stderr: %s", result.err);
    process_result_free(&result);
    const char *const bad[][3] = {{"--jobs", "none", NULL},
                                  {"--spacing", "compute=1", NULL},
                                  {"--script", "/nonexistent/script.sh", NULL},
                                  {"--bogus", NULL, NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        run_program(&result, "firecrest_sync", bad[i], 10);
        cr_assert_eq(result.exit_code, 2, "%s: exit %d", bad[i][0], result.exit_code);
        process_result_free(&result);
    }
    run_program(&result, "firecrest_sync", (const char *const[]){"--help", NULL}, 10);
    cr_assert_eq(result.exit_code, 0);
    cr_assert(strstr(result.out, "--poll-ms") != NULL);
    process_result_free(&result);
}

/* --- firecrest_async ------------------------------------------------------------------ */

static cJSON *run_async(const struct server_process *server, const char *const extra[],
                        struct process_result *result)
{
    const char *args[32] = {"--url", server->base_url, "--json", "--poll-ms", "100"};
    size_t count = 5;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && count < 31; i++)
        args[count++] = extra[i];
    args[count] = NULL;
    run_program(result, "firecrest_async", args, 50);
    return cJSON_Parse(result->out);
}

static double requests_to(const cJSON *summary, const char *service)
{
    return json_number(cJSON_GetObjectItem(summary, "requests"), service);
}

Test(firecrest_clients, async_completes_every_job_with_its_output)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--threads", "16", "--job-ms", "300", NULL});
    struct process_result result;
    cJSON *summary = run_async(&server, (const char *const[]){"--jobs", "5", NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(summary, "client")),
                     "firecrest-async");
    cr_assert_eq(json_number(summary, "completed"), 5);
    for (int job = 0; job < 5; job++) {
        char line[64];
        snprintf(line, sizeof line, "%d: job output: %d\n", job, job);
        cr_assert(strstr(result.err, line) != NULL, "missing '%s' in: %s", line, result.err);
    }
    /* The default rates fit the server's default limits: not one 429. */
    cr_assert_eq(json_number(summary, "rate_limited"), 0);
    cJSON *stats = server_stats(&server);
    cr_assert_eq(json_number(cJSON_GetObjectItem(stats, "firecrest"), "rate_limited"), 0);
    cJSON_Delete(stats);
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

static int count_lines_with(const char *text, const char *needle)
{
    int lines = 0;
    for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle))
        lines++;
    return lines;
}

/*
 * 30 jobs of 1.5 s polling the queue every 100 ms: each job reads many answers
 * to its polls (one log line each), but merged they share the requests, so the
 * compute requests beyond the 30 submissions are far fewer than those answers.
 */
Test(firecrest_clients, async_merges_the_jobs_polls, .timeout = 90)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--threads", "16", "--job-ms", "1500",
                                                "--rate-limit", "compute=0", "--rate-limit",
                                                "tasks=0", "--rate-limit", "utilities=0", NULL});
    struct process_result result;
    cJSON *summary =
        run_async(&server,
                  (const char *const[]){"--jobs", "30", "--spacing", "compute=0.05", "--spacing",
                                        "tasks=0.02", "--spacing", "utilities=0.01", NULL},
                  &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    int answers = count_lines_with(result.err, " status: ") +
                  count_lines_with(result.err, "is no longer active");
    double poll_requests = requests_to(summary, "compute") - 30 /* the submissions */;
    cr_assert_geq(answers, 60, "each job should have polled several times (%d answers)", answers);
    cr_assert_lt(poll_requests * 3, answers, "%.0f compute polls served %d job polls: not merged",
                 poll_requests, answers);
    cJSON_Delete(summary);
    process_result_free(&result);

    /* Without merging, every job's poll is a request of its own. */
    summary = run_async(&server,
                        (const char *const[]){"--jobs", "10", "--spacing", "compute=0.02",
                                              "--spacing", "tasks=0.02", "--no-merge", NULL},
                        &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    answers = count_lines_with(result.err, " status: ") +
              count_lines_with(result.err, "is no longer active");
    cr_assert_geq(requests_to(summary, "compute") - 10, answers, "--no-merge still merged");
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

/*
 * Submissions and polls share the compute lane. 40 submissions, one every 0.12 s,
 * keep it busy for about 5 s, while job 0 is done in well under 1 s: its polls
 * must not wait behind every submission (at most 10 slots each here: 1.2 s), so
 * its output is read before job 39 is submitted (otherwise every output read
 * would queue up at the end of the run). Nor may polls crowd the submissions out,
 * even when a job polls without pause (--poll-ms 0).
 */
Test(firecrest_clients, async_polls_are_not_starved_by_submissions, .timeout = 90)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--threads", "16", "--job-ms", "100", NULL});
    struct process_result result;
    cJSON *summary = run_async(
        &server, (const char *const[]){"--jobs", "40", "--spacing", "compute=0.12", NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    const char *first_output = strstr(result.err, "0: job output: 0\n");
    const char *last_submission = strstr(result.err, "39: Submitted job with jobid");
    cr_assert(first_output != NULL && last_submission != NULL, "log: %s", result.err);
    cr_assert_lt(first_output, last_submission,
                 "job 0's polls waited behind all 40 submissions:\n%s", result.err);
    cJSON_Delete(summary);
    process_result_free(&result);

    summary =
        run_async(&server, (const char *const[]){"--jobs", "30", "--poll-ms", "0", NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    double polls = requests_to(summary, "compute") - 30 /* the submissions */;
    cr_assert_lt(polls, 30, "%.0f compute polls for 30 jobs: polls crowded the submissions out",
                 polls);
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

/*
 * The queue is polled in planned rounds, one merged request each, and acct once at
 * the end: 30 jobs of 1 s at the default --poll-ms (1 s) take about 4 rounds and 1
 * acct. Polling each job after every pause, as the tutorial does, costs 11 or more
 * compute slots here even merged (the previous client took 41 requests in all).
 */
Test(firecrest_clients, async_polls_the_queue_in_a_few_rounds, .timeout = 90)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--threads", "16", "--job-ms", "1000", NULL});
    struct process_result result;
    const char *args[] = {"--url", server.base_url, "--json", "--jobs", "30", NULL};
    run_program(&result, "firecrest_async", args, 60);
    cJSON *summary = cJSON_Parse(result.out);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    double polls = requests_to(summary, "compute") - 30 /* the submissions */;
    cr_assert_leq(polls, 7, "%.0f compute polls for 30 jobs of 1 s", polls);
    cr_assert_eq(requests_to(summary, "utilities"), 30, "one output read per job");
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

/* Rates faster than the server allows: it answers 429, the client waits and goes on. */
Test(firecrest_clients, async_recovers_from_429s, .timeout = 90)
{
    struct server_process server;
    server_start(&server,
                 (const char *const[]){"--threads", "16", "--job-ms", "300", "--rate-limit",
                                       "compute=3", "--rate-limit", "tasks=3", NULL});
    struct process_result result;
    cJSON *summary = run_async(&server,
                               (const char *const[]){"--jobs", "6", "--spacing", "compute=0.01",
                                                     "--spacing", "tasks=0.01", NULL},
                               &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    cr_assert_eq(json_number(summary, "completed"), 6);
    cr_assert_gt(json_number(summary, "rate_limited"), 0, "the test meant to trip the limit");
    cJSON *stats = server_stats(&server);
    cr_assert_eq(json_number(cJSON_GetObjectItem(stats, "firecrest"), "rate_limited"),
                 json_number(summary, "rate_limited"));
    cJSON_Delete(stats);
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

Test(firecrest_clients, async_reports_a_failing_job_and_survives_token_expiry)
{
    char script[] = "/tmp/evloop-failing-XXXXXX";
    int fd = mkstemp(script);
    cr_assert(write(fd, "echo oops\nexit 4\n", 17) == 17);
    close(fd);
    struct server_process server;
    server_start(&server, (const char *const[]){"--threads", "16", "--job-ms", "1500",
                                                "--token-lifetime", "11", NULL});
    struct process_result result;
    cJSON *summary =
        run_async(&server, (const char *const[]){"--jobs", "2", "--script", script, NULL}, &result);
    unlink(script);
    cr_assert_eq(result.exit_code, 1);
    cr_assert_eq(json_number(summary, "failed"), 2);
    cr_assert(strstr(result.err, "FAILED") != NULL, "stderr: %s", result.err);
    cr_assert_geq(requests_to(summary, "auth"), 2, "an 11 s token is renewed during a 2 s run");
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);

    run_program(&result, "firecrest_async",
                (const char *const[]){"--url", "http://127.0.0.1:1", "--jobs", "3", NULL}, 20);
    cr_assert_eq(result.exit_code, 1);
    cr_assert(strstr(result.err, "cannot get a token") != NULL, "stderr: %s", result.err);
    process_result_free(&result);
    run_program(&result, "firecrest_async", (const char *const[]){"--spacing", "compute", NULL},
                10);
    cr_assert_eq(result.exit_code, 2);
    process_result_free(&result);
}

/* --- --trace FILE: one CSV line per HTTP request ------------------------------------- */

static long rows_of(const struct traced_call *requests, long rows, const char *service,
                    const char *kind)
{
    long count = 0;
    for (long i = 0; i < rows; i++)
        count += strcmp(requests[i].service, service) == 0 && strcmp(requests[i].kind, kind) == 0;
    return count;
}

Test(firecrest_clients, async_traces_every_request_with_its_job_and_kind, .timeout = 90)
{
    char path[128];
    snprintf(path, sizeof path, "/tmp/evloop-fc-trace-%d-async.csv", (int)getpid());
    struct server_process server;
    server_start(&server, (const char *const[]){"--threads", "16", "--job-ms", "300", NULL});
    struct process_result result;
    cJSON *summary =
        run_async(&server, (const char *const[]){"--jobs", "10", "--trace", path, NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    long rows;
    struct traced_call *requests = read_trace(path, true, &rows);
    unlink(path);
    cr_assert_geq(rows_of(requests, rows, "auth", "token"), 1);
    cr_assert_eq(rows_of(requests, rows, "compute", "submit"), 10);
    cr_assert_eq(rows_of(requests, rows, "utilities", "output"), 10);
    bool submitted[10] = {0}, read[10] = {0};
    for (long i = 0; i < rows; i++) {
        const struct traced_call *request = &requests[i];
        cr_assert_geq(request->end_ms, request->start_ms, "request %ld ends before it starts", i);
        cr_assert_str_eq(request->result, "ok", "request %ld", i);
        bool submit = strcmp(request->kind, "submit") == 0;
        bool output = strcmp(request->kind, "output") == 0;
        if (submit || output) {
            cr_assert(request->job >= 0 && request->job < 10, "request %ld: job %ld", i,
                      request->job);
            (submit ? submitted : read)[request->job] = true;
        }
    }
    for (int job = 0; job < 10; job++)
        cr_assert(submitted[job] && read[job], "job %d: submitted %d, output read %d", job,
                  submitted[job], read[job]);
    /* Each request the summary counts is one line. */
    double counted = 0;
    for (const cJSON *service = cJSON_GetObjectItem(summary, "requests")->child; service != NULL;
         service = service->next)
        counted += service->valuedouble;
    cr_assert_eq((double)rows, counted);
    free(requests);
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

Test(firecrest_clients, sync_traces_requests_one_after_another)
{
    char path[128];
    snprintf(path, sizeof path, "/tmp/evloop-fc-trace-%d-sync.csv", (int)getpid());
    struct server_process server;
    server_start(&server, (const char *const[]){"--threads", "16", "--job-ms", "200", NULL});
    struct process_result result;
    cJSON *summary =
        run_workflow(&server, (const char *const[]){"--jobs", "2", "--trace", path, NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    long rows;
    struct traced_call *requests = read_trace(path, true, &rows);
    unlink(path);
    cr_assert_eq(rows_of(requests, rows, "compute", "submit"), 2);
    cr_assert_eq(rows_of(requests, rows, "utilities", "output"), 2);
    for (long i = 0; i < rows; i++) {
        cr_assert_str_eq(requests[i].result, "ok", "request %ld", i);
        if (i > 0) /* a blocking client: the next request waits for the last */
            cr_assert_geq(requests[i].start_ms, requests[i - 1].end_ms, "request %ld overlaps", i);
    }
    free(requests);
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

Test(firecrest_clients, a_trace_that_cannot_be_written_fails_the_run)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--threads", "16", "--job-ms", "100", NULL});
    struct process_result result;
    const char *bad = "/nonexistent-dir/trace.csv";
    cJSON *summary =
        run_async(&server, (const char *const[]){"--jobs", "1", "--trace", bad, NULL}, &result);
    cr_assert_eq(result.exit_code, 1, "stderr: %s", result.err);
    cr_assert(strstr(result.err, bad) != NULL, "stderr names the path: %s", result.err);
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}
