/*
 * firecrest_storage.c - /storage and /reservations.
 *
 * External transfers go through temporary object URLs served by this same
 * server (/objects/<token>), as a real centre's object storage would: a
 * download is staged (116 -> 117 with the URL), an upload gets a URL and a curl
 * command to run (110 -> 111), and once the object arrives it is moved into the
 * cluster (112 -> 113 -> 114). Internal transfers are jobs (firecrest_compute.c).
 */
#define _GNU_SOURCE /* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firecrest_internal.h"
#include "json_reply.h"
#include "multipart.h"
#include "sandbox.h"

enum { OBJECT_LIFETIME_MS = 10 * 60 * 1000, MAX_OBJECT_BYTES = 64 * 1024 * 1024 };

static int system_index(const struct firecrest *firecrest, const char *system)
{
    for (int i = 0; i < firecrest->system_count; i++)
        if (system == firecrest->system_names[i])
            return i;
    return 0;
}

static struct firecrest_object *object_create(struct firecrest *firecrest,
                                              const struct firecrest_task *task, const char *path,
                                              bool is_upload)
{
    struct firecrest_object *object = NULL;
    if (firecrest->object_count < MAX_OBJECTS) {
        object = &firecrest->objects[firecrest->object_count++];
    } else { /* full: reuse the one closest to expiring */
        object = &firecrest->objects[0];
        for (int i = 1; i < MAX_OBJECTS; i++)
            if (firecrest->objects[i].expires_ms < object->expires_ms)
                object = &firecrest->objects[i];
    }
    unsigned char random[16];
    RAND_bytes(random, sizeof random);
    for (int i = 0; i < 16; i++)
        snprintf(object->token + 2 * i, 3, "%02x", random[i]);
    snprintf(object->task_id, sizeof object->task_id, "%s", task->id);
    object->system = system_index(firecrest, task->system);
    snprintf(object->user, sizeof object->user, "%s", task->user);
    snprintf(object->path, sizeof object->path, "%s", path);
    object->is_upload = is_upload;
    object->expires_ms = monotonic_ms() + OBJECT_LIFETIME_MS;
    return object;
}

static struct firecrest_object *object_find(struct firecrest *firecrest, const char *token)
{
    for (int i = 0; i < firecrest->object_count; i++)
        if (firecrest->objects[i].token[0] != '\0' &&
            strcmp(firecrest->objects[i].token, token) == 0 &&
            firecrest->objects[i].expires_ms > monotonic_ms())
            return &firecrest->objects[i];
    return NULL;
}

/* 116 -> 117: the file is "staged" and its URL handed out. */
static void finish_download(struct firecrest *firecrest, struct firecrest_task *task)
{
    const char *source = cJSON_GetStringValue(cJSON_GetObjectItem(task->arguments, "source"));
    struct sandbox home;
    int fd =
        firecrest_enter_home(firecrest, system_index(firecrest, task->system), task->user, &home);
    if (fd == 0) {
        fd = sandbox_open(&home, source, O_RDONLY | O_NONBLOCK, 0);
        sandbox_leave(&home);
    }
    struct stat info;
    bool readable = fd >= 0 && fstat(fd, &info) == 0 && S_ISREG(info.st_mode) &&
                    info.st_size <= MAX_OBJECT_BYTES;
    if (fd >= 0)
        close(fd);
    if (!readable) {
        char message[PATH_MAX + 64];
        snprintf(message, sizeof message,
                 "%s: not a readable file (of at most 64 MB) on the system", source);
        firecrest_task_set(task, "118", cJSON_CreateString(message));
        return;
    }
    struct firecrest_object *object = object_create(firecrest, task, source, false);
    char url[160];
    snprintf(url, sizeof url, "%s/objects/%s", firecrest->base_url, object->token);
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "source", source);
    cJSON_AddStringToObject(data, "system_name", task->system);
    cJSON_AddStringToObject(data, "url", url);
    firecrest_task_set(task, "117", data);
}

