/*
 * firecrest_compute.c - /compute: a simulated Slurm.
 *
 * A submitted job waits PENDING for a moment, runs for --job-ms, and ends
 * COMPLETED (or FAILED, or CANCELLED). The batch script is NEVER executed: the
 * server only reads it. Its top-level `echo` lines are copied to the job's output
 * file, so tutorials that print "hello" see "hello"; an `exit N` with N > 0 makes
 * the job end FAILED.
 */
#define _GNU_SOURCE /* O_PATH */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "firecrest_internal.h"
#include "json_reply.h"
#include "multipart.h"
#include "sandbox.h"

enum { MAX_SCRIPT_BYTES = 1024 * 1024 };

/* --- reading the script ---------------------------------------------------------- */

/* The echo output as it grows, in a buffer sized from the script (never fixed:
 * a script of 70 000 `echo` lines once overran a 64 KB one). */
struct echo_output {
    char *bytes;
    size_t used, size;
};

/* What `echo ARGS` would print, for simple ARGS: quotes removed, no expansion. */
static void append_echo(const char *arguments, struct echo_output *out)
{
    char quote = 0;
    bool at_start = true;
    size_t line_start = out->used;
    for (const char *c = arguments; *c != '\0' && *c != '\n' && out->used + 2 < out->size; c++) {
        if (quote == 0 && (*c == '"' || *c == '\'')) {
            quote = *c;
        } else if (quote != 0 && *c == quote) {
            quote = 0;
        } else if (quote == 0 && (*c == ';' || *c == '#' || *c == '>' || *c == '|' || *c == '&')) {
            break; /* the rest is another command, a comment or a redirection */
        } else if (quote == 0 && isspace((unsigned char)*c)) {
            if (!at_start && out->bytes[out->used - 1] != ' ')
                out->bytes[out->used++] = ' ';
        } else {
            out->bytes[out->used++] = *c;
            at_start = false;
        }
    }
    while (out->used > line_start && out->bytes[out->used - 1] == ' ')
        out->used--;
    if (out->used + 1 < out->size)
        out->bytes[out->used++] = '\n';
    out->bytes[out->used] = '\0';
}

/* Read the script: its echo output, and the exit code it asks for. Each echo
 * line prints at most as many bytes as it has, so the script's length + 2 is
 * room enough for all of them. */
static char *read_script(const char *script, int *exit_code)
{
    struct echo_output out = {.size = strlen(script) + 2};
    out.bytes = calloc(1, out.size);
    *exit_code = 0;
    if (out.bytes == NULL)
        return NULL;
    for (const char *line = script; line != NULL && *line != '\0';) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (strncmp(line, "echo ", 5) == 0 || strncmp(line, "echo\n", 5) == 0) {
            append_echo(line + 4, &out);
        } else if (strncmp(line, "exit ", 5) == 0) {
            long code = strtol(line + 5, NULL, 10);       /* saturates, never overflows */
            *exit_code = (int)((code % 256 + 256) % 256); /* as the shell: exit 300 is 44 */
        }
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    return out.bytes;
}

/* --- jobs --------------------------------------------------------------------------- */

static void job_paths(struct firecrest_job *job)
{
    snprintf(job->script, sizeof job->script, "%s/script.sh", job->directory);
    snprintf(job->output, sizeof job->output, "%s/slurm-%ld.out", job->directory, job->id);
    snprintf(job->error, sizeof job->error, "%s/slurm-%ld.err", job->directory, job->id);
}

/* Write `content` to `path` in the job's user's home. */
static void write_job_file(struct firecrest *firecrest, const struct firecrest_job *job,
                           const char *path, const char *content)
{
    struct sandbox home;
    if (firecrest_enter_home(firecrest, job->system, job->user, &home) != 0)
        return;
    int fd =
        sandbox_open(&home, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK, 0644);
    sandbox_leave(&home);
    if (fd >= 0) {
        size_t length = strlen(content);
        if (write(fd, content, length) != (ssize_t)length)
            perror("server: writing a job file");
        close(fd);
    }
}

