/*
 * test_firecrest.c - the fake FirecREST v1 API (server/firecrest*.c): tokens,
 * the checks every call goes through, /status, /utilities, and the sandbox that
 * must never let a client reach the host's files.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firecrest_support.h"
#include "support.h"

TestSuite(firecrest, .init = firecrest_server_start, .fini = firecrest_server_stop, .timeout = 30);

/* --- tokens and the checks every call goes through ------------------------------ */

Test(firecrest, the_token_is_a_jwt_naming_the_user)
{
    cr_assert_eq(strchr(strchr(token, '.') + 1, '.') != NULL, true, "three dot-separated parts");
    /* The client decodes the payload without checking it, to learn the user. */
    char *payload = strchr(token, '.') + 1;
    cr_assert(strncmp(payload, "eyJ", 3) == 0, "the payload is base64url JSON");
}

Test(firecrest, bad_credentials_get_no_token)
{
    char none[64];
    long status;
    fetch_token("grant_type=client_credentials&client_id=kit-client&client_secret=wrong", none,
                sizeof none, &status);
    cr_assert_eq(status, 401);
    cr_assert_str_eq(none, "");
    fetch_token("grant_type=password&client_id=kit-client&client_secret=kit-secret", none,
                sizeof none, &status);
    cr_assert_eq(status, 400);
}

Test(firecrest, calls_without_a_valid_token_are_401)
{
    struct reply reply;
    call_api(&reply, "GET", "/status/systems", NULL, NULL, NULL);
    cr_assert_eq(reply.status, 401);
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(reply.json, "message")));
    reply_free(&reply);

    /* The right shape, the wrong signature: a forged token. */
    char forged[2048];
    snprintf(forged, sizeof forged, "%s", token);
    char *signature = strrchr(forged, '.') + 1;
    signature[0] = signature[0] == 'A' ? 'B' : 'A';
    call_api(&reply, "GET", "/status/systems", NULL, NULL, forged);
    cr_assert_eq(reply.status, 401);
    reply_free(&reply);
    call_api(&reply, "GET", "/utilities/whoami", "cluster", NULL, "not-a-jwt");
    cr_assert_eq(reply.status, 401);
    reply_free(&reply);
}

Test(firecrest, an_unknown_system_is_400_with_its_header)
{
    struct reply reply;
    call_api(&reply, "GET", "/utilities/whoami", "mars", NULL, token);
    cr_assert_eq(reply.status, 400);
    cr_assert(has_header(&reply, "X-Machine-Does-Not-Exist"));
    reply_free(&reply);
    call_api(&reply, "GET", "/utilities/whoami", NULL, NULL, token);
    cr_assert_eq(reply.status, 400);
    cr_assert(has_header(&reply, "X-Machine-Does-Not-Exist"));
    reply_free(&reply);
}

Test(firecrest, whoami_names_the_tokens_user)
{
    struct reply reply;
    get(&reply, "/utilities/whoami");
    cr_assert_eq(reply.status, 200);
    cr_assert_str_eq(cJSON_GetObjectItem(reply.json, "output")->valuestring, "test_user");
    reply_free(&reply);
}

/* --- /status ---------------------------------------------------------------------- */

Test(firecrest, status_lists_the_systems_and_services)
{
    struct reply reply;
    call_api(&reply, "GET", "/status/systems", NULL, NULL, token);
    cr_assert_eq(reply.status, 200);
    const cJSON *systems = cJSON_GetObjectItem(reply.json, "out");
    cr_assert_eq(cJSON_GetArraySize(systems), 2);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(systems, 0), "system")->valuestring,
                     "cluster");
    reply_free(&reply);

    call_api(&reply, "GET", "/status/systems/daint", NULL, NULL, token);
    cr_assert_eq(reply.status, 200);
    reply_free(&reply);
    call_api(&reply, "GET", "/status/systems/mars", NULL, NULL, token);
    cr_assert_eq(reply.status, 400);
    reply_free(&reply);
    call_api(&reply, "GET", "/status/services/compute", NULL, NULL, token);
    cr_assert_eq(reply.status, 200);
    reply_free(&reply);
}