/* 110 -> 111: the URL to send the file to, and the curl command that does it. */
static void finish_upload_url(struct firecrest *firecrest, struct firecrest_task *task)
{
    const char *local = cJSON_GetStringValue(cJSON_GetObjectItem(task->arguments, "source"));
    const char *target = cJSON_GetStringValue(cJSON_GetObjectItem(task->arguments, "target"));
    struct firecrest_object *object = object_create(firecrest, task, target, true);
    char url[160];
    snprintf(url, sizeof url, "%s/objects/%s", firecrest->base_url, object->token);
    /* The client runs this command (pyfirecrest splits it with shlex): quote the path. */
    char quoted_local[PATH_MAX * 2 + 8] = "'";
    for (const char *c = local; *c != '\0' && strlen(quoted_local) < sizeof quoted_local - 8; c++)
        strcat(quoted_local, *c == '\'' ? "'\\''" : (char[]){*c, '\0'});
    strcat(quoted_local, "'");
    char command[PATH_MAX * 2 + 256];
    snprintf(command, sizeof command, "curl --show-error --fail -s -F file=@%s %s", quoted_local,
             url);

    cJSON *data = cJSON_CreateObject();
    cJSON *message = cJSON_AddObjectToObject(data, "msg");
    cJSON_AddStringToObject(message, "command", command);
    cJSON *parameters = cJSON_AddObjectToObject(message, "parameters");
    cJSON_AddStringToObject(parameters, "method", "POST");
    cJSON_AddStringToObject(parameters, "url", url);
    cJSON_AddObjectToObject(parameters, "data");
    cJSON *files = cJSON_AddObjectToObject(parameters, "files");
    cJSON_AddStringToObject(files, "file", local);
    cJSON_AddObjectToObject(parameters, "headers");
    cJSON_AddObjectToObject(parameters, "json");
    cJSON_AddObjectToObject(parameters, "params");
    cJSON_AddStringToObject(data, "source", local);
    cJSON_AddStringToObject(data, "target", target);
    cJSON_AddStringToObject(data, "system_name", task->system);
    firecrest_task_set(task, "111", data);
}

/* 112 -> 113 -> 114: the object arrived and is moved into the cluster. */
static void finish_upload_arrival(struct firecrest *firecrest, struct firecrest_task *task)
{
    if (strcmp(task->status, "112") == 0) {
        firecrest_task_set(task, "113", cJSON_Duplicate(task->data, true));
        task->due_ms = monotonic_ms() + firecrest->config.task_ms;
        task->finish = finish_upload_arrival;
    } else {
        firecrest_task_set(task, "114", cJSON_Duplicate(task->data, true));
    }
}

void firecrest_storage_advance(struct firecrest *firecrest)
{
    int64_t now_ms = monotonic_ms();
    for (int i = 0; i < firecrest->object_count; i++)
        if (firecrest->objects[i].expires_ms <= now_ms)
            firecrest->objects[i].token[0] = '\0'; /* expired: its URL answers 404 */
}

/* A file of the sandbox written from an object upload: the multipart "file",
 * into a temporary file renamed into place once complete (see utility_upload). */
struct object_upload {
    struct multipart_field field;
    int fd;
    long bytes;
    bool failed;
};

/* civetweb calls this with each piece of a field's data (see multipart.h). */
static int on_object_data(const char *key, const char *value, size_t length, void *upload_ptr)
{
    struct object_upload *upload = upload_ptr;
    if (strcmp(multipart_field_name(&upload->field, key), "file") != 0)
        return MG_FORM_FIELD_HANDLE_GET;
    upload->bytes += (long)length;
    if (upload->bytes > MAX_OBJECT_BYTES || write(upload->fd, value, length) != (ssize_t)length) {
        upload->failed = true;
        return MG_FORM_FIELD_HANDLE_ABORT;
    }
    return MG_FORM_FIELD_HANDLE_GET;
}

/* Write the upload's "file" field into `name` in `directory`: 0, or -errno. */
static int receive_object(struct mg_connection *conn, int directory, const char *name)
{
    char temporary[64];
    struct object_upload upload = {
        .fd = sandbox_create_temporary(directory, temporary, sizeof temporary)};
    if (upload.fd < 0)
        return upload.fd;
    struct mg_form_data_handler handler = {.field_found = multipart_get_every_field,
                                           .field_get = on_object_data,
                                           .user_data = &upload};
    int fields = multipart_read_form(conn, &handler);
    close(upload.fd);
    int result = upload.failed || fields <= 0 ? -EIO : 0;
    if (result == 0 && renameat(directory, temporary, directory, name) != 0)
        result = -errno;
    if (result != 0)
        unlinkat(directory, temporary, 0);
    return result;
}

