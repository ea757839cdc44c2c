/*
 * test_clients.c - bin/client_sync and bin/client_async run as a student runs
 * them, against a real server. Concurrency is read from the server's /stats,
 * never guessed from timings.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bad_peer.h"
#include "support.h"

/* Every client of the kit: program and the name its JSON summary gives. */
static const struct {
    const char *program;
    const char *name;
} all_clients[] = {{"client_sync", "sync"}, {"client_async", "async"}, {"mini_client", "mini"}};
enum { CLIENT_COUNT = sizeof all_clients / sizeof all_clients[0] };

/* Run a client with --json against `url`; returns its summary (NULL if none). */
static cJSON *run_client(const char *client, const char *url, const char *const extra[],
                         struct process_result *result)
{
    const char *args[24] = {"--json", "--url", url};
    size_t count = 3;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && count < 23; i++)
        args[count++] = extra[i];
    args[count] = NULL;
    run_program(result, client, args, 20); /* well inside the suite's .timeout */
    return cJSON_Parse(result->out);
}

static void assert_summary(const cJSON *summary, const char *client, long requests, long ok)
{
    cr_assert(cJSON_IsObject(summary), "no JSON summary on stdout");
    const cJSON *name = cJSON_GetObjectItem(summary, "client");
    cr_assert(cJSON_IsString(name) && strcmp(name->valuestring, client) == 0);
    cr_assert_eq(json_number(summary, "requests"), requests);
    cr_assert_eq(json_number(summary, "ok"), ok);
    cr_assert_eq(json_number(summary, "failed"), requests - ok);
    cr_assert(json_number(summary, "seconds") >= 0);
}

/* The most say-hi calls the server had in flight at once. */
static long max_in_flight(const struct server_process *server)
{
    cJSON *stats = server_stats(server);
    long most = (long)json_number(stats, "max_in_flight");
    cJSON_Delete(stats);
    return most;
}

static void say_hi_url(char *url, size_t size, const struct server_process *server)
{
    snprintf(url, size, "%s/say-hi", server->base_url);
}

TestSuite(clients, .timeout = 60);

Test(clients, sync_makes_every_call_one_at_a_time)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "30", "--threads", "16", NULL});
    char url[128];
    say_hi_url(url, sizeof url, &server);
    struct process_result result;
    cJSON *summary =
        run_client("client_sync", url, (const char *const[]){"--number", "5", NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    assert_summary(summary, "sync", 5, 5);
    cr_assert_eq(max_in_flight(&server), 1, "a blocking client never has two calls in flight");
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

/* With a delay long enough for all calls to overlap, the server sees all 50 at once. */
static void assert_all_calls_in_flight_at_once(const char *program, const char *name)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "400", "--threads", "64", NULL});
    char url[128];
    say_hi_url(url, sizeof url, &server);
    struct process_result result;
    cJSON *summary =
        run_client(program, url, (const char *const[]){"--number", "50", NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    assert_summary(summary, name, 50, 50);
    cr_assert_eq(max_in_flight(&server), 50);
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

Test(clients, async_has_all_calls_in_flight_at_once)
{
    assert_all_calls_in_flight_at_once("client_async", "async");
}

Test(clients, mini_has_all_calls_in_flight_at_once)
{
    assert_all_calls_in_flight_at_once("mini_client", "mini");
}

static void assert_concurrency_caps_calls_in_flight(const char *program, const char *name)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "50", "--threads", "32", NULL});
    char url[128];
    say_hi_url(url, sizeof url, &server);
    struct process_result result;
    cJSON *summary = run_client(
        program, url, (const char *const[]){"--number", "24", "--concurrency", "4", NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    assert_summary(summary, name, 24, 24);
    cr_assert_eq(max_in_flight(&server), 4, "24 calls, 4 at a time, each 50 ms: exactly 4 overlap");
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

Test(clients, async_concurrency_caps_the_calls_in_flight)
{
    assert_concurrency_caps_calls_in_flight("client_async", "async");
}

Test(clients, mini_concurrency_caps_the_calls_in_flight)
{
    assert_concurrency_caps_calls_in_flight("mini_client", "mini");
}

/*
 * More calls than the server has threads: they are served in waves of 4. An idle
 * keep-alive connection holds a civetweb worker, so the server must close its
 * connections while callers queue for a worker; otherwise the second wave would
 * wait out the keep-alive timeout (10 s) and hit the client's 5 s limit.
 */
Test(clients, calls_beyond_the_server_threads_are_served_in_waves)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "100", "--threads", "4", NULL});
    char url[128];
    say_hi_url(url, sizeof url, &server);
    struct process_result result;
    cJSON *summary =
        run_client("client_async", url,
                   (const char *const[]){"--number", "12", "--timeout-ms", "5000", NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    assert_summary(summary, "async", 12, 12);
    cr_assert_eq(max_in_flight(&server), 4, "4 worker threads serve at most 4 calls at once");
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

/* 5 starts per second, 100 ms each: a call has long ended when the next begins
 * (200 ms later), so even a slow machine sees at most two overlap; all six would
 * without --rate. */
Test(clients, async_rate_spreads_the_starts)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "100", "--threads", "16", NULL});
    char url[128];
    say_hi_url(url, sizeof url, &server);
    struct process_result result;
    cJSON *summary = run_client(
        "client_async", url, (const char *const[]){"--number", "6", "--rate", "5", NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    assert_summary(summary, "async", 6, 6);
    cr_assert_leq(max_in_flight(&server), 2);
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

Test(clients, a_server_error_is_a_counted_failure)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "0", "--threads", "16", NULL});
    char url[128];
    snprintf(url, sizeof url, "%s/nope", server.base_url);
    for (int i = 0; i < CLIENT_COUNT; i++) {
        const char *client = all_clients[i].program;
        struct process_result result;
        cJSON *summary =
            run_client(client, url, (const char *const[]){"--number", "3", NULL}, &result);
        cr_assert_eq(result.exit_code, 1, "%s: exit %d", client, result.exit_code);
        assert_summary(summary, all_clients[i].name, 3, 0);
        cr_assert(strstr(result.err, "404") != NULL, "%s should say why: %s", client, result.err);
        cJSON_Delete(summary);
        process_result_free(&result);
    }
    server_stop(&server);
}

