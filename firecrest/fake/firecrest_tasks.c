/*
 * firecrest_tasks.c - tasks, /tasks, and the scheduler thread.
 *
 * FirecREST never makes a client wait for slow work: a compute or storage call
 * answers at once with a task id, and the client polls /tasks until the task's
 * status is final. That polling is what the kit's async client learns to do
 * efficiently (merged, rate limited). Here a task is a record with a status, and
 * the scheduler thread moves it on when it is due.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "firecrest_internal.h"
#include "json_reply.h"

static void task_free(struct firecrest_task *task)
{
    cJSON_Delete(task->data);
    cJSON_Delete(task->arguments);
    memset(task, 0, sizeof *task);
}

/*
 * A slot for a new task of `user`. Each user may hold an equal share of the
 * table; a user at its share forgets its own oldest finished task, never another
 * user's: one student's flood of calls must not make a classmate's tasks vanish.
 * NULL when the user's share is all unfinished tasks.
 */
static struct firecrest_task *free_task_slot(struct firecrest *firecrest, const char *user)
{
    int share = MAX_TASKS / firecrest->client_count, held = 0;
    struct firecrest_task *oldest = NULL, *unused = NULL;
    for (int i = 0; i < firecrest->task_count; i++) {
        struct firecrest_task *task = &firecrest->tasks[i];
        if (task->id[0] == '\0') {
            unused = unused != NULL ? unused : task;
        } else if (strcmp(task->user, user) == 0) {
            held++;
            if (task->due_ms == 0 && (oldest == NULL || task->updated < oldest->updated))
                oldest = task;
        }
    }
    if (held < share) {
        if (unused != NULL)
            return unused;
        if (firecrest->task_count < MAX_TASKS)
            return &firecrest->tasks[firecrest->task_count++];
    }
    if (oldest != NULL)
        task_free(oldest);
    return oldest;
}

struct firecrest_task *
firecrest_task_create(struct firecrest *firecrest, const struct firecrest_call *call,
                      const char *service, const char *status,
                      void (*finish)(struct firecrest *, struct firecrest_task *), cJSON *arguments)
{
    struct firecrest_task *task = free_task_slot(firecrest, call->user);
    if (task == NULL) {
        cJSON_Delete(arguments);
        return NULL;
    }
    unsigned char random[16];
    RAND_bytes(random, sizeof random);
    for (int i = 0; i < 16; i++)
        snprintf(task->id + 2 * i, 3, "%02x", random[i]);
    snprintf(task->user, sizeof task->user, "%s", call->user);
    task->service = service;
    task->system = call->system;
    snprintf(task->status, sizeof task->status, "%s", status);
    task->data = cJSON_CreateString("");
    task->created = task->updated = time(NULL);
    task->finish = finish;
    task->arguments = arguments;
    task->due_ms = finish != NULL ? monotonic_ms() + firecrest->config.task_ms : 0;
    return task;
}

struct firecrest_task *firecrest_task_find(struct firecrest *firecrest, const char *id)
{
    for (int i = 0; i < firecrest->task_count; i++)
        if (strcmp(firecrest->tasks[i].id, id) == 0)
            return &firecrest->tasks[i];
    return NULL;
}

void firecrest_task_set(struct firecrest_task *task, const char *status, cJSON *data)
{
    snprintf(task->status, sizeof task->status, "%s", status);
    cJSON_Delete(task->data);
    task->data = data;
    task->updated = time(NULL);
}

int firecrest_task_reply(struct mg_connection *conn, int status, const struct firecrest_task *task)
{
    char url[64];
    snprintf(url, sizeof url, "/tasks/%s", task->id);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "success", "Task created");
    cJSON_AddStringToObject(body, "task_id", task->id);
    cJSON_AddStringToObject(body, "task_url", url);
    json_reply(conn, status, body, NULL);
    cJSON_Delete(body);
    return status;
}