/* GET of a staged download: the file, streamed from the owner's home. */
static int send_object(struct mg_connection *conn, const struct sandbox *home, const char *path)
{
    if (strcmp(mg_get_request_info(conn)->request_method, "GET") != 0)
        return json_error(conn, 405, "a download URL takes GET",
                          (const char *const[]){"Allow", "GET", NULL});
    int fd = sandbox_open(home, path, O_RDONLY | O_NONBLOCK, 0);
    struct stat info;
    if (fd < 0 || fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        if (fd >= 0)
            close(fd);
        return json_error(conn, 404, "the staged file is gone", NULL);
    }
    char length[32];
    snprintf(length, sizeof length, "%lld", (long long)info.st_size);
    reply_headers(conn, 200, NULL, "application/octet-stream", length);
    char *buffer = malloc(65536); /* heap: civetweb's threads have small stacks */
    for (ssize_t got; buffer != NULL && (got = read(fd, buffer, 65536)) > 0;)
        if (mg_write(conn, buffer, (size_t)got) <= 0)
            break; /* the client went away */
    free(buffer);
    close(fd);
    return 200;
}

/* GET /objects/<token>: a staged download. POST: the body of an external upload.
 * The token is the only credential, as with a presigned object-storage URL. */
static int on_object(struct mg_connection *conn, void *firecrest_ptr)
{
    struct firecrest *firecrest = firecrest_ptr;
    const struct mg_request_info *request = mg_get_request_info(conn);
    const char *token = request->local_uri + strlen("/objects/");
    pthread_mutex_lock(&firecrest->state_lock);
    struct firecrest_object *found = object_find(firecrest, token);
    struct firecrest_object object = found != NULL ? *found : (struct firecrest_object){0};
    pthread_mutex_unlock(&firecrest->state_lock);
    if (found == NULL)
        return json_error(conn, 404, "no such object, or its URL has expired or was invalidated",
                          NULL);

    struct sandbox home;
    if (firecrest_enter_home(firecrest, object.system, object.user, &home) != 0)
        return json_error(conn, 404, "the staged file is gone", NULL);
    if (!object.is_upload) {
        int status = send_object(conn, &home, object.path);
        sandbox_leave(&home);
        return status;
    }
    if (strcmp(request->request_method, "POST") != 0 &&
        strcmp(request->request_method, "PUT") != 0) {
        sandbox_leave(&home);
        return json_error(conn, 405, "an upload URL takes POST",
                          (const char *const[]){"Allow", "POST", NULL});
    }
    if (!multipart_is_form(conn)) {
        sandbox_leave(&home);
        return json_error(conn, 400, "expected a multipart form with the file as 'file'", NULL);
    }
    /* Into an existing directory: under the name the client's file has. */
    char *destination = malloc(PATH_MAX);
    const char *task_source = NULL;
    pthread_mutex_lock(&firecrest->state_lock);
    struct firecrest_task *task = firecrest_task_find(firecrest, object.task_id);
    if (task != NULL)
        task_source = cJSON_GetStringValue(cJSON_GetObjectItem(task->arguments, "source"));
    const char *base_name = task_source != NULL && strrchr(task_source, '/')
                                ? strrchr(task_source, '/') + 1
                                : task_source;
    int directory = sandbox_open(&home, object.path, O_PATH | O_DIRECTORY, 0);
    if (directory >= 0)
        close(directory);
    bool fits = destination != NULL &&
                snprintf(destination, PATH_MAX, directory >= 0 ? "%s/%s" : "%s", object.path,
                         base_name != NULL ? base_name : "upload") < PATH_MAX;
    pthread_mutex_unlock(&firecrest->state_lock);

    char name[NAME_MAX + 1];
    int parent = fits ? sandbox_open_parent(&home, destination, name, sizeof name) : -ENAMETOOLONG;
    free(destination);
    sandbox_leave(&home);
    if (parent < 0)
        return json_error(conn, 400, "the upload's target path is not writable", NULL);
    if (!firecrest_accept_body(conn, MAX_OBJECT_BYTES + 64 * 1024)) {
        close(parent);
        return 413;
    }
    bool failed = receive_object(conn, parent, name) != 0;
    close(parent);

    pthread_mutex_lock(&firecrest->state_lock);
    task = firecrest_task_find(firecrest, object.task_id);
    if (task != NULL) {
        if (failed) {
            firecrest_task_set(task, "115",
                               cJSON_CreateString("the upload to object storage failed"));
        } else {
            firecrest_task_set(task, "112", cJSON_Duplicate(task->data, true));
            task->finish = finish_upload_arrival;
            task->due_ms = monotonic_ms() + firecrest->config.task_ms;
        }
    }
    found = object_find(firecrest, token);
    if (found != NULL)
        found->token[0] = '\0'; /* an upload URL is good for one upload */
    pthread_mutex_unlock(&firecrest->state_lock);
    if (failed)
        return json_error(conn, 413, "upload failed or larger than 64 MB", NULL);
    reply_headers(conn, 204, NULL, NULL, "0");
    return 204;
}