Test(firecrest, parameters_give_a_parsable_version)
{
    struct reply reply;
    call_api(&reply, "GET", "/status/parameters", NULL, NULL, token);
    cr_assert_eq(reply.status, 200);
    cr_assert(strstr(reply.body, "\"FIRECREST_VERSION\",\"value\":\"1.16.1\"") != NULL, "%s",
              reply.body);
    cr_assert(strstr(reply.body, "UTILITIES_MAX_FILE_SIZE") != NULL);
    reply_free(&reply);
}

/* --- /utilities ------------------------------------------------------------------ */

/* A file planted straight into the sandbox, as the cluster would have it. */
static void plant(const char *relative, const char *content)
{
    char path[512];
    snprintf(path, sizeof path, "%s/cluster/home/test_user/%s", sandbox_root, relative);
    FILE *file = fopen(path, "w");
    cr_assert(file != NULL, "cannot plant %s", path);
    fputs(content, file);
    fclose(file);
}

static const char *output_string(const struct reply *reply)
{
    const cJSON *output = cJSON_GetObjectItem(reply->json, "output");
    cr_assert(cJSON_IsString(output), "no string output in %s", reply->body);
    return output->valuestring;
}

Test(firecrest, mkdir_ls_view_checksum_rm_round_trip)
{
    struct reply reply;
    call_api(&reply, "POST", "/utilities/mkdir", "cluster",
             "targetPath=/home/test_user/run/one&p=true", token);
    cr_assert_eq(reply.status, 201, "%s", reply.body);
    reply_free(&reply);
    plant("run/one/hello.txt", "hello\n");

    get(&reply, "/utilities/ls?targetPath=/home/test_user/run&recursive=true");
    cr_assert_eq(reply.status, 200);
    const cJSON *entries = cJSON_GetObjectItem(reply.json, "output");
    cr_assert_eq(cJSON_GetArraySize(entries), 2, "%s", reply.body);
    const cJSON *file = cJSON_GetArrayItem(entries, 1);
    cr_assert_str_eq(cJSON_GetObjectItem(file, "name")->valuestring, "one/hello.txt");
    cr_assert_str_eq(cJSON_GetObjectItem(file, "type")->valuestring, "-");
    cr_assert_str_eq(cJSON_GetObjectItem(file, "size")->valuestring, "6", "size is a string");
    reply_free(&reply);

    get(&reply, "/utilities/view?targetPath=/home/test_user/run/one/hello.txt");
    cr_assert_str_eq(output_string(&reply), "hello\n");
    reply_free(&reply);
    get(&reply, "/utilities/checksum?targetPath=/home/test_user/run/one/hello.txt");
    cr_assert_str_eq(output_string(&reply),
                     "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    reply_free(&reply);

    call_api(&reply, "DELETE", "/utilities/rm", "cluster", "targetPath=/home/test_user/run", token);
    cr_assert_eq(reply.status, 204);
    reply_free(&reply);
    char gone[512];
    snprintf(gone, sizeof gone, "%s/cluster/home/test_user/run", sandbox_root);
    cr_assert_neq(access(gone, F_OK), 0, "rm left the directory behind");
}

Test(firecrest, head_tail_rename_copy_stat_and_download)
{
    plant("lines.txt", "1\n2\n3\n4\n");
    struct reply reply;
    get(&reply, "/utilities/head?targetPath=/home/test_user/lines.txt&lines=2");
    cr_assert_str_eq(output_string(&reply), "1\n2\n");
    reply_free(&reply);
    get(&reply, "/utilities/tail?targetPath=/home/test_user/lines.txt&lines=2");
    cr_assert_str_eq(output_string(&reply), "3\n4\n");
    reply_free(&reply);
    get(&reply, "/utilities/head?targetPath=/home/test_user/lines.txt&bytes=3");
    cr_assert_str_eq(output_string(&reply), "1\n2");
    reply_free(&reply);

    call_api(&reply, "PUT", "/utilities/rename", "cluster",
             "sourcePath=/home/test_user/lines.txt&targetPath=/home/test_user/moved.txt", token);
    cr_assert_eq(reply.status, 200, "%s", reply.body);
    reply_free(&reply);
    call_api(&reply, "POST", "/utilities/copy", "cluster",
             "sourcePath=/home/test_user/moved.txt&targetPath=/home/test_user/copied.txt", token);
    cr_assert_eq(reply.status, 201, "%s", reply.body);
    reply_free(&reply);
    get(&reply, "/utilities/stat?targetPath=/home/test_user/copied.txt");
    cr_assert_eq(json_number(cJSON_GetObjectItem(reply.json, "output"), "size"), 8);
    reply_free(&reply);
    get(&reply, "/utilities/download?sourcePath=/home/test_user/copied.txt");
    cr_assert_eq(reply.status, 200);
    cr_assert_str_eq(reply.body, "1\n2\n3\n4\n", "download sends the raw bytes");
    reply_free(&reply);
}

Test(firecrest, errors_name_their_kind_in_a_header)
{
    struct reply reply;
    get(&reply, "/utilities/view?targetPath=/home/test_user/nothing-here");
    cr_assert_eq(reply.status, 400);
    cr_assert(has_header(&reply, "X-Invalid-Path"));
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(reply.json, "error")));
    reply_free(&reply);
    get(&reply, "/utilities/view?targetPath=/home/test_user");
    cr_assert(has_header(&reply, "X-A-Directory"), "%s", reply.headers);
    reply_free(&reply);
    plant("plain", "x");
    get(&reply, "/utilities/ls?targetPath=/home/test_user/plain/inside");
    cr_assert(has_header(&reply, "X-Not-A-Directory") || has_header(&reply, "X-Invalid-Path"));
    reply_free(&reply);
    get(&reply, "/utilities/view");
    cr_assert_eq(reply.status, 400, "a missing targetPath is the caller's mistake");
    reply_free(&reply);
    call_api(&reply, "GET", "/utilities/mkdir", "cluster", NULL, token);
    cr_assert_eq(reply.status, 405);
    reply_free(&reply);
}

