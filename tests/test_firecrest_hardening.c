/*
 * test_firecrest_hardening.c - one test per class of defect a hostile student
 * found in the fake FirecREST API (issue "Hardening"). Each was seen to fail
 * before its fix; the sweep in test_hostile.c covers the same classes broadly,
 * these pin each one down with the request that first showed it.
 */
#define _GNU_SOURCE /* F_SETLEASE */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "firecrest_support.h"

TestSuite(firecrest_hardening, .init = firecrest_server_start, .fini = firecrest_server_stop,
          .timeout = 120);

static const char *output_text(const struct reply *reply)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(reply->json, "output"));
}

static void expect_status(const char *method, const char *path, const char *form,
                          const char *bearer, long status)
{
    struct reply reply;
    call_api(&reply, method, path, "cluster", form, bearer);
    cr_assert_eq(reply.status, status, "%s %s: %ld %s", method, path, reply.status, reply.body);
    reply_free(&reply);
}

/* --- crashes: numbers, buffers, recursion ------------------------------------------ */

Test(firecrest_hardening, negative_and_huge_byte_counts_are_refused_not_used)
{
    struct reply reply;
    upload_file("/utilities/upload", "/home/test_user", "ten.txt", "0123456789", 10, &reply);
    reply_free(&reply);
    /* bytes=-8 once wrote before the buffer (head) or read past it (tail). */
    expect_status("GET", "/utilities/head?targetPath=/home/test_user/ten.txt&bytes=-8", NULL, token,
                  400);
    expect_status("GET", "/utilities/tail?targetPath=/home/test_user/ten.txt&bytes=-8", NULL, token,
                  400);
    expect_status("GET",
                  "/utilities/tail?targetPath=/home/test_user/ten.txt&lines=99999999999999999999",
                  NULL, token, 400);
    get(&reply, "/utilities/tail?targetPath=/home/test_user/ten.txt&bytes=3");
    cr_assert_str_eq(output_text(&reply), "789");
    reply_free(&reply);
}

Test(firecrest_hardening, a_script_of_70000_echo_lines_runs_and_prints_them_all)
{
    enum { LINES = 70000 };
    char *script = malloc(LINES * 6 + 32);
    size_t length = (size_t)sprintf(script, "#!/bin/bash\n");
    for (int i = 0; i < LINES; i++)
        length += (size_t)sprintf(script + length, "echo \n");
    struct reply reply;
    cr_assert_eq(upload_file("/compute/jobs/upload", NULL, "long.sh", script, length, &reply), 201,
                 "%s", reply.body);
    free(script);
    cJSON *task =
        wait_for_task(cJSON_GetStringValue(cJSON_GetObjectItem(reply.json, "task_id")), "200,400");
    reply_free(&reply);
    char path[600];
    snprintf(path, sizeof path, "/utilities/stat?targetPath=%s",
             cJSON_GetStringValue(
                 cJSON_GetObjectItem(cJSON_GetObjectItem(task, "data"), "job_file_out")));
    cJSON_Delete(task);
    /* The job runs 300 ms; then its output is the 70000 empty lines. Polled as a
     * client polls a job, a bounded number of times. */
    double size = -1;
    for (int tries = 0; tries < 500 && size != LINES; tries++) {
        get(&reply, path);
        size = reply.status == 200 ? json_number(cJSON_GetObjectItem(reply.json, "output"), "size")
                                   : -1;
        reply_free(&reply);
        if (size != LINES)
            usleep(20 * 1000);
    }
    cr_assert_eq(size, LINES);
}

