/*
 * firecrest_async.c - the FirecREST workflow for every job at once, on libuv.
 *
 *   make run-server                                # the kit's fake FirecREST
 *   bin/firecrest_async --jobs 50 --spacing compute=0.2
 *
 * The payoff of the lesson. Each job does what firecrest_sync does (submit, poll
 * the queue until it is no longer active, read its output, confirm with acct),
 * but all jobs are in flight together, on one thread. Three things make that fast
 * and polite to the server, and they are what to read this file for:
 *
 *   - Pacing (struct lane): each microservice gets a lane, and a lane starts at
 *     most one request every --spacing seconds, in the middle of its own slice of
 *     the clock (next_slot): the server counts per second of the clock, so ten
 *     requests a second, one in each tenth, all fit. A 429 is honoured anyway.
 *   - Merging (dispatch): when a lane's slot comes, every waiting poll of the same
 *     kind goes out as ONE request with the ids joined by commas (/tasks?tasks=a,b,c),
 *     and each job reads its own part of the answer. All jobs run on one --system,
 *     so a merged request never mixes systems (pyfirecrest's merge can).
 *   - Planning (plan_next_round): the queue is polled in rounds, one merged request
 *     each, timed from how long the first jobs took; and who goes first when a round,
 *     submissions and acct wait together in the compute lane (next_in_line).
 *
 * Every wait is bounded: --timeout-ms per request, --max-retries 429s in a row,
 * --deadline for the whole run. How libcurl runs on the loop is in uv_curl.c.
 */
#include <curl/curl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "call_report.h"
#include "curl_helpers.h"
#include "firecrest_api.h"
#include "uv_curl.h"

enum { MAX_MERGED = 200 }; /* ids per merged request: keeps URLs to a few KB */

/* What a request does. The last three are polls: those can be merged. */
enum request_kind { SUBMIT, VIEW_OUTPUT, QUEUE_POLL, ACCT_POLL, TASK_POLL };

struct program;

struct job {
    long index;
    char *script;
    char jobid[32];
    char output_path[512];
    double submitted_at;         /* monotonic: when its submission went out */
    bool in_queue;               /* submitted, and not yet seen ended */
    bool poll_waiting;           /* its queue poll is in the lane or in flight */
    bool output_read, confirmed; /* it completed when both: its output, and acct's COMPLETED */
    bool finished;
    char stage[96]; /* where it is: the deadline's message says it */
    struct program *program;
};

/* A FirecREST task that jobs wait on. A merged queue poll makes one task for
 * all the jobs it asked about. */
struct pending_task {
    char id[64];
    enum request_kind purpose; /* what its data answers: SUBMIT, QUEUE_POLL or ACCT_POLL */
    struct job **jobs;
    int job_count;
    struct pending_task *next_created; /* every task made, freed at the end */
};

/* Something waiting in a lane for its slot. */
struct waiting {
    enum request_kind kind;
    struct job *job;           /* for SUBMIT, VIEW_OUTPUT, QUEUE_POLL, ACCT_POLL */
    struct pending_task *task; /* for TASK_POLL */
    long answered_429;         /* 429s in a row for this entry */
    struct waiting *next;
};

/* One microservice's lane: at most one request start per `spacing_s`. */
struct lane {
    enum api_service service;
    double spacing_s;
    double not_before; /* clock seconds: no start before (a slot used, a Retry-After) */
    uv_timer_t timer;
    struct waiting *head, *tail;
    struct program *program;
};

/* One HTTP request in flight, serving one or (merged) several waiting entries. */
struct request {
    enum request_kind kind;
    bool is_token;
    struct lane *lane;
    struct waiting *served; /* a list: put back in the lane on a 429 */
    double started_at;      /* monotonic */
    long number;            /* the tally's number for it: see firecrest_request_started */
    CURL *easy;
    struct reply_body body;
    struct curl_slist *headers;
    curl_mime *mime;
    struct request *prev, *next; /* every request in flight, to abort them at the deadline */
};

