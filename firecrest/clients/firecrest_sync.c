/*
 * firecrest_sync.c - the FirecREST workflow, one job after the other (blocking).
 *
 *   make run-server                        # the kit's fake FirecREST, in one terminal
 *   bin/firecrest_sync --jobs 5            # in another
 *
 * Each job: submit its script (then poll the submission task for the job id),
 * poll the queue until the job is no longer active, confirm its final state with
 * acct, read its output file. While one job runs, this program just waits: its
 * total time is the sum of the jobs' times. firecrest_async runs them all at once.
 */
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call_report.h"
#include "curl_helpers.h"
#include "firecrest_api.h"

/* A pause between two polls of a task: 200 ms keeps a client within the fake's
 * default limit of 10 task requests per second. */
enum { TASK_POLL_MS = 200 };

struct program {
    CURL *easy;
    const struct firecrest_options *options;
    double deadline_at; /* monotonic seconds: --deadline after the start */
    char token[2048];
    double token_expires_at; /* monotonic seconds */
    struct firecrest_tally tally;
    long job;  /* the job being run, for the trace; -1 before the first */
    FILE *log; /* stdout, or stderr with --json (stdout holds the JSON) */
};

/* Every wait of this program is bounded by the deadline: what is left of it. */
static double seconds_left(const struct program *program)
{
    return program->deadline_at - monotonic_seconds();
}

/* Sleep `ms`, but not past the deadline. false (with `error`) when the deadline is
 * reached first. */
static bool pause_ms(const struct program *program, long ms, char *error, size_t error_size)
{
    double left_s = seconds_left(program);
    if (left_s * 1000 <= (double)ms) {
        snprintf(error, error_size, "the --deadline of %g s passed", program->options->deadline_s);
        return false;
    }
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
    return true;
}

/* One request as it is, counted (and traced) as `kind` to `service`; returns the HTTP
 * status, 0 when none came (see `error`). */
static long perform(struct program *program, enum api_service service, const char *kind,
                    const char *method, const char *url, const char *form, const char *script,
                    bool with_token, char **reply, long *retry_after_s, char *error,
                    size_t error_size)
{
    CURL *easy = program->easy;
    struct reply_body body = {0};
    struct curl_slist *headers = NULL;
    char header[2200];
    if (with_token) {
        snprintf(header, sizeof header, "Authorization: Bearer %s", program->token);
        headers = curl_slist_append(headers, header);
        snprintf(header, sizeof header, "X-Machine-Name: %s", program->options->system);
        headers = curl_slist_append(headers, header);
    }
    curl_easy_reset(easy); /* the connection stays cached: reset only forgets options */
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, reply_body_append);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    /* --timeout-ms, or what is left before the deadline if that is shorter. */
    double limit_ms = fmin((double)program->options->timeout_ms, seconds_left(program) * 1000);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)fmax(1, limit_ms));
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_mime *mime = NULL;
    if (script != NULL) { /* the batch script, as a multipart file upload */
        mime = curl_mime_init(easy);
        curl_mimepart *part = curl_mime_addpart(mime);
        curl_mime_name(part, "file");
        curl_mime_filename(part, "script.sh");
        curl_mime_data(part, script, CURL_ZERO_TERMINATED);
        curl_easy_setopt(easy, CURLOPT_MIMEPOST, mime);
    } else if (form != NULL) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, form);
    }
    long job = service == API_AUTH ? -1 : program->job;
    long request = firecrest_request_started(&program->tally, service, job, kind);
    CURLcode code = curl_easy_perform(easy);
    long status = 0;
    curl_off_t retry_after = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after);
    curl_mime_free(mime);
    curl_slist_free_all(headers);
    firecrest_request_ended(&program->tally, request, status,
                            code == CURLE_OK ? NULL : curl_easy_strerror(code));
    if (code == CURLE_OPERATION_TIMEDOUT) {
        snprintf(error, error_size, "%.300s: no answer within %.0f ms (%s)", url, limit_ms,
                 limit_ms < (double)program->options->timeout_ms ? "the --deadline"
                                                                 : "--timeout-ms");
        free(body.bytes);
        return 0;
    }
    if (code != CURLE_OK) {
        snprintf(error, error_size, "%s: %s", url, curl_easy_strerror(code));
        free(body.bytes);
        return 0;
    }
    *retry_after_s = (long)retry_after;
    *reply = body.bytes != NULL ? body.bytes : calloc(1, 1);
    return status;
}

/* POST the client credentials for a token (OAuth2 client credentials grant). */
static bool fetch_token(struct program *program, char *error, size_t error_size)
{
    const struct firecrest_options *options = program->options;
    char *id = curl_easy_escape(program->easy, options->client_id, 0);
    char *secret = curl_easy_escape(program->easy, options->client_secret, 0);
    char form[512];
    snprintf(form, sizeof form, "grant_type=client_credentials&client_id=%s&client_secret=%s", id,
             secret);
    curl_free(id);
    curl_free(secret);
    char *reply = NULL;
    long retry_after;
    long status = perform(program, API_AUTH, "token", "POST", options->token_url, form, NULL, false,
                          &reply, &retry_after, error, error_size);
    long expires_in_s = 0;
    bool ok = status == 200 && firecrest_read_token(reply, program->token, sizeof program->token,
                                                    &expires_in_s, error, error_size);
    if (status != 0 && status != 200)
        snprintf(error, error_size, "the token endpoint %.300s refused the credentials (HTTP %ld)",
                 options->token_url, status);
    free(reply);
    program->token_expires_at = monotonic_seconds() + firecrest_token_renew_after_s(expires_in_s);
    return ok;
}