struct firecrest_job *firecrest_job_submit(struct firecrest *firecrest,
                                           const struct firecrest_call *call, const char *script,
                                           const char *name, cJSON *transfer, char *error,
                                           size_t error_size)
{
    struct firecrest_job *job = NULL;
    if (firecrest->job_count < MAX_JOBS) {
        job = &firecrest->jobs[firecrest->job_count++];
    } else { /* full: the job that ended longest ago is forgotten */
        for (int i = 0; i < MAX_JOBS; i++) {
            struct firecrest_job *candidate = &firecrest->jobs[i];
            if ((candidate->ended || candidate->cancelled) && !candidate->transferring &&
                (job == NULL || candidate->ends_ms < job->ends_ms))
                job = candidate;
        }
        if (job == NULL) {
            snprintf(error, error_size, "too many jobs running: the fake cluster runs at most %d",
                     MAX_JOBS);
            cJSON_Delete(transfer);
            return NULL;
        }
        free(job->echo_output);
        cJSON_Delete(job->transfer);
    }
    memset(job, 0, sizeof *job);
    job->id = firecrest->next_job_id++;
    snprintf(job->user, sizeof job->user, "%s", call->user);
    for (int i = 0; i < firecrest->system_count; i++)
        if (call->system == firecrest->system_names[i])
            job->system = i;
    snprintf(job->name, sizeof job->name, "%s", name);
    unsigned char random[8];
    RAND_bytes(random, sizeof random);
    snprintf(job->directory, sizeof job->directory,
             "/home/%s/firecrest/%02x%02x%02x%02x%02x%02x%02x%02x", call->user, random[0],
             random[1], random[2], random[3], random[4], random[5], random[6], random[7]);
    job_paths(job);
    sandbox_make_directories(&call->sandbox, job->directory);
    write_job_file(firecrest, job, job->script, script);
    job->echo_output = read_script(script, &job->exit_code);
    job->transfer = transfer;
    job->submitted_ms = monotonic_ms();
    job->starts_ms = job->submitted_ms + firecrest->config.queue_ms;
    job->ends_ms = job->starts_ms + firecrest->config.job_ms;
    return job;
}

cJSON *firecrest_job_submitted(const struct firecrest_job *job)
{
    cJSON *data = cJSON_CreateObject();
    char id[32];
    snprintf(id, sizeof id, "%ld", job->id);
    cJSON_AddStringToObject(data, "result", "Job submitted");
    cJSON_AddStringToObject(data, "jobid", id);
    cJSON_AddStringToObject(data, "job_file", job->script);
    cJSON_AddStringToObject(data, "job_file_out", job->output);
    cJSON_AddStringToObject(data, "job_file_err", job->error);
    cJSON_AddStringToObject(data, "job_data_out", "");
    cJSON_AddStringToObject(data, "job_data_err", "");
    return data;
}

static const char *job_state(const struct firecrest_job *job, int64_t now_ms)
{
    if (job->cancelled)
        return "CANCELLED";
    if (now_ms < job->starts_ms)
        return "PENDING";
    if (now_ms < job->ends_ms || !job->ended)
        return "RUNNING";
    return job->exit_code == 0 ? "COMPLETED" : "FAILED";
}

static bool job_is_active(const struct firecrest_job *job, int64_t now_ms)
{
    const char *state = job_state(job, now_ms);
    return strcmp(state, "PENDING") == 0 || strcmp(state, "RUNNING") == 0;
}

void firecrest_jobs_advance(struct firecrest *firecrest)
{
    int64_t now_ms = monotonic_ms();
    for (int i = 0; i < firecrest->job_count; i++) {
        struct firecrest_job *job = &firecrest->jobs[i];
        if (job->ended || job->cancelled || job->transferring || now_ms < job->ends_ms)
            continue;
        if (job->transfer != NULL) {
            job->transferring = true; /* firecrest_transfers_run does the work, then ends it */
            continue;
        }
        write_job_file(firecrest, job, job->output, job->echo_output ? job->echo_output : "");
        write_job_file(firecrest, job, job->error, "");
        job->ended = true;
    }
}

/* "0:05": how long a job has run, as squeue shows it. */
static void duration_text(int64_t ms, char *text, size_t size)
{
    long seconds = ms > 0 ? (long)(ms / 1000) : 0;
    snprintf(text, size, "%ld:%02ld", seconds / 60, seconds % 60);
}

