/*
 * test_firecrest_faults.c - the FirecREST clients against a server that misbehaves:
 * 429 for ever, a Retry-After of years, a task stuck at "100", tokens that live two
 * seconds, calls never answered. Each client must end, with exit 1 and a message
 * that says why, within its --deadline. And the server's /stats/reset.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "bad_peer.h"
#include "support.h"

TestSuite(firecrest_faults, .timeout = 90);

static const char *const clients[] = {"firecrest_sync", "firecrest_async"};

/* An HTTP reply with a JSON body, as a misbehaving peer sends it (static storage). */
static const char *reply(char *buffer, size_t size, const char *status, const char *headers,
                         const char *json)
{
    snprintf(buffer, size,
             "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s"
             "Connection: close\r\n\r\n%s",
             status, strlen(json), headers, json);
    return buffer;
}

static char token_reply[512], short_token_reply[512], too_many[512], wait_for_years[512];
static char submitted[512], stuck_task[512];

#define REPLY_INTO(buffer, status, headers, json)                                                  \
    reply(buffer, sizeof buffer, status, headers, json)

static void make_replies(void)
{
    REPLY_INTO(token_reply, "200 OK", "", "{\"access_token\": \"t\", \"expires_in\": 300}");
    REPLY_INTO(short_token_reply, "200 OK", "", "{\"access_token\": \"t\", \"expires_in\": 2}");
    REPLY_INTO(too_many, "429 Too Many Requests", "Retry-After: 1\r\n",
               "{\"description\": \"slow down\"}");
    REPLY_INTO(wait_for_years, "429 Too Many Requests", "Retry-After: 999999999\r\n",
               "{\"description\": \"no\"}");
    REPLY_INTO(submitted, "201 Created", "",
               "{\"success\": \"Task created\", \"task_id\": \"t1\"}");
    REPLY_INTO(stuck_task, "200 OK", "",
               "{\"tasks\": {\"t1\": {\"status\": \"100\", \"data\": \"queued\"}}}");
}

/* The run ended by itself (not killed), with exit 1 and `words` on stderr. */
static void assert_ended_saying(const struct process_result *result, const char *client,
                                const char *words)
{
    cr_assert_eq(result->exit_code, 1, "%s: exit %d, stderr: %s", client, result->exit_code,
                 result->err);
    cr_assert(strstr(result->err, words) != NULL, "%s: no '%s' in: %s", client, words, result->err);
}

/* Run `client` for one job against the peer, with `extra` options. */
static void run_against(struct process_result *result, const char *client,
                        const struct bad_peer *peer, const char *const extra[])
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", peer->port);
    const char *args[24] = {"--url", url, "--jobs", "1", "--poll-ms", "100"};
    size_t count = 6;
    for (size_t i = 0; extra[i] != NULL && count < 23; i++)
        args[count++] = extra[i];
    args[count] = NULL;
    run_program(result, client, args, 30); /* killed after 30 s: then the exit is not 1 */
}

Test(firecrest_faults, a_429_for_ever_is_retried_max_retries_times)
{
    make_replies();
    for (size_t c = 0; c < 2; c++) {
        struct peer_route routes[] = {{"/auth/token", token_reply, 0}, {"/compute", too_many, 0}};
        struct bad_peer peer;
        bad_peer_start_routed(&peer, routes, 2);
        struct process_result result;
        run_against(&result, clients[c], &peer, (const char *const[]){"--max-retries", "2", NULL});
        bad_peer_stop(&peer);
        assert_ended_saying(&result, clients[c],
                            "answered 429 (too many requests) 3 times in a row");
        cr_assert_eq(routes[1].hits, 3, "%s: one call and 2 retries, not %d", clients[c],
                     routes[1].hits);
        process_result_free(&result);
    }
}

Test(firecrest_faults, a_retry_after_of_years_is_not_waited_for)
{
    make_replies();
    for (size_t c = 0; c < 2; c++) {
        struct peer_route routes[] = {{"/auth/token", token_reply, 0},
                                      {"/compute", wait_for_years, 0}};
        struct bad_peer peer;
        bad_peer_start_routed(&peer, routes, 2);
        struct process_result result;
        run_against(&result, clients[c], &peer, (const char *const[]){NULL});
        bad_peer_stop(&peer);
        assert_ended_saying(&result, clients[c], "asks to wait 999999999 s (Retry-After)");
        cr_assert_eq(routes[1].hits, 1);
        process_result_free(&result);
    }
}