/*
 * A FirecREST call: with a fresh token, one retry with a new token after a 401,
 * and a 429 waited out (Retry-After) and retried, --max-retries times at most.
 * Returns the status; `reply` is malloc'd when it is not 0.
 */
static long api_call(struct program *program, const char *kind, const char *method,
                     const char *path, const char *form, const char *script, char **reply,
                     char *error, size_t error_size)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", program->options->url, path);
    bool retried_token = false;
    for (long answered_429 = 0;;) {
        if (monotonic_seconds() >= program->token_expires_at &&
            !fetch_token(program, error, error_size))
            return 0;
        long retry_after_s = 0;
        long status = perform(program, api_service_of(path), kind, method, url, form, script, true,
                              reply, &retry_after_s, error, error_size);
        if (status == 429) {
            program->tally.rate_limited++;
            free(*reply);
            *reply = NULL;
            if (++answered_429 > program->options->max_retries) {
                snprintf(error, error_size,
                         "%s: answered 429 (too many requests) %ld times in a row", path,
                         answered_429);
                return 0;
            }
            if (retry_after_s > MAX_RETRY_AFTER_S) {
                snprintf(error, error_size,
                         "%s: the server asks to wait %ld s (Retry-After), more than %d s", path,
                         retry_after_s, MAX_RETRY_AFTER_S);
                return 0;
            }
            if (!pause_ms(program, retry_after_s > 0 ? retry_after_s * 1000 : 1000, error,
                          error_size))
                return 0;
        } else if (status == 401 && !retried_token) {
            free(*reply);
            *reply = NULL;
            retried_token = true;
            program->token_expires_at = 0; /* fetch a new one, and try once more */
        } else {
            if (status == 401)
                snprintf(error, error_size, "%s: 401 even with a fresh token", path);
            return status;
        }
    }
}

/* Poll a task until it is finished; returns its data, or NULL with `error`. */
static cJSON *wait_for_task(struct program *program, const char *task_id, char *error,
                            size_t error_size)
{
    char path[128];
    snprintf(path, sizeof path, "/tasks?tasks=%s", task_id);
    for (;;) {
        char *reply = NULL;
        long status =
            api_call(program, "poll-task", "GET", path, NULL, NULL, &reply, error, error_size);
        char task_status[8];
        cJSON *data = NULL;
        bool read = status == 200 &&
                    firecrest_read_task(reply, task_id, task_status, &data, error, error_size);
        if (status != 0 && status != 200)
            snprintf(error, error_size, "GET %s: HTTP %ld", path, status);
        free(reply);
        if (!read)
            return NULL;
        if (strcmp(task_status, "200") == 0)
            return data;
        if (strcmp(task_status, "200") > 0) { /* statuses are strings: "400" is an error */
            snprintf(error, error_size, "task %s ended with status %s: %s", task_id, task_status,
                     cJSON_IsString(data) ? data->valuestring : "(no message)");
            cJSON_Delete(data);
            return NULL;
        }
        cJSON_Delete(data);
        if (!pause_ms(program, TASK_POLL_MS, error, error_size)) {
            snprintf(error + strlen(error), error_size - strlen(error),
                     " with task %s still at status %s", task_id, task_status);
            return NULL;
        }
    }
}

/* A call answered by a task (submit, squeue, acct): make it, wait for the task. */
static cJSON *call_through_task(struct program *program, const char *kind, const char *method,
                                const char *path, const char *script, char *error,
                                size_t error_size)
{
    char *reply = NULL;
    long status = api_call(program, kind, method, path, NULL, script, &reply, error, error_size);
    char task_id[64];
    bool ok = (status == 200 || status == 201) &&
              firecrest_read_task_id(reply, task_id, sizeof task_id, error, error_size);
    if (status != 0 && status != 200 && status != 201)
        snprintf(error, error_size, "%s %s: HTTP %ld: %.200s", method, path, status, reply);
    free(reply);
    return ok ? wait_for_task(program, task_id, error, error_size) : NULL;
}

/* The tutorial's workflow for job `index`. Returns true when it completed and
 * its output was read. */