Test(firecrest_hardening, deep_trees_copy_and_remove_and_a_directory_never_copies_into_itself)
{
    char *deep = malloc(16 + 300 * 2 + 64);
    strcpy(deep, "targetPath=/home/test_user/deep");
    for (int i = 0; i < 300; i++)
        strcat(deep, "/d");
    strcat(deep, "&p=true");
    expect_status("POST", "/utilities/mkdir", deep, token, 201);
    free(deep);
    /* Each was a recursion 300 frames deep on civetweb's 100 KB stacks. */
    struct reply listing;
    get(&listing, "/utilities/ls?targetPath=/home/test_user/deep&recursive=true");
    cr_assert_eq(listing.status, 200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(listing.json, "output")), 32, "%.300s",
                 listing.body);
    reply_free(&listing);
    expect_status("POST", "/utilities/copy",
                  "sourcePath=/home/test_user/deep&targetPath=/home/test_user/deep2", token, 201);
    expect_status("POST", "/utilities/copy",
                  "sourcePath=/home/test_user/deep&targetPath=/home/test_user/deep/d/in", token,
                  400);
    expect_status("DELETE", "/utilities/rm", "targetPath=/home/test_user/deep2", token, 204);
    expect_status("DELETE", "/utilities/rm", "targetPath=/home/test_user/deep", token, 204);
    struct reply reply;
    get(&reply, "/utilities/ls?targetPath=/home/test_user");
    cr_assert(strstr(reply.body, "deep") == NULL, "%s", reply.body);
    reply_free(&reply);
}

/* --- users kept apart ------------------------------------------------------------------ */

Test(firecrest_hardening, another_users_home_is_out_of_reach)
{
    struct reply reply;
    upload_file("/utilities/upload", "/home/test_user", "mine.txt", "secret", 6, &reply);
    reply_free(&reply);
    static const char *const attempts[][3] = {
        {"GET", "/utilities/view?targetPath=/home/test_user/mine.txt", NULL},
        {"GET", "/utilities/ls?targetPath=/home/test_user", NULL},
        {"GET", "/utilities/ls?targetPath=/home", NULL},
        {"GET", "/utilities/download?sourcePath=/home/test_user/mine.txt", NULL},
        {"DELETE", "/utilities/rm", "targetPath=/home/test_user/mine.txt"},
        {"DELETE", "/utilities/rm", "targetPath=/home"},
        {"PUT", "/utilities/rename",
         "sourcePath=/home/test_user/mine.txt&targetPath=/home/other_user/got.txt"},
        {"POST", "/utilities/copy",
         "sourcePath=/home/test_user/mine.txt&targetPath=/home/other_user/got.txt"},
        {"POST", "/utilities/symlink",
         "targetPath=/home/test_user/mine.txt&linkPath=/home/other_user/link"},
        {"GET", "/utilities/view?targetPath=/home/other_user/../test_user/mine.txt", NULL},
    };
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        call_api(&reply, attempts[i][0], attempts[i][1], "cluster", attempts[i][2], other_token);
        cr_assert_eq(reply.status, 400, "other_user: %s %s: %ld", attempts[i][0], attempts[i][1],
                     reply.status);
        cr_assert(has_header(&reply, "X-Permission-Denied"), "%s %s: %s", attempts[i][0],
                  attempts[i][1], reply.headers);
        reply_free(&reply);
    }
    get(&reply, "/utilities/view?targetPath=/home/test_user/mine.txt");
    cr_assert_str_eq(output_text(&reply), "secret");
    reply_free(&reply);
    /* Each user's own files are listed as its own. */
    call_api(&reply, "POST", "/utilities/mkdir", "cluster", "targetPath=/home/other_user/x",
             other_token);
    reply_free(&reply);
    call_api(&reply, "GET", "/utilities/ls?targetPath=/home/other_user", "cluster", NULL,
             other_token);
    cr_assert(strstr(reply.body, "\"user\":\"other_user\"") != NULL, "%s", reply.body);
    reply_free(&reply);
}

Test(firecrest_hardening, another_users_reservation_cannot_be_changed_or_deleted)
{
    const char *fields = "account=a&numberOfNodes=1&nodeType=gpu&starttime=2030-01-01T00:00:00&"
                         "endtime=2030-01-02T00:00:00";
    char form[256];
    snprintf(form, sizeof form, "reservation=mine&%s", fields);
    expect_status("POST", "/reservations", form, token, 201);
    expect_status("DELETE", "/reservations/mine", NULL, other_token, 400);
    expect_status("PUT", "/reservations/mine", fields, other_token, 400);
    struct reply reply;
    call_api(&reply, "GET", "/reservations", "cluster", NULL, other_token);
    cr_assert(strstr(reply.body, "mine") == NULL, "other_user sees: %s", reply.body);
    reply_free(&reply);
    get(&reply, "/reservations");
    cr_assert(strstr(reply.body, "\"reservationname\":\"mine\"") != NULL &&
                  strstr(reply.body, "_owner") == NULL,
              "%s", reply.body);
    reply_free(&reply);
    expect_status("DELETE", "/reservations/mine", NULL, token, 204);
}