static int count_lines(const char *text)
{
    int lines = 0;
    for (const char *at = strchr(text, '\n'); at != NULL; at = strchr(at + 1, '\n'))
        lines++;
    return lines;
}

Test(clients, a_dead_server_is_one_clear_line_and_exit_1)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/say-hi", closed_port());
    for (int i = 0; i < CLIENT_COUNT; i++) {
        const char *client = all_clients[i].program;
        struct process_result result;
        cJSON *summary =
            run_client(client, url, (const char *const[]){"--number", "200", NULL}, &result);
        cr_assert_eq(result.exit_code, 1, "%s: exit %d", client, result.exit_code);
        cr_assert_eq(count_lines(result.err), 1,
                     "%s should say it in one line, not once per call: %s", client, result.err);
        cr_assert(strstr(result.err, "cannot reach") != NULL, "%s: %s", client, result.err);
        cr_assert(strncmp(result.err, client, strlen(client)) == 0,
                  "the message starts with the program");
        cr_assert(strstr(result.err, url) != NULL, "the message should name the URL");
        cr_assert_eq(json_number(summary, "ok"), 0);
        cr_assert_eq(json_number(summary, "failed"), 200);
        cJSON_Delete(summary);
        process_result_free(&result);
    }
}

Test(clients, bad_usage_exits_2_and_names_the_problem)
{
    const char *const bad[][3] = {
        {"--url", "notaurl", NULL}, {"--url", "ftp://example/", NULL}, {"--number", "ten", NULL},
        {"--number", "0", NULL},    {"--timeout-ms", "-1", NULL},      {"--what", NULL, NULL},
    };
    for (int c = 0; c < CLIENT_COUNT; c++) {
        const char *client = all_clients[c].program;
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            struct process_result result;
            run_program(&result, client, bad[i], 10);
            cr_assert_eq(result.exit_code, 2, "%s %s %s: exit %d", client, bad[i][0],
                         bad[i][1] ? bad[i][1] : "", result.exit_code);
            const char *named =
                bad[i][1] != NULL && strcmp(bad[i][0], "--url") == 0 ? bad[i][1] : bad[i][0];
            cr_assert(strstr(result.err, named) != NULL, "%s: stderr does not name '%s': %s",
                      client, named, result.err);
            process_result_free(&result);
        }
    }
}

/* Each client refuses the controls it does not have, instead of ignoring them. */
Test(clients, options_another_client_has_are_refused)
{
    const struct {
        const char *program, *option;
    } refused[] = {
        {"client_sync", "--concurrency"}, {"client_sync", "--rate"}, {"mini_client", "--rate"}};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct process_result result;
        run_program(&result, refused[i].program,
                    (const char *const[]){refused[i].option, "4", NULL}, 10);
        cr_assert_eq(result.exit_code, 2, "%s %s 4: exit %d", refused[i].program, refused[i].option,
                     result.exit_code);
        cr_assert(strstr(result.err, refused[i].option) != NULL, "%s: stderr does not name %s: %s",
                  refused[i].program, refused[i].option, result.err);
        cr_assert_str_empty(result.out, "%s printed on stdout: %s", refused[i].program, result.out);
        process_result_free(&result);
    }
}

Test(clients, help_exits_0_and_documents_the_options)
{
    for (int c = 0; c < CLIENT_COUNT; c++) {
        const char *client = all_clients[c].program;
        struct process_result result;
        run_program(&result, client, (const char *const[]){"--help", NULL}, 10);
        cr_assert_eq(result.exit_code, 0, "%s --help: exit %d", client, result.exit_code);
        cr_assert(strstr(result.out, "--number") && strstr(result.out, "--url") &&
                      strstr(result.out, "Exit"),
                  "%s --help on stdout: %s", client, result.out);
        /* Each lists exactly the controls it has. */
        bool concurrent = strcmp(client, "client_sync") != 0;
        bool paced = strcmp(client, "client_async") == 0;
        cr_assert_eq(strstr(result.out, "--concurrency") != NULL, concurrent, "%s: --concurrency",
                     client);
        cr_assert_eq(strstr(result.out, "--rate") != NULL, paced, "%s: --rate", client);
        process_result_free(&result);
    }
}