Test(firecrest, view_of_a_big_file_is_refused_with_x_size_limit)
{
    char path[512];
    snprintf(path, sizeof path, "%s/cluster/home/test_user/big", sandbox_root);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0 && ftruncate(fd, 6L * 1024 * 1024) == 0);
    close(fd);
    struct reply reply;
    get(&reply, "/utilities/view?targetPath=/home/test_user/big");
    cr_assert_eq(reply.status, 400);
    cr_assert(has_header(&reply, "X-Size-Limit"));
    reply_free(&reply);
}

/* Upload through a real multipart form, as pyfirecrest sends it. */
static long upload(const char *target_directory, const char *name, const char *content,
                   size_t length)
{
    struct reply reply;
    long status = upload_file("/utilities/upload", target_directory, name, content, length, &reply);
    reply_free(&reply);
    return status;
}

Test(firecrest, upload_stores_the_file_and_refuses_oversize)
{
    cr_assert_eq(upload("/home/test_user", "script.sh", "#!/bin/bash\necho hi\n", 20), 201);
    struct reply reply;
    get(&reply, "/utilities/view?targetPath=/home/test_user/script.sh");
    cr_assert_str_eq(output_string(&reply), "#!/bin/bash\necho hi\n");
    reply_free(&reply);

    /* A file far larger than civetweb's form buffer arrives whole. */
    size_t medium = 1u << 20;
    char *bytes = malloc(medium);
    for (size_t i = 0; i < medium; i++)
        bytes[i] = (char)('a' + i % 26);
    cr_assert_eq(upload("/home/test_user", "medium.txt", bytes, medium), 201);
    free(bytes);
    get(&reply, "/utilities/stat?targetPath=/home/test_user/medium.txt");
    cr_assert_eq(json_number(cJSON_GetObjectItem(reply.json, "output"), "size"), medium);
    reply_free(&reply);

    size_t big = 6u * 1024 * 1024;
    char *content = calloc(1, big);
    cr_assert_eq(upload("/home/test_user", "big.bin", content, big), 413);
    free(content);
    cr_assert_eq(upload("/home/test_user/../../..", "escape.txt", "x", 1), 400);
    /* A file name with a path in it never lands outside the target directory
     * (civetweb keeps only its last component). */
    upload("/home/test_user", "../escape.txt", "x", 1);
    char outside[512];
    snprintf(outside, sizeof outside, "%s/cluster/home/escape.txt", sandbox_root);
    cr_assert_neq(access(outside, F_OK), 0, "the upload escaped its directory");
}