/* One user's flood of calls fills the task table; another's task must survive it. */
Test(firecrest_hardening, a_flood_of_tasks_never_evicts_another_users_task, .timeout = 240)
{
    struct reply reply;
    get(&reply, "/compute/partitions");
    char task_id[64];
    snprintf(task_id, sizeof task_id, "%s",
             cJSON_GetStringValue(cJSON_GetObjectItem(reply.json, "task_id")));
    reply_free(&reply);
    cJSON_Delete(wait_for_task(task_id, "200"));

    /* 20001 calls on one connection: the table holds 20000 tasks. */
    CURL *easy = curl_easy_init();
    char url[256], authorization[2100];
    snprintf(url, sizeof url, "%s/compute/nodes", server.base_url);
    snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", other_token);
    struct curl_slist *headers = curl_slist_append(NULL, authorization);
    headers = curl_slist_append(headers, "X-Machine-Name: cluster");
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    struct reply_body ignored = {0};
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, reply_body_append);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &ignored);
    for (int i = 0; i < 20001; i++) {
        cr_assert_eq(curl_easy_perform(easy), CURLE_OK);
        free(ignored.bytes);
        ignored = (struct reply_body){0};
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(easy);

    char path[128];
    snprintf(path, sizeof path, "/tasks/%s", task_id);
    call_api(&reply, "GET", path, NULL, NULL, token);
    cr_assert_eq(reply.status, 200, "test_user's task was evicted by other_user's flood: %s",
                 reply.body);
    reply_free(&reply);
}

/* --- headers and logs never carry raw user bytes ------------------------------------ */

Test(firecrest_hardening, a_crlf_in_a_path_never_splits_the_reply)
{
    struct reply reply;
    get(&reply,
        "/utilities/ls?targetPath=/nope%0d%0aSet-Cookie:%20forged=1%0d%0a%0d%0aforged-body");
    cr_assert_eq(reply.status, 400);
    cr_assert(!has_header(&reply, "Set-Cookie"), "a forged header: %s", reply.headers);
    cr_assert(strstr(reply.body, "forged-body") == NULL || reply.json != NULL, "%s", reply.body);
    reply_free(&reply);
    /* A NUL, an escape, bytes that are not UTF-8: refused, not echoed. */
    static const char *const values[] = {"/home/test_user/a%00b", "/home/test_user/%1b%5b31m",
                                         "/home/test_user/%ff"};
    for (size_t i = 0; i < 3; i++) {
        char path[256];
        snprintf(path, sizeof path, "/utilities/view?targetPath=%s", values[i]);
        get(&reply, path);
        cr_assert_eq(reply.status, 400, "%s: %ld", values[i], reply.status);
        reply_free(&reply);
    }
}

/* --- uploads are all or nothing ------------------------------------------------------- */

Test(firecrest_hardening, a_refused_upload_leaves_the_old_file_intact)
{
    struct reply reply;
    cr_assert_eq(
        upload_file("/utilities/upload", "/home/test_user", "keep.txt", "old content", 11, &reply),
        201);
    reply_free(&reply);
    size_t big = 6u * 1024 * 1024;
    char *content = malloc(big);
    memset(content, 'x', big);
    cr_assert_eq(
        upload_file("/utilities/upload", "/home/test_user", "keep.txt", content, big, &reply), 413);
    reply_free(&reply);
    free(content);
    get(&reply, "/utilities/view?targetPath=/home/test_user/keep.txt");
    cr_assert_str_eq(output_text(&reply), "old content");
    reply_free(&reply);
    /* and no temporary file is left behind */
    get(&reply, "/utilities/ls?targetPath=/home/test_user&showhidden=true");
    cr_assert(strstr(reply.body, ".upload-") == NULL, "%s", reply.body);
    reply_free(&reply);
}