static const char *status_description(const char *status)
{
    static const struct {
        const char *code, *text;
    } descriptions[] = {
        {"100", "Queued"},
        {"101", "In progress"},
        {"200", "Finished successfully"},
        {"300", "Deleted"},
        {"301", "Expired"},
        {"302", "Invalid"},
        {"400", "Finished with errors"},
        {"110", "Waiting for Form URL from Object Storage to be retrieved"},
        {"111", "Form URL from Object Storage received"},
        {"112", "Object Storage confirms that upload to Object Storage has finished"},
        {"113", "Download from Object Storage to server has started"},
        {"114", "Download from Object Storage to server has finished"},
        {"115", "Download from Object Storage error"},
        {"116", "Started upload from filesystem to Object Storage"},
        {"117", "Upload from filesystem to Object Storage has finished successfully"},
        {"118", "Upload from filesystem to Object Storage has finished with errors"},
    };
    for (size_t i = 0; i < sizeof descriptions / sizeof descriptions[0]; i++)
        if (strcmp(status, descriptions[i].code) == 0)
            return descriptions[i].text;
    return "";
}

/* The task object exactly as FirecREST shows it. */
static cJSON *task_json(const struct firecrest_task *task)
{
    char created[32], updated[32], url[64];
    struct tm utc;
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%S", gmtime_r(&task->created, &utc));
    strftime(updated, sizeof updated, "%Y-%m-%dT%H:%M:%S", gmtime_r(&task->updated, &utc));
    snprintf(url, sizeof url, "/tasks/%s", task->id);
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "task_id", task->id);
    cJSON_AddStringToObject(json, "hash_id", task->id);
    cJSON_AddStringToObject(json, "status", task->status);
    cJSON_AddStringToObject(json, "description", status_description(task->status));
    cJSON_AddItemToObject(json, "data", cJSON_Duplicate(task->data, true));
    cJSON_AddStringToObject(json, "service", task->service);
    cJSON_AddStringToObject(json, "system", task->system != NULL ? task->system : "");
    cJSON_AddStringToObject(json, "user", task->user);
    cJSON_AddStringToObject(json, "created_at", created);
    cJSON_AddStringToObject(json, "updated_at", updated);
    cJSON_AddStringToObject(json, "last_modify", updated);
    cJSON_AddStringToObject(json, "task_url", url);
    return json;
}

/* GET /tasks?tasks=a,b  GET /tasks/  GET /tasks/{id}: a user sees only its own. */
static int on_tasks(struct mg_connection *conn, void *firecrest_ptr)
{
    struct firecrest *firecrest = firecrest_ptr;
    struct firecrest_call call;
    if (!firecrest_call_begin(&call, conn, firecrest, SERVICE_TASKS, NO_SYSTEM))
        return call.status;
    const char *uri = call.request->local_uri;
    const char *one_id = strncmp(uri, "/tasks/", 7) == 0 && uri[7] != '\0' ? uri + 7 : NULL;
    int status;
    pthread_mutex_lock(&firecrest->state_lock);
    if (strcmp(call.request->request_method, "GET") != 0) {
        status =
            json_error(conn, 405, "/tasks takes GET", (const char *const[]){"Allow", "GET", NULL});
    } else if (one_id != NULL) {
        struct firecrest_task *task = firecrest_task_find(firecrest, one_id);
        if (task == NULL || strcmp(task->user, call.user) != 0) {
            char message[96];
            snprintf(message, sizeof message, "Task %.40s does not exist", one_id);
            status = json_error(conn, 404, message, NULL);
        } else {
            cJSON *body = cJSON_CreateObject();
            cJSON_AddItemToObject(body, "task", task_json(task));
            status = json_reply(conn, 200, body, NULL);
            cJSON_Delete(body);
        }
    } else {
        char wanted[8192] = "";
        bool filtered = firecrest_param(&call, "tasks", wanted, sizeof wanted);
        cJSON *body = cJSON_CreateObject();
        cJSON *tasks = cJSON_AddObjectToObject(body, "tasks");
        if (filtered) { /* the ids asked for, unknown ones left out */
            for (char *save, *id = strtok_r(wanted, ",", &save); id != NULL;
                 id = strtok_r(NULL, ",", &save)) {
                struct firecrest_task *task = firecrest_task_find(firecrest, id);
                if (task != NULL && strcmp(task->user, call.user) == 0 &&
                    !cJSON_HasObjectItem(tasks, id))
                    cJSON_AddItemToObject(tasks, task->id, task_json(task));
            }
        } else {
            for (int i = 0; i < firecrest->task_count; i++)
                if (firecrest->tasks[i].id[0] != '\0' &&
                    strcmp(firecrest->tasks[i].user, call.user) == 0)
                    cJSON_AddItemToObject(tasks, firecrest->tasks[i].id,
                                          task_json(&firecrest->tasks[i]));
        }
        status = json_reply(conn, 200, body, NULL);
        cJSON_Delete(body);
    }
    pthread_mutex_unlock(&firecrest->state_lock);
    firecrest_call_end(&call);
    return status;
}

