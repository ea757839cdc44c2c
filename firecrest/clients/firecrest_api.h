/*
 * firecrest_api.h - what the kit's two FirecREST clients share: their command
 * line, the job script, reading FirecREST's replies, and the summary.
 *
 * firecrest_sync (client_sync/) runs the tutorial's workflow one job at a time;
 * firecrest_async (client_async/) runs all jobs at once. What differs is only how
 * they wait; the API they speak is the same, so it is read in one place.
 */
#ifndef FIRECREST_API_H
#define FIRECREST_API_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "call_trace.h"
#include "client_options.h"

/* FirecREST's microservices, plus the token endpoint: what the summary counts. */
enum api_service {
    API_AUTH,
    API_STATUS,
    API_COMPUTE,
    API_TASKS,
    API_UTILITIES,
    API_STORAGE,
    API_RESERVATIONS,
    API_SERVICE_COUNT
};
extern const char *const api_service_names[API_SERVICE_COUNT];

/* Which microservice a path belongs to: its first segment. */
enum api_service api_service_of(const char *path);

struct firecrest_options {
    const char *url;           /* --url BASE (or FIRECREST_URL) */
    char token_url[512];       /* --token-url (or AUTH_TOKEN_URL; default BASE/auth/token) */
    const char *client_id;     /* --client-id (or FIRECREST_CLIENT_ID) */
    const char *client_secret; /* --client-secret (or FIRECREST_CLIENT_SECRET) */
    const char *system;        /* --system */
    long jobs;                 /* --jobs N */
    const char *script_path;   /* --script FILE, or NULL for the built-in one */
    long poll_ms;              /* --poll-ms: pause between one job's polls */
    bool json;
    long timeout_ms;                     /* --timeout-ms: the longest one request may take */
    double deadline_s;                   /* --deadline: the longest the whole run may take */
    long max_retries;                    /* --max-retries: 429s in a row before a call gives up */
    double spacing_s[API_SERVICE_COUNT]; /* async --spacing SERVICE=SECONDS */
    bool merge;                          /* async: merge identical polls (off with --no-merge) */
    const char *trace_path;              /* --trace FILE: every request as CSV; NULL = none */
};

/* A server asking to wait longer than this (Retry-After) is not waited for: the call
 * fails at once. A real gateway asks for a second or two. */
enum { MAX_RETRY_AFTER_S = 60 };

/* How long a token is used before it is renewed: until 10 s before it expires, as
 * pyfirecrest does, but at least 1 s (half its life if shorter), so that a token of
 * 10 s or less is not renewed at once, again and again. */
double firecrest_token_renew_after_s(long expires_in_s);

enum parse_outcome firecrest_options_parse(struct firecrest_options *options, bool async, int argc,
                                           char **argv, char *error, size_t error_size);
void firecrest_options_help(FILE *out, const char *program, bool async);

/* The batch script of job `index`: --script's content, or one that echoes the index.
 * malloc'd; NULL with `error` set when --script cannot be read. */
char *firecrest_job_script(const struct firecrest_options *options, long index, char *error,
                           size_t error_size);

/* --- reading replies (each returns false, with `error`, on a malformed one) --- */

bool firecrest_read_token(const char *body, char *token, size_t token_size, long *expires_in_s,
                          char *error, size_t error_size);
bool firecrest_read_task_id(const char *body, char *task_id, size_t size, char *error,
                            size_t error_size);

/* The task `task_id` in a /tasks or /tasks/{id} reply: its status ("200"...) and a
 * copy of its data (caller deletes). false if the reply does not have it. */
bool firecrest_read_task(const char *body, const char *task_id, char status[8], cJSON **data,
                         char *error, size_t error_size);

/* The state of `jobid` in the data of a finished /compute/jobs task (squeue: only
 * active jobs, keyed by position), or NULL when it is no longer active. */
const char *firecrest_active_state(const cJSON *squeue_data, const char *jobid);
/* The state of `jobid` in the data of a finished /compute/acct task, or NULL. */
const char *firecrest_final_state(const cJSON *acct_data, const char *jobid);

/* "12:03:04.567 - " before each log line, as the tutorial's logger does. */
void firecrest_log(FILE *out, const char *format, ...) __attribute__((format(printf, 2, 3)));

struct firecrest_tally {
    const char *client; /* "firecrest-sync" / "firecrest-async" */
    long jobs, completed, failed;
    long requests[API_SERVICE_COUNT];
    long rate_limited;
    double started_at;
    const char *trace_path;  /* --trace FILE, or NULL */
    struct call_trace trace; /* every request, kept in memory until the end */
};

/* A tally for `client`'s run, starting now. */
void firecrest_tally_start(struct firecrest_tally *tally, const char *client,
                           const struct firecrest_options *options);

/*
 * Every HTTP request goes through these two: counted for the summary and, with
 * --trace, recorded. `job` is the job's index, -1 when the request serves no single
 * job (a token, a poll merged for many jobs); `kind` says what it is for ("token",
 * "submit", "poll-queue", "poll-task", "acct", "output"). Returns the request's
 * number, which firecrest_request_ended takes: ok when an HTTP 2xx came, else the
 * failure is `transport_error` (no answer at all) or the status.
 */
long firecrest_request_started(struct firecrest_tally *tally, enum api_service service, long job,
                               const char *kind);
void firecrest_request_ended(struct firecrest_tally *tally, long request, long status,
                             const char *transport_error);

/* Print the summary (human, or the JSON object with --json) and write the --trace
 * file; returns the exit code: 0 only when every job completed and its output was
 * read, and the trace (if asked for) was written. */
int firecrest_tally_finish(struct firecrest_tally *tally, bool json);

#endif
