/*
 * test_trace.c - what the clients record of each call (--trace FILE, --timeline)
 * and what they say when Ctrl-C stops them.
 *
 * The trace must show the lesson: a blocking client's calls one after the other
 * (each starts after the previous one ended), an event-loop client's all at once
 * (every call starts before the first one ends). Orders are asserted, never times.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

TestSuite(trace, .timeout = 60);

static void trace_path(char *path, size_t size, const char *name)
{
    snprintf(path, size, "/tmp/evloop-trace-%d-%s.csv", (int)getpid(), name);
}

static void run_traced(const struct server_process *server, const char *program, const char *number,
                       const char *path)
{
    char url[128];
    snprintf(url, sizeof url, "%s/say-hi", server->base_url);
    struct process_result result;
    run_program(
        &result, program,
        (const char *const[]){"--json", "--url", url, "--number", number, "--trace", path, NULL},
        20);
    cr_assert_eq(result.exit_code, 0, "%s: stderr: %s", program, result.err);
    process_result_free(&result);
}

Test(trace, the_sync_clients_calls_stand_one_after_another)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "30", NULL});
    char path[128];
    trace_path(path, sizeof path, "sync");
    run_traced(&server, "client_sync", "5", path);
    long rows;
    struct traced_call *calls = read_trace(path, false, &rows);
    cr_assert_eq(rows, 5);
    for (long i = 0; i < rows; i++) {
        cr_assert_eq(calls[i].call, i + 1);
        cr_assert_eq(calls[i].status, 200);
        cr_assert_str_eq(calls[i].result, "ok");
        cr_assert_geq(calls[i].end_ms, calls[i].start_ms);
        if (i > 0)
            cr_assert_geq(calls[i].start_ms, calls[i - 1].end_ms,
                          "call %ld started before call %ld ended", i + 1, i);
    }
    free(calls);
    unlink(path);
    server_stop(&server);
}

/* Every call starts before the first reply comes back: they all wait at once. */
static void assert_calls_stack_up(const char *program)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "300", NULL});
    char path[128];
    trace_path(path, sizeof path, program);
    run_traced(&server, program, "30", path);
    long rows;
    struct traced_call *calls = read_trace(path, false, &rows);
    cr_assert_eq(rows, 30);
    double first_end = calls[0].end_ms, last_start = 0;
    for (long i = 0; i < rows; i++) {
        cr_assert_str_eq(calls[i].result, "ok");
        if (calls[i].end_ms < first_end)
            first_end = calls[i].end_ms;
        if (calls[i].start_ms > last_start)
            last_start = calls[i].start_ms;
    }
    cr_assert_lt(last_start, first_end, "%s: a call started only after another had ended", program);
    free(calls);
    unlink(path);
    server_stop(&server);
}

Test(trace, the_async_clients_calls_all_wait_at_once)
{
    assert_calls_stack_up("client_async");
}

Test(trace, the_mini_clients_calls_all_wait_at_once)
{
    assert_calls_stack_up("mini_client");
}

Test(trace, the_timeline_draws_one_bar_per_call)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "20", NULL});
    char url[128];
    snprintf(url, sizeof url, "%s/say-hi", server.base_url);
    const char *const programs[] = {"client_sync", "client_async", "mini_client"};
    for (size_t p = 0; p < 3; p++) {
        struct process_result result;
        run_program(&result, programs[p],
                    (const char *const[]){"--url", url, "--number", "3", "--timeline", NULL}, 20);
        cr_assert_eq(result.exit_code, 0, "%s: %s", programs[p], result.err);
        const char *timeline = strstr(result.out, "timeline: 3 calls");
        cr_assert(timeline != NULL, "%s printed no timeline: %s", programs[p], result.out);
        for (int call = 1; call <= 3; call++) {
            char row[32];
            snprintf(row, sizeof row, "call %5d |", call);
            const char *bar = strstr(timeline, row);
            cr_assert(bar != NULL && strchr(bar, '#') != NULL &&
                          strchr(bar, '#') < strchr(bar, '\n'),
                      "%s: no bar for call %d: %s", programs[p], call, timeline);
        }
        process_result_free(&result);
    }
    server_stop(&server);
}

Test(trace, a_trace_that_cannot_be_written_is_said_and_exit_1)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "0", NULL});
    char url[128];
    snprintf(url, sizeof url, "%s/say-hi", server.base_url);
    struct process_result result;
    run_program(&result, "client_async",
                (const char *const[]){"--url", url, "--number", "2", "--trace",
                                      "/nonexistent-folder/trace.csv", NULL},
                20);
    cr_assert_eq(result.exit_code, 1);
    cr_assert(strstr(result.err, "/nonexistent-folder/trace.csv") != NULL, "%s", result.err);
    process_result_free(&result);
    server_stop(&server);
}

/* --- Ctrl-C: a partial summary, exit 130 ---------------------------------------- */

struct interrupt_condition {
    const struct server_process *server;
    const char *field;
    long at_least;
};

static bool server_count_reached(void *condition_ptr)
{
    struct interrupt_condition *condition = condition_ptr;
    cJSON *stats = server_stats(condition->server);
    bool reached = json_number(stats, condition->field) >= condition->at_least;
    cJSON_Delete(stats);
    return reached;
}

static void assert_ctrl_c_gives_a_partial_summary(const char *program, const char *field,
                                                  long at_least, long number)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--delay-ms", "1000", NULL});
    char url[128], count[16], path[128];
    snprintf(url, sizeof url, "%s/say-hi", server.base_url);
    snprintf(count, sizeof count, "%ld", number);
    trace_path(path, sizeof path, program);
    struct interrupt_condition condition = {&server, field, at_least};
    struct process_result result;
    run_program_interrupted(
        &result, program,
        (const char *const[]){"--json", "--url", url, "--number", count, "--trace", path, NULL}, 30,
        server_count_reached, &condition);
    cr_assert_eq(result.exit_code, 130, "%s: exit %d, stderr: %s", program, result.exit_code,
                 result.err);
    cJSON *summary = cJSON_Parse(result.out);
    cr_assert(cJSON_IsObject(summary), "%s: no summary after Ctrl-C: %s", program, result.out);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(summary, "interrupted")), "%s", result.out);
    cr_assert_eq(json_number(summary, "requests"), number);
    cr_assert_lt(json_number(summary, "ok"), number, "%s: it did not stop", program);
    long rows;
    struct traced_call *calls = read_trace(path, false, &rows);
    cr_assert_geq(rows, 1, "%s: the trace is written after Ctrl-C too", program);
    cr_assert_str_eq(calls[rows - 1].result, "never ended");
    free(calls);
    unlink(path);
    cJSON_Delete(summary);
    process_result_free(&result);
    server_stop(&server);
}

Test(trace, ctrl_c_stops_the_sync_client_with_a_partial_summary)
{
    assert_ctrl_c_gives_a_partial_summary("client_sync", "served", 1, 40);
}

Test(trace, ctrl_c_stops_the_async_client_with_a_partial_summary)
{
    assert_ctrl_c_gives_a_partial_summary("client_async", "in_flight", 50, 50);
}

Test(trace, ctrl_c_stops_the_mini_client_with_a_partial_summary)
{
    assert_ctrl_c_gives_a_partial_summary("mini_client", "in_flight", 50, 50);
}
