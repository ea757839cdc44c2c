/*
 * workflow.c - exercise 07: the pyfirecrest tutorial's workflow, paced and merged.
 *
 *   workflow BASE_URL JOBS        e.g. workflow http://127.0.0.1:8080 20
 *
 * Against the kit's fake FirecREST (bin/server), all JOBS jobs at once on one libuv
 * loop: submit a batch script (job i echoes i), poll the queue until the job is no
 * longer active, read its output. Every slow step answers with a *task* that is polled
 * on /tasks until it is done. The log follows the tutorial's lines:
 *
 *   3: Submitted job with jobid: 1004
 *   3: Job 1004 status: RUNNING
 *   3: Job 1004 is no longer active
 *   3: job output: 3
 *
 * An event loop makes it easy to send 20 requests in one millisecond, and the server
 * limits each microservice's rate (10 a second for compute and tasks): past it, it
 * answers 429 Too Many Requests, and this client gives that job up. Your two blanks:
 *   - pacing, in lane_kick(): each microservice has a lane that starts at most one
 *     request every `time_between_calls` seconds (pyfirecrest's name);
 *   - merging, in dispatch(): when a lane's slot comes, every poll of the same kind
 *     waiting in it goes out as ONE request (/tasks?tasks=a,b,c), and each job reads
 *     its own part of the answer.
 * The kit's full client: firecrest/clients/firecrest_async.c (lane_kick, dispatch).
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "uv_curl.h"

enum { MAX_JOBS = 100, POLL_PAUSE_MS = 300 };

/* The microservices this workflow calls, each with its own lane. */
enum service { COMPUTE, TASKS, UTILITIES, SERVICE_COUNT };
static const char *const service_names[SERVICE_COUNT] = {"compute", "tasks", "utilities"};
/* pyfirecrest's client.time_between_calls: under the server's 10 (20) requests a second. */
static const double time_between_calls[SERVICE_COUNT] = {0.11, 0.11, 0.055};

/* What a request does. QUEUE_POLL and TASK_POLL are polls: those can be merged. */
enum kind { SUBMIT, QUEUE_POLL, TASK_POLL, VIEW_OUTPUT };

struct program;

struct job {
    int index;
    char jobid[32];
    char output_path[512];
    char task_id[64];            /* the task this job waits on now */
    enum kind task_is_for;       /* SUBMIT or QUEUE_POLL: what the task's data answers */
    bool finished, completed;
    uv_timer_t pause;            /* between two queue polls */
    struct program *program;
};

/* A job waiting in a lane for its slot. */
struct waiting {
    enum kind kind;
    struct job *job;
    struct waiting *next;
};

/* One microservice's lane: at most one request start every interval_s. */
struct lane {
    enum service service;
    double interval_s;
    double next_slot_s;          /* when the next request may start (loop seconds) */
    uv_timer_t timer;            /* wakes the lane at its next slot */
    struct waiting *head, *tail;
    struct program *program;
};

/* One HTTP request, serving one waiting job or (merged) several. */
struct request {
    enum kind kind;
    struct lane *lane;
    struct waiting *served;
    CURL *easy;
    char *body;
    size_t body_length;
    struct curl_slist *headers;
    curl_mime *mime;
};

struct program {
    uv_loop_t loop;
    struct uv_curl curl;
    const char *base_url;
    char token[2048];
    struct lane lanes[SERVICE_COUNT];
    struct job jobs[MAX_JOBS];
    int job_count, jobs_left;
    long requests[SERVICE_COUNT];
    long polls_asked[TASK_POLL + 1];  /* per job and kind: what merging saves */
    long refused;                     /* 429s */
    int requests_in_flight;
};

static void lane_kick(struct lane *lane);

static double now_seconds(void)
{
    return (double)uv_hrtime() / 1e9;
}

/* --- given: the lanes' queues -------------------------------------------------------- */

