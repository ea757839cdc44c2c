/*
 * firecrest_internal.h - what the files of the fake FirecREST share. The server
 * sees only firecrest.h.
 *
 * Real FirecREST clients (pyfirecrest, the kit's own) talk to the fake as to a
 * real centre: they get a token, ask which systems exist, list and move files.
 * Every call is authenticated, rate limited per microservice and counted in
 * /stats, so a class can see what a client's polling costs. The API followed is
 * FirecREST v1's, documented at https://firecrest.readthedocs.io
 *
 * Files: firecrest_options.c (the command line), firecrest.c (the sandbox,
 * tokens, the checks every call goes through, firecrest_utilities.c (/utilities), firecrest_tasks.c
 * (tasks and the scheduler thread), firecrest_compute.c (simulated jobs),
 * firecrest_storage.c (transfers, reservations), sandbox.c (paths).
 *
 * Mind the stack: civetweb as Debian builds it gives each worker thread 100 KB.
 * Buffers of file size, and anything in a recursion, go on the heap.
 */
#ifndef FIRECREST_INTERNAL_H
#define FIRECREST_INTERNAL_H

#include <civetweb.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "firecrest.h"
#include "sandbox.h"

/* The microservices: the first segment of each path. Rate limits are per service. */
enum firecrest_service {
    SERVICE_STATUS,
    SERVICE_UTILITIES,
    SERVICE_COMPUTE,
    SERVICE_STORAGE,
    SERVICE_TASKS,
    SERVICE_RESERVATIONS,
    SERVICE_COUNT
};
extern const char *const firecrest_service_names[SERVICE_COUNT];

enum {
    MAX_SYSTEMS = 8,
    MAX_USERS_TRACKED = 32,
    MAX_TASKS = 20000,
    MAX_JOBS = 10000,
    MAX_OBJECTS = 256,
    MAX_RESERVATIONS = 64
};

struct firecrest_config {
    const char *client_id;          /* --client-id (default kit-client) */
    const char *client_secret;      /* --client-secret (default kit-secret) */
    const char *user;               /* --user: whom tokens are issued to (default test_user) */
    long token_lifetime_s;          /* --token-lifetime (default 300) */
    const char *systems;            /* --systems: comma list (default "cluster,daint") */
    const char *root;               /* --firecrest-root DIR; NULL = a fresh temporary directory */
    long rate_limit[SERVICE_COUNT]; /* requests per second per user; 0 = no limit */
    const char *more_clients[3];    /* --client ID:SECRET:USER, for more users (a class, a test) */
    int more_client_count;
    long job_ms;   /* --job-ms: how long a simulated job runs (default 5000) */
    long queue_ms; /* how long it waits PENDING first */
    long task_ms;  /* how long a task stays queued before it is done */
};

/*
 * A task: how FirecREST reports slow work. Created by a compute or storage call,
 * polled by the client through /tasks until its status is final. `finish` runs on
 * the scheduler thread when the task is due and sets its final status and data.
 */
struct firecrest;
struct firecrest_task {
    char id[33];
    char user[64];
    const char *service; /* "compute" or "storage" */
    const char *system;
    char status[4]; /* "100", "200", "116"...: a string, as FirecREST sends it */
    cJSON *data;
    time_t created, updated;
    int64_t due_ms; /* when `finish` runs; 0 = nothing pending */
    void (*finish)(struct firecrest *firecrest, struct firecrest_task *task);
    cJSON *arguments; /* what `finish` needs (job ids, paths...) */
};

/* A simulated batch job. Its state follows from the clock; the scheduler thread
 * writes its output file when it ends. Internal transfers are jobs too. */
struct firecrest_job {
    long id;
    char user[64];
    int system; /* index into system_names */
    char name[64];
    char directory[256]; /* in the sandbox: where its files are */
    char script[300], output[300], error[300];
    int64_t submitted_ms, starts_ms, ends_ms;
    int exit_code;     /* from the script's `exit N` */
    char *echo_output; /* what its top-level `echo` lines print */
    cJSON *transfer;   /* xfer-internal: {"action", "source", "target"}; else NULL */
    bool cancelled, ended;
    bool transferring; /* its transfer runs now, without state_lock */
};

/* A temporary object URL for an external transfer. */
struct firecrest_object {
    char token[33];
    char task_id[33];
    int system;
    char user[64];   /* whose home `path` is in */
    char path[4096]; /* the sandbox file it serves, or receives (PATH_MAX) */
    bool is_upload;
    int64_t expires_ms;
};

/* Requests counted in one-second windows, per service and user, for the rate limit. */
struct rate_window {
    char user[64];
    int64_t second;
    long requests;
};

/* Whom the token endpoint knows: a client id, its secret, and the user it acts for. */
struct firecrest_client {
    char id[64], secret[64], user[32];
};

struct firecrest {
    struct firecrest_config config;
    struct firecrest_client clients[4]; /* the default one, then --client ones */
    int client_count;
    unsigned char token_key[32]; /* HS256 key, made at start, never shown */
    char system_names[MAX_SYSTEMS][32];
    int system_fds[MAX_SYSTEMS]; /* each system's sandbox root directory */
    int system_count;
    char root_path[4096];
    bool root_is_temporary; /* then removed at exit */

    char base_url[64]; /* http://127.0.0.1:PORT, for object URLs */

    pthread_mutex_t lock; /* guards the counters below */
    long requests[SERVICE_COUNT];
    long rate_limited;
    struct rate_window windows[SERVICE_COUNT][MAX_USERS_TRACKED];

