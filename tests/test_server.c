/*
 * test_server.c - bin/server as a client sees it: endpoints, errors, keep-alive,
 * shutdown. Each test starts its own server on a free port.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl_helpers.h"
#include "support.h"

static struct server_process server;

static void start_fast_server(void)
{
    server_start(&server, (const char *const[]){"--delay-ms", "20", "--threads", "16", NULL});
}

static void stop_server(void)
{
    server_stop(&server);
}

TestSuite(server, .init = start_fast_server, .fini = stop_server, .timeout = 30);

/*
 * GET/POST base_url + path; returns the parsed JSON body (NULL if not JSON).
 * Every reply, success or error, must say it is JSON and carry a Content-Length:
 * without one, a keep-alive client cannot tell where the reply ends.
 */
static cJSON *call(const char *method, const char *path, long *status)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", server.base_url, path);
    CURL *easy = curl_easy_init();
    struct reply_body body = {.bytes = calloc(1, 1)};
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, reply_body_append);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, 10L);
    CURLcode outcome = curl_easy_perform(easy);
    char *type = NULL;
    curl_off_t length = -1;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, status);
    curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &type);
    curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    bool says_json = type != NULL && strncmp(type, "application/json", 16) == 0;
    curl_easy_cleanup(easy); /* `type` points into the handle: read it before this */
    cJSON *json = cJSON_Parse(body.bytes);
    free(body.bytes);
    cr_assert_eq(outcome, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(outcome));
    cr_assert(says_json, "%s %s: the reply's Content-Type is not application/json", method, path);
    cr_assert_gt(length, 0, "%s %s: no Content-Length", method, path);
    return json;
}

static void assert_json_error(const char *method, const char *path, long expected_status)
{
    long status;
    cJSON *json = call(method, path, &status);
    cr_assert_eq(status, expected_status, "%s %s: HTTP %ld, expected %ld", method, path, status,
                 expected_status);
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(json, "error")),
              "%s %s: the body should be a JSON object with an \"error\"", method, path);
    cJSON_Delete(json);
}

Test(server, say_hi_answers_a_json_message)
{
    long status;
    cJSON *json = call("GET", "/say-hi", &status);
    cr_assert_eq(status, 200);
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(json, "message")));
    cr_assert_eq(json_number(json, "delay_ms"), 20);
    cJSON_Delete(json);
}

Test(server, delay_ms_overrides_the_delay_for_one_call)
{
    long status;
    cJSON *json = call("GET", "/say-hi?delay_ms=0", &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(json_number(json, "delay_ms"), 0);
    cJSON_Delete(json);
    json = call("GET", "/say-hi?other=1&delay_ms=5", &status);
    cr_assert_eq(status, 200, "unknown parameters are ignored");
    cr_assert_eq(json_number(json, "delay_ms"), 5);
    cJSON_Delete(json);
}

Test(server, a_bad_delay_is_a_400_with_a_json_error)
{
    assert_json_error("GET", "/say-hi?delay_ms=abc", 400);
    assert_json_error("GET", "/say-hi?delay_ms=-1", 400);
    assert_json_error("GET", "/say-hi?delay_ms=60001", 400);
    assert_json_error("GET", "/say-hi?delay_ms=", 400);
    assert_json_error("GET", "/say-hi?delay_ms=1e3", 400);
    assert_json_error("GET", "/say-hi?delay_ms=99999999999999999999", 400);
}

Test(server, wrong_methods_and_unknown_paths_are_json_errors)
{
    assert_json_error("POST", "/say-hi", 405);
    assert_json_error("DELETE", "/stats", 405);
    assert_json_error("GET", "/stats/reset", 405);
    assert_json_error("GET", "/nope", 404);
    assert_json_error("GET", "/say-hi/more", 404);
    assert_json_error("POST", "/", 405); /* GET / is the dashboard: tests/test_dashboard.c */
    assert_json_error("GET", "/dashboard/nope", 404);
    assert_json_error("GET", "/../../etc/passwd", 404);
}

Test(server, stats_count_say_hi_calls_and_reset_zeroes_them)
{
    long status;
    for (int i = 0; i < 3; i++)
        cJSON_Delete(call("GET", "/say-hi?delay_ms=0", &status));
    cJSON_Delete(call("GET", "/nope", &status)); /* not a say-hi call: not counted */
    cJSON *stats = server_stats(&server);
    cr_assert_eq(json_number(stats, "served"), 3);
    cr_assert_eq(json_number(stats, "in_flight"), 0);
    cr_assert_eq(json_number(stats, "max_in_flight"), 1);
    cr_assert_eq(json_number(stats, "threads"), 16);
    cr_assert_eq(json_number(stats, "delay_ms"), 20);
    cJSON_Delete(stats);

    cJSON *after_reset = call("POST", "/stats/reset", &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(json_number(after_reset, "served"), 0);
    cr_assert_eq(json_number(after_reset, "max_in_flight"), 0);
    cJSON_Delete(after_reset);
}

static size_t ignore_body(char *data, size_t size, size_t count, void *unused)
{
    (void)data;
    (void)unused;
    return size * count;
}

/* Two calls on one handle: the second must reuse the first one's connection. */
static void assert_connection_reused(long http_version, const char *connection_header)
{
    char url[256];
    snprintf(url, sizeof url, "%s/say-hi?delay_ms=0", server.base_url);
    CURL *easy = curl_easy_init();
    struct curl_slist *headers = NULL;
    if (connection_header != NULL)
        headers = curl_slist_append(headers, connection_header);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, http_version);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, ignore_body);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, 10L);
    long new_connections[2];
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(curl_easy_perform(easy), CURLE_OK);
        curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &new_connections[i]);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(easy);
    cr_assert_eq(new_connections[0], 1);
    cr_assert_eq(new_connections[1], 0, "the second call opened a new connection");
}