/* An external upload cut off halfway: the old file stays, no partial one is left. */
static void send_cut_off_upload(const char *path);

Test(firecrest_hardening, a_broken_object_upload_leaves_the_old_file_intact)
{
    struct reply reply;
    upload_file("/utilities/upload", "/home/test_user", "part.txt", "old", 3, &reply);
    reply_free(&reply);
    call_api(&reply, "POST", "/storage/xfer-external/upload", "cluster",
             "sourcePath=part.txt&targetPath=/home/test_user", token);
    cr_assert_eq(reply.status, 201, "%s", reply.body);
    char task_id[64];
    snprintf(task_id, sizeof task_id, "%s",
             cJSON_GetStringValue(cJSON_GetObjectItem(reply.json, "task_id")));
    reply_free(&reply);
    cJSON *task = wait_for_task(task_id, "111");
    const cJSON *parameters = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(task, "data"), "msg"), "parameters");
    send_cut_off_upload(cJSON_GetStringValue(cJSON_GetObjectItem(parameters, "url")) +
                        strlen(server.base_url));
    cJSON_Delete(task);
    task = wait_for_task(task_id, "114,115");
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(task, "status")), "115",
                     "a cut-off upload counted as arrived");
    cJSON_Delete(task);
    get(&reply, "/utilities/view?targetPath=/home/test_user/part.txt");
    cr_assert_str_eq(output_text(&reply), "old");
    reply_free(&reply);
    get(&reply, "/utilities/ls?targetPath=/home/test_user&showhidden=true");
    cr_assert(strstr(reply.body, ".upload-") == NULL, "%s", reply.body);
    reply_free(&reply);
}

/* --- raw HTTP: Expect, lying lengths, HTTP/0.9, paths with a NUL ----------------------- */

/* Send `request` on a fresh connection; read what comes back within `wait_ms`
 * (until the peer closes, or `stop` has arrived). Returns the bytes (malloc'd);
 * `closed` (if not NULL) says whether the server closed the connection. */
static char *raw_exchange_closed(const char *request, size_t length, int wait_ms, const char *stop,
                                 bool *closed)
{
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)server.port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(connect(sock, (struct sockaddr *)&address, sizeof address), 0);
    cr_assert_eq(send(sock, request, length, 0), (ssize_t)length);
    char *reply = calloc(1, 65536);
    size_t used = 0;
    struct pollfd watch = {.fd = sock, .events = POLLIN};
    if (closed != NULL)
        *closed = false;
    while (used < 65535 && poll(&watch, 1, wait_ms) == 1) {
        ssize_t got = recv(sock, reply + used, 65535 - used, 0);
        if (got <= 0) {
            if (closed != NULL)
                *closed = true;
            break;
        }
        used += (size_t)got;
        if (stop != NULL && strstr(reply, stop) != NULL)
            break;
    }
    close(sock);
    return reply;
}

static char *raw_exchange(const char *request, size_t length, int wait_ms, const char *stop)
{
    return raw_exchange_closed(request, length, wait_ms, stop, NULL);
}

static void authorized_request(char *out, size_t size, const char *head)
{
    snprintf(out, size, "%sHost: x\r\nAuthorization: Bearer %s\r\nX-Machine-Name: cluster\r\n",
             head, token);
}

Test(firecrest_hardening, expect_100_continue_is_answered)
{
    char request[4096];
    authorized_request(request, sizeof request, "POST /utilities/upload HTTP/1.1\r\n");
    strcat(request, "Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 2000000\r\n"
                    "Expect: 100-continue\r\n\r\n");
    /* No body is sent: a server that answers must say "100 Continue" first. */
    char *reply = raw_exchange(request, strlen(request), 3000, "\r\n\r\n");
    cr_assert(strncmp(reply, "HTTP/1.1 100 Continue\r\n", 23) == 0, "got: '%.100s'", reply);
    free(reply);
}