static void enqueue(struct program *program, enum service service, enum kind kind, struct job *job)
{
    struct waiting *entry = calloc(1, sizeof *entry);
    if (entry == NULL)
        abort();
    *entry = (struct waiting){.kind = kind, .job = job};
    struct lane *lane = &program->lanes[service];
    if (lane->tail != NULL)
        lane->tail->next = entry;
    else
        lane->head = entry;
    lane->tail = entry;
    lane_kick(lane);
}

/* Take the entry `link` points at out of its lane. */
static struct waiting *lane_take(struct lane *lane, struct waiting **link)
{
    struct waiting *entry = *link;
    *link = entry->next;
    entry->next = NULL;
    if (lane->tail == entry) {   /* it was the last: find the new last */
        lane->tail = NULL;
        for (struct waiting *each = lane->head; each != NULL; each = each->next)
            lane->tail = each;
    }
    return entry;
}

static void job_end(struct job *job, bool completed, const char *why)
{
    if (job->finished)
        return;
    job->finished = true;
    job->completed = completed;
    job->program->jobs_left--;
    if (!completed)
        printf("%d: job failed: %s\n", job->index, why);
}

/* --- given: starting a request --------------------------------------------------------- */

static size_t on_body_piece(char *data, size_t size, size_t count, void *request_ptr)
{
    struct request *request = request_ptr;
    size_t piece = size * count;
    char *grown = realloc(request->body, request->body_length + piece + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + request->body_length, data, piece);
    request->body_length += piece;
    grown[request->body_length] = '\0';
    request->body = grown;
    return piece;
}

/* Send `request` (serving request->served) to BASE_URL + path. */
static void request_start(struct program *program, struct request *request, const char *path)
{
    char url[8192], header[2100];
    snprintf(url, sizeof url, "%s%s", program->base_url, path);
    snprintf(header, sizeof header, "Authorization: Bearer %s", program->token);
    request->headers = curl_slist_append(NULL, header);
    request->headers = curl_slist_append(request->headers, "X-Machine-Name: cluster");
    curl_easy_setopt(request->easy, CURLOPT_URL, url);
    curl_easy_setopt(request->easy, CURLOPT_HTTPHEADER, request->headers);
    curl_easy_setopt(request->easy, CURLOPT_WRITEFUNCTION, on_body_piece);
    curl_easy_setopt(request->easy, CURLOPT_WRITEDATA, request);
    curl_easy_setopt(request->easy, CURLOPT_PRIVATE, request);
    curl_easy_setopt(request->easy, CURLOPT_TIMEOUT_MS, 10000L);
    program->requests[request->lane->service]++;
    for (struct waiting *entry = request->served; entry != NULL; entry = entry->next)
        if (entry->kind == QUEUE_POLL || entry->kind == TASK_POLL)
            program->polls_asked[entry->kind]++;
    program->requests_in_flight++;
    uv_curl_start(&program->curl, request->easy);
}

/* The id a poll asks about: the job's id for the queue, its task's for /tasks. */
static const char *poll_id(const struct waiting *entry)
{
    return entry->kind == TASK_POLL ? entry->job->task_id : entry->job->jobid;
}

/* --- yours: pacing, then merging ---------------------------------------------------------- */

static void dispatch(struct lane *lane);

/* libuv calls this when a lane's next slot has come. */
static void on_uv_lane_slot(uv_timer_t *timer)
{
    lane_kick(timer->data);
}

/* Something waits in the lane: start what may start now, and wake up for the rest. */
static void lane_kick(struct lane *lane)
{
    if (lane->head == NULL)
        return;
    /* BEGIN TODO(student): pace: if now_seconds() >= lane->next_slot_s, dispatch(lane) and set
     * next_slot_s = now + interval_s; if entries still wait, uv_timer_start(&lane->timer,
     * on_uv_lane_slot, ms until next_slot_s + 1, 0) */
    double now = now_seconds();
    if (now >= lane->next_slot_s) {
        dispatch(lane);
        lane->next_slot_s = now + lane->interval_s;
    }
    if (lane->head != NULL)
        uv_timer_start(&lane->timer, on_uv_lane_slot, (uint64_t)((lane->next_slot_s - now) * 1000) + 1, 0);
    /* STUB: while (lane->head != NULL) */
    /* STUB:     dispatch(lane);  // every waiting request at once: the server refuses some */
    /* STUB: (void)on_uv_lane_slot; (void)now_seconds; */
    /* END TODO */
}