static cJSON *job_json(const struct firecrest_job *job, int64_t now_ms, bool accounting)
{
    char text[64];
    cJSON *json = cJSON_CreateObject();
    snprintf(text, sizeof text, "%ld", job->id);
    cJSON_AddStringToObject(json, "jobid", text);
    cJSON_AddStringToObject(json, "partition", "normal");
    cJSON_AddStringToObject(json, "name", job->name);
    cJSON_AddStringToObject(json, "user", job->user);
    cJSON_AddStringToObject(json, "state", job_state(job, now_ms));
    time_t started = time(NULL) - (time_t)((now_ms - job->starts_ms) / 1000);
    struct tm utc;
    if (now_ms >= job->starts_ms)
        strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", gmtime_r(&started, &utc));
    else
        snprintf(text, sizeof text, "N/A");
    cJSON_AddStringToObject(json, "start_time", text);
    int64_t ran_ms = (now_ms < job->ends_ms ? now_ms : job->ends_ms) - job->starts_ms;
    duration_text(ran_ms, text, sizeof text);
    cJSON_AddStringToObject(json, "time", text);
    duration_text(job->ends_ms - now_ms, text, sizeof text);
    cJSON_AddStringToObject(json, "time_left", text);
    cJSON_AddStringToObject(json, "nodes", "1");
    cJSON_AddStringToObject(json, "nodelist", now_ms >= job->starts_ms ? "nid00001" : "");
    if (accounting) {
        duration_text(ran_ms, text, sizeof text);
        cJSON_AddStringToObject(json, "elapsed_time", text);
        cJSON_AddStringToObject(json, "cpu_time", text);
        cJSON_AddStringToObject(json, "termination_time",
                                job_is_active(job, now_ms) ? "Unknown" : "ended");
        snprintf(text, sizeof text, "%d:0", job->exit_code);
        cJSON_AddStringToObject(json, "exit_code", text);
    } else {
        cJSON_AddStringToObject(json, "job_file", job->script);
        cJSON_AddStringToObject(json, "job_file_out", job->output);
        cJSON_AddStringToObject(json, "job_file_err", job->error);
        cJSON_AddStringToObject(json, "job_data_out", "");
        cJSON_AddStringToObject(json, "job_data_err", "");
    }
    return json;
}

/* Is `id` in the comma list `wanted` (or is the list empty)? */
static bool wanted_job(const char *wanted, long id)
{
    if (wanted == NULL || wanted[0] == '\0')
        return true;
    char text[32];
    int length = snprintf(text, sizeof text, "%ld", id);
    for (const char *at = wanted; (at = strstr(at, text)) != NULL; at++) {
        bool starts = at == wanted || at[-1] == ',';
        bool ends = at[length] == '\0' || at[length] == ',';
        if (starts && ends)
            return true;
    }
    return false;
}

/* The task of GET /compute/jobs and /compute/acct: the answer as of when it finishes. */
static void finish_listing(struct firecrest *firecrest, struct firecrest_task *task)
{
    const char *wanted = cJSON_GetStringValue(cJSON_GetObjectItem(task->arguments, "jobs"));
    bool accounting = cJSON_IsTrue(cJSON_GetObjectItem(task->arguments, "acct"));
    int64_t now_ms = monotonic_ms();
    cJSON *data = accounting ? cJSON_CreateArray() : cJSON_CreateObject();
    int position = 0;
    for (int i = 0; i < firecrest->job_count; i++) {
        const struct firecrest_job *job = &firecrest->jobs[i];
        if (job->id == 0 || strcmp(job->user, task->user) != 0 ||
            firecrest->system_names[job->system] != task->system || !wanted_job(wanted, job->id))
            continue;
        if (accounting) {
            cJSON_AddItemToArray(data, job_json(job, now_ms, true));
        } else if (job_is_active(job, now_ms)) { /* squeue lists only active jobs */
            char key[16];
            snprintf(key, sizeof key, "%d", position++);
            cJSON_AddItemToObject(data, key, job_json(job, now_ms, false));
        }
    }
    firecrest_task_set(task, "200", data);
}

static void finish_submission(struct firecrest *firecrest, struct firecrest_task *task)
{
    (void)firecrest;
    /* The job exists since the call; the task reports it once "scheduled". */
    firecrest_task_set(task, "200",
                       cJSON_Duplicate(cJSON_GetObjectItem(task->arguments, "submitted"), true));
}

