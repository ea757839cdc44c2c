/*
 * firecrest_support.h - a small FirecREST client for the tests, and a server
 * started with a sandbox the test can look into.
 */
#ifndef FIRECREST_SUPPORT_H
#define FIRECREST_SUPPORT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "curl_helpers.h"
#include "support.h"

extern struct server_process server;
extern char sandbox_root[256]; /* --firecrest-root: the test looks inside */
extern char token[2048];       /* test_user's token */
extern char other_token[2048]; /* a second user's ("other_user") token */

/* Criterion .init/.fini: a server with jobs of 300 ms, a second client, and no
 * rate limit on utilities, compute and tasks (only status keeps its default). */
void firecrest_server_start(void);
void firecrest_server_stop(void);

struct reply {
    long status;
    struct reply_body raw; /* as libcurl delivered it */
    const char *body;      /* raw.bytes, or "" when the reply had no body */
    char headers[4096];
    cJSON *json;
};

/* One call. `system`: the X-Machine-Name, or NULL. `form`: a url-encoded body, or
 * NULL. `bearer`: the token, or NULL. For GET the parameters go in `path`. */
void call_api(struct reply *reply, const char *method, const char *path, const char *system,
              const char *form, const char *bearer);
/* The same with one more header line ("X-Task-Id: ..."). */
void call_api_with_header(struct reply *reply, const char *method, const char *path,
                          const char *system, const char *form, const char *bearer,
                          const char *extra_header);
/* POST `length` raw bytes (NULs allowed) to `path` as test_user on "cluster", with
 * this Content-Type (NULL: no Content-Type header at all). */
void post_raw_body(struct reply *reply, const char *path, const char *content_type,
                   const char *body, size_t length);
void reply_free(struct reply *reply);
bool has_header(const struct reply *reply, const char *name);

/* GET with the test's token on system "cluster". */
void get(struct reply *reply, const char *path);

/* POST /auth/token with `form`; the token (or "") and the status. */
void fetch_token(const char *form, char *out, size_t size, long *status);

/* Upload `length` bytes as file `name` to `target_directory` through a
 * multipart form at `path` ("/utilities/upload", "/compute/jobs/upload"). */
long upload_file(const char *path, const char *target_directory, const char *name,
                 const char *content, size_t length, struct reply *reply);

/* Poll /tasks/{id} until its status is one of `final` (e.g. "200,400"); returns
 * the task object (caller cJSON_Delete()s). */
cJSON *wait_for_task(const char *task_id, const char *final);

#endif
