/*
 * firecrest_support.c - see firecrest_support.h.
 */
#include "firecrest_support.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct server_process server;
char sandbox_root[256];
char token[2048];
char other_token[2048];

static size_t collect_header(char *data, size_t size, size_t count, void *reply_ptr)
{
    struct reply *reply = reply_ptr;
    size_t used = strlen(reply->headers);
    snprintf(reply->headers + used, sizeof reply->headers - used, "%.*s", (int)(size * count),
             data);
    return size * count;
}

static CURL *new_handle(struct reply *reply, const char *path, struct curl_slist **headers,
                        const char *system, const char *bearer)
{
    memset(reply, 0, sizeof *reply);
    char url[4096], authorization[2100], machine[128];
    snprintf(url, sizeof url, "%s%s", server.base_url, path);
    CURL *easy = curl_easy_init();
    *headers = NULL;
    if (bearer != NULL) {
        snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", bearer);
        *headers = curl_slist_append(*headers, authorization);
    }
    if (system != NULL) {
        snprintf(machine, sizeof machine, "X-Machine-Name: %s", system);
        *headers = curl_slist_append(*headers, machine);
    }
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, *headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, reply_body_append);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &reply->raw);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, collect_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, reply);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, 20L);
    return easy;
}

static void perform(CURL *easy, struct curl_slist *headers, struct reply *reply, const char *what)
{
    CURLcode code = curl_easy_perform(easy);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply->status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(easy);
    cr_assert_eq(code, CURLE_OK, "%s: %s", what, curl_easy_strerror(code));
    reply->body = reply->raw.bytes != NULL ? reply->raw.bytes : "";
    reply->json = cJSON_Parse(reply->body);
}

void call_api(struct reply *reply, const char *method, const char *path, const char *system,
              const char *form, const char *bearer)
{
    call_api_with_header(reply, method, path, system, form, bearer, NULL);
}

void call_api_with_header(struct reply *reply, const char *method, const char *path,
                          const char *system, const char *form, const char *bearer,
                          const char *extra_header)
{
    struct curl_slist *headers;
    CURL *easy = new_handle(reply, path, &headers, system, bearer);
    if (extra_header != NULL) {
        headers = curl_slist_append(headers, extra_header);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    }
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    if (form != NULL)
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, form);
    perform(easy, headers, reply, path);
}

void post_raw_body(struct reply *reply, const char *path, const char *content_type,
                   const char *body, size_t length)
{
    struct curl_slist *headers;
    CURL *easy = new_handle(reply, path, &headers, "cluster", token);
    char type_header[256];
    /* "Content-Type:" with nothing after it: libcurl then sends no such header. */
    snprintf(type_header, sizeof type_header, "Content-Type:%s%s", content_type != NULL ? " " : "",
             content_type != NULL ? content_type : "");
    headers = curl_slist_append(headers, type_header);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)length);
    perform(easy, headers, reply, path);
}

void reply_free(struct reply *reply)
{
    free(reply->raw.bytes);
    cJSON_Delete(reply->json);
}

bool has_header(const struct reply *reply, const char *name)
{
    size_t length = strlen(name);
    for (const char *line = reply->headers; *line != '\0'; line++)
        if ((line == reply->headers || line[-1] == '\n') && strncasecmp(line, name, length) == 0 &&
            line[length] == ':')
            return true;
    return false;
}

void get(struct reply *reply, const char *path)
{
    call_api(reply, "GET", path, "cluster", NULL, token);
}

void fetch_token(const char *form, char *out, size_t size, long *status)
{
    struct reply reply;
    call_api(&reply, "POST", "/auth/token", NULL, form, NULL);
    *status = reply.status;
    const cJSON *access = cJSON_GetObjectItem(reply.json, "access_token");
    snprintf(out, size, "%s", cJSON_IsString(access) ? access->valuestring : "");
    reply_free(&reply);
}

long upload_file(const char *path, const char *target_directory, const char *name,
                 const char *content, size_t length, struct reply *reply)
{
    struct curl_slist *headers;
    CURL *easy = new_handle(reply, path, &headers, "cluster", token);
    curl_mime *form = curl_mime_init(easy);
    curl_mimepart *part = curl_mime_addpart(form);
    if (target_directory != NULL) {
        curl_mime_name(part, "targetPath");
        curl_mime_data(part, target_directory, CURL_ZERO_TERMINATED);
        part = curl_mime_addpart(form);
    }
    curl_mime_name(part, "file");
    curl_mime_filename(part, name);
    curl_mime_data(part, content, length);
    curl_easy_setopt(easy, CURLOPT_MIMEPOST, form);
    perform(easy, headers, reply, path);
    curl_mime_free(form);
    return reply->status;
}

cJSON *wait_for_task(const char *task_id, const char *final)
{
    char path[128];
    snprintf(path, sizeof path, "/tasks/%s", task_id);
    for (;;) { /* bounded by the test's .timeout */
        struct reply reply;
        call_api(&reply, "GET", path, NULL, NULL, token);
        cr_assert_eq(reply.status, 200, "GET %s: %s", path, reply.body);
        cJSON *task = cJSON_DetachItemFromObject(reply.json, "task");
        reply_free(&reply);
        const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(task, "status"));
        cr_assert(status != NULL, "a task without a string status");
        if (strstr(final, status) != NULL)
            return task;
        cJSON_Delete(task);
        /* Poll like a client does, a few times a second: the scheduler ticks every 10 ms. */
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

void firecrest_server_start(void)
{
    snprintf(sandbox_root, sizeof sandbox_root, "%s/evloop-test-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    cr_assert(mkdtemp(sandbox_root) != NULL);
    server_start(&server,
                 (const char *const[]){"--delay-ms", "0", "--threads", "16", "--firecrest-root",
                                       sandbox_root, "--job-ms", "300", "--client",
                                       "other-client:other-secret:other_user", "--rate-limit",
                                       "utilities=0", "--rate-limit", "compute=0", "--rate-limit",
                                       "tasks=0", "--rate-limit", "storage=0", NULL});
    long status;
    fetch_token("grant_type=client_credentials&client_id=kit-client&client_secret=kit-secret",
                token, sizeof token, &status);
    cr_assert_eq(status, 200);
    fetch_token("grant_type=client_credentials&client_id=other-client&client_secret=other-secret",
                other_token, sizeof other_token, &status);
    cr_assert_eq(status, 200);
}

void firecrest_server_stop(void)
{
    server_stop(&server);
    char command[512];
    snprintf(command, sizeof command, "rm -rf '%s'", sandbox_root);
    cr_expect_eq(system(command), 0);
}
