/*
 * test_firecrest_api.c - reading FirecREST's replies and the FirecREST clients'
 * command line (common/firecrest_api.c).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "firecrest_api.h"

Test(firecrest_api, the_service_is_the_first_path_segment)
{
    cr_assert_eq(api_service_of("/compute/jobs?jobs=1"), API_COMPUTE);
    cr_assert_eq(api_service_of("/tasks?tasks=a,b"), API_TASKS);
    cr_assert_eq(api_service_of("/tasks/abc"), API_TASKS);
    cr_assert_eq(api_service_of("/utilities/view?targetPath=/x"), API_UTILITIES);
    cr_assert_eq(api_service_of("/status/systems"), API_STATUS);
    cr_assert_eq(api_service_of("/computer"), API_AUTH, "a prefix is not a service");
}

Test(firecrest_api, a_task_is_read_from_either_reply_shape)
{
    char status[8], error[128];
    cJSON *data = NULL;
    cr_assert(firecrest_read_task("{\"tasks\": {\"t1\": {\"status\": \"101\", \"data\": \"\"}}}",
                                  "t1", status, &data, error, sizeof error));
    cr_assert_str_eq(status, "101");
    cJSON_Delete(data);
    cr_assert(firecrest_read_task("{\"task\": {\"status\": \"200\", \"data\": {\"jobid\": \"7\"}}}",
                                  "t1", status, &data, error, sizeof error));
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(data, "jobid")), "7");
    cJSON_Delete(data);
    cr_assert_not(firecrest_read_task("{\"tasks\": {}}", "t1", status, &data, error, sizeof error));
    cr_assert_not(firecrest_read_task("{\"tasks\": {\"t1\": {\"status\": 200}}}", "t1", status,
                                      &data, error, sizeof error),
                  "a numeric status is not FirecREST's");
    cr_assert_not(firecrest_read_task("not json", "t1", status, &data, error, sizeof error));
}

Test(firecrest_api, job_states_are_found_by_id)
{
    cJSON *queue = cJSON_Parse("{\"0\": {\"jobid\": \"12\", \"state\": \"RUNNING\"},"
                               " \"1\": {\"jobid\": \"123\", \"state\": \"PENDING\"}}");
    cr_assert_str_eq(firecrest_active_state(queue, "123"), "PENDING");
    cr_assert_str_eq(firecrest_active_state(queue, "12"), "RUNNING");
    cr_assert_null(firecrest_active_state(queue, "1"));
    cJSON_Delete(queue);
    cJSON *accounting = cJSON_Parse("[{\"jobid\": \"5\", \"state\": \"COMPLETED\"}]");
    cr_assert_str_eq(firecrest_final_state(accounting, "5"), "COMPLETED");
    cr_assert_null(firecrest_final_state(accounting, "6"));
    cJSON_Delete(accounting);
    cr_assert_null(firecrest_active_state(NULL, "5"), "no data: not active, no crash");
}

Test(firecrest_api, tokens_and_task_ids)
{
    char token[64], id[64], error[128];
    long expires;
    cr_assert(firecrest_read_token("{\"access_token\": \"abc\", \"expires_in\": 300}", token,
                                   sizeof token, &expires, error, sizeof error));
    cr_assert_str_eq(token, "abc");
    cr_assert_eq(expires, 300);
    cr_assert_not(firecrest_read_token("{\"error\": \"no\"}", token, sizeof token, &expires, error,
                                       sizeof error));
    cr_assert(firecrest_read_task_id("{\"task_id\": \"f00\"}", id, sizeof id, error, sizeof error));
    cr_assert_str_eq(id, "f00");
    cr_assert_not(firecrest_read_task_id("{}", id, sizeof id, error, sizeof error));
}

static enum parse_outcome parse(bool async, struct firecrest_options *options,
                                const char *const words[])
{
    char *argv[16] = {"client"};
    int argc = 1;
    for (; words[argc - 1] != NULL; argc++)
        argv[argc] = (char *)words[argc - 1];
    char error[256];
    return firecrest_options_parse(options, async, argc, argv, error, sizeof error);
}

Test(firecrest_api, options_defaults_environment_and_refusals)
{
    struct firecrest_options options;
    setenv("FIRECREST_URL", "http://127.0.0.1:9999", 1);
    unsetenv("AUTH_TOKEN_URL");
    cr_assert_eq(parse(false, &options, (const char *const[]){NULL}), PARSE_RUN);
    cr_assert_str_eq(options.url, "http://127.0.0.1:9999");
    cr_assert_str_eq(options.token_url, "http://127.0.0.1:9999/auth/token");
    cr_assert_eq(options.jobs, 5);
    cr_assert_str_eq(options.system, "cluster");
    unsetenv("FIRECREST_URL");
    cr_assert_eq(parse(true, &options,
                       (const char *const[]){"--spacing", "compute=1.5", "--no-merge", "--jobs",
                                             "50", NULL}),
                 PARSE_RUN);
    cr_assert_float_eq(options.spacing_s[API_COMPUTE], 1.5, 1e-9);
    cr_assert(!options.merge);
    cr_assert_eq(options.jobs, 50);
    cr_assert_eq(parse(true, &options, (const char *const[]){"--rate", "tasks=0.5", NULL}),
                 PARSE_RUN, "the old name");
    cr_assert_float_eq(options.spacing_s[API_TASKS], 0.5, 1e-9);
    cr_assert_eq(parse(false, &options, (const char *const[]){"--spacing", "compute=1", NULL}),
                 PARSE_BAD_USAGE);
    cr_assert_eq(parse(true, &options, (const char *const[]){"--spacing", "cooking=1", NULL}),
                 PARSE_BAD_USAGE);
    cr_assert_eq(parse(true, &options, (const char *const[]){"--jobs", "0", NULL}),
                 PARSE_BAD_USAGE);
    cr_assert_eq(parse(true, &options, (const char *const[]){"--url", "ftp://x", NULL}),
                 PARSE_BAD_USAGE);
}

/* The token endpoint gets the client secret: only ever over HTTP, wherever its URL comes from. */
Test(firecrest_api, only_http_urls_are_accepted)
{
    struct firecrest_options options;
    unsetenv("FIRECREST_URL");
    const char *const refused[] = {
        "file:///etc/passwd", "ftp://127.0.0.1/token", "gopher://x", "http://", "", "/auth"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        setenv("AUTH_TOKEN_URL", "http://127.0.0.1:1/auth/token", 1);
        cr_assert_eq(parse(false, &options, (const char *const[]){"--token-url", refused[i], NULL}),
                     PARSE_BAD_USAGE, "--token-url %s", refused[i]);
        setenv("AUTH_TOKEN_URL", refused[i], 1);
        cr_assert_eq(parse(true, &options, (const char *const[]){NULL}), PARSE_BAD_USAGE,
                     "AUTH_TOKEN_URL=%s", refused[i]);
        cr_assert_eq(parse(true, &options, (const char *const[]){"--url", refused[i], NULL}),
                     PARSE_BAD_USAGE);
    }
    setenv("FIRECREST_URL", "file:///tmp", 1);
    unsetenv("AUTH_TOKEN_URL");
    cr_assert_eq(parse(true, &options, (const char *const[]){NULL}), PARSE_BAD_USAGE,
                 "FIRECREST_URL=file:///tmp");
    unsetenv("FIRECREST_URL");
    cr_assert_eq(parse(true, &options,
                       (const char *const[]){"--token-url", "HTTPS://sso.example/token", NULL}),
                 PARSE_RUN);
}

/* Renewed 10 s before expiry, but never at once: a token of 10 s or less is used 1 s. */
Test(firecrest_api, a_short_token_is_still_used_a_while)
{
    cr_assert_float_eq(firecrest_token_renew_after_s(300), 290, 1e-9);
    cr_assert_float_eq(firecrest_token_renew_after_s(11), 1, 1e-9);
    cr_assert_float_eq(firecrest_token_renew_after_s(5), 1, 1e-9);
    cr_assert_float_eq(firecrest_token_renew_after_s(1), 0.5, 1e-9);
}