/* When the jobs in the queue are polled next: see plan_next_round. */
struct poll_plan {
    uv_timer_t timer;
    double pause_s;           /* before the first job is seen ended: the pause, doubling */
    double late_pause_s;      /* when jobs run longer than planned: the pause, doubling */
    double run_time_s;        /* learned: submission to end, at most; 0 = not yet known */
    long submitted;           /* submissions sent so far */
    double last_submitted_at; /* monotonic */
};

struct program {
    uv_loop_t loop;
    struct uv_curl curl;
    struct firecrest_options options;
    struct lane lanes[API_SERVICE_COUNT];
    struct poll_plan plan;
    uv_timer_t deadline_timer;
    struct job *jobs;
    long jobs_left;
    long in_queue;  /* jobs with in_queue set */
    long polls_out; /* jobs with poll_waiting set */
    struct request *in_flight;
    long requests_in_flight;
    char token[2048];
    double token_expires_at; /* monotonic; when to renew it */
    bool token_in_flight;
    bool token_just_renewed; /* a 401 right after a new token is an error, not a retry */
    struct pending_task *tasks;
    struct firecrest_tally tally;
    FILE *log;
};

static void lane_kick(struct lane *lane);
static void start_token_request(struct program *program);
static void plan_next_round(struct program *program);

/* --- jobs ---------------------------------------------------------------------------- */

