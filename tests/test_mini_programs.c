/*
 * test_mini_programs.c - the programs on mini_loop, run as a student runs them.
 *
 *   mini_tasks    its lines compared with the asyncio tutorial's, and its timing
 *   mini_results  the two orders of handling results
 *   mini_client   against the kit's server (concurrency read from /stats, never
 *                 guessed from timings) and against a tiny misbehaving peer that
 *                 this file runs on a thread: it hangs up, resets, sends garbage,
 *                 cuts a reply short, or never answers.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bad_peer.h"
#include "support.h"

static double seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* --- mini_tasks: the tutorial's output, line by line ----------------------------- */

TestSuite(mini_tasks, .timeout = 30);

/* What the tutorial's Python prints for each scenario. */
static const char *const sequential_lines[] = {
    "Starting main function",
    "Hello from my async function 1",
    "Done with async function 1",
    "Hello from my async function 2",
    "Done with async function 2",
    "Done with main function",
    "('my_async_function1 result', 'my_async_function2 result')",
    NULL};
static const char *const concurrent_lines[] = {
    "Starting main function",
    "Hello from my async function 1",
    "Hello from my async function 2",
    "Done with async function 2",
    "Done with async function 1",
    "Done with main function",
    "('my_async_function1 result', 'my_async_function2 result')",
    NULL};
static const char *const dont_wait_lines[] = {
    "Starting main function",         "main function doing other work",
    "Hello from my async function 1", "Hello from my async function 2",
    "Done with async function 2",     "Done with async function 1",
    "Done with main function",        NULL};

/*
 * Run a scenario with every sleep at a fifth (1 s -> 200 ms), compare its output
 * with the tutorial's, and check it took as long as the tutorial's sleeps add up
 * to: `seconds` at full scale. Only a lower bound is tight (timers never fire
 * early); the upper one leaves room for a busy machine.
 */
static void assert_prints_exactly(const char *mode, const char *const expected[], double seconds)
{
    struct process_result result;
    double started = seconds_now();
    run_program(&result, "mini_tasks", (const char *const[]){mode, "--scale", "0.2", NULL}, 20);
    double took = seconds_now() - started;
    cr_assert_eq(result.exit_code, 0, "mini_tasks %s: exit %d: %s", mode, result.exit_code,
                 result.err);
    char *line = result.out;
    for (int i = 0; expected[i] != NULL; i++) {
        char *end = strchr(line, '\n');
        cr_assert(end != NULL, "mini_tasks %s: line %d missing, expected '%s'", mode, i + 1,
                  expected[i]);
        *end = '\0';
        cr_assert_str_eq(line, expected[i], "mini_tasks %s: line %d", mode, i + 1);
        line = end + 1;
    }
    cr_assert_str_eq(line, "", "mini_tasks %s printed more than the tutorial", mode);
    double expected_seconds = seconds * 0.2;
    cr_assert_geq(took, expected_seconds, "mini_tasks %s: %.3f s, the sleeps add up to %.3f s",
                  mode, took, expected_seconds);
    cr_assert_lt(took, expected_seconds + 0.35, "mini_tasks %s: %.3f s, expected %.3f s", mode,
                 took, expected_seconds);
    process_result_free(&result);
}

Test(mini_tasks, sequential_prints_the_tutorials_lines_in_5_seconds)
{
    assert_prints_exactly("sequential", sequential_lines, 5);
}

Test(mini_tasks, gather_prints_the_tutorials_lines_in_3_seconds)
{
    assert_prints_exactly("gather", concurrent_lines, 3);
}

Test(mini_tasks, create_task_prints_the_tutorials_lines_in_3_seconds)
{
    assert_prints_exactly("create_task", concurrent_lines, 3);
}

Test(mini_tasks, dont_wait_prints_the_tutorials_lines_in_3_seconds)
{
    assert_prints_exactly("dont_wait", dont_wait_lines, 3);
}

/* Bad usage: exit 2, and a message on stderr that names the program. */
static void assert_refuses(const char *program, const char *const args[])
{
    struct process_result result;
    run_program(&result, program, args, 10);
    cr_assert_eq(result.exit_code, 2, "%s %s: exit %d", program, args[0] ? args[0] : "",
                 result.exit_code);
    cr_assert(strncmp(result.err, program, strlen(program)) == 0, "%s: stderr: %s", program,
              result.err);
    cr_assert_str_eq(result.out, "", "%s printed on stdout although it refused", program);
    process_result_free(&result);
}