/*
 * An upload whose body is not a multipart form is a 400, whatever is in it. The
 * body here is one civetweb's url-encoded form reader never finishes (a NUL byte
 * after an '='): handed to it, the call would hang and a worker spin for ever.
 */
Test(firecrest, an_upload_that_is_not_a_multipart_form_is_400)
{
    static const char poison[] = "targetPath=\0/home/test_user";
    const char *const paths[] = {"/utilities/upload", "/compute/jobs/upload"};
    const char *const types[] = {"application/x-www-form-urlencoded", "application/octet-stream",
                                 NULL};
    for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
            struct reply reply;
            post_raw_body(&reply, paths[p], types[t], poison, sizeof poison - 1);
            cr_assert_eq(reply.status, 400, "%s as %s: HTTP %ld %s", paths[p],
                         types[t] ? types[t] : "(no type)", reply.status, reply.body);
            cr_assert(cJSON_IsObject(reply.json), "%s: no JSON error", paths[p]);
            reply_free(&reply);
        }
    }
}

/* --- the sandbox: nothing of the host is ever read, listed or written -------------- */

Test(firecrest, no_path_parameter_can_leave_the_sandbox)
{
    /* A file outside the sandbox that no call may reach, by any path. */
    char secret_path[512];
    snprintf(secret_path, sizeof secret_path, "%s/secret.txt", sandbox_root);
    FILE *secret = fopen(secret_path, "w");
    fputs("host secret", secret);
    fclose(secret);
    char link_target[600];
    snprintf(link_target, sizeof link_target, "%s/cluster/home/test_user/escape", sandbox_root);
    cr_assert_eq(symlink(secret_path, link_target), 0); /* a symlink pointing out */

    const char *const reads[] = {
        "/utilities/view?targetPath=/../secret.txt",
        "/utilities/view?targetPath=/home/test_user/../../../secret.txt",
        "/utilities/view?targetPath=/home/test_user/escape",
        "/utilities/view?targetPath=/etc/passwd",
        "/utilities/checksum?targetPath=/home/test_user/escape",
        "/utilities/head?targetPath=/home/test_user/escape",
        "/utilities/download?sourcePath=/home/test_user/escape",
        "/utilities/download?sourcePath=/../secret.txt",
        "/utilities/ls?targetPath=/..",
        "/utilities/ls?targetPath=/home/../..",
        "/utilities/stat?targetPath=/home/test_user/escape&dereference=true",
        "/utilities/file?targetPath=/../secret.txt",
        "/utilities/view?targetPath=home/test_user/../../secret.txt",
    };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        struct reply reply;
        get(&reply, reads[i]);
        cr_assert_eq(reply.status, 400, "%s answered %ld: %s", reads[i], reply.status, reply.body);
        cr_assert(strstr(reply.body, "host secret") == NULL, "%s leaked the host file", reads[i]);
        cr_assert(has_header(&reply, "X-Invalid-Path") || has_header(&reply, "X-Permission-Denied"),
                  "%s: %s", reads[i], reply.headers);
        reply_free(&reply);
    }
    const char *const writes[][3] = {
        {"POST", "/utilities/mkdir", "targetPath=/../made-outside"},
        {"POST", "/utilities/mkdir", "targetPath=/home/test_user/escape/../x&p=true"},
        {"PUT", "/utilities/rename", "sourcePath=/home/test_user/escape&targetPath=/../moved"},
        {"PUT", "/utilities/rename", "sourcePath=/../secret.txt&targetPath=/home/test_user/stolen"},
        {"POST", "/utilities/copy", "sourcePath=/../secret.txt&targetPath=/home/test_user/stolen"},
        {"PUT", "/utilities/chmod", "targetPath=/home/test_user/escape&mode=777"},
        {"DELETE", "/utilities/rm", "targetPath=/../secret.txt"},
        {"POST", "/utilities/symlink", "targetPath=/../secret.txt&linkPath=/home/test_user/l"},
        {"POST", "/utilities/symlink", "targetPath=/home/test_user&linkPath=/../outside-link"},
    };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        struct reply reply;
        call_api(&reply, writes[i][0], writes[i][1], "cluster", writes[i][2], token);
        cr_assert_eq(reply.status, 400, "%s %s answered %ld: %s", writes[i][1], writes[i][2],
                     reply.status, reply.body);
        reply_free(&reply);
    }
    /* The host file is untouched, and nothing appeared outside the sandbox. */
    struct stat info;
    cr_assert_eq(stat(secret_path, &info), 0);
    cr_assert_eq(info.st_mode & 0777, 0644, "chmod reached the host file");
    char outside[512];
    snprintf(outside, sizeof outside, "%s/made-outside", sandbox_root);
    cr_assert_neq(access(outside, F_OK), 0);
    snprintf(outside, sizeof outside, "%s/cluster/home/test_user/stolen", sandbox_root);
    cr_assert_neq(access(outside, F_OK), 0, "the host file was copied in");

    /* Copying the outward symlink copies the link, never the host file behind it,
     * and the copy leads nowhere either. */
    struct reply reply;
    call_api(&reply, "POST", "/utilities/copy", "cluster",
             "sourcePath=/home/test_user/escape/&targetPath=/home/test_user/copied-link", token);
    reply_free(&reply);
    snprintf(outside, sizeof outside, "%s/cluster/home/test_user/copied-link", sandbox_root);
    cr_assert(lstat(outside, &info) != 0 || S_ISLNK(info.st_mode),
              "a symlink became a copy of the host file");
    get(&reply, "/utilities/view?targetPath=/home/test_user/copied-link");
    cr_assert_eq(reply.status, 400);
    cr_assert(strstr(reply.body, "host secret") == NULL);
    reply_free(&reply);
}