/* Internal transfers: the job does the work when it ends (firecrest_compute.c). */
static void finish_transfer_submission(struct firecrest *firecrest, struct firecrest_task *task)
{
    (void)firecrest;
    firecrest_task_set(task, "200",
                       cJSON_Duplicate(cJSON_GetObjectItem(task->arguments, "submitted"), true));
}

static int on_storage(struct mg_connection *conn, void *firecrest_ptr)
{
    struct firecrest *firecrest = firecrest_ptr;
    const struct mg_request_info *request = mg_get_request_info(conn);
    const char *what = request->local_uri + strlen("/storage/");
    if (strcmp(request->request_method, "POST") != 0)
        return json_error(conn, 405, "/storage takes POST",
                          (const char *const[]){"Allow", "POST", NULL});
    bool external = strncmp(what, "xfer-external/", 14) == 0;
    struct firecrest_call call;
    /* invalidate names its task in a header, not a system */
    bool invalidate = strcmp(what, "xfer-external/invalidate") == 0;
    if (!firecrest_call_begin(&call, conn, firecrest, SERVICE_STORAGE,
                              invalidate ? NO_SYSTEM : NEEDS_SYSTEM))
        return call.status;
    char source[PATH_MAX] = "", target[PATH_MAX] = "";
    bool has_source = firecrest_param(&call, "sourcePath", source, sizeof source);
    bool has_target = firecrest_param(&call, "targetPath", target, sizeof target);
    int status;
    pthread_mutex_lock(&firecrest->state_lock);
    struct firecrest_task *task = NULL;
    if (invalidate) {
        const char *task_id = mg_get_header(conn, "X-Task-Id");
        int invalidated = 0;
        for (int i = 0; task_id != NULL && i < firecrest->object_count; i++) {
            struct firecrest_task *owner =
                firecrest_task_find(firecrest, firecrest->objects[i].task_id);
            if (strcmp(firecrest->objects[i].task_id, task_id) == 0 && owner != NULL &&
                strcmp(owner->user, call.user) == 0 && firecrest->objects[i].token[0] != '\0') {
                firecrest->objects[i].token[0] = '\0';
                invalidated++;
            }
        }
        if (invalidated > 0) {
            cJSON *body = cJSON_CreateObject();
            cJSON_AddStringToObject(body, "success", "URL invalidated successfully");
            status = json_reply(conn, 201, body, NULL);
            cJSON_Delete(body);
        } else {
            status = firecrest_error(conn, 400, "X-Error", "no URL of yours for that X-Task-Id");
        }
    } else if (!has_source || (!has_target && strcmp(what, "xfer-external/download") != 0 &&
                               strcmp(what, "xfer-internal/rm") != 0)) {
        status = firecrest_error(conn, 400, "X-Invalid-Path",
                                 "Error: sourcePath and targetPath are required");
    } else if (strcmp(what, "xfer-external/download") == 0) {
        cJSON *arguments = cJSON_CreateObject();
        cJSON_AddStringToObject(arguments, "source", source);
        task =
            firecrest_task_create(firecrest, &call, "storage", "116", finish_download, arguments);
        status = task ? firecrest_task_reply(conn, 201, task)
                      : firecrest_error(conn, 503, NULL, "too many tasks");
    } else if (strcmp(what, "xfer-external/upload") == 0) {
        cJSON *arguments = cJSON_CreateObject();
        cJSON_AddStringToObject(arguments, "source", source);
        cJSON_AddStringToObject(arguments, "target", target);
        task =
            firecrest_task_create(firecrest, &call, "storage", "110", finish_upload_url, arguments);
        status = task ? firecrest_task_reply(conn, 201, task)
                      : firecrest_error(conn, 503, NULL, "too many tasks");
    } else if (!external &&
               (strcmp(what, "xfer-internal/cp") == 0 || strcmp(what, "xfer-internal/mv") == 0 ||
                strcmp(what, "xfer-internal/rsync") == 0 ||
                strcmp(what, "xfer-internal/rm") == 0)) {
        const char *action = what + strlen("xfer-internal/");
        cJSON *transfer = cJSON_CreateObject();
        cJSON_AddStringToObject(transfer, "action", strcmp(action, "rsync") == 0 ? "cp" : action);
        cJSON_AddStringToObject(transfer, "source", source);
        cJSON_AddStringToObject(transfer, "target", target);
        char name[64] = "";
        if (!firecrest_param(&call, "jobName", name, sizeof name))
            snprintf(name, sizeof name, "%s-job", action);
        char error[128];
        struct firecrest_job *job =
            firecrest_job_submit(firecrest, &call, "", name, transfer, error, sizeof error);
        if (job == NULL) {
            status = firecrest_error(conn, 400, "X-Error", error);
        } else {
            cJSON *arguments = cJSON_CreateObject();
            cJSON_AddItemToObject(arguments, "submitted", firecrest_job_submitted(job));
            task = firecrest_task_create(firecrest, &call, "storage", "100",
                                         finish_transfer_submission, arguments);
            status = task ? firecrest_task_reply(conn, 201, task)
                          : firecrest_error(conn, 503, NULL, "too many tasks");
        }
    } else {
        status = json_error(
            conn, 404,
            "no such /storage endpoint in the kit's fake (compress and extract are not simulated)",
            NULL);
    }
    pthread_mutex_unlock(&firecrest->state_lock);
    firecrest_call_end(&call);
    return status;
}