Test(server, keep_alive_for_http_1_1)
{
    assert_connection_reused(CURL_HTTP_VERSION_1_1, NULL);
}

Test(server, keep_alive_for_http_1_0_clients_that_ask_for_it)
{
    assert_connection_reused(CURL_HTTP_VERSION_1_0, "Connection: keep-alive");
}

/* A reply to HEAD has no body, even an error's (say-hi takes GET only: 405).
 * Bytes sent after its headers would be read as the start of the next reply on
 * the same connection: libcurl would drop the connection, and the GET below
 * would need a new one. */
Test(server, head_has_no_body_and_keeps_the_connection_usable)
{
    char url[256];
    snprintf(url, sizeof url, "%s/say-hi?delay_ms=0", server.base_url);
    CURL *easy = curl_easy_init();
    struct reply_body body = {.bytes = calloc(1, 1)};
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, 10L);
    cr_assert_eq(curl_easy_perform(easy), CURLE_OK);
    long status = 0;
    curl_off_t length = -1;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    cr_assert_eq(status, 405);
    cr_assert_gt(length, 0, "HEAD must announce the Content-Length a GET would get");

    curl_easy_setopt(easy, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, reply_body_append);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    cr_assert_eq(curl_easy_perform(easy), CURLE_OK);
    long new_connections = -1;
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &new_connections);
    curl_easy_cleanup(easy);
    cJSON *json = cJSON_Parse(body.bytes);
    free(body.bytes);
    cr_assert_eq(new_connections, 0, "the GET after HEAD could not reuse the connection");
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(json, "message")));
    cJSON_Delete(json);
}

struct long_call {
    char url[256];
    CURLcode outcome;
    long status;
    struct reply_body body;
};

/* Runs on its own thread, so it asserts nothing (a Criterion assertion must
 * fail on the test's own thread): it records what happened for the test. */
static void *make_long_call(void *call_ptr)
{
    struct long_call *call = call_ptr;
    CURL *easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, call->url);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, reply_body_append);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &call->body);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, 20L); /* the test's bound, well under 30 s */
    call->outcome = curl_easy_perform(easy);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &call->status);
    curl_easy_cleanup(easy);
    return NULL;
}

/* A call sleeping 30 s must not keep the server from stopping: it is answered
 * (503, "shutting down") at once, and the server exits 0. */
Test(server, sigterm_answers_calls_in_flight_and_exits_0)
{
    struct long_call long_call = {.body = {calloc(1, 1), 0}};
    snprintf(long_call.url, sizeof long_call.url, "%s/say-hi?delay_ms=30000", server.base_url);
    pthread_t caller;
    cr_assert_eq(pthread_create(&caller, NULL, make_long_call, &long_call), 0);

    /* Wait until the server counts the call in flight (no guessing with sleep). */
    for (;;) {
        cJSON *stats = server_stats(&server);
        double in_flight = json_number(stats, "in_flight");
        cJSON_Delete(stats);
        if (in_flight == 1)
            break;
    }
    server_stop(&server); /* asserts exit 0 within its bound */
    pthread_join(caller, NULL);
    cr_assert_eq(long_call.outcome, CURLE_OK, "the call in flight got no answer: %s",
                 curl_easy_strerror(long_call.outcome));
    cr_assert_eq(long_call.status, 503);
    cJSON *json = cJSON_Parse(long_call.body.bytes);
    free(long_call.body.bytes);
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(json, "error")));
    cJSON_Delete(json);
}

/* Command-line behaviour: no server of our own needed for these. */
TestSuite(server_cli, .timeout = 30);