static bool run_job(struct program *program, long index, char *error, size_t error_size)
{
    char *script = firecrest_job_script(program->options, index, error, error_size);
    if (script == NULL)
        return false;
    firecrest_log(program->log, "%ld: Starting workflow", index);
    program->job = index;
    cJSON *submitted = call_through_task(program, "submit", "POST", "/compute/jobs/upload", script,
                                         error, error_size);
    free(script);
    const char *jobid = cJSON_GetStringValue(cJSON_GetObjectItem(submitted, "jobid"));
    const char *output_path = cJSON_GetStringValue(cJSON_GetObjectItem(submitted, "job_file_out"));
    if (jobid == NULL || output_path == NULL) {
        if (submitted != NULL)
            snprintf(error, error_size, "the submission task has no jobid or job_file_out");
        cJSON_Delete(submitted);
        return false;
    }
    firecrest_log(program->log, "%ld: Submitted job with jobid: %s", index, jobid);

    /* Here the blocking client waits out the whole job before the next can start. */
    char path[1024];
    for (;;) {
        snprintf(path, sizeof path, "/compute/jobs?jobs=%s", jobid);
        cJSON *queue =
            call_through_task(program, "poll-queue", "GET", path, NULL, error, error_size);
        if (queue == NULL) {
            cJSON_Delete(submitted);
            return false;
        }
        const char *state = firecrest_active_state(queue, jobid);
        if (state == NULL) {
            firecrest_log(program->log, "%ld: Job %s is no longer active", index, jobid);
            cJSON_Delete(queue);
            break;
        }
        firecrest_log(program->log, "%ld: Job %s status: %s", index, jobid, state);
        bool paused = pause_ms(program, program->options->poll_ms, error, error_size);
        if (!paused)
            snprintf(error + strlen(error), error_size - strlen(error), " with job %s still %s",
                     jobid, state);
        cJSON_Delete(queue);
        if (!paused) {
            cJSON_Delete(submitted);
            return false;
        }
    }
    snprintf(path, sizeof path, "/compute/acct?jobs=%s", jobid);
    cJSON *accounting = call_through_task(program, "acct", "GET", path, NULL, error, error_size);
    const char *final_state = firecrest_final_state(accounting, jobid);
    bool completed = final_state != NULL && strcmp(final_state, "COMPLETED") == 0;
    if (accounting != NULL && !completed)
        snprintf(error, error_size, "job %s ended %s", jobid,
                 final_state != NULL ? final_state : "(not in acct)");
    cJSON_Delete(accounting);

    char *escaped = curl_easy_escape(program->easy, output_path, 0);
    snprintf(path, sizeof path, "/utilities/view?targetPath=%s", escaped);
    curl_free(escaped);
    char *reply = NULL;
    long status = api_call(program, "output", "GET", path, NULL, NULL, &reply, error, error_size);
    cJSON *json = status == 200 ? cJSON_Parse(reply) : NULL;
    const char *output = cJSON_GetStringValue(cJSON_GetObjectItem(json, "output"));
    if (output != NULL)
        firecrest_log(program->log, "%ld: job output: %.*s", index, (int)strcspn(output, "\n"),
                      output);
    else if (status != 0)
        snprintf(error, error_size, "reading %s: HTTP %ld", output_path, status);
    cJSON_Delete(json);
    free(reply);
    cJSON_Delete(submitted);
    return completed && output != NULL;
}

int main(int argc, char **argv)
{
    struct firecrest_options options;
    char error[512];
    switch (firecrest_options_parse(&options, false, argc, argv, error, sizeof error)) {
    case PARSE_SHOW_HELP: firecrest_options_help(stdout, "firecrest_sync", false); return 0;
    case PARSE_BAD_USAGE:
        fprintf(stderr, "firecrest_sync: %s (try --help)\n", error);
        return EXIT_BAD_USAGE;
    case PARSE_RUN: break;
    }
    if (options.script_path != NULL) { /* a missing --script is bad usage, found before any call */
        char *script = firecrest_job_script(&options, 0, error, sizeof error);
        if (script == NULL) {
            fprintf(stderr, "firecrest_sync: %s\n", error);
            return EXIT_BAD_USAGE;
        }
        free(script);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct program program = {.easy = curl_easy_init(),
                              .options = &options,
                              .deadline_at = monotonic_seconds() + options.deadline_s,
                              .job = -1,
                              .log = options.json ? stderr : stdout};
    firecrest_tally_start(&program.tally, "firecrest-sync", &options);
    if (!fetch_token(&program, error, sizeof error)) {
        fprintf(stderr, "firecrest_sync: cannot get a token: %s\n", error);
        program.tally.failed = options.jobs;
    } else {
        for (long index = 0; index < options.jobs; index++) {
            if (seconds_left(&program) <= 0) { /* the jobs not even started fail together */
                fprintf(stderr,
                        "firecrest_sync: the --deadline of %g s passed: jobs %ld to %ld not run\n",
                        options.deadline_s, index, options.jobs - 1);
                program.tally.failed += options.jobs - index;
                break;
            }
            error[0] = '\0';
            if (run_job(&program, index, error, sizeof error)) {
                program.tally.completed++;
            } else {
                program.tally.failed++;
                fprintf(stderr, "firecrest_sync: job %ld failed: %s\n", index,
                        error[0] ? error : "unknown error");
            }
        }
    }
    int exit_code = firecrest_tally_finish(&program.tally, options.json);
    curl_easy_cleanup(program.easy);
    curl_global_cleanup();
    return exit_code;
}