/* --- a peer that misbehaves: answers nonsense, or hangs up ------------------ */

static const char *const bad_replies[] = {
    "",                                                         /* hangs up at once */
    "garbage\r\n\r\n",                                          /* not HTTP */
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",        /* not JSON */
    "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"cut\": ", /* cut short */
};

Test(clients, a_misbehaving_server_is_a_failure_never_a_crash_or_hang)
{
    for (size_t r = 0; r < sizeof bad_replies / sizeof bad_replies[0]; r++) {
        struct bad_peer peer;
        bad_peer_start(&peer, SEND_THEN_CLOSE, bad_replies[r], strlen(bad_replies[r]));
        char url[128];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/say-hi", peer.port);
        for (int c = 0; c < CLIENT_COUNT; c++) {
            const char *client = all_clients[c].program;
            struct process_result result;
            cJSON *summary = run_client(
                client, url, (const char *const[]){"--number", "3", "--timeout-ms", "5000", NULL},
                &result);
            cr_assert_eq(result.exit_code, 1, "%s against reply #%zu: exit %d, stderr: %s", client,
                         r, result.exit_code, result.err);
            cr_assert_eq(json_number(summary, "failed"), 3);
            cJSON_Delete(summary);
            process_result_free(&result);
        }
        bad_peer_stop(&peer);
    }
}

/* --- replies and limits that must not turn into a crash, a hog, or a wrong reason --- */

/* A 3 MB reply that is a perfectly good JSON object: keeping it would be fine for
 * one call, but a client that keeps any size lets one reply eat all the memory. */
Test(clients, a_reply_past_1_mib_is_a_failure_not_kept)
{
    const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        "Content-Length: 3000009\r\n\r\n{\"x\": \"";
    size_t filler = 3000000, length = sizeof head - 1 + filler + 2;
    char *reply = malloc(length + 1);
    cr_assert(reply != NULL);
    memcpy(reply, head, sizeof head - 1);
    memset(reply + sizeof head - 1, 'a', filler);
    memcpy(reply + sizeof head - 1 + filler, "\"}", 3);
    struct bad_peer peer;
    bad_peer_start(&peer, SEND_THEN_CLOSE, reply, length);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/say-hi", peer.port);
    for (int c = 0; c < CLIENT_COUNT; c++) {
        struct process_result result;
        cJSON *summary = run_client(all_clients[c].program, url,
                                    (const char *const[]){"--number", "2", NULL}, &result);
        cr_assert_eq(result.exit_code, 1, "%s: exit %d, stderr: %s", all_clients[c].program,
                     result.exit_code, result.err);
        cr_assert_eq(json_number(summary, "failed"), 2);
        cr_assert(strstr(result.err, "longer than") != NULL, "%s: stderr: %s",
                  all_clients[c].program, result.err);
        cJSON_Delete(summary);
        process_result_free(&result);
    }
    bad_peer_stop(&peer);
    free(reply);
}

/* The server refuses a 120 KB URL with a 4xx and closes: the client must report
 * that answer, not libuv's "the socket broke" ("select/poll returned error"). */
Test(clients, a_refused_long_url_reports_the_servers_answer)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "0", NULL});
    size_t length = 120 * 1000;
    char *url = malloc(length + 128);
    cr_assert(url != NULL);
    int prefix = snprintf(url, 128, "%s/say-hi?padding=", server.base_url);
    memset(url + prefix, 'a', length);
    url[prefix + (int)length] = '\0';
    const char *const clients[] = {"client_sync", "client_async"};
    for (size_t c = 0; c < 2; c++) {
        struct process_result result;
        cJSON *summary =
            run_client(clients[c], url, (const char *const[]){"--number", "3", NULL}, &result);
        cr_assert_eq(result.exit_code, 1, "%s: exit %d", clients[c], result.exit_code);
        cr_assert(strstr(result.err, "HTTP 4") != NULL && strstr(result.err, "poll") == NULL,
                  "%s: stderr: %.300s", clients[c], result.err);
        cJSON_Delete(summary);
        process_result_free(&result);
    }
    free(url);
    server_stop(&server);
}

/* With `ulimit -n 256` (soft and hard), 400 calls cannot all have a socket: the
 * async client keeps fewer in flight and still makes every call. */
Test(clients, async_with_few_open_files_makes_every_call)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "50", NULL});
    struct rlimit few = {.rlim_cur = 256, .rlim_max = 256}; /* this test's process and children */
    cr_assert(setrlimit(RLIMIT_NOFILE, &few) == 0);
    char url[128];
    say_hi_url(url, sizeof url, &server);
    struct process_result result;
    cJSON *summary =
        run_client("client_async", url, (const char *const[]){"--number", "400", NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    assert_summary(summary, "async", 400, 400);
    cr_assert(strstr(result.err, "open files") != NULL, "says why it holds calls back: %s",
              result.err);
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}
