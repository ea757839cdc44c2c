/*
 * firecrest_async.c - the FirecREST workflow for every job at once, on libuv.
 *
 *   make run-server                                # the kit's fake FirecREST
 *   bin/firecrest_async --jobs 50 --rate compute=0.2
 *
 * The payoff of the lesson. Each job does what firecrest_sync does (submit, poll
 * the queue until it is no longer active, confirm with acct, read its output),
 * but all jobs are in flight together, on one thread. Two things make that polite
 * to the server, and they are what to read this file for:
 *
 *   - Pacing (struct lane): each microservice gets a lane, and a lane starts at
 *     most one request every --rate seconds, however many jobs are waiting. The
 *     server's rate limit is never hit; a 429 is honoured anyway (Retry-After).
 *     Who goes first when submissions and polls wait together: next_in_line.
 *   - Merging (dispatch): when a lane's slot comes, every waiting poll of the same
 *     kind goes out as ONE request with the ids joined by commas (/tasks?tasks=a,b,c),
 *     and each job reads its own part of the answer. 50 jobs polling the queue cost
 *     one request per slot, not 50. All jobs run on one --system, so a merged request
 *     never mixes systems (pyfirecrest's merge can: it sends the first caller's).
 *
 * How libcurl runs on the loop is in uv_curl.c; this file is the workflow.
 */
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "call_report.h"
#include "curl_helpers.h"
#include "firecrest_api.h"
#include "uv_curl.h"

enum { MAX_MERGED = 100 };   /* ids per merged request: keeps URLs short */

/* What a request does. The last three are polls: those can be merged. */
enum request_kind { SUBMIT, VIEW_OUTPUT, QUEUE_POLL, ACCT_POLL, TASK_POLL };

struct program;

struct job {
    long index;
    char *script;
    char jobid[32];
    char output_path[512];
    bool finished;
    uv_timer_t poll_timer;       /* the pause between this job's queue polls */
    struct program *program;
};

/* A FirecREST task that jobs wait on. A merged queue poll makes one task for
 * all the jobs it asked about. */
struct pending_task {
    char id[64];
    enum request_kind purpose;   /* what its data answers: SUBMIT, QUEUE_POLL or ACCT_POLL */
    struct job **jobs;
    int job_count;
    struct pending_task *next_created;   /* every task made, freed at the end */
};

/* Something waiting in a lane for its slot. */
struct waiting {
    enum request_kind kind;
    struct job *job;             /* for SUBMIT, VIEW_OUTPUT, QUEUE_POLL, ACCT_POLL */
    struct pending_task *task;   /* for TASK_POLL */
    double since;                /* when it began waiting (monotonic seconds) */
    struct waiting *next;
};

/* One microservice's lane: at most one request start per `interval_s`. */
struct lane {
    enum api_service service;
    double interval_s;
    double next_slot;            /* monotonic seconds */
    uv_timer_t timer;
    struct waiting *head, *tail;
    struct program *program;
};

/* One HTTP request in flight, serving one or (merged) several waiting entries. */
struct request {
    enum request_kind kind;
    bool is_token;
    struct lane *lane;
    struct waiting *served;      /* a list: put back in the lane on a 429 */
    CURL *easy;
    struct reply_body body;
    struct curl_slist *headers;
    curl_mime *mime;
};

struct program {
    uv_loop_t loop;
    struct uv_curl curl;
    struct firecrest_options options;
    struct lane lanes[API_SERVICE_COUNT];
    struct job *jobs;
    long jobs_left;
    long requests_in_flight;
    char token[2048];
    double token_expires_at;     /* monotonic; refreshed 10 s early */
    bool token_in_flight;
    bool token_just_renewed;     /* a 401 right after a new token is an error, not a retry */
    struct pending_task *tasks;
    struct firecrest_tally tally;
    FILE *log;
};

static void lane_kick(struct lane *lane);
static void start_token_request(struct program *program);

/* --- jobs ending ----------------------------------------------------------------- */

static void job_end(struct job *job, bool completed, const char *why)
{
    struct program *program = job->program;
    if (job->finished)
        return;
    job->finished = true;
    program->jobs_left--;
    if (completed) {
        program->tally.completed++;
    } else {
        program->tally.failed++;
        fprintf(stderr, "firecrest_async: job %ld failed: %s\n", job->index, why);
    }
}