/* --- rate limits and /stats --------------------------------------------------------- */

Test(firecrest, stats_count_requests_per_microservice)
{
    struct reply reply;
    for (int i = 0; i < 3; i++) {
        call_api(&reply, "GET", "/status/systems", NULL, NULL, token);
        reply_free(&reply);
    }
    get(&reply, "/utilities/whoami");
    reply_free(&reply);
    cJSON *stats = server_stats(&server);
    const cJSON *requests =
        cJSON_GetObjectItem(cJSON_GetObjectItem(stats, "firecrest"), "requests");
    cr_assert_eq(json_number(requests, "status"), 3);
    cr_assert_eq(json_number(requests, "utilities"), 1);
    cr_assert_eq(json_number(requests, "compute"), 0);
    cJSON_Delete(stats);
}

Test(firecrest, past_the_rate_limit_comes_429_with_retry_after, .timeout = 30)
{
    /* This suite's server allows 20 status calls per second (the default). Quick
     * calls in a row meet the limit; a slow machine just needs more of them. */
    int limited = 0;
    for (int i = 0; i < 400 && limited < 3; i++) {
        struct reply reply;
        call_api(&reply, "GET", "/status/services", NULL, NULL, token);
        if (reply.status == 429) {
            limited++;
            cr_assert(has_header(&reply, "Retry-After"));
        } else {
            cr_assert_eq(reply.status, 200);
        }
        reply_free(&reply);
    }
    cr_assert_gt(limited, 0);
    cJSON *stats = server_stats(&server);
    cr_assert_eq(json_number(cJSON_GetObjectItem(stats, "firecrest"), "rate_limited"), limited);
    cJSON_Delete(stats);
}