static void finish_cancel(struct firecrest *firecrest, struct firecrest_task *task)
{
    double id = cJSON_GetNumberValue(cJSON_GetObjectItem(task->arguments, "jobid"));
    for (int i = 0; i < firecrest->job_count; i++) {
        struct firecrest_job *job = &firecrest->jobs[i];
        if ((double)job->id == id && strcmp(job->user, task->user) == 0) {
            if (job_is_active(job, monotonic_ms()))
                job->cancelled = true;
            firecrest_task_set(task, "200", cJSON_CreateString(""));
            return;
        }
    }
    char message[96];
    snprintf(message, sizeof message, "scancel: error: Invalid job id specified: %.0f", id);
    firecrest_task_set(task, "400", cJSON_CreateString(message));
}

/* Finished at once: nodes, partitions, reservations of the fake cluster. */
static void finish_static(struct firecrest *firecrest, struct firecrest_task *task)
{
    (void)firecrest;
    firecrest_task_set(task, "200",
                       cJSON_Duplicate(cJSON_GetObjectItem(task->arguments, "answer"), true));
}

static cJSON *static_answer(const char *what)
{
    cJSON *list = cJSON_CreateArray();
    cJSON *item = cJSON_CreateObject();
    if (strcmp(what, "nodes") == 0) {
        cJSON_AddStringToObject(item, "NodeName", "nid00001");
        cJSON_AddStringToObject(item, "State", "IDLE");
        cJSON_AddStringToObject(item, "Partitions", "normal");
        cJSON_AddStringToObject(item, "ActiveFeatures", "gpu");
    } else if (strcmp(what, "partitions") == 0) {
        cJSON_AddStringToObject(item, "PartitionName", "normal");
        cJSON_AddStringToObject(item, "State", "UP");
        cJSON_AddStringToObject(item, "TotalNodes", "1");
        cJSON_AddStringToObject(item, "TotalCPUs", "128");
        cJSON_AddStringToObject(item, "Default", "YES");
    } else {
        cJSON_Delete(item);
        return list; /* no reservations on the fake cluster */
    }
    cJSON_AddItemToArray(list, item);
    return list;
}

/* --- the handler --------------------------------------------------------------------- */

/* Submission by upload: the script arrives as the multipart field "file". */
struct script_upload {
    struct multipart_field field;
    char *script;
    size_t length;
    bool too_big;
};

/* civetweb calls this with each piece of a field's data (see multipart.h). */
static int on_script_data(const char *key, const char *value, size_t length, void *upload_ptr)
{
    struct script_upload *upload = upload_ptr;
    if (strcmp(multipart_field_name(&upload->field, key), "file") != 0)
        return MG_FORM_FIELD_HANDLE_GET;
    if (upload->length + length > MAX_SCRIPT_BYTES) {
        upload->too_big = true;
        return MG_FORM_FIELD_HANDLE_ABORT;
    }
    char *grown = realloc(upload->script, upload->length + length + 1);
    if (grown == NULL)
        return MG_FORM_FIELD_HANDLE_ABORT;
    memcpy(grown + upload->length, value, length);
    upload->script = grown;
    upload->length += length;
    upload->script[upload->length] = '\0';
    return MG_FORM_FIELD_HANDLE_GET;
}