static void stop_when_all_done(struct program *program)
{
    if (program->jobs_left == 0 && program->requests_in_flight == 0)
        uv_stop(&program->loop);
}

/* --- lanes: pacing and merging ------------------------------------------------------ */

static void lane_append(struct lane *lane, struct waiting *entry)
{
    entry->next = NULL;
    if (lane->tail != NULL)
        lane->tail->next = entry;
    else
        lane->head = entry;
    lane->tail = entry;
}

static void enqueue(struct program *program, enum api_service service, enum request_kind kind,
                    struct job *job, struct pending_task *task)
{
    struct waiting *entry = calloc(1, sizeof *entry);
    if (entry == NULL) {
        if (job != NULL)
            job_end(job, false, "out of memory");
        return;
    }
    entry->kind = kind;
    entry->job = job;
    entry->task = task;
    entry->since = monotonic_seconds();
    lane_append(&program->lanes[service], entry);
    lane_kick(&program->lanes[service]);
}

/* libuv calls this when a lane's next slot has come. */
static void on_uv_lane_slot(uv_timer_t *timer)
{
    lane_kick(timer->data);
}

/* The id a waiting poll asks about. */
static const char *poll_id(const struct waiting *entry)
{
    return entry->kind == TASK_POLL ? entry->task->id : entry->job->jobid;
}