Test(firecrest_hardening, a_content_length_of_10e23_is_refused_not_waited_for)
{
    char request[4096];
    authorized_request(request, sizeof request, "POST /utilities/mkdir HTTP/1.1\r\n");
    strcat(request, "Content-Type: application/x-www-form-urlencoded\r\n"
                    "Content-Length: 100000000000000000000000\r\n\r\ntargetPath=/home/test_user/x");
    char *reply = raw_exchange(request, strlen(request), 3000, "\r\n\r\n");
    cr_assert(strncmp(reply, "HTTP/1.1 4", 10) == 0, "got: '%.100s'", reply);
    free(reply);
}

Test(firecrest_hardening, an_http_0_9_line_does_not_hold_a_worker)
{
    /* Bounded by the server's request timeout (1 s): answered 4xx and closed
     * (civetweb's default kept the worker 30 s). */
    bool closed;
    char *reply = raw_exchange_closed("GET /say-hi\r\n", 13, 4000, NULL, &closed);
    cr_assert(closed, "the connection is still open after 4 s");
    cr_assert(reply[0] == '\0' || (strncmp(reply, "HTTP/1.", 7) == 0 && reply[9] == '4'),
              "got: '%.100s'", reply);
    free(reply);
}

Test(firecrest_hardening, a_nul_in_a_path_or_a_credential_is_refused)
{
    char *reply =
        raw_exchange("GET /say-hi%00.json HTTP/1.1\r\nHost: x\r\n\r\n", 41, 3000, "\r\n\r\n");
    cr_assert(strncmp(reply, "HTTP/1.1 404", 12) == 0, "got: '%.100s'", reply);
    free(reply);
    long status;
    char ignored[2048];
    fetch_token(
        "grant_type=client_credentials&client_id=kit-client%00junk&client_secret=kit-secret",
        ignored, sizeof ignored, &status);
    cr_assert_eq(status, 400);
    /* In Basic credentials too: "kit-client:kit-secret\0junk" once passed as kit-secret. */
    struct reply basic;
    call_api_with_header(&basic, "POST", "/auth/token", NULL, "grant_type=client_credentials", NULL,
                         "Authorization: Basic a2l0LWNsaWVudDpraXQtc2VjcmV0AGp1bms=");
    cr_assert_eq(basic.status, 401, "%s", basic.body);
    reply_free(&basic);
    call_api_with_header(&basic, "POST", "/auth/token", NULL, "grant_type=client_credentials", NULL,
                         "Authorization: Basic a2l0LWNsaWVudDpraXQtc2VjcmV0");
    cr_assert_eq(basic.status, 200, "%s", basic.body);
    reply_free(&basic);
}

/* --- smaller ones ---------------------------------------------------------------------- */

Test(firecrest_hardening, a_symlink_made_through_the_api_works_through_the_api)
{
    struct reply reply;
    upload_file("/utilities/upload", "/home/test_user", "target.txt", "through the link", 16,
                &reply);
    reply_free(&reply);
    expect_status("POST", "/utilities/mkdir", "targetPath=/home/test_user/links", token, 201);
    expect_status("POST", "/utilities/symlink",
                  "targetPath=/home/test_user/target.txt&linkPath=/home/test_user/links/l", token,
                  201);
    get(&reply, "/utilities/view?targetPath=/home/test_user/links/l");
    cr_assert_eq(reply.status, 200, "%s", reply.body);
    cr_assert_str_eq(output_text(&reply), "through the link");
    reply_free(&reply);
    get(&reply, "/utilities/ls?targetPath=/home/test_user/links");
    cr_assert(strstr(reply.body, "\"link_target\":\"../target.txt\"") != NULL, "%s", reply.body);
    reply_free(&reply);
}