/* The lane's slot has come: send the first waiting entry, with (for a poll) every
 * other waiting poll of the same kind. */
static void dispatch(struct lane *lane)
{
    struct program *program = lane->program;
    struct waiting *first = lane_take(lane, &lane->head);
    struct request *request = calloc(1, sizeof *request);
    if (request == NULL)
        abort();
    *request = (struct request){.kind = first->kind, .lane = lane, .served = first, .easy = curl_easy_init()};
    char path[8192];
    if (first->kind == SUBMIT) {
        char script[128];
        snprintf(script, sizeof script, "#!/bin/bash\n#SBATCH --job-name=exercise-%d\necho %d\n",
                 first->job->index, first->job->index);
        request->mime = curl_mime_init(request->easy);
        curl_mimepart *part = curl_mime_addpart(request->mime);
        curl_mime_name(part, "file");
        curl_mime_filename(part, "script.sh");
        curl_mime_data(part, script, CURL_ZERO_TERMINATED);
        curl_easy_setopt(request->easy, CURLOPT_MIMEPOST, request->mime);
        snprintf(path, sizeof path, "/compute/jobs/upload");
    } else if (first->kind == VIEW_OUTPUT) {
        char *escaped = curl_easy_escape(request->easy, first->job->output_path, 0);
        snprintf(path, sizeof path, "/utilities/view?targetPath=%s", escaped);
        curl_free(escaped);
    } else {
        struct waiting *last = first;  /* the served list: first ... last */
        /* BEGIN TODO(student): merge: move every other waiting entry of first->kind out of the
         * lane (lane_take) and append it after `last` */
        for (struct waiting **link = &lane->head; *link != NULL;) {
            if ((*link)->kind != first->kind) {
                link = &(*link)->next;
                continue;
            }
            last->next = lane_take(lane, link);  /* out of the lane, into this request */
            last = last->next;
        }
        /* STUB: (void)last; */
        /* END TODO */
        /* The ids, joined by commas, each once (jobs of one merged queue poll share a task). */
        size_t used = (size_t)snprintf(path, sizeof path, "%s",
                                       first->kind == TASK_POLL ? "/tasks?tasks=" : "/compute/jobs?jobs=");
        for (struct waiting *entry = first; entry != NULL && used < sizeof path - 100; entry = entry->next) {
            bool seen = false;
            for (struct waiting *before = first; before != entry && !seen; before = before->next)
                seen = strcmp(poll_id(before), poll_id(entry)) == 0;
            if (!seen)
                used += (size_t)snprintf(path + used, sizeof path - used, "%s%s", entry == first ? "" : ",",
                                         poll_id(entry));
        }
    }
    request_start(program, request, path);
}

/* --- given: what the answers mean -------------------------------------------------------- */

/* libuv calls this when a job's pause between two queue polls is over. */
static void on_uv_poll_again(uv_timer_t *timer)
{
    struct job *job = timer->data;
    enqueue(job->program, COMPUTE, QUEUE_POLL, job);
}