Test(mini_tasks, refuses_bad_usage)
{
    const char *const bad[][4] = {{NULL},
                                  {"bogus", NULL},
                                  {"gather", "--scale", "0", NULL},
                                  {"gather", "--scale", "x", NULL},
                                  {"gather", "--scale", NULL},
                                  {"gather", "gather", NULL},
                                  {"--what", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_refuses("mini_tasks", bad[i]);
}

/* A typo gets the list of modes, so that the student need not go to --help. */
Test(mini_tasks, a_mistyped_mode_is_answered_with_the_modes)
{
    struct process_result result;
    run_program(&result, "mini_tasks", (const char *const[]){"gahter", NULL}, 10);
    cr_assert_eq(result.exit_code, 2);
    cr_assert(strstr(result.err, "'gahter'") && strstr(result.err, "sequential") &&
                  strstr(result.err, "gather") && strstr(result.err, "create_task") &&
                  strstr(result.err, "dont_wait"),
              "stderr: %s", result.err);
    process_result_free(&result);
}

Test(mini_tasks, help_lists_the_modes)
{
    struct process_result result;
    run_program(&result, "mini_tasks", (const char *const[]){"--help", NULL}, 10);
    cr_assert_eq(result.exit_code, 0);
    cr_assert(strstr(result.out, "sequential") && strstr(result.out, "dont_wait") &&
              strstr(result.out, "--scale"));
    process_result_free(&result);
}

/* --- mini_results: the same arrivals, handled in two orders ---------------------- */

TestSuite(mini_results, .timeout = 30);

/* The numbers after `title` on its line, e.g. "2 4 5 1 3" -> "24513". */
static void read_order(const char *output, const char *title, char *order, size_t size)
{
    const char *line = strstr(output, title);
    cr_assert(line != NULL, "no '%s' line in: %s", title, output);
    order[0] = '\0';
    for (const char *at = line + strlen(title); *at != '\n' && *at != '\0'; at++)
        if (*at >= '0' && *at <= '9' && strlen(order) + 1 < size)
            strncat(order, at, 1);
}

static void assert_orders(const char *mode, const char *handling_order)
{
    struct process_result result;
    run_program(&result, "mini_results", (const char *const[]){mode, "--scale", "0.2", NULL}, 20);
    cr_assert_eq(result.exit_code, 0, "mini_results %s: %s", mode, result.err);
    char order[16];
    read_order(result.out, "arrival order:", order, sizeof order);
    cr_assert_str_eq(order, "24513", "shortest call first");
    read_order(result.out, "handling order:", order, sizeof order);
    cr_assert_str_eq(order, handling_order);
    process_result_free(&result);
}

Test(mini_results, await_handles_results_in_start_order)
{
    assert_orders("await", "12345");
}

Test(mini_results, callback_handles_results_as_they_arrive)
{
    assert_orders("callback", "24513");
}

Test(mini_results, refuses_bad_usage)
{
    const char *const bad[][4] = {
        {NULL}, {"later", NULL}, {"await", "callback", NULL}, {"await", "--scale", "-1", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_refuses("mini_results", bad[i]);
}

/* --- mini_client against the kit's server ----------------------------------------- */

TestSuite(mini_client, .timeout = 60);

/* Run mini_client --json --url URL extra...; returns its summary (NULL if none). */
static cJSON *run_mini_client(const char *url, const char *const extra[],
                              struct process_result *result)
{
    const char *args[16] = {"--json", "--url", url};
    size_t count = 3;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && count < 15; i++)
        args[count++] = extra[i];
    args[count] = NULL;
    run_program(result, "mini_client", args, 45);
    return cJSON_Parse(result->out);
}

static void assert_summary(const cJSON *summary, long requests, long ok)
{
    cr_assert(cJSON_IsObject(summary), "no JSON summary on stdout");
    const cJSON *client = cJSON_GetObjectItem(summary, "client");
    cr_assert(cJSON_IsString(client) && strcmp(client->valuestring, "mini") == 0);
    cr_assert_eq(json_number(summary, "requests"), requests);
    cr_assert_eq(json_number(summary, "ok"), ok);
    cr_assert_eq(json_number(summary, "failed"), requests - ok);
}

static long max_in_flight(const struct server_process *server)
{
    cJSON *stats = server_stats(server);
    long most = (long)json_number(stats, "max_in_flight");
    cJSON_Delete(stats);
    return most;
}

/* N calls against a server whose delay is long enough for all of them to overlap. */
static void assert_all_in_flight(const char *number, const char *delay_ms, long at_least,
                                 double most_seconds)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", delay_ms, NULL});
    char url[128];
    snprintf(url, sizeof url, "%s/say-hi", server.base_url);
    struct process_result result;
    cJSON *summary = run_mini_client(url, (const char *const[]){"--number", number, NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    long n = atol(number);
    assert_summary(summary, n, n);
    long most = max_in_flight(&server);
    cr_assert_geq(most, at_least, "%ld calls, but at most %ld in flight at once", n, most);
    cr_assert_lt(json_number(summary, "seconds"), most_seconds);
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

Test(mini_client, has_all_50_calls_in_flight_at_once)
{
    assert_all_in_flight("50", "400", 50, 5);
}

/* The yardstick: 1000 calls at 200 ms. The time limit here is loose (the
 * suite runs tests side by side on a shared machine); `make bench` shows the figure. */
Test(mini_client, has_1000_calls_in_flight_at_once)
{
    assert_all_in_flight("1000", "200", 950, 2);
}

Test(mini_client, concurrency_caps_the_calls_in_flight)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "50", "--threads", "32", NULL});
    char url[128];
    snprintf(url, sizeof url, "%s/say-hi", server.base_url);
    struct process_result result;
    cJSON *summary = run_mini_client(
        url, (const char *const[]){"--number", "24", "--concurrency", "4", NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    assert_summary(summary, 24, 24);
    cr_assert_eq(max_in_flight(&server), 4, "24 calls, 4 at a time, each 50 ms: exactly 4 overlap");
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

Test(mini_client, a_query_and_localhost_work)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "5000", NULL});
    char url[128];
    snprintf(url, sizeof url, "http://localhost:%d/say-hi?delay_ms=10", server.port);
    struct process_result result;
    cJSON *summary = run_mini_client(url, (const char *const[]){"--number", "3", NULL}, &result);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    assert_summary(summary, 3, 3);
    cr_assert_lt(json_number(summary, "seconds"), 4, "the ?delay_ms=10 did not reach the server");
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

Test(mini_client, a_dead_server_is_one_clear_line_and_exit_1)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/say-hi", closed_port());
    struct process_result result;
    cJSON *summary = run_mini_client(url, (const char *const[]){"--number", "300", NULL}, &result);
    cr_assert_eq(result.exit_code, 1);
    assert_summary(summary, 300, 0);
    const char *first = strstr(result.err, "cannot reach");
    cr_assert(first != NULL && strstr(first + 1, "cannot reach") == NULL, "say it once: %s",
              result.err);
    cr_assert(strstr(result.err, url) != NULL && strstr(result.err, "refused") != NULL, "%s",
              result.err);
    cJSON_Delete(summary);
    process_result_free(&result);
}

Test(mini_client, bad_usage_exits_2_and_names_the_problem)
{
    static const struct {
        const char *args[3];
        const char *named; /* what stderr must mention */
    } cases[] = {
        {{"--url", "https://127.0.0.1/say-hi"}, "http:// only"},
        {{"--url", "http://example.com/say-hi"}, "IPv4 address or localhost"},
        {{"--url", "http://[::1]:8080/say-hi"}, "IPv4 address or localhost"},
        {{"--url", "http:///say-hi"}, "no host"},
        {{"--url", "http://127.0.0.1:0/say-hi"}, "port"},
        {{"--url", "http://127.0.0.1:70000/"}, "port"},
        {{"--url", "http://127.0.0.1:80x/"}, "port"},
        {{"--url", "http://127.0.0.1:/"}, "port"},
        {{"--url", "http://127.0.0.1/say hi"}, "space"},
        {{"--url", "http://127.0.0.1/say-hi\r\nX-Evil: 1"}, "control"},
        {{"--rate", "5"}, "--rate"},
        {{"--concurrency", "-1"}, "--concurrency"},
        {{"--number", "0"}, "--number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct process_result result;
        run_program(&result, "mini_client", cases[i].args, 10);
        cr_assert_eq(result.exit_code, 2, "%s %s: exit %d", cases[i].args[0], cases[i].args[1],
                     result.exit_code);
        cr_assert(strstr(result.err, cases[i].named) != NULL, "%s %s: stderr does not say '%s': %s",
                  cases[i].args[0], cases[i].args[1], cases[i].named, result.err);
        process_result_free(&result);
    }
}

Test(mini_client, help_documents_concurrency_but_not_rate)
{
    struct process_result result;
    run_program(&result, "mini_client", (const char *const[]){"--help", NULL}, 10);
    cr_assert_eq(result.exit_code, 0);
    cr_assert(strstr(result.out, "--concurrency") && !strstr(result.out, "--rate") &&
              strstr(result.out, "Exit"));
    process_result_free(&result);
}

/* --- mini_client against a misbehaving peer --------------------------------------- */

/*
 * Three calls to a peer that answers with `reply` in the given manner: each call
 * must count as a failure (or a success, if `expect_ok`), stderr must give the
 * reason, and the program must end well before its time limit.
 */
static void assert_against_peer(enum peer_manner manner, const char *reply, size_t reply_length,
                                const char *reason, bool expect_ok)
{
    struct bad_peer peer;
    bad_peer_start(&peer, manner, reply, reply_length);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/say-hi", peer.port);
    struct process_result result;
    cJSON *summary = run_mini_client(
        url, (const char *const[]){"--number", "3", "--timeout-ms", "3000", NULL}, &result);
    cr_assert_eq(result.exit_code, expect_ok ? 0 : 1, "exit %d, stderr: %s", result.exit_code,
                 result.err);
    assert_summary(summary, 3, expect_ok ? 3 : 0);
    if (reason != NULL)
        cr_assert(strstr(result.err, reason) != NULL, "stderr should say '%s': %s", reason,
                  result.err);
    cr_assert_lt(json_number(summary, "seconds"), 2.5, "it waited for the timeout");
    cJSON_Delete(summary);
    process_result_free(&result);
    bad_peer_stop(&peer);
}

Test(mini_client, a_peer_that_hangs_up_at_once)
{
    assert_against_peer(SEND_THEN_CLOSE, REPLY(""), "closed the connection without replying",
                        false);
}

Test(mini_client, a_peer_that_sends_garbage)
{
    assert_against_peer(SEND_THEN_CLOSE, REPLY("garbage\r\n\r\n"), "not HTTP", false);
}

Test(mini_client, a_peer_that_stops_inside_the_headers)
{
    assert_against_peer(SEND_THEN_CLOSE, REPLY("HTTP/1.1 200 OK\r\nContent-Le"),
                        "inside its headers", false);
}

Test(mini_client, a_peer_that_cuts_the_body_short)
{
    assert_against_peer(SEND_THEN_CLOSE,
                        REPLY("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"cut\": "),
                        "cut short: 8 of 100", false);
}

Test(mini_client, a_peer_that_answers_with_no_json)
{
    assert_against_peer(SEND_THEN_CLOSE, REPLY("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
                        "JSON", false);
}

Test(mini_client, a_peer_that_answers_an_error_status)
{
    assert_against_peer(SEND_THEN_CLOSE, REPLY("HTTP/1.1 503 Busy\r\nContent-Length: 2\r\n\r\n{}"),
                        "HTTP 503", false);
}

Test(mini_client, a_peer_that_sends_a_chunked_reply)
{
    assert_against_peer(
        SEND_THEN_CLOSE,
        REPLY("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"),
        "chunked", false);
}

Test(mini_client, a_peer_that_resets_the_connection)
{
    assert_against_peer(SEND_THEN_RESET, REPLY(""), "reset", false);
}

/* A whole reply with Content-Length is complete without waiting for the close. */
Test(mini_client, a_complete_reply_needs_no_close)
{
    assert_against_peer(SEND_THEN_HOLD,
                        REPLY("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{\"hi\": true}\n"),
                        NULL, true);
}

/* No Content-Length: the body ends when the server closes. */
Test(mini_client, a_reply_without_length_ends_at_the_close)
{
    assert_against_peer(SEND_THEN_CLOSE, REPLY("HTTP/1.0 200 OK\r\n\r\n{\"hi\": true}"), NULL,
                        true);
}

Test(mini_client, a_peer_that_sends_too_much)
{
    size_t length = 3 << 20;
    char *huge = malloc(length);
    cr_assert(huge != NULL);
    int header = snprintf(huge, length, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", length);
    memset(huge + header, 'x', length - (size_t)header);
    assert_against_peer(SEND_THEN_CLOSE, huge, length, "longer than", false);
    free(huge);
}

/* A peer that never answers: --timeout-ms ends each call, and says where it was. */
Test(mini_client, a_peer_that_never_answers_times_out)
{
    struct bad_peer peer;
    bad_peer_start(&peer, SEND_THEN_HOLD, REPLY(""));
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/say-hi", peer.port);
    struct process_result result;
    cJSON *summary = run_mini_client(
        url, (const char *const[]){"--number", "3", "--timeout-ms", "300", NULL}, &result);
    cr_assert_eq(result.exit_code, 1, "stderr: %s", result.err);
    assert_summary(summary, 3, 0);
    cr_assert(strstr(result.err, "no reply within 300 ms (still waiting for the reply)") != NULL,
              "%s", result.err);
    double seconds = json_number(summary, "seconds");
    cr_assert(seconds >= 0.3 && seconds < 3, "took %.3f s for a 300 ms timeout", seconds);
    cJSON_Delete(summary);
    process_result_free(&result);
    bad_peer_stop(&peer);
}