static void job_stage(struct job *job, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void job_stage(struct job *job, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(job->stage, sizeof job->stage, format, arguments);
    va_end(arguments);
}

static void job_end(struct job *job, bool completed, const char *why)
{
    struct program *program = job->program;
    if (job->finished)
        return;
    job->finished = true;
    program->jobs_left--;
    if (job->in_queue) {
        job->in_queue = false;
        program->in_queue--;
    }
    if (job->poll_waiting) {
        job->poll_waiting = false;
        program->polls_out--;
    }
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

/* --- lanes: pacing ------------------------------------------------------------------ */

/* The time of the clock, in seconds: the server's rate limit counts per second of it. */
static double clock_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* The first slot at or after `time`: slot n is at (n + 1/2) x spacing on the clock. */
static double slot_from(double time, double spacing_s)
{
    return (ceil(time / spacing_s - 0.5) + 0.5) * spacing_s;
}

/*
 * The lane's first slot at or after `now`. Slot n is at (n + 1/2) x spacing on the
 * clock: with a spacing of 0.1 s, at .05, .15, ... .95 of every second, each in the
 * middle of its own tenth. The server counts requests per second of the clock, and
 * ten of them, each 50 ms away from the edge of its tenth, always fall ten to a
 * second, even when one is a few milliseconds late. So the lane can use the whole
 * limit (10/s), where evenly spaced requests need a margin (0.11 s) to be safe.
 */
static double next_slot(const struct lane *lane, double now)
{
    double earliest = fmax(now, lane->not_before);
    if (lane->spacing_s <= 0)
        return earliest;
    return slot_from(earliest, lane->spacing_s);
}

static void lane_append(struct lane *lane, struct waiting *entry)
{
    entry->next = NULL;
    if (lane->tail != NULL)
        lane->tail->next = entry;
    else
        lane->head = entry;
    lane->tail = entry;
}

/* Put a request to make in the service's lane; lane_kick() then sends it when it may. */
static void lane_add(struct program *program, enum api_service service, enum request_kind kind,
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
    lane_append(&program->lanes[service], entry);
}

static void enqueue(struct program *program, enum api_service service, enum request_kind kind,
                    struct job *job, struct pending_task *task)
{
    lane_add(program, service, kind, job, task);
    lane_kick(&program->lanes[service]);
}

/* libuv calls this when a lane's next slot has come. */
static void on_uv_lane_slot(uv_timer_t *timer)
{
    lane_kick(timer->data);
}

/* The first waiting entry of `kind` (a link to it), or NULL. */
static struct waiting **first_of_kind(struct lane *lane, enum request_kind kind, int *count)
{
    struct waiting **found = NULL;
    *count = 0;
    for (struct waiting **link = &lane->head; *link != NULL; link = &(*link)->next) {
        if ((*link)->kind == kind) {
            if (found == NULL)
                found = link;
            ++*count;
        }
    }
    return found;
}

/*
 * Who gets the lane's slot. In the tasks and utilities lanes: first come, first
 * served. In the compute lane, submissions, queue polls and acct polls share the
 * slots, and every slot that is not a submission delays every later job:
 *   1. a queue poll first: the rounds are planned (plan_next_round), a few per run;
 *   2. then the submissions;
 *   3. acct last, merged: only when no job is left in the queue (or it has a full
 *      request's worth), so that the whole run confirms its jobs in one request.
 * NULL when nothing may go now (acct waiting for the queue to empty).
 */
static struct waiting **next_in_line(const struct program *program, struct lane *lane)
{
    if (lane->service != API_COMPUTE)
        return lane->head != NULL ? &lane->head : NULL;
    int count;
    struct waiting **link = first_of_kind(lane, QUEUE_POLL, &count);
    if (link == NULL)
        link = first_of_kind(lane, SUBMIT, &count);
    if (link == NULL) {
        link = first_of_kind(lane, ACCT_POLL, &count);
        if (link != NULL && program->in_queue > 0 && count < MAX_MERGED)
            link = NULL;
    }
    return link;
}

/* Take one entry out of its lane (`link` points at it). */
static struct waiting *lane_take(struct lane *lane, struct waiting **link)
{
    struct waiting *entry = *link;
    *link = entry->next;
    entry->next = NULL;
    if (lane->tail == entry) { /* the tail moved: find it again */
        lane->tail = NULL;
        for (struct waiting *each = lane->head; each != NULL; each = each->next)
            lane->tail = each;
    }
    return entry;
}

/* --- requests ------------------------------------------------------------------------ */

static struct request *request_new(struct program *program, enum request_kind kind,
                                   struct lane *lane)
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
    curl_easy_setopt(request->easy, CURLOPT_TIMEOUT_MS, program->options.timeout_ms);
    curl_easy_setopt(request->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    return request;
}

/* What the trace says a request is for. */
static const char *kind_name(const struct request *request)
{
    if (request->is_token)
        return "token";
    switch (request->kind) {
    case SUBMIT: return "submit";
    case VIEW_OUTPUT: return "output";
    case QUEUE_POLL: return "poll-queue";
    case ACCT_POLL: return "acct";
    case TASK_POLL: return "poll-task";
    }
    return "?";
}

/* The one job a request serves, or -1: a token, a poll merged for several jobs. */
static long job_served(const struct request *request)
{
    const struct waiting *entry = request->served;
    if (entry == NULL || entry->next != NULL)
        return -1;
    if (entry->kind != TASK_POLL)
        return entry->job->index;
    return entry->task->job_count == 1 ? entry->task->jobs[0]->index : -1;
}

/* Hand it to libcurl, and keep it in the list of requests in flight. */
static void request_send(struct program *program, struct request *request)
{
    request->started_at = monotonic_seconds();
    request->number = firecrest_request_started(&program->tally, request->lane->service,
                                                job_served(request), kind_name(request));
    request->next = program->in_flight;
    if (program->in_flight != NULL)
        program->in_flight->prev = request;
    program->in_flight = request;
    program->requests_in_flight++;
    uv_curl_start(&program->curl, request->easy);
}

static void free_served(struct waiting *served)
{
    while (served != NULL) {
        struct waiting *next = served->next;
        free(served);
        served = next;
    }
}

/* Out of the list of requests in flight, and freed. */
static void request_free(struct program *program, struct request *request)
{
    if (request->prev != NULL)
        request->prev->next = request->next;
    else
        program->in_flight = request->next;
    if (request->next != NULL)
        request->next->prev = request->prev;
    program->requests_in_flight--;
    free_served(request->served);
    curl_slist_free_all(request->headers);
    curl_mime_free(request->mime);
    free(request->body.bytes);
    curl_easy_cleanup(request->easy);
    free(request);
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
    request_send(program, request);
}

/* The id a waiting poll asks about. */
static const char *poll_id(const struct waiting *entry)
{
    return entry->kind == TASK_POLL ? entry->task->id : entry->job->jobid;
}

/*
 * The lane's slot has come: take the entry next in line, and with --merge every
 * other waiting poll of the same kind (as many as fit in one URL), and send them
 * as one request.
 */
static void dispatch(struct program *program, struct lane *lane, struct waiting **next)
{
    struct waiting *first = lane_take(lane, next);

    struct request *request = request_new(program, first->kind, lane);
    if (request == NULL) {
        lane_append(lane, first); /* try again at the next slot */
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
        if (first->job->submitted_at == 0) /* not a retry after a 429 */
            program->plan.submitted++;
        first->job->submitted_at = monotonic_seconds();
        job_stage(first->job, "submitted, no answer yet");
        program->plan.last_submitted_at = first->job->submitted_at;
    } else if (first->kind == VIEW_OUTPUT) {
        char *escaped = curl_easy_escape(request->easy, first->job->output_path, 0);
        snprintf(path, sizeof path, "/utilities/view?targetPath=%s", escaped);
        curl_free(escaped);
    } else {
        const char *start = first->kind == TASK_POLL    ? "/tasks?tasks="
                            : first->kind == QUEUE_POLL ? "/compute/jobs?jobs="
                                                        : "/compute/acct?jobs=";
        size_t used = (size_t)snprintf(path, sizeof path, "%s%s", start, poll_id(first));
        /* A poll: gather the others of its kind waiting in this lane. */
        struct waiting *served_tail = first;
        int merged = 1;
        for (struct waiting **link = &lane->head;
             *link != NULL && program->options.merge && merged < MAX_MERGED;) {
            if ((*link)->kind != first->kind || used + 1 + strlen(poll_id(*link)) >= sizeof path) {
                link = &(*link)->next;
                continue;
            }
            struct waiting *entry = lane_take(lane, link); /* out of the lane... */
            served_tail->next = entry;                     /* ...into this request */
            served_tail = entry;
            merged++;
            used += (size_t)snprintf(path + used, sizeof path - used, ",%s", poll_id(entry));
        }
    }
    request_start(program, request, path);
}

/*
 * A lane's work: start what may start now, and set the timer for the next slot.
 * Nothing goes out without a valid token: a renewal first.
 */
static void lane_kick(struct lane *lane)
{
    struct program *program = lane->program;
    struct waiting **next = lane->head != NULL ? next_in_line(program, lane) : NULL;
    if (next == NULL || program->jobs_left == 0) { /* every job over: what waits is moot */
        uv_timer_stop(&lane->timer);               /* a change in the lane kicks it again */
        return;
    }
    if (program->token_in_flight)
        return; /* the token's arrival kicks every lane */
    if (monotonic_seconds() >= program->token_expires_at) {
        start_token_request(program);
        return;
    }
    /* The timer fires a little after the slot (libuv's steps are 1 ms, and the loop may
     * be busy): a slot up to a quarter of the spacing ago is still this one. Later than
     * that, the slot is lost: a request sent late in its tenth, or several at once (each
     * on a connection of its own, some new), could reach the server in the next second. */
    double now = clock_seconds(), slot = next_slot(lane, now - lane->spacing_s / 4);
    if (slot <= now + 0.001) {
        dispatch(program, lane, next);
        lane->not_before = slot + lane->spacing_s / 2;
        if (lane->head == NULL || next_in_line(program, lane) == NULL)
            return;
        slot = next_slot(lane, now);
    }
    uv_timer_start(&lane->timer, on_uv_lane_slot, (uint64_t)fmax(0, ceil((slot - now) * 1000)), 0);
}

/* --- the token -------------------------------------------------------------------- */

static void start_token_request(struct program *program)
{
    struct request *request = request_new(program, SUBMIT, &program->lanes[API_AUTH]);
    if (request == NULL)
        return;
    request->is_token = true;
    char *id = curl_easy_escape(request->easy, program->options.client_id, 0);
    char *secret = curl_easy_escape(request->easy, program->options.client_secret, 0);
    char form[600];
    snprintf(form, sizeof form, "grant_type=client_credentials&client_id=%s&client_secret=%s", id,
             secret);
    curl_free(id);
    curl_free(secret);
    curl_easy_setopt(request->easy, CURLOPT_URL, program->options.token_url);
    curl_easy_setopt(request->easy, CURLOPT_COPYPOSTFIELDS, form);
    program->token_in_flight = true;
    request_send(program, request);
}

static void token_arrived(struct program *program, long status, const char *body,
                          const char *transport_error)
{
    program->token_in_flight = false;
    char error[256] = "";
    long expires_in_s = 0;
    if (transport_error != NULL)
        snprintf(error, sizeof error, "%.150s: %.90s", program->options.token_url, transport_error);
    else if (status != 200)
        snprintf(error, sizeof error, "the token endpoint refused the credentials (HTTP %ld)",
                 status);
    else if (firecrest_read_token(body, program->token, sizeof program->token, &expires_in_s, error,
                                  sizeof error) &&
             expires_in_s <= 0)
        snprintf(error, sizeof error, "the token expires at once (expires_in %ld)", expires_in_s);
    if (error[0] != '\0') {
        fprintf(stderr, "firecrest_async: cannot get a token: %s\n", error);
        for (long i = 0; i < program->options.jobs; i++)
            job_end(&program->jobs[i], false, "no token");
        return;
    }
    program->token_expires_at = monotonic_seconds() + firecrest_token_renew_after_s(expires_in_s);
    program->token_just_renewed = true;
    for (int service = 0; service < API_SERVICE_COUNT; service++)
        lane_kick(&program->lanes[service]);
}

/* --- planning the queue polls ---------------------------------------------------------- */

/*
 * A round of queue polls goes out when its timer fires: every job in the queue is
 * polled, merged into one request (two past MAX_MERGED jobs). Each round takes a
 * compute slot from the submissions, so there are few, and they are planned:
 *   - At first nothing is known: the rounds wait --poll-ms, then twice that, and
 *     so on, until a round sees jobs ended.
 *   - A job seen ended tells how long jobs take (from its submission to the poll
 *     that saw it ended, at most; the shortest seen counts), hence when the last
 *     job will end. Each round then goes halfway to that time, and the last one
 *     when it is due. Halving keeps each round's catch small enough that the
 *     utilities lane has read those outputs by the next round; the last round
 *     finds only a few jobs, so the run ends just after the last job does.
 *   - A round closer than MIN_ROUND_GAP_MS to the end would catch almost nothing
 *     the last one does not: then the last one is next.
 *   - When jobs run longer than learnt (or the last one was submitted late), the
 *     plan is behind: the next round after MIN_ROUND_GAP_MS, then twice that, and
 *     so on up to --poll-ms (or 2 x MIN_ROUND_GAP_MS, if that is longer: polls
 *     leave the submissions four slots in five). A slight miss costs 0.25 s, a
 *     long job is polled every --poll-ms.
 * firecrest/README.md shows the rounds of one run, with their times.
 */
enum { MIN_ROUND_GAP_MS = 250 };

/* libuv calls this when the next round of queue polls is due. */
static void on_uv_round(uv_timer_t *timer)
{
    struct program *program = timer->data;
    for (long i = 0; i < program->options.jobs; i++) {
        struct job *job = &program->jobs[i];
        if (job->in_queue && !job->poll_waiting) {
            job->poll_waiting = true;
            program->polls_out++;
            lane_add(program, API_COMPUTE, QUEUE_POLL, job, NULL);
        }
    }
    lane_kick(&program->lanes[API_COMPUTE]); /* once all are in: one merged request */
}

static void plan_next_round(struct program *program)
{
    struct poll_plan *plan = &program->plan;
    if (program->in_queue == 0 || program->polls_out > 0 ||
        uv_is_active((uv_handle_t *)&plan->timer))
        return; /* nothing to poll, or a round is already on its way */
    double now = monotonic_seconds(), wait_s;
    if (plan->run_time_s == 0) {
        wait_s = plan->pause_s;
        plan->pause_s *= 2;
    } else {
        long unsubmitted = program->options.jobs - plan->submitted;
        double last_submission =
            unsubmitted == 0 ? plan->last_submitted_at
                             : now + (double)unsubmitted * program->lanes[API_COMPUTE].spacing_s;
        double to_last_end = last_submission + plan->run_time_s - now;
        wait_s = to_last_end / 2 >= MIN_ROUND_GAP_MS / 1000.0 ? to_last_end / 2 : to_last_end;
        double oldest_end = INFINITY; /* no round before the oldest job can have ended */
        for (long i = 0; i < program->options.jobs; i++)
            if (program->jobs[i].in_queue)
                oldest_end = fmin(oldest_end, program->jobs[i].submitted_at + plan->run_time_s);
        wait_s = fmax(wait_s, oldest_end - now);
        if (wait_s <= 0) { /* the plan is behind */
            double shortest_s = MIN_ROUND_GAP_MS / 1000.0;
            double longest_s = fmax((double)program->options.poll_ms / 1000, 2 * shortest_s);
            wait_s = plan->late_pause_s = fmin(fmax(2 * plan->late_pause_s, shortest_s), longest_s);
        }
    }
    uv_timer_start(&plan->timer, on_uv_round, (uint64_t)ceil(wait_s * 1000), 0);
}

/* --- answers ------------------------------------------------------------------------- */

/* A job seen ended by a poll asked at `seen_at`: learn from it, read its output and
 * confirm it with acct. */
static void job_left_the_queue(struct program *program, struct job *job, double seen_at)
{
    firecrest_log(program->log, "%ld: Job %s is no longer active", job->index, job->jobid);
    job->in_queue = false;
    program->in_queue--;
    double run_time_s = seen_at - job->submitted_at;
    if (program->plan.run_time_s == 0 || run_time_s < program->plan.run_time_s)
        program->plan.run_time_s = run_time_s;
    job_stage(job, "ended; its output and acct not yet read");
    enqueue(program, API_UTILITIES, VIEW_OUTPUT, job, NULL);
    enqueue(program, API_COMPUTE, ACCT_POLL, job, NULL);
}

/* A task is finished: each job waiting on it takes its part of the data. */
static void task_done(struct program *program, struct pending_task *task, cJSON *data,
                      double seen_at)
{
    for (int i = 0; i < task->job_count; i++) {
        struct job *job = task->jobs[i];
        if (task->purpose == QUEUE_POLL && job->poll_waiting) {
            job->poll_waiting = false;
            program->polls_out--;
        }
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
            firecrest_log(program->log, "%ld: Submitted job with jobid: %s", job->index,
                          job->jobid);
            job_stage(job, "job %s in the queue, not yet polled", job->jobid);
            job->in_queue = true;
            program->in_queue++;
        } else if (task->purpose == QUEUE_POLL) {
            const char *state = firecrest_active_state(data, job->jobid);
            if (state == NULL) {
                job_left_the_queue(program, job, seen_at);
            } else {
                firecrest_log(program->log, "%ld: Job %s status: %s", job->index, job->jobid,
                              state);
                job_stage(job, "job %s still %.30s", job->jobid, state);
            }
        } else {
            const char *state = firecrest_final_state(data, job->jobid);
            if (state != NULL && strcmp(state, "COMPLETED") == 0) {
                job->confirmed = true;
                if (job->output_read)
                    job_end(job, true, NULL);
            } else {
                char why[96];
                snprintf(why, sizeof why, "job %s ended %s", job->jobid,
                         state != NULL ? state : "(not in acct)");
                job_end(job, false, why);
            }
        }
    }
}

/* A /tasks reply: each task it serves is finished, failed, or polled again. */
static void tasks_answered(struct program *program, struct request *request, const char *body)
{
    for (struct waiting *entry = request->served; entry != NULL; entry = entry->next) {
        struct pending_task *task = entry->task;
        char status[8], error[160];
        cJSON *data = NULL;
        if (!firecrest_read_task(body, task->id, status, &data, error, sizeof error)) {
            for (int i = 0; i < task->job_count; i++)
                job_end(task->jobs[i], false, error);
        } else if (strcmp(status, "200") < 0) { /* statuses are strings: "100", "101" */
            for (int i = 0; i < task->job_count && task->purpose == SUBMIT; i++)
                job_stage(task->jobs[i], "its submission task %s still at status %s", task->id,
                          status);
            enqueue(program, API_TASKS, TASK_POLL, NULL, task);
        } else if (strcmp(status, "200") == 0) {
            task_done(program, task, data, request->started_at);
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
    if (task == NULL || task->jobs == NULL ||
        !firecrest_read_task_id(body, task->id, sizeof task->id, error, sizeof error)) {
        for (struct waiting *entry = request->served; entry != NULL; entry = entry->next)
            job_end(entry->job, false,
                    task == NULL || task->jobs == NULL ? "out of memory" : error);
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

/* A 429: wait as long as the server says, then the same request again; but not
 * --max-retries times in a row, nor when the server asks for a very long wait. */
static void rate_limited(struct program *program, struct request *request, curl_off_t retry_after_s)
{
    char why[160];
    program->tally.rate_limited++;
    long answered = ++request->served->answered_429;
    for (struct waiting *entry = request->served->next; entry != NULL; entry = entry->next)
        entry->answered_429 = answered;
    if (answered > program->options.max_retries) {
        snprintf(why, sizeof why, "answered 429 (too many requests) %ld times in a row", answered);
        request_failed(request, why);
    } else if (retry_after_s > MAX_RETRY_AFTER_S) {
        snprintf(why, sizeof why, "the server asks to wait %ld s (Retry-After), more than %d s",
                 (long)retry_after_s, MAX_RETRY_AFTER_S);
        request_failed(request, why);
    } else {
        request->lane->not_before =
            clock_seconds() + (retry_after_s > 0 ? (double)retry_after_s : 1.0);
        requeue_at_head(request);
        lane_kick(request->lane);
    }
}

/* A reply to a FirecREST call (not the token's), with its HTTP status. */
static void call_answered(struct program *program, struct request *request, long status,
                          const char *body)
{
    program->token_just_renewed = false;
    bool ok = request->kind == SUBMIT ? status == 201 : status == 200;
    if (!ok) {
        char why[256];
        snprintf(why, sizeof why, "HTTP %ld: %.200s", status, body);
        request_failed(request, why);
    } else if (request->kind == TASK_POLL) {
        tasks_answered(program, request, body);
    } else if (request->kind == VIEW_OUTPUT) {
        cJSON *json = cJSON_Parse(body);
        const char *output = cJSON_GetStringValue(cJSON_GetObjectItem(json, "output"));
        struct job *job = request->served->job;
        if (output == NULL) {
            job_end(job, false, "the output view has no \"output\"");
        } else {
            firecrest_log(program->log, "%ld: job output: %.*s", job->index,
                          (int)strcspn(output, "\n"), output);
            job->output_read = true;
            job_stage(job, "ended, output read; acct not yet asked");
            if (job->confirmed)
                job_end(job, true, NULL);
        }
        cJSON_Delete(json);
    } else {
        task_created(program, request, body);
    }
}

/* uv_curl calls this when a request is finished. */
static void on_request_done(struct uv_curl *glue, CURL *easy, CURLcode result)
{
    struct program *program = glue->data;
    struct request *request;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&request);
    long status = 0;
    curl_off_t retry_after_s = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after_s);
    const char *body = request->body.bytes != NULL ? request->body.bytes : "";
    char transport_error[160] = "";
    if (result == CURLE_OPERATION_TIMEDOUT)
        snprintf(transport_error, sizeof transport_error, "no answer within %ld ms (--timeout-ms)",
                 program->options.timeout_ms);
    else if (result != CURLE_OK)
        snprintf(transport_error, sizeof transport_error, "%s", curl_easy_strerror(result));
    firecrest_request_ended(&program->tally, request->number, status,
                            transport_error[0] != '\0' ? transport_error : NULL);

    if (request->is_token) {
        token_arrived(program, status, body, transport_error[0] != '\0' ? transport_error : NULL);
    } else if (transport_error[0] != '\0') {
        request_failed(request, transport_error);
    } else if (status == 429) {
        rate_limited(program, request, retry_after_s);
    } else if (status == 401 && !program->token_just_renewed) {
        requeue_at_head(request); /* one fresh token, then again */
        program->token_expires_at = 0;
        lane_kick(request->lane);
    } else {
        call_answered(program, request, status, body);
    }
    request_free(program, request);
    plan_next_round(program);                /* after a round's answer, the next one */
    lane_kick(&program->lanes[API_COMPUTE]); /* the queue may be empty: acct may go */
    stop_when_all_done(program);
}

/* --- start and end ----------------------------------------------------------------- */

/* libuv calls this when --deadline has passed: every job not done fails, saying
 * where it was, and the requests in flight are abandoned. */
static void on_uv_deadline(uv_timer_t *timer)
{
    struct program *program = timer->data;
    fprintf(stderr, "firecrest_async: the --deadline of %g s passed with %ld job%s not done\n",
            program->options.deadline_s, program->jobs_left, program->jobs_left == 1 ? "" : "s");
    for (long i = 0; i < program->options.jobs; i++) {
        char why[160];
        snprintf(why, sizeof why, "the --deadline passed: %s", program->jobs[i].stage);
        job_end(&program->jobs[i], false, why);
    }
    while (program->in_flight != NULL) {
        curl_multi_remove_handle(program->curl.multi, program->in_flight->easy);
        request_free(program, program->in_flight);
    }
    uv_stop(&program->loop);
}

static void shut_down(struct program *program)
{
    for (long i = 0; i < program->options.jobs; i++)
        free(program->jobs[i].script);
    for (int service = 0; service < API_SERVICE_COUNT; service++) {
        free_served(program->lanes[service].head);
        uv_close((uv_handle_t *)&program->lanes[service].timer, NULL);
    }
    uv_close((uv_handle_t *)&program->plan.timer, NULL);
    uv_close((uv_handle_t *)&program->deadline_timer, NULL);
    while (program->tasks != NULL) {
        struct pending_task *next = program->tasks->next_created;
        free(program->tasks->jobs);
        free(program->tasks);
        program->tasks = next;
    }
    uv_curl_close(&program->curl);
    uv_run(&program->loop, UV_RUN_DEFAULT); /* let libuv finish closing */
    if (uv_loop_close(&program->loop) != 0)
        fprintf(stderr, "firecrest_async: bug: the loop still has handles\n");
    free(program->jobs);
}

int main(int argc, char **argv)
{
    static struct program program; /* static: large, and lives as long as the run */
    char error[512];
    switch (firecrest_options_parse(&program.options, true, argc, argv, error, sizeof error)) {
    case PARSE_SHOW_HELP: firecrest_options_help(stdout, "firecrest_async", true); return 0;
    case PARSE_BAD_USAGE:
        fprintf(stderr, "firecrest_async: %s (try --help)\n", error);
        return EXIT_BAD_USAGE;
    case PARSE_RUN: break;
    }
    const struct firecrest_options *options = &program.options;
    program.jobs = calloc((size_t)options->jobs, sizeof *program.jobs);
    if (program.jobs == NULL)
        return 1;
    for (long i = 0; i < options->jobs; i++) {
        program.jobs[i] =
            (struct job){.index = i,
                         .program = &program,
                         .script = firecrest_job_script(options, i, error, sizeof error)};
        job_stage(&program.jobs[i], "not yet submitted");
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
        *lane = (struct lane){.service = (enum api_service)service,
                              .spacing_s = options->spacing_s[service],
                              .program = &program};
        uv_timer_init(&program.loop, &lane->timer);
        lane->timer.data = lane;
    }
    /* The first pause: --poll-ms, but at least one compute slot (--poll-ms 0 must not
     * poll in every slot while nothing is known). */
    program.plan.pause_s =
        fmax((double)options->poll_ms / 1000, fmax(options->spacing_s[API_COMPUTE], 0.1));
    uv_timer_init(&program.loop, &program.plan.timer);
    program.plan.timer.data = &program;
    uv_timer_init(&program.loop, &program.deadline_timer);
    program.deadline_timer.data = &program;
    uv_timer_start(&program.deadline_timer, on_uv_deadline,
                   (uint64_t)ceil(options->deadline_s * 1000), 0);
    program.jobs_left = options->jobs;
    program.log = options->json ? stderr : stdout;
    firecrest_tally_start(&program.tally, "firecrest-async", options);

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