/* Without --quiet, each request is one line: method, URI, status, time taken. */
Test(server_cli, the_access_log_has_a_line_per_request_with_its_time)
{
    struct server_process logged;
    server_start_logged(&logged, (const char *const[]){"--threads", "8", NULL});
    char url[160];
    long status;
    snprintf(url, sizeof url, "%s/say-hi?delay_ms=50", logged.base_url);
    free(http_request("GET", url, &status));
    cr_assert_eq(status, 200);
    snprintf(url, sizeof url, "%s/no-such-page", logged.base_url);
    free(http_request("GET", url, &status));
    cr_assert_eq(status, 404);
    char *log = server_stop_and_read_log(&logged);

    double took_ms = 0;
    const char *say_hi = strstr(log, "GET /say-hi?delay_ms=50 200 ");
    cr_assert(say_hi != NULL && sscanf(say_hi, "GET /say-hi?delay_ms=50 200 %lf ms", &took_ms) == 1,
              "no say-hi line in the log:\n%s", log);
    cr_assert_geq(took_ms, 50, "the say-hi call waited 50 ms, the log says %.1f ms", took_ms);
    cr_assert(strstr(log, "GET /no-such-page 404 ") != NULL, "no 404 line in the log:\n%s", log);
    cr_assert(strstr(log, "SIGTERM received") != NULL, "the stop is not logged:\n%s", log);
    free(log);
}

/* A path with CR LF and an escape in it: one log line, printable, nothing forged. */
Test(server_cli, the_access_log_prints_the_clients_bytes_escaped)
{
    struct server_process logged;
    server_start_logged(&logged, (const char *const[]){"--threads", "8", NULL});
    char url[200];
    long status;
    snprintf(url, sizeof url, "%s/x%%0d%%0aGET%%20/forged%%20200%%1b%%5b2J?q=%%0a%%1b",
             logged.base_url);
    free(http_request("GET", url, &status));
    cr_assert_eq(status, 404);
    char *log = server_stop_and_read_log(&logged);
    cr_assert(strchr(log, '\x1b') == NULL, "a raw escape reached the log:\n%s", log);
    cr_assert(strstr(log, "\nGET /forged") == NULL && strncmp(log, "GET /forged", 11) != 0,
              "a forged log line:\n%s", log);
    cr_assert(strstr(log, "GET /x%0d%0aGET%20/forged%20200%1b%5b2J?q=%0a%1b 404 ") != NULL, "%s",
              log);
    free(log);
}

Test(server_cli, help_exits_0_and_lists_the_options)
{
    struct process_result result;
    run_program(&result, "server", (const char *const[]){"--help", NULL}, 10);
    cr_assert_eq(result.exit_code, 0);
    cr_assert(strstr(result.out, "--delay-ms") && strstr(result.out, "--port"));
    process_result_free(&result);
}

Test(server_cli, bad_usage_exits_2_with_a_message)
{
    const char *const bad[][3] = {{"--port", "http", NULL},      {"--delay-ms", "-5", NULL},
                                  {"--delay-ms", "60001", NULL}, {"--threads", "0", NULL},
                                  {"--bogus", NULL, NULL},       {"extra", NULL, NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct process_result result;
        run_program(&result, "server", bad[i], 10);
        cr_assert_eq(result.exit_code, 2, "server %s %s: exit %d", bad[i][0],
                     bad[i][1] ? bad[i][1] : "", result.exit_code);
        cr_assert(strstr(result.err, bad[i][0]) != NULL, "stderr does not name %s: %s", bad[i][0],
                  result.err);
        process_result_free(&result);
    }
}

Test(server_cli, a_port_in_use_is_a_clear_error)
{
    struct server_process first;
    server_start(&first, NULL);
    char port[16];
    snprintf(port, sizeof port, "%d", first.port);
    struct process_result second;
    run_program(&second, "server", (const char *const[]){"--port", port, "--quiet", NULL}, 10);
    server_stop(&first);
    cr_assert_neq(second.exit_code, 0);
    cr_assert(strstr(second.err, port) != NULL, "the error should name the port: %s", second.err);
    cr_assert(strstr(second.err, "Address already in use") != NULL, "say why: %s", second.err);
    cr_assert_null(strstr(second.err, "Failed to setup"), "civetweb's inner words: %s", second.err);
    process_result_free(&second);
}

/* A number out of range is answered with the range, not just "bad value". */
Test(server_cli, a_number_out_of_range_is_answered_with_the_range)
{
    const char *const cases[][3] = {{"--port", "99999", "65535"},
                                    {"--delay-ms", "60001", "60000"},
                                    {"--threads", "0", "10000"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct process_result result;
        run_program(&result, "server", (const char *const[]){cases[i][0], cases[i][1], NULL}, 10);
        cr_assert_eq(result.exit_code, 2);
        cr_assert(strstr(result.err, cases[i][2]) != NULL &&
                      strstr(result.err, cases[i][1]) != NULL,
                  "%s %s: %s", cases[i][0], cases[i][1], result.err);
        process_result_free(&result);
    }
}