Test(firecrest_faults, a_task_stuck_at_100_ends_at_the_deadline)
{
    make_replies();
    for (size_t c = 0; c < 2; c++) {
        struct peer_route routes[] = {
            {"/auth/token", token_reply, 0}, {"/compute", submitted, 0}, {"/tasks", stuck_task, 0}};
        struct bad_peer peer;
        bad_peer_start_routed(&peer, routes, 3);
        struct process_result result;
        run_against(&result, clients[c], &peer, (const char *const[]){"--deadline", "2", NULL});
        bad_peer_stop(&peer);
        assert_ended_saying(&result, clients[c], "--deadline of 2 s passed");
        assert_ended_saying(&result, clients[c], "t1 still at status 100");
        cr_assert_geq(routes[2].hits, 2, "%s: the task was polled", clients[c]);
        process_result_free(&result);
    }
}

/* Tokens of 2 s: each is still used for a second, not renewed before every call
 * (firecrest_async once asked for 309 tokens in 0.2 s). */
Test(firecrest_faults, a_short_token_lifetime_is_no_token_storm)
{
    make_replies();
    for (size_t c = 0; c < 2; c++) {
        struct peer_route routes[] = {{"/auth/token", short_token_reply, 0},
                                      {"/compute", submitted, 0},
                                      {"/tasks", stuck_task, 0}};
        struct bad_peer peer;
        bad_peer_start_routed(&peer, routes, 3);
        struct process_result result;
        run_against(&result, clients[c], &peer, (const char *const[]){"--deadline", "3", NULL});
        bad_peer_stop(&peer);
        assert_ended_saying(&result, clients[c], "--deadline of 3 s passed");
        cr_assert_geq(routes[0].hits, 2, "%s: a 2 s token is renewed in a 3 s run", clients[c]);
        cr_assert_leq(routes[0].hits, 5, "%s: %d tokens in 3 s", clients[c], routes[0].hits);
        cr_assert_geq(routes[2].hits, 5, "%s: the run went on between the tokens", clients[c]);
        process_result_free(&result);
    }
}

Test(firecrest_faults, a_call_never_answered_times_out)
{
    make_replies();
    for (size_t c = 0; c < 2; c++) {
        struct peer_route routes[] = {{"/auth/token", token_reply, 0}, {"/compute", NULL, 0}};
        struct bad_peer peer;
        bad_peer_start_routed(&peer, routes, 2);
        struct process_result result;
        run_against(&result, clients[c], &peer, (const char *const[]){"--timeout-ms", "300", NULL});
        bad_peer_stop(&peer);
        assert_ended_saying(&result, clients[c], "no answer within 300 ms");
        process_result_free(&result);
    }
}

/* The client secret goes to the token URL: never to anything but HTTP. */
Test(firecrest_faults, a_token_url_that_is_not_http_is_refused)
{
    const char *const urls[] = {"file:///etc/passwd", "ftp://127.0.0.1/token"};
    for (size_t c = 0; c < 2; c++) {
        for (size_t u = 0; u < 2; u++) {
            struct process_result result;
            run_program(&result, clients[c], (const char *const[]){"--token-url", urls[u], NULL},
                        10);
            cr_assert_eq(result.exit_code, 2, "%s --token-url %s: exit %d", clients[c], urls[u],
                         result.exit_code);
            cr_assert(strstr(result.err, "not an http:// or https:// URL") != NULL, "%s",
                      result.err);
            process_result_free(&result);
        }
    }
}

/* A teacher compares two clients by resetting between them: every counter restarts. */
Test(firecrest_faults, stats_reset_zeroes_the_firecrest_counters)
{
    struct server_process server;
    server_start(&server,
                 (const char *const[]){"--job-ms", "100", "--rate-limit", "tasks=1", NULL});
    struct process_result result;
    run_program(
        &result, "firecrest_sync",
        (const char *const[]){"--url", server.base_url, "--jobs", "1", "--poll-ms", "100", NULL},
        30);
    cr_assert_eq(result.exit_code, 0, "stderr: %s", result.err);
    process_result_free(&result);
    cJSON *stats = server_stats(&server);
    const cJSON *firecrest = cJSON_GetObjectItem(stats, "firecrest");
    cr_assert_gt(json_number(cJSON_GetObjectItem(firecrest, "requests"), "compute"), 0);
    cr_assert_gt(json_number(firecrest, "rate_limited"), 0, "tasks=1 meant to trip the limit");
    cJSON_Delete(stats);

    char url[128];
    snprintf(url, sizeof url, "%s/stats/reset", server.base_url);
    long status;
    free(http_request("POST", url, &status));
    cr_assert_eq(status, 200);
    stats = server_stats(&server);
    firecrest = cJSON_GetObjectItem(stats, "firecrest");
    const cJSON *count;
    cJSON_ArrayForEach(count, cJSON_GetObjectItem(firecrest, "requests"))
        cr_assert_eq(count->valuedouble, 0, "firecrest.requests.%s after the reset", count->string);
    cr_assert_eq(json_number(firecrest, "rate_limited"), 0);
    cJSON_Delete(stats);
    server_stop(&server);
}