Test(firecrest_hardening, a_directory_is_no_batch_script_and_a_file_no_directory)
{
    expect_status("POST", "/utilities/mkdir", "targetPath=/home/test_user/jobs", token, 201);
    struct reply reply;
    call_api(&reply, "POST", "/compute/jobs/path", "cluster", "targetPath=/home/test_user/jobs",
             token);
    cr_assert_eq(reply.status, 400, "a directory was submitted as a job: %s", reply.body);
    reply_free(&reply);
    upload_file("/utilities/upload", "/home/test_user", "plain.txt", "x", 1, &reply);
    reply_free(&reply);
    call_api(&reply, "POST", "/utilities/mkdir", "cluster", "targetPath=/home/test_user/plain.txt",
             token);
    cr_assert_eq(reply.status, 400);
    cr_assert(strstr(reply.body, "Directory already exists") == NULL, "%s", reply.body);
    reply_free(&reply);
}

/* --- a long internal transfer does not hold the lock every call needs ----------------- */

/*
 * The copy is made to wait, deterministically: the test holds a write lease on the
 * source file, so the server's open() of it blocks until the lease is let go
 * (fcntl(2), F_SETLEASE). Meanwhile another call that needs the fake's state must
 * be answered; before the fix the scheduler held state_lock through the copy.
 */
Test(firecrest_hardening, a_transfer_in_progress_does_not_stall_other_calls)
{
    struct reply reply;
    upload_file("/utilities/upload", "/home/test_user", "leased.bin", "lease me", 8, &reply);
    reply_free(&reply);
    char path[512];
    snprintf(path, sizeof path, "%s/cluster/home/test_user/leased.bin", sandbox_root);
    int fd = open(path, O_RDWR);
    cr_assert(fd >= 0);
    signal(SIGIO, SIG_IGN); /* the lease break is announced by SIGIO; we poll instead */
    cr_assert_eq(fcntl(fd, F_SETLEASE, F_WRLCK), 0, "cannot take a lease: %s", strerror(errno));

    call_api(&reply, "POST", "/storage/xfer-internal/cp", "cluster",
             "sourcePath=/home/test_user/leased.bin&targetPath=/home/test_user/copy.bin", token);
    cr_assert_eq(reply.status, 201, "%s", reply.body);
    char task_path[128];
    snprintf(task_path, sizeof task_path, "/tasks/%s",
             cJSON_GetStringValue(cJSON_GetObjectItem(reply.json, "task_id")));
    reply_free(&reply);
    /* Once the lease is being broken, the server's copy is blocked in open(). */
    for (int tries = 0; tries < 1000 && fcntl(fd, F_GETLEASE) == F_WRLCK; tries++)
        usleep(10 * 1000);
    cr_assert_neq(fcntl(fd, F_GETLEASE), F_WRLCK, "the transfer never opened its source");

    CURL *easy = curl_easy_init();
    char url[256], authorization[2100];
    snprintf(url, sizeof url, "%s%s", server.base_url, task_path);
    snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", token);
    struct curl_slist *headers = curl_slist_append(NULL, authorization);
    struct reply_body body = {0};
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, reply_body_append);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 3000L);
    CURLcode code = curl_easy_perform(easy);
    curl_slist_free_all(headers);
    curl_easy_cleanup(easy);
    free(body.bytes);
    fcntl(fd, F_SETLEASE, F_UNLCK); /* let the copy go on */
    close(fd);
    cr_assert_eq(code, CURLE_OK, "GET %s while a transfer ran: %s", task_path,
                 curl_easy_strerror(code));

    snprintf(path, sizeof path, "%s/cluster/home/test_user/copy.bin", sandbox_root);
    for (int tries = 0; tries < 500 && access(path, F_OK) != 0; tries++)
        usleep(10 * 1000);
    cr_assert_eq(access(path, F_OK), 0, "the transfer never finished");
}

/* POST a multipart body to `path` that promises 100000 bytes and stops after 60. */
static void send_cut_off_upload(const char *path)
{
    char request[1024];
    snprintf(request, sizeof request,
             "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XX\r\n"
             "Content-Length: 100000\r\n\r\n"
             "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"part.txt\"\r\n\r\n"
             "new, but only partly sent",
             path);
    free(raw_exchange(request, strlen(request), 100, NULL)); /* then the connection is closed */
}