static struct request *request_new(enum request_kind kind, struct lane *lane)
{
    struct request *request = calloc(1, sizeof *request);
    if (request == NULL)
        return NULL;
    request->kind = kind;
    request->lane = lane;
    request->easy = curl_easy_init();
    curl_easy_setopt(request->easy, CURLOPT_PRIVATE, request);
    curl_easy_setopt(request->easy, CURLOPT_WRITEFUNCTION, reply_body_append);
    curl_easy_setopt(request->easy, CURLOPT_WRITEDATA, &request->body);
    curl_easy_setopt(request->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(request->easy, CURLOPT_TIMEOUT, 60L);
    return request;
}

static void request_start(struct program *program, struct request *request, const char *path)
{
    char url[8192 + 512], header[2200];
    snprintf(url, sizeof url, "%s%s", program->options.url, path);
    snprintf(header, sizeof header, "Authorization: Bearer %s", program->token);
    request->headers = curl_slist_append(NULL, header);
    snprintf(header, sizeof header, "X-Machine-Name: %s", program->options.system);
    request->headers = curl_slist_append(request->headers, header);
    curl_easy_setopt(request->easy, CURLOPT_URL, url);
    curl_easy_setopt(request->easy, CURLOPT_HTTPHEADER, request->headers);
    program->tally.requests[request->lane->service]++;
    program->requests_in_flight++;
    uv_curl_start(&program->curl, request->easy);
}

/*
 * Who gets the lane's slot: first come, first served, with one exception. In the
 * compute lane, submissions and polls share the slots, and every slot a poll takes
 * is a submission that waits: the run cannot end before the last job is submitted.
 * So polls wait behind submissions, but not for ever: a job seen finished only at
 * the end reads its output at the end, and 100 output reads queue up in the
 * utilities lane (5 s more). A poll that has waited two of its pauses (2 x
 * --poll-ms) goes ahead; merged, it takes the jobs' other waiting polls along.
 * Measured with 100 jobs (make bench): polls always first 48 s (submissions
 * starve), never 16.9 s, ahead after 1 pause 16.1 s, after 2 pauses 15.3 s.
 * And never sooner than 10 of the lane's slots, so that polls take at most about
 * one slot in five even with --poll-ms 0 (30 jobs: 16 s without this floor, 4.9 s).
 */
static struct waiting **next_in_line(const struct program *program, struct lane *lane)
{
    if (lane->head->kind != SUBMIT)
        return &lane->head;
    double overdue_after_s = fmax(2.0 * (double)program->options.poll_ms / 1000.0, 10 * lane->interval_s);
    double now = monotonic_seconds();
    for (struct waiting **link = &lane->head; *link != NULL; link = &(*link)->next)
        if ((*link)->kind != SUBMIT && now - (*link)->since >= overdue_after_s)
            return link;
    return &lane->head;
}

/* Take one entry out of its lane (`link` points at it). */
static struct waiting *lane_take(struct lane *lane, struct waiting **link)
{
    struct waiting *entry = *link;
    *link = entry->next;
    entry->next = NULL;
    if (lane->tail == entry) {                   /* the tail moved: find it again */
        lane->tail = NULL;
        for (struct waiting *each = lane->head; each != NULL; each = each->next)
            lane->tail = each;
    }
    return entry;
}

/*
 * The lane's slot has come: take the entry next in line, and with --merge every
 * other waiting poll of the same kind, and send them as one request.
 */
static void dispatch(struct program *program, struct lane *lane)
{
    struct waiting *first = lane_take(lane, next_in_line(program, lane));

    struct request *request = request_new(first->kind, lane);
    if (request == NULL) {
        lane_append(lane, first);   /* try again at the next slot */
        return;
    }
    request->served = first;
    char path[8192];
    if (first->kind == SUBMIT) {
        request->mime = curl_mime_init(request->easy);
        curl_mimepart *part = curl_mime_addpart(request->mime);
        curl_mime_name(part, "file");
        curl_mime_filename(part, "script.sh");
        curl_mime_data(part, first->job->script, CURL_ZERO_TERMINATED);
        curl_easy_setopt(request->easy, CURLOPT_MIMEPOST, request->mime);
        snprintf(path, sizeof path, "/compute/jobs/upload");
    } else if (first->kind == VIEW_OUTPUT) {
        char *escaped = curl_easy_escape(request->easy, first->job->output_path, 0);
        snprintf(path, sizeof path, "/utilities/view?targetPath=%s", escaped);
        curl_free(escaped);
    } else {
        /* A poll: gather the others of its kind waiting in this lane. */
        struct waiting *served_tail = first;
        int merged = 1;
        for (struct waiting **link = &lane->head; *link != NULL && program->options.merge && merged < MAX_MERGED;) {
            if ((*link)->kind != first->kind) {
                link = &(*link)->next;
                continue;
            }
            struct waiting *entry = lane_take(lane, link);   /* out of the lane... */
            served_tail->next = entry;                       /* ...into this request */
            served_tail = entry;
            merged++;
        }
        const char *start = first->kind == TASK_POLL   ? "/tasks?tasks="
                            : first->kind == QUEUE_POLL ? "/compute/jobs?jobs="
                                                        : "/compute/acct?jobs=";
        size_t used = (size_t)snprintf(path, sizeof path, "%s", start);
        for (struct waiting *entry = first; entry != NULL && used < sizeof path; entry = entry->next)
            used += (size_t)snprintf(path + used, sizeof path - used, "%s%s", entry == first ? "" : ",",
                                     poll_id(entry));
    }
    request_start(program, request, path);
}

/*
 * A lane's work: start what may start now, and set the timer for the next slot.
 * Nothing goes out without a valid token: a refresh first, 10 s before expiry.
 */
static void lane_kick(struct lane *lane)
{
    struct program *program = lane->program;
    if (lane->head == NULL)
        return;
    if (program->token_in_flight)
        return;                                  /* the token's arrival kicks every lane */
    if (monotonic_seconds() >= program->token_expires_at) {
        start_token_request(program);
        return;
    }
    double now = monotonic_seconds();
    if (now >= lane->next_slot) {
        dispatch(program, lane);
        lane->next_slot = now + lane->interval_s;
    }
    if (lane->head != NULL)
        uv_timer_start(&lane->timer, on_uv_lane_slot, (uint64_t)ceil((lane->next_slot - now) * 1000), 0);
}

/* --- the token -------------------------------------------------------------------- */

static void start_token_request(struct program *program)
{
    struct request *request = request_new(SUBMIT, &program->lanes[API_AUTH]);
    if (request == NULL)
        return;
    request->is_token = true;
    char *id = curl_easy_escape(request->easy, program->options.client_id, 0);
    char *secret = curl_easy_escape(request->easy, program->options.client_secret, 0);
    char form[600];
    snprintf(form, sizeof form, "grant_type=client_credentials&client_id=%s&client_secret=%s", id, secret);
    curl_free(id);
    curl_free(secret);
    curl_easy_setopt(request->easy, CURLOPT_URL, program->options.token_url);
    curl_easy_setopt(request->easy, CURLOPT_COPYPOSTFIELDS, form);
    program->token_in_flight = true;
    program->tally.requests[API_AUTH]++;
    program->requests_in_flight++;
    uv_curl_start(&program->curl, request->easy);
}

static void token_arrived(struct program *program, long status, const char *body, const char *transport_error)
{
    program->token_in_flight = false;
    char error[256] = "";
    long expires_in_s = 0;
    if (transport_error != NULL)
        snprintf(error, sizeof error, "%.150s: %.90s", program->options.token_url, transport_error);
    else if (status != 200)
        snprintf(error, sizeof error, "the token endpoint refused the credentials (HTTP %ld)", status);
    else
        firecrest_read_token(body, program->token, sizeof program->token, &expires_in_s, error, sizeof error);
    if (status != 200 || transport_error != NULL || expires_in_s <= 0) {
        fprintf(stderr, "firecrest_async: cannot get a token: %s\n", error);
        for (long i = 0; i < program->options.jobs; i++)
            job_end(&program->jobs[i], false, "no token");
        return;
    }
    program->token_expires_at = monotonic_seconds() + (double)expires_in_s - 10;
    program->token_just_renewed = true;
    for (int service = 0; service < API_SERVICE_COUNT; service++)
        lane_kick(&program->lanes[service]);
}

/* --- answers ------------------------------------------------------------------------- */

/* libuv calls this when a job's pause between two queue polls is over. */
static void on_uv_poll_again(uv_timer_t *timer)
{
    struct job *job = timer->data;
    enqueue(job->program, API_COMPUTE, QUEUE_POLL, job, NULL);
}

/* A task is finished: each job waiting on it takes its part of the data. */
static void task_done(struct program *program, struct pending_task *task, cJSON *data)
{
    for (int i = 0; i < task->job_count; i++) {
        struct job *job = task->jobs[i];
        if (job->finished)
            continue;
        if (task->purpose == SUBMIT) {
            const char *jobid = cJSON_GetStringValue(cJSON_GetObjectItem(data, "jobid"));
            const char *output = cJSON_GetStringValue(cJSON_GetObjectItem(data, "job_file_out"));
            if (jobid == NULL || output == NULL || strlen(jobid) >= sizeof job->jobid) {
                job_end(job, false, "the submission task has no jobid or job_file_out");
                continue;
            }
            snprintf(job->jobid, sizeof job->jobid, "%s", jobid);
            snprintf(job->output_path, sizeof job->output_path, "%s", output);
            firecrest_log(program->log, "%ld: Submitted job with jobid: %s", job->index, job->jobid);
            enqueue(program, API_COMPUTE, QUEUE_POLL, job, NULL);
        } else if (task->purpose == QUEUE_POLL) {
            const char *state = firecrest_active_state(data, job->jobid);
            if (state == NULL) {
                firecrest_log(program->log, "%ld: Job %s is no longer active", job->index, job->jobid);
                enqueue(program, API_COMPUTE, ACCT_POLL, job, NULL);
            } else {
                firecrest_log(program->log, "%ld: Job %s status: %s", job->index, job->jobid, state);
                uv_timer_start(&job->poll_timer, on_uv_poll_again, (uint64_t)program->options.poll_ms, 0);
            }
        } else {
            const char *state = firecrest_final_state(data, job->jobid);
            if (state != NULL && strcmp(state, "COMPLETED") == 0) {
                enqueue(program, API_UTILITIES, VIEW_OUTPUT, job, NULL);
            } else {
                char why[96];
                snprintf(why, sizeof why, "job %s ended %s", job->jobid, state != NULL ? state : "(not in acct)");
                job_end(job, false, why);
            }
        }
    }
}

/* A /tasks reply: each task it serves is finished, failed, or polled again. */
static void tasks_answered(struct program *program, struct waiting *served, const char *body)
{
    for (struct waiting *entry = served; entry != NULL; entry = entry->next) {
        struct pending_task *task = entry->task;
        char status[8], error[160];
        cJSON *data = NULL;
        if (!firecrest_read_task(body, task->id, status, &data, error, sizeof error)) {
            for (int i = 0; i < task->job_count; i++)
                job_end(task->jobs[i], false, error);
        } else if (strcmp(status, "200") < 0) {     /* statuses are strings: "100", "101" */
            enqueue(program, API_TASKS, TASK_POLL, NULL, task);
        } else if (strcmp(status, "200") == 0) {
            task_done(program, task, data);
        } else {
            snprintf(error, sizeof error, "task %s ended with status %s", task->id, status);
            for (int i = 0; i < task->job_count; i++)
                job_end(task->jobs[i], false, error);
        }
        cJSON_Delete(data);
    }
}

/* A call answered with a new task: remember which jobs wait on it, and poll it. */
static void task_created(struct program *program, struct request *request, const char *body)
{
    char error[128];
    struct pending_task *task = calloc(1, sizeof *task);
    int jobs = 0;
    for (struct waiting *entry = request->served; entry != NULL; entry = entry->next)
        jobs++;
    task->jobs = task != NULL ? calloc((size_t)jobs, sizeof *task->jobs) : NULL;
    if (task == NULL || task->jobs == NULL || !firecrest_read_task_id(body, task->id, sizeof task->id, error, sizeof error)) {
        for (struct waiting *entry = request->served; entry != NULL; entry = entry->next)
            job_end(entry->job, false, task == NULL || task->jobs == NULL ? "out of memory" : error);
        if (task != NULL)
            free(task->jobs);
        free(task);
        return;
    }
    task->purpose = request->kind;
    for (struct waiting *entry = request->served; entry != NULL; entry = entry->next)
        task->jobs[task->job_count++] = entry->job;
    task->next_created = program->tasks;
    program->tasks = task;
    enqueue(program, API_TASKS, TASK_POLL, NULL, task);
}

/* Every job a request was serving (for a task poll: the task's jobs) fails. */
static void request_failed(struct request *request, const char *why)
{
    for (struct waiting *entry = request->served; entry != NULL; entry = entry->next) {
        if (entry->kind == TASK_POLL)
            for (int i = 0; i < entry->task->job_count; i++)
                job_end(entry->task->jobs[i], false, why);
        else
            job_end(entry->job, false, why);
    }
}

/* Put a request's entries back at the head of its lane, in their order. */
static void requeue_at_head(struct request *request)
{
    struct lane *lane = request->lane;
    struct waiting *last = request->served;
    while (last->next != NULL)
        last = last->next;
    last->next = lane->head;
    lane->head = request->served;
    if (lane->tail == NULL)
        lane->tail = last;
    request->served = NULL;
}

static void free_served(struct waiting *served)
{
    while (served != NULL) {
        struct waiting *next = served->next;
        free(served);
        served = next;
    }
}

/* uv_curl calls this when a request is finished. */
static void on_request_done(struct uv_curl *glue, CURL *easy, CURLcode result)
{
    struct program *program = glue->data;
    struct request *request;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&request);
    program->requests_in_flight--;
    long status = 0;
    curl_off_t retry_after_s = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after_s);
    const char *body = request->body.bytes != NULL ? request->body.bytes : "";
    const char *transport_error = result == CURLE_OK ? NULL : curl_easy_strerror(result);

    if (request->is_token) {
        token_arrived(program, status, body, transport_error);
    } else if (transport_error != NULL) {
        request_failed(request, transport_error);
    } else if (status == 429) {
        /* The server's limit: wait as long as it says, then the same request again. */
        program->tally.rate_limited++;
        request->lane->next_slot = monotonic_seconds() + (retry_after_s > 0 ? (double)retry_after_s : 1.0);
        requeue_at_head(request);
        lane_kick(request->lane);
    } else if (status == 401 && !program->token_just_renewed) {
        requeue_at_head(request);                /* one fresh token, then again */
        program->token_expires_at = 0;
        lane_kick(request->lane);
    } else {
        program->token_just_renewed = false;
        bool ok = request->kind == SUBMIT ? status == 201 : status == 200;
        if (!ok) {
            char why[256];
            snprintf(why, sizeof why, "HTTP %ld: %.200s", status, body);
            request_failed(request, why);
        } else if (request->kind == TASK_POLL) {
            tasks_answered(program, request->served, body);
        } else if (request->kind == VIEW_OUTPUT) {
            cJSON *json = cJSON_Parse(body);
            const char *output = cJSON_GetStringValue(cJSON_GetObjectItem(json, "output"));
            struct job *job = request->served->job;
            if (output != NULL)
                firecrest_log(program->log, "%ld: job output: %.*s", job->index, (int)strcspn(output, "\n"), output);
            job_end(job, output != NULL, "the output view has no \"output\"");
            cJSON_Delete(json);
        } else {
            task_created(program, request, body);
        }
    }
    free_served(request->served);
    curl_slist_free_all(request->headers);
    curl_mime_free(request->mime);
    free(request->body.bytes);
    curl_easy_cleanup(easy);
    free(request);
    stop_when_all_done(program);
}