/* --- /reservations: kept in memory ------------------------------------------------- */

#define OWNER "_owner" /* who made it: kept with it, never shown */

static int on_reservations(struct mg_connection *conn, void *firecrest_ptr)
{
    struct firecrest *firecrest = firecrest_ptr;
    struct firecrest_call call;
    if (!firecrest_call_begin(&call, conn, firecrest, SERVICE_RESERVATIONS, NEEDS_SYSTEM))
        return call.status;
    const char *method = call.request->request_method;
    const char *uri = call.request->local_uri;
    /* The name in the path arrives URL-encoded (the server does not decode paths). */
    char decoded_name[64];
    const char *name = NULL;
    if (strncmp(uri, "/reservations/", 14) == 0 && uri[14] != '\0') {
        int length =
            mg_url_decode(uri + 14, (int)strlen(uri + 14), decoded_name, sizeof decoded_name, 0);
        if (length <= 0 || !firecrest_is_clean_text(decoded_name, (size_t)length)) {
            firecrest_call_end(&call);
            return firecrest_error(conn, 400, "X-Error", "not a reservation name");
        }
        name = decoded_name;
    }
    char reservation[64] = "", account[64] = "", nodes[16] = "", node_type[64] = "", start[64] = "",
         end[64] = "";
    firecrest_param(&call, "reservation", reservation, sizeof reservation);
    /* Every field is read (no short-circuit): all are needed to create or update. */
    bool complete = firecrest_param(&call, "account", account, sizeof account);
    complete &= firecrest_param(&call, "numberOfNodes", nodes, sizeof nodes);
    complete &= firecrest_param(&call, "nodeType", node_type, sizeof node_type);
    complete &= firecrest_param(&call, "starttime", start, sizeof start);
    complete &= firecrest_param(&call, "endtime", end, sizeof end);
    int status;
    pthread_mutex_lock(&firecrest->state_lock);
    cJSON *found = NULL;
    const char *wanted = name != NULL ? name : reservation;
    cJSON *item;
    cJSON_ArrayForEach(
        item,
        firecrest
            ->reservations) if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(item,
                                                                                "reservationname")),
                                       wanted) == 0 &&
                                strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(item, "system")),
                                       call.system) == 0) found = item;
    /* A reservation is its maker's: another user may neither see, change nor delete it. */
    bool others = found != NULL &&
                  strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(found, OWNER)), call.user) != 0;
    if (strcmp(method, "GET") == 0 && name == NULL) {
        cJSON *body = cJSON_CreateObject();
        cJSON *list = cJSON_AddArrayToObject(body, "success");
        cJSON_ArrayForEach(item, firecrest->reservations)
        {
            if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(item, "system")), call.system) ==
                    0 &&
                strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(item, OWNER)), call.user) == 0) {
                cJSON *shown = cJSON_Duplicate(item, true);
                cJSON_DeleteItemFromObject(shown, OWNER);
                cJSON_AddItemToArray(list, shown);
            }
        }
        status = json_reply(conn, 200, body, NULL);
        cJSON_Delete(body);
    } else if ((strcmp(method, "POST") == 0 && name == NULL) ||
               (strcmp(method, "PUT") == 0 && name != NULL)) {
        bool creating = strcmp(method, "POST") == 0;
        if (!complete || (creating && reservation[0] == '\0')) {
            status = firecrest_error(conn, 400, "X-Error",
                                     "reservation, account, numberOfNodes, nodeType, starttime and "
                                     "endtime are required");
        } else if (!creating && others) {
            status = firecrest_error(conn, 400, "X-Permission-Denied",
                                     "that reservation is another user's");
        } else if (creating ? found != NULL : found == NULL) {
            status = firecrest_error(conn, creating ? 400 : 404, "X-Error",
                                     creating ? "that reservation exists" : "no such reservation");
        } else if (creating && cJSON_GetArraySize(firecrest->reservations) >= MAX_RESERVATIONS) {
            status = firecrest_error(conn, 400, "X-Error", "too many reservations");
        } else {
            if (creating) {
                found = cJSON_CreateObject();
                cJSON_AddStringToObject(found, "reservationname", reservation);
                cJSON_AddStringToObject(found, "system", call.system);
                cJSON_AddStringToObject(found, OWNER, call.user);
                cJSON_AddItemToArray(firecrest->reservations, found);
            }
            const char *fields[][2] = {{"account", account},
                                       {"numberofnodes", nodes},
                                       {"nodetype", node_type},
                                       {"starttime", start},
                                       {"endtime", end}};
            for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
                cJSON_DeleteItemFromObject(found, fields[i][0]);
                cJSON_AddStringToObject(found, fields[i][0], fields[i][1]);
            }
            cJSON *body = cJSON_CreateObject();
            status = json_reply(conn, creating ? 201 : 200, body, NULL);
            cJSON_Delete(body);
        }
    } else if (strcmp(method, "DELETE") == 0 && name != NULL) {
        if (found == NULL) {
            status = firecrest_error(conn, 404, "X-Error", "no such reservation");
        } else if (others) {
            status = firecrest_error(conn, 400, "X-Permission-Denied",
                                     "that reservation is another user's");
        } else {
            cJSON_Delete(cJSON_DetachItemViaPointer(firecrest->reservations, found));
            reply_headers(conn, 204, NULL, NULL, "0");
            status = 204;
        }
    } else {
        status = json_error(conn, 405, "not with this method", NULL);
    }
    pthread_mutex_unlock(&firecrest->state_lock);
    firecrest_call_end(&call);
    return status;
}

void firecrest_storage_register(struct mg_context *context, struct firecrest *firecrest)
{
    mg_set_request_handler(context, "/storage/**", on_storage, firecrest);
    mg_set_request_handler(context, "/objects/**", on_object, firecrest);
    mg_set_request_handler(context, "/reservations$", on_reservations, firecrest);
    mg_set_request_handler(context, "/reservations/**", on_reservations, firecrest);
}