void firecrest_tasks_register(struct mg_context *context, struct firecrest *firecrest)
{
    mg_set_request_handler(context, "/tasks$", on_tasks, firecrest);
    mg_set_request_handler(context, "/tasks/**", on_tasks, firecrest);
}

/* --- the scheduler: the "cluster" working in the background -------------------- */

enum { SCHEDULER_TICK_MS = 10 };

static void *run_scheduler(void *firecrest_ptr)
{
    struct firecrest *firecrest = firecrest_ptr;
    pthread_mutex_lock(&firecrest->scheduler_lock);
    while (!firecrest->stopping) {
        pthread_mutex_unlock(&firecrest->scheduler_lock);

        pthread_mutex_lock(&firecrest->state_lock);
        int64_t now_ms = monotonic_ms();
        for (int i = 0; i < firecrest->task_count; i++) {
            struct firecrest_task *task = &firecrest->tasks[i];
            if (task->due_ms != 0 && task->due_ms <= now_ms) {
                task->due_ms = 0; /* a finish may set a new due time for a next step */
                task->finish(firecrest, task);
            }
        }
        firecrest_jobs_advance(firecrest);
        firecrest_transfers_run(firecrest);
        firecrest_storage_advance(firecrest);
        pthread_mutex_unlock(&firecrest->state_lock);

        struct timespec wake = monotonic_deadline(SCHEDULER_TICK_MS);
        pthread_mutex_lock(&firecrest->scheduler_lock);
        if (!firecrest->stopping)
            pthread_cond_timedwait(&firecrest->scheduler_wake, &firecrest->scheduler_lock, &wake);
    }
    pthread_mutex_unlock(&firecrest->scheduler_lock);
    return NULL;
}

bool firecrest_scheduler_start(struct firecrest *firecrest)
{
    pthread_mutex_init(&firecrest->scheduler_lock, NULL);
    monotonic_cond_init(&firecrest->scheduler_wake);
    return pthread_create(&firecrest->scheduler, NULL, run_scheduler, firecrest) == 0;
}

void firecrest_scheduler_stop(struct firecrest *firecrest)
{
    pthread_mutex_lock(&firecrest->scheduler_lock);
    firecrest->stopping = true;
    pthread_cond_signal(&firecrest->scheduler_wake);
    pthread_mutex_unlock(&firecrest->scheduler_lock);
    pthread_join(firecrest->scheduler, NULL);
    pthread_cond_destroy(&firecrest->scheduler_wake);
    pthread_mutex_destroy(&firecrest->scheduler_lock);
    for (int i = 0; i < firecrest->task_count; i++)
        task_free(&firecrest->tasks[i]);
}