/* --- start and end ----------------------------------------------------------------- */

static void shut_down(struct program *program)
{
    for (long i = 0; i < program->options.jobs; i++) {
        free(program->jobs[i].script);
        uv_close((uv_handle_t *)&program->jobs[i].poll_timer, NULL);
    }
    for (int service = 0; service < API_SERVICE_COUNT; service++) {
        free_served(program->lanes[service].head);
        uv_close((uv_handle_t *)&program->lanes[service].timer, NULL);
    }
    while (program->tasks != NULL) {
        struct pending_task *next = program->tasks->next_created;
        free(program->tasks->jobs);
        free(program->tasks);
        program->tasks = next;
    }
    uv_curl_close(&program->curl);
    uv_run(&program->loop, UV_RUN_DEFAULT);     /* let libuv finish closing */
    if (uv_loop_close(&program->loop) != 0)
        fprintf(stderr, "firecrest_async: bug: the loop still has handles\n");
    free(program->jobs);
}

int main(int argc, char **argv)
{
    static struct program program;   /* static: large, and lives as long as the run */
    char error[512];
    switch (firecrest_options_parse(&program.options, true, argc, argv, error, sizeof error)) {
    case PARSE_SHOW_HELP:
        firecrest_options_help(stdout, "firecrest_async", true);
        return 0;
    case PARSE_BAD_USAGE:
        fprintf(stderr, "firecrest_async: %s (try --help)\n", error);
        return EXIT_BAD_USAGE;
    case PARSE_RUN:
        break;
    }
    const struct firecrest_options *options = &program.options;
    program.jobs = calloc((size_t)options->jobs, sizeof *program.jobs);
    if (program.jobs == NULL)
        return 1;
    for (long i = 0; i < options->jobs; i++) {
        program.jobs[i] = (struct job){.index = i, .program = &program,
                                       .script = firecrest_job_script(options, i, error, sizeof error)};
        if (program.jobs[i].script == NULL) {
            fprintf(stderr, "firecrest_async: %s\n", error);
            for (long j = 0; j < i; j++)
                free(program.jobs[j].script);
            free(program.jobs);
            return EXIT_BAD_USAGE;
        }
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    uv_loop_init(&program.loop);
    uv_curl_init(&program.curl, &program.loop, on_request_done, &program);
    for (int service = 0; service < API_SERVICE_COUNT; service++) {
        struct lane *lane = &program.lanes[service];
        *lane = (struct lane){.service = (enum api_service)service, .interval_s = options->rate_seconds[service],
                              .program = &program};
        uv_timer_init(&program.loop, &lane->timer);
        lane->timer.data = lane;
    }
    for (long i = 0; i < options->jobs; i++) {
        uv_timer_init(&program.loop, &program.jobs[i].poll_timer);
        program.jobs[i].poll_timer.data = &program.jobs[i];
    }
    program.jobs_left = options->jobs;
    program.log = options->json ? stderr : stdout;
    program.tally = (struct firecrest_tally){.client = "firecrest-async", .jobs = options->jobs,
                                             .started_at = monotonic_seconds()};

    /* Every job starts at once: its submission waits in the compute lane. */
    for (long i = 0; i < options->jobs; i++) {
        firecrest_log(program.log, "%ld: Starting workflow", i);
        enqueue(&program, API_COMPUTE, SUBMIT, &program.jobs[i], NULL);
    }
    uv_run(&program.loop, UV_RUN_DEFAULT);

    int exit_code = firecrest_tally_finish(&program.tally, options->json);
    shut_down(&program);
    curl_global_cleanup();
    return exit_code;
}