/* A job's task is done: its data says what the job's call answered. */
static void job_task_done(struct program *program, struct job *job, const cJSON *data)
{
    if (job->task_is_for == SUBMIT) {
        const char *jobid = cJSON_GetStringValue(cJSON_GetObjectItem(data, "jobid"));
        const char *output = cJSON_GetStringValue(cJSON_GetObjectItem(data, "job_file_out"));
        if (jobid == NULL || output == NULL || strlen(jobid) >= sizeof job->jobid ||
            strlen(output) >= sizeof job->output_path) {
            job_end(job, false, "the submission's task has no jobid or job_file_out");
            return;
        }
        snprintf(job->jobid, sizeof job->jobid, "%s", jobid);
        snprintf(job->output_path, sizeof job->output_path, "%s", output);
        printf("%d: Submitted job with jobid: %s\n", job->index, job->jobid);
        enqueue(program, COMPUTE, QUEUE_POLL, job);
        return;
    }
    /* The queue: the jobs still active (squeue). Not in it any more: done. */
    const cJSON *entry;
    cJSON_ArrayForEach(entry, data) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(entry, "jobid"));
        if (id != NULL && strcmp(id, job->jobid) == 0) {
            printf("%d: Job %s status: %s\n", job->index, job->jobid,
                   cJSON_GetStringValue(cJSON_GetObjectItem(entry, "state")));
            uv_timer_start(&job->pause, on_uv_poll_again, POLL_PAUSE_MS, 0);
            return;
        }
    }
    printf("%d: Job %s is no longer active\n", job->index, job->jobid);
    enqueue(program, UTILITIES, VIEW_OUTPUT, job);
}

/* A good answer to `request`, for each job it served. */
static void answered(struct program *program, struct request *request, const cJSON *json)
{
    for (struct waiting *entry = request->served; entry != NULL; entry = entry->next) {
        struct job *job = entry->job;
        if (request->kind == VIEW_OUTPUT) {
            const char *output = cJSON_GetStringValue(cJSON_GetObjectItem(json, "output"));
            if (output != NULL)
                printf("%d: job output: %.*s\n", job->index, (int)strcspn(output, "\n"), output);
            job_end(job, output != NULL, "the output view has no \"output\"");
        } else if (request->kind == TASK_POLL) {
            const cJSON *task = cJSON_GetObjectItem(cJSON_GetObjectItem(json, "tasks"), job->task_id);
            const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(task, "status"));
            if (status == NULL)
                job_end(job, false, "its task is missing from the /tasks answer");
            else if (strcmp(status, "200") == 0)
                job_task_done(program, job, cJSON_GetObjectItem(task, "data"));
            else if (strcmp(status, "200") < 0)    /* "100", "101": not yet */
                enqueue(program, TASKS, TASK_POLL, job);
            else
                job_end(job, false, "its task failed");
        } else {   /* SUBMIT or QUEUE_POLL: a task to poll (one for all the jobs of a merged poll) */
            const char *task_id = cJSON_GetStringValue(cJSON_GetObjectItem(json, "task_id"));
            if (task_id == NULL || strlen(task_id) >= sizeof job->task_id) {
                job_end(job, false, "the answer has no task_id");
                continue;
            }
            snprintf(job->task_id, sizeof job->task_id, "%s", task_id);
            job->task_is_for = request->kind;
            enqueue(program, TASKS, TASK_POLL, job);
        }
    }
}

/* uv_curl calls this when a request is finished. */
static void on_request_done(struct uv_curl *glue, CURL *easy, CURLcode result)
{
    struct program *program = glue->data;
    struct request *request;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&request);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    cJSON *json = cJSON_Parse(request->body != NULL ? request->body : "");
    long expected = request->kind == SUBMIT ? 201 : 200;
    char why[200];
    if (result != CURLE_OK) {
        snprintf(why, sizeof why, "%s", curl_easy_strerror(result));
    } else if (status == 429) {
        program->refused++;   /* this client does not retry: it must not be refused at all */
        snprintf(why, sizeof why, "%s refused it: 429 Too Many Requests", service_names[request->lane->service]);
    } else if (status != expected || json == NULL) {
        snprintf(why, sizeof why, "HTTP %ld: %.120s", status, request->body != NULL ? request->body : "");
    } else {
        why[0] = '\0';
        answered(program, request, json);
    }
    while (request->served != NULL) {
        struct waiting *entry = request->served;
        if (why[0] != '\0')
            job_end(entry->job, false, why);
        request->served = entry->next;
        free(entry);
    }
    cJSON_Delete(json);
    curl_slist_free_all(request->headers);
    curl_mime_free(request->mime);
    free(request->body);
    curl_easy_cleanup(easy);
    free(request);
    /* Idle kept-alive connections keep the loop running: stop it once all is done. */
    if (--program->requests_in_flight == 0 && program->jobs_left == 0)
        uv_stop(&program->loop);
}