    /* Tasks, jobs, objects, reservations: guarded by state_lock, advanced by the
     * scheduler thread, which wakes every few milliseconds. */
    pthread_mutex_t state_lock;
    struct firecrest_task *tasks; /* MAX_TASKS */
    int task_count;
    struct firecrest_job *jobs; /* MAX_JOBS */
    int job_count;
    long next_job_id;
    struct firecrest_object objects[MAX_OBJECTS];
    int object_count;
    cJSON *reservations; /* a JSON array */
    pthread_t scheduler;
    bool scheduler_running;
    pthread_mutex_t scheduler_lock;
    pthread_cond_t scheduler_wake;
    bool stopping;
};

/* The configuration the options made (firecrest_options.c). */
const struct firecrest_config *firecrest_config(void);

/* --- what the handlers of every microservice share ------------------------- */

/* One authenticated call, as a handler sees it. */
struct firecrest_call {
    struct mg_connection *conn;
    const struct mg_request_info *request;
    struct firecrest *firecrest;
    char user[64];          /* from the token */
    const char *system;     /* the X-Machine-Name system, if the call has one */
    struct sandbox sandbox; /* then the user's home on it: all its paths resolve there */
    char *form;             /* the url-encoded body of a POST/PUT/DELETE, or NULL */
    size_t form_length;
    int status; /* the status already sent when begin() failed */
};

/* What a call needs, for firecrest_call_begin (a bit mask). */
enum {
    NO_SYSTEM = 0,
    NEEDS_SYSTEM = 1, /* an X-Machine-Name header naming a known system */
    KEEP_BODY = 2,    /* leave the body unread: the handler parses it (multipart) */
};

/*
 * The checks every FirecREST call goes through, in order: a valid token (401),
 * the rate limit (429 + Retry-After), a known system when `needs` says so
 * (400 + X-Machine-Does-Not-Exist). Returns false when it has already answered.
 */
bool firecrest_call_begin(struct firecrest_call *call, struct mg_connection *conn,
                          struct firecrest *firecrest, enum firecrest_service service, int needs);
void firecrest_call_end(struct firecrest_call *call);

/* Before reading a body: refuse it (413, connection closed) when its Content-Length
 * is over `limit`, else answer "Expect: 100-continue". False when it answered. */
bool firecrest_accept_body(struct mg_connection *conn, long long limit);

/* UTF-8 without NUL or control bytes: what a name or path may hold. */
bool firecrest_is_clean_text(const char *text, size_t length);

/* A parameter: the query string for GET, the form body otherwise. An empty value
 * counts as absent. Returns false if absent. */
bool firecrest_param(const struct firecrest_call *call, const char *name, char *value, size_t size);

/* A FirecREST error: `status`, the error header (e.g. "X-Invalid-Path", or NULL)
 * carrying `message`, and {"description": message, "error": message}. */
int firecrest_error(struct mg_connection *conn, int status, const char *header,
                    const char *message);

/* {"description": description, "output": output}; takes ownership of `output`. */
int firecrest_output(struct mg_connection *conn, int status, const char *description,
                     cJSON *output);

/* --- tasks (firecrest_tasks.c); call these with state_lock held ---------------- */

/* A new task for `call`, with `status`, due to `finish` after task_ms. NULL if full. */
struct firecrest_task *
firecrest_task_create(struct firecrest *firecrest, const struct firecrest_call *call,
                      const char *service, const char *status,
                      void (*finish)(struct firecrest *, struct firecrest_task *),
                      cJSON *arguments);
struct firecrest_task *firecrest_task_find(struct firecrest *firecrest, const char *id);
/* Set a task's status and data (takes ownership of `data`). */
void firecrest_task_set(struct firecrest_task *task, const char *status, cJSON *data);

/* {"success": "Task created", "task_id", "task_url"} with `status` (201 or 200). */
int firecrest_task_reply(struct mg_connection *conn, int status, const struct firecrest_task *task);

/* Start and stop the scheduler thread; it runs task `finish`es and job ends. */
bool firecrest_scheduler_start(struct firecrest *firecrest);
void firecrest_scheduler_stop(struct firecrest *firecrest);

/* --- jobs (firecrest_compute.c); with state_lock held -------------------------- */

/* Submit a job running `script` (its text) on the call's system. Fills `error` and
 * returns NULL when it cannot. */
struct firecrest_job *firecrest_job_submit(struct firecrest *firecrest,
                                           const struct firecrest_call *call, const char *script,
                                           const char *name, cJSON *transfer, char *error,
                                           size_t error_size);
/* The {"result", "jobid", "job_file", ...} data of a submission task. */
cJSON *firecrest_job_submitted(const struct firecrest_job *job);
/* `user`'s home on system number `system` (for work done after the call: jobs,
 * transfers, object URLs). 0 or -errno; sandbox_leave() it. */
int firecrest_enter_home(const struct firecrest *firecrest, int system, const char *user,
                         struct sandbox *sandbox);

/* Each microservice's handlers, registered by firecrest_register. */
void firecrest_utilities_register(struct mg_context *context, struct firecrest *firecrest);
void firecrest_tasks_register(struct mg_context *context, struct firecrest *firecrest);
void firecrest_compute_register(struct mg_context *context, struct firecrest *firecrest);
void firecrest_storage_register(struct mg_context *context, struct firecrest *firecrest);
void firecrest_jobs_free(struct firecrest *firecrest);

/* End jobs whose time has come: write their output, or mark their transfer due. */
void firecrest_jobs_advance(struct firecrest *firecrest);
/* Run the due transfers, releasing state_lock during each (the scheduler calls it). */
void firecrest_transfers_run(struct firecrest *firecrest);
/* Expire objects past their time; move uploads that arrived on to 114. */
void firecrest_storage_advance(struct firecrest *firecrest);

#endif /* FIRECREST_INTERNAL_H */
