/*
 * test_firecrest_faults.c - the FirecREST clients against a server that misbehaves:
 * 429 for ever, a Retry-After of years, a task stuck at "100", tokens that live two
 * seconds, calls never answered. Each client must end, with exit 1 and a message
 * that says why, within its --deadline. And the server's /stats/reset.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "support.h"

TestSuite(firecrest_faults, .timeout = 90);

/* A teacher compares two clients by resetting between them: every counter restarts. */
Test(firecrest_faults, stats_reset_zeroes_the_firecrest_counters)
{
    struct server_process server;
    server_start(&server, (const char *const[]){"--job-ms", "100", "--rate-limit", "tasks=1", NULL});
    struct process_result result;
    run_program(&result, "firecrest_sync", (const char *const[]){"--url", server.base_url, "--jobs", "1",
                                                                 "--poll-ms", "100", NULL}, 30);
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