static int on_compute(struct mg_connection *conn, void *firecrest_ptr)
{
    struct firecrest *firecrest = firecrest_ptr;
    const struct mg_request_info *request = mg_get_request_info(conn);
    const char *what = request->local_uri + strlen("/compute/");
    const char *method = request->request_method;
    bool is_upload = strcmp(what, "jobs/upload") == 0;
    struct firecrest_call call;
    if (!firecrest_call_begin(&call, conn, firecrest, SERVICE_COMPUTE,
                              NEEDS_SYSTEM | (is_upload ? KEEP_BODY : 0)))
        return call.status;

    char *script = NULL;
    char error[256] = "";
    if (is_upload && strcmp(method, "POST") == 0) {
        if (!firecrest_accept_body(conn, MAX_SCRIPT_BYTES + 64 * 1024)) {
            firecrest_call_end(&call);
            return 413;
        }
        struct script_upload upload = {0};
        struct mg_form_data_handler handler = {.field_found = multipart_get_every_field,
                                               .field_get = on_script_data,
                                               .user_data = &upload};
        multipart_read_form(conn, &handler);
        if (upload.too_big)
            snprintf(error, sizeof error, "the batch script is larger than 1 MB");
        else if (upload.script == NULL)
            snprintf(error, sizeof error,
                     "expected a multipart form with the batch script as 'file'");
        script = upload.script;
    } else if (strcmp(what, "jobs/path") == 0 && strcmp(method, "POST") == 0) {
        char path[PATH_MAX];
        if (!firecrest_param(&call, "targetPath", path, sizeof path)) {
            snprintf(error, sizeof error, "Error: no targetPath set");
        } else {
            /* O_NONBLOCK: a FIFO would otherwise hold this worker until a writer came. */
            int fd = sandbox_open(&call.sandbox, path, O_RDONLY | O_NONBLOCK, 0);
            struct stat info;
            if (fd < 0)
                snprintf(error, sizeof error, "%.200s: no such batch script", path);
            else if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode))
                snprintf(error, sizeof error, "%.200s: not a file", path);
            else if (info.st_size > MAX_SCRIPT_BYTES)
                snprintf(error, sizeof error, "the batch script is larger than 1 MB");
            else if ((script = calloc(1, (size_t)info.st_size + 1)) == NULL)
                snprintf(error, sizeof error, "out of memory");
            else if (read(fd, script, (size_t)info.st_size) < 0)
                script[0] = '\0';
            if (fd >= 0)
                close(fd);
        }
    }

    int status;
    pthread_mutex_lock(&firecrest->state_lock);
    struct firecrest_task *task = NULL;
    if (error[0] != '\0') {
        status = firecrest_error(conn, 400, "X-Invalid-Path", error);
    } else if (script != NULL) {
        struct firecrest_job *job =
            firecrest_job_submit(firecrest, &call, script, "script.sh", NULL, error, sizeof error);
        if (job == NULL) {
            status = firecrest_error(conn, 400, "X-Error", error);
        } else {
            cJSON *arguments = cJSON_CreateObject();
            cJSON_AddItemToObject(arguments, "submitted", firecrest_job_submitted(job));
            task = firecrest_task_create(firecrest, &call, "compute", "100", finish_submission,
                                         arguments);
            status = task ? firecrest_task_reply(conn, 201, task)
                          : firecrest_error(conn, 503, NULL, "too many tasks");
        }
    } else if ((strcmp(what, "jobs") == 0 || strcmp(what, "acct") == 0) &&
               strcmp(method, "GET") == 0) {
        char jobs[8192] = "";
        firecrest_param(&call, "jobs", jobs, sizeof jobs);
        cJSON *arguments = cJSON_CreateObject();
        cJSON_AddStringToObject(arguments, "jobs", jobs);
        cJSON_AddBoolToObject(arguments, "acct", strcmp(what, "acct") == 0);
        task = firecrest_task_create(firecrest, &call, "compute", "100", finish_listing, arguments);
        status = task ? firecrest_task_reply(conn, 200, task)
                      : firecrest_error(conn, 503, NULL, "too many tasks");
    } else if (strncmp(what, "jobs/", 5) == 0 && strcmp(method, "DELETE") == 0) {
        char *end;
        long id = strtol(what + 5, &end, 10);
        if (end == what + 5 || *end != '\0') {
            status = firecrest_error(conn, 400, "X-Error", "the job id must be a number");
        } else {
            cJSON *arguments = cJSON_CreateObject();
            cJSON_AddNumberToObject(arguments, "jobid", (double)id);
            task =
                firecrest_task_create(firecrest, &call, "compute", "100", finish_cancel, arguments);
            status = task ? firecrest_task_reply(conn, 200, task)
                          : firecrest_error(conn, 503, NULL, "too many tasks");
        }
    } else if ((strcmp(what, "nodes") == 0 || strcmp(what, "partitions") == 0 ||
                strcmp(what, "reservations") == 0) &&
               strcmp(method, "GET") == 0) {
        cJSON *arguments = cJSON_CreateObject();
        cJSON_AddItemToObject(arguments, "answer", static_answer(what));
        task = firecrest_task_create(firecrest, &call, "compute", "100", finish_static, arguments);
        status = task ? firecrest_task_reply(conn, 200, task)
                      : firecrest_error(conn, 503, NULL, "too many tasks");
    } else {
        status = json_error(conn, 404, "no such /compute endpoint, or not with this method", NULL);
    }
    pthread_mutex_unlock(&firecrest->state_lock);
    free(script);
    firecrest_call_end(&call);
    return status;
}