/* --- given: the token (blocking, before the loop), the start and the end --------------- */

static bool get_token(struct program *program)
{
    char url[600];
    snprintf(url, sizeof url, "%s/auth/token", program->base_url);
    struct request reply = {0};
    CURL *easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS,
                     "grant_type=client_credentials&client_id=kit-client&client_secret=kit-secret");
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body_piece);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L);
    CURLcode code = curl_easy_perform(easy);
    curl_easy_cleanup(easy);
    cJSON *json = code == CURLE_OK ? cJSON_Parse(reply.body) : NULL;
    const char *token = cJSON_GetStringValue(cJSON_GetObjectItem(json, "access_token"));
    bool ok = token != NULL && strlen(token) < sizeof program->token;
    if (ok)
        snprintf(program->token, sizeof program->token, "%s", token);
    else
        fprintf(stderr, "workflow: no token from %s: %s\n", url,
                code != CURLE_OK ? curl_easy_strerror(code) : "bad reply");
    cJSON_Delete(json);
    free(reply.body);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: workflow BASE_URL JOBS\n"
               "JOBS FirecREST jobs at once: submit, poll, read the output; paced and merged (exercise 07).\n");
        return 0;
    }
    static struct program program;
    int jobs = argc == 3 ? atoi(argv[2]) : 0;
    if (jobs < 1 || jobs > MAX_JOBS) {
        fprintf(stderr, "usage: workflow BASE_URL JOBS (1..%d), e.g. workflow http://127.0.0.1:8080 20\n",
                MAX_JOBS);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    program.base_url = argv[1];
    program.job_count = program.jobs_left = jobs;
    if (!get_token(&program))
        return 1;
    uv_loop_init(&program.loop);
    uv_curl_init(&program.curl, &program.loop, on_request_done, &program);
    for (int service = 0; service < SERVICE_COUNT; service++) {
        struct lane *lane = &program.lanes[service];
        *lane = (struct lane){.service = service, .interval_s = time_between_calls[service], .program = &program};
        uv_timer_init(&program.loop, &lane->timer);
        lane->timer.data = lane;
    }
    double started = now_seconds();

    for (int i = 0; i < jobs; i++) {
        struct job *job = &program.jobs[i];
        *job = (struct job){.index = i, .program = &program};
        uv_timer_init(&program.loop, &job->pause);
        job->pause.data = job;
        printf("%d: Starting workflow\n", i);
        enqueue(&program, COMPUTE, SUBMIT, job);
    }
    uv_run(&program.loop, UV_RUN_DEFAULT);

    int completed = 0;
    for (int i = 0; i < jobs; i++)
        completed += program.jobs[i].completed;
    printf("%d of %d jobs completed in %.2f s; requests: compute %ld, tasks %ld, utilities %ld; "
           "polls asked: queue %ld, task %ld; refused (429): %ld\n",
           completed, jobs, now_seconds() - started, program.requests[COMPUTE], program.requests[TASKS],
           program.requests[UTILITIES], program.polls_asked[QUEUE_POLL], program.polls_asked[TASK_POLL],
           program.refused);

    for (int i = 0; i < jobs; i++)
        uv_close((uv_handle_t *)&program.jobs[i].pause, NULL);
    for (int service = 0; service < SERVICE_COUNT; service++)
        uv_close((uv_handle_t *)&program.lanes[service].timer, NULL);
    uv_curl_close(&program.curl);
    uv_run(&program.loop, UV_RUN_DEFAULT);
    int closed = uv_loop_close(&program.loop);
    if (closed != 0)
        printf("loop not closed: %s\n", uv_strerror(closed));
    curl_global_cleanup();
    return completed == jobs && closed == 0 ? 0 : 1;
}