/* --- internal transfers: jobs that really copy/move/remove inside the sandbox ------- */

/* Copy, move or remove inside the user's home. Runs without state_lock. */
static bool run_transfer(struct firecrest *firecrest, int system, const char *user,
                         const cJSON *transfer)
{
    const char *action = cJSON_GetStringValue(cJSON_GetObjectItem(transfer, "action"));
    const char *source = cJSON_GetStringValue(cJSON_GetObjectItem(transfer, "source"));
    const char *target = cJSON_GetStringValue(cJSON_GetObjectItem(transfer, "target"));
    struct sandbox home;
    if (action == NULL || source == NULL || target == NULL ||
        firecrest_enter_home(firecrest, system, user, &home) != 0)
        return false;
    char source_name[NAME_MAX + 1], target_name[NAME_MAX + 1];
    int from = sandbox_open_parent(&home, source, source_name, sizeof source_name);
    int result = from;
    if (from >= 0 && strcmp(action, "rm") == 0) {
        result = sandbox_remove_tree(from, source_name);
    } else if (from >= 0) {
        /* Into a directory that exists: keep the source's name, as cp and mv do. */
        char *destination = malloc(PATH_MAX);
        int directory = sandbox_open(&home, target, O_PATH | O_DIRECTORY, 0);
        if (directory >= 0)
            close(directory);
        result = destination == NULL ? -1 : 0;
        if (destination != NULL && snprintf(destination, PATH_MAX, directory >= 0 ? "%s/%s" : "%s",
                                            target, source_name) >= PATH_MAX)
            result = -1;
        int to = result < 0
                     ? -1
                     : sandbox_open_parent(&home, destination, target_name, sizeof target_name);
        result = to;
        if (to >= 0) {
            result = strcmp(action, "mv") == 0
                         ? (renameat(from, source_name, to, target_name) == 0 ? 0 : -1)
                         : sandbox_copy_tree(from, source_name, to, target_name);
            close(to);
        }
        free(destination);
    }
    if (from >= 0)
        close(from);
    sandbox_leave(&home);
    return result >= 0;
}

/*
 * Run the transfers whose jobs are due. Called by the scheduler with state_lock
 * held; each copy runs with the lock released: a 1.5 GB copy takes seconds, and
 * every user's calls need the lock meanwhile. The job cannot be reused while it
 * runs (`transferring` keeps it from being evicted).
 */
void firecrest_transfers_run(struct firecrest *firecrest)
{
    for (int i = 0; i < firecrest->job_count; i++) {
        struct firecrest_job *job = &firecrest->jobs[i];
        if (!job->transferring)
            continue;
        cJSON *transfer = cJSON_Duplicate(job->transfer, true);
        char user[sizeof job->user];
        snprintf(user, sizeof user, "%s", job->user);
        int system = job->system;
        pthread_mutex_unlock(&firecrest->state_lock);
        bool done = run_transfer(firecrest, system, user, transfer);
        cJSON_Delete(transfer);
        pthread_mutex_lock(&firecrest->state_lock);
        job = &firecrest->jobs[i];
        if (!done)
            job->exit_code = 1;
        free(job->echo_output);
        job->echo_output = strdup(done ? "transfer done\n" : "");
        write_job_file(firecrest, job, job->output, job->echo_output ? job->echo_output : "");
        write_job_file(firecrest, job, job->error, "");
        job->transferring = false;
        job->ended = true;
    }
}

void firecrest_compute_register(struct mg_context *context, struct firecrest *firecrest)
{
    mg_set_request_handler(context, "/compute/**", on_compute, firecrest);
}

void firecrest_jobs_free(struct firecrest *firecrest)
{
    for (int i = 0; i < firecrest->job_count; i++) {
        free(firecrest->jobs[i].echo_output);
        cJSON_Delete(firecrest->jobs[i].transfer);
    }
}
