/*
 * test_firecrest_jobs.c - the slow half of the fake FirecREST: tasks, the
 * simulated scheduler (/compute), transfers (/storage), reservations.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "firecrest_support.h"

TestSuite(firecrest_jobs, .init = firecrest_server_start, .fini = firecrest_server_stop,
          .timeout = 30);

static const char *string_of(const cJSON *object, const char *field)
{
    const char *value = cJSON_GetStringValue(cJSON_GetObjectItem(object, field));
    cr_assert(value != NULL, "\"%s\" missing or not a string", field);
    return value;
}

/* Submit `script` by upload; returns the finished submission task's data. */
static cJSON *submit(const char *script)
{
    struct reply reply;
    cr_assert_eq(
        upload_file("/compute/jobs/upload", NULL, "job.sh", script, strlen(script), &reply), 201,
        "%s", reply.body);
    cr_assert_str_eq(string_of(reply.json, "success"), "Task created");
    char task_id[64];
    snprintf(task_id, sizeof task_id, "%s", string_of(reply.json, "task_id"));
    cr_assert(strstr(string_of(reply.json, "task_url"), task_id) != NULL);
    reply_free(&reply);
    cJSON *task = wait_for_task(task_id, "200,400");
    cr_assert_str_eq(string_of(task, "status"), "200");
    cr_assert_str_eq(string_of(task, "service"), "compute");
    cr_assert_str_eq(string_of(task, "system"), "cluster");
    cJSON *data = cJSON_DetachItemFromObject(task, "data");
    cJSON_Delete(task);
    return data;
}

/* GET /compute/jobs or /compute/acct for one job: the finished task's data. */
static cJSON *listing(const char *what, const char *jobid)
{
    char path[128];
    snprintf(path, sizeof path, "/compute/%s?jobs=%s", what, jobid);
    struct reply reply;
    get(&reply, path);
    cr_assert_eq(reply.status, 200, "%s", reply.body);
    cJSON *task = wait_for_task(string_of(reply.json, "task_id"), "200");
    reply_free(&reply);
    cJSON *data = cJSON_DetachItemFromObject(task, "data");
    cJSON_Delete(task);
    return data;
}

static char *view(const char *path)
{
    char url[512];
    snprintf(url, sizeof url, "/utilities/view?targetPath=%s", path);
    struct reply reply;
    get(&reply, url);
    cr_assert_eq(reply.status, 200, "view %s: %s", path, reply.body);
    char *text = strdup(string_of(reply.json, "output"));
    reply_free(&reply);
    return text;
}

/* Poll squeue until the job is gone; returns the states it was seen in. */
static void wait_until_inactive(const char *jobid, char *seen, size_t size)
{
    seen[0] = '\0';
    for (;;) {
        cJSON *active = listing("jobs", jobid);
        cr_assert(cJSON_IsObject(active), "squeue data is an object keyed by position");
        const cJSON *first = cJSON_GetObjectItem(active, "0");
        if (first == NULL) {
            cJSON_Delete(active);
            return;
        }
        const char *state = string_of(first, "state");
        if (strstr(seen, state) == NULL)
            snprintf(seen + strlen(seen), size - strlen(seen), "%s ", state);
        cJSON_Delete(active);
    }
}

Test(firecrest_jobs, a_job_runs_to_completed_and_its_output_has_the_echo_lines)
{
    cJSON *job =
        submit("#!/bin/bash\n#SBATCH --job-name=hello\necho hello\necho \"from  the\" 'kit'\n"
               "rm -rf / # never run: the script is only read\n");
    const char *jobid = string_of(job, "jobid");
    cr_assert_str_eq(string_of(job, "result"), "Job submitted");
    char seen[64];
    wait_until_inactive(jobid, seen, sizeof seen);
    cr_assert(strstr(seen, "RUNNING") != NULL || strstr(seen, "PENDING") != NULL, "seen: %s", seen);

    cJSON *accounting = listing("acct", jobid);
    cr_assert_eq(cJSON_GetArraySize(accounting), 1);
    cr_assert_str_eq(string_of(cJSON_GetArrayItem(accounting, 0), "state"), "COMPLETED");
    cr_assert_str_eq(string_of(cJSON_GetArrayItem(accounting, 0), "jobid"), jobid);
    cJSON_Delete(accounting);

    char *output = view(string_of(job, "job_file_out"));
    cr_assert_str_eq(output, "hello\nfrom  the kit\n", "what bash would print: quoted spaces kept");
    free(output);
    cJSON_Delete(job);
}

Test(firecrest_jobs, a_script_that_exits_non_zero_ends_failed)
{
    cJSON *job = submit("echo about to fail\nexit 3\n");
    char seen[64];
    wait_until_inactive(string_of(job, "jobid"), seen, sizeof seen);
    cJSON *accounting = listing("acct", string_of(job, "jobid"));
    const cJSON *entry = cJSON_GetArrayItem(accounting, 0);
    cr_assert_str_eq(string_of(entry, "state"), "FAILED");
    cr_assert_str_eq(string_of(entry, "exit_code"), "3:0");
    cJSON_Delete(accounting);
    cJSON_Delete(job);
}

Test(firecrest_jobs, a_cancelled_job_ends_cancelled)
{
    cJSON *job = submit("echo x\n");
    char path[64];
    snprintf(path, sizeof path, "/compute/jobs/%s", string_of(job, "jobid"));
    struct reply reply;
    call_api(&reply, "DELETE", path, "cluster", NULL, token);
    cr_assert_eq(reply.status, 200, "%s", reply.body);
    cJSON *task = wait_for_task(string_of(reply.json, "task_id"), "200,400");
    cr_assert_str_eq(string_of(task, "status"), "200");
    cJSON_Delete(task);
    reply_free(&reply);
    cJSON *accounting = listing("acct", string_of(job, "jobid"));
    cr_assert_str_eq(string_of(cJSON_GetArrayItem(accounting, 0), "state"), "CANCELLED");
    cJSON_Delete(accounting);
    cJSON_Delete(job);

    call_api(&reply, "DELETE", "/compute/jobs/999999", "cluster", NULL, token);
    task = wait_for_task(string_of(reply.json, "task_id"), "200,400");
    cr_assert_str_eq(string_of(task, "status"), "400", "cancelling an unknown job fails");
    cJSON_Delete(task);
    reply_free(&reply);
}

Test(firecrest_jobs, submit_by_path_and_list_several_jobs)
{
    struct reply reply;
    cr_assert_eq(upload_file("/utilities/upload", "/home/test_user", "batch.sh", "echo by path\n",
                             13, &reply),
                 201);
    reply_free(&reply);
    call_api(&reply, "POST", "/compute/jobs/path", "cluster", "targetPath=/home/test_user/batch.sh",
             token);
    cr_assert_eq(reply.status, 201, "%s", reply.body);
    cJSON *task = wait_for_task(string_of(reply.json, "task_id"), "200,400");
    reply_free(&reply);
    const char *jobid = string_of(cJSON_GetObjectItem(task, "data"), "jobid");
    cJSON *second = submit("echo second\n");
    char both[64];
    snprintf(both, sizeof both, "%s,%s", jobid, string_of(second, "jobid"));
    cJSON *accounting = listing("acct", both);
    cr_assert_eq(cJSON_GetArraySize(accounting), 2, "the ids joined by a comma give both jobs");
    cJSON_Delete(accounting);
    cJSON_Delete(second);
    cJSON_Delete(task);

    call_api(&reply, "POST", "/compute/jobs/path", "cluster", "targetPath=/../etc/passwd", token);
    cr_assert_eq(reply.status, 400, "a script outside the sandbox is refused");
    reply_free(&reply);
}

Test(firecrest_jobs, tasks_are_listed_by_id_and_invisible_to_another_user)
{
    cJSON *job = submit("echo mine\n");
    cJSON_Delete(job);
    struct reply reply;
    get(&reply, "/compute/jobs");
    char task_id[64];
    snprintf(task_id, sizeof task_id, "%s", string_of(reply.json, "task_id"));
    reply_free(&reply);

    char path[256];
    snprintf(path, sizeof path, "/tasks?tasks=%s,unknown-id", task_id);
    call_api(&reply, "GET", path, NULL, NULL, token);
    const cJSON *tasks = cJSON_GetObjectItem(reply.json, "tasks");
    cr_assert_eq(cJSON_GetArraySize(tasks), 1, "unknown ids are left out: %s", reply.body);
    const cJSON *task = cJSON_GetObjectItem(tasks, task_id);
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(task, "status")), "status is a JSON string");
    cr_assert_str_eq(string_of(task, "hash_id"), task_id);
    cr_assert_str_eq(string_of(task, "user"), "test_user");
    reply_free(&reply);

    /* The other user sees none of it. */
    call_api(&reply, "GET", path, NULL, NULL, other_token);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(reply.json, "tasks")), 0);
    reply_free(&reply);
    snprintf(path, sizeof path, "/tasks/%s", task_id);
    call_api(&reply, "GET", path, NULL, NULL, other_token);
    cr_assert_eq(reply.status, 404);
    cr_assert(strstr(reply.body, "does not exist") != NULL);
    reply_free(&reply);
    call_api(&reply, "GET", "/tasks/", NULL, NULL, other_token);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(reply.json, "tasks")), 0);
    reply_free(&reply);
    call_api(&reply, "GET", "/tasks/", NULL, NULL, token);
    cr_assert_geq(cJSON_GetArraySize(cJSON_GetObjectItem(reply.json, "tasks")), 2);
    reply_free(&reply);
}

Test(firecrest_jobs, external_download_round_trip_and_invalidate)
{
    struct reply reply;
    cr_assert_eq(
        upload_file("/utilities/upload", "/home/test_user", "data.txt", "payload\n", 8, &reply),
        201);
    reply_free(&reply);
    call_api(&reply, "POST", "/storage/xfer-external/download", "cluster",
             "sourcePath=/home/test_user/data.txt", token);
    cr_assert_eq(reply.status, 201, "%s", reply.body);
    char task_id[64];
    snprintf(task_id, sizeof task_id, "%s", string_of(reply.json, "task_id"));
    reply_free(&reply);
    cJSON *task = wait_for_task(task_id, "117,118");
    cr_assert_str_eq(string_of(task, "status"), "117");
    const char *url = string_of(cJSON_GetObjectItem(task, "data"), "url");
    cr_assert(strncmp(url, server.base_url, strlen(server.base_url)) == 0,
              "the URL points back at the server: %s", url);

    long status;
    char *body = http_request("GET", url, &status);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(body, "payload\n");
    free(body);

    call_api(&reply, "POST", "/storage/xfer-external/invalidate", NULL, NULL, token);
    cr_assert_eq(reply.status, 400, "no X-Task-Id: nothing to invalidate");
    reply_free(&reply);
    char task_header[128];
    snprintf(task_header, sizeof task_header, "X-Task-Id: %s", task_id);
    call_api_with_header(&reply, "POST", "/storage/xfer-external/invalidate", NULL, NULL,
                         other_token, task_header);
    cr_assert_eq(reply.status, 400, "another user cannot invalidate my URL");
    reply_free(&reply);
    call_api_with_header(&reply, "POST", "/storage/xfer-external/invalidate", NULL, NULL, token,
                         task_header);
    cr_assert_eq(reply.status, 201, "%s", reply.body);
    reply_free(&reply);
    body = http_request("GET", url, &status);
    cr_assert_eq(status, 404, "an invalidated URL serves nothing");
    free(body);
    cJSON_Delete(task);

    call_api(&reply, "POST", "/storage/xfer-external/download", "cluster",
             "sourcePath=/../etc/passwd", token);
    task = wait_for_task(string_of(reply.json, "task_id"), "117,118");
    cr_assert_str_eq(string_of(task, "status"), "118", "staging a file outside the sandbox fails");
    cJSON_Delete(task);
    reply_free(&reply);
}

/* The external upload: the test runs the curl command the task hands out, as
 * pyfirecrest does, then waits for the file to reach the cluster. */
Test(firecrest_jobs, external_upload_round_trip_runs_the_given_command)
{
    char local[300];
    snprintf(local, sizeof local, "%s/local file.txt", sandbox_root);
    FILE *file = fopen(local, "w");
    fputs("from my laptop\n", file);
    fclose(file);
    char form[512];
    snprintf(form, sizeof form, "sourcePath=%s&targetPath=/home/test_user", local);
    struct reply reply;
    call_api(&reply, "POST", "/storage/xfer-external/upload", "cluster", form, token);
    cr_assert_eq(reply.status, 201, "%s", reply.body);
    char task_id[64];
    snprintf(task_id, sizeof task_id, "%s", string_of(reply.json, "task_id"));
    reply_free(&reply);
    cJSON *task = wait_for_task(task_id, "111,115");
    cr_assert_str_eq(string_of(task, "status"), "111");
    const cJSON *message = cJSON_GetObjectItem(cJSON_GetObjectItem(task, "data"), "msg");
    const char *command = string_of(message, "command");
    cr_assert(strstr(command, "curl") == command);
    cr_assert(cJSON_IsObject(cJSON_GetObjectItem(message, "parameters")));
    /* A body that is not a multipart form is refused, and leaves the URL usable. */
    const char *url = string_of(cJSON_GetObjectItem(message, "parameters"), "url");
    cr_assert(strncmp(url, server.base_url, strlen(server.base_url)) == 0, "%s", url);
    static const char poison[] = "file=\0x";
    post_raw_body(&reply, url + strlen(server.base_url), NULL, poison, sizeof poison - 1);
    cr_assert_eq(reply.status, 400, "HTTP %ld %s", reply.status, reply.body);
    reply_free(&reply);
    char quiet[2048];
    snprintf(quiet, sizeof quiet, "%s > /dev/null", command);
    cr_assert_eq(system(quiet), 0, "the upload command failed: %s", command);
    cJSON_Delete(task);

    task = wait_for_task(task_id, "114,115");
    cr_assert_str_eq(string_of(task, "status"), "114");
    cJSON_Delete(task);
    char *content = view("/home/test_user/local%20file.txt");
    cr_assert_str_eq(content, "from my laptop\n");
    free(content);
}

Test(firecrest_jobs, internal_transfers_copy_move_and_remove_inside_the_sandbox)
{
    struct reply reply;
    cr_assert_eq(
        upload_file("/utilities/upload", "/home/test_user", "original.txt", "keep me\n", 8, &reply),
        201);
    reply_free(&reply);
    const char *const steps[][2] = {
        {"cp", "sourcePath=/home/test_user/original.txt&targetPath=/home/test_user/copy.txt"},
        {"mv", "sourcePath=/home/test_user/copy.txt&targetPath=/home/test_user/moved.txt"},
        {"rm", "sourcePath=/home/test_user/original.txt"},
    };
    for (size_t i = 0; i < 3; i++) {
        char path[64];
        snprintf(path, sizeof path, "/storage/xfer-internal/%s", steps[i][0]);
        call_api(&reply, "POST", path, "cluster", steps[i][1], token);
        cr_assert_eq(reply.status, 201, "%s: %s", path, reply.body);
        cJSON *task = wait_for_task(string_of(reply.json, "task_id"), "200,400");
        reply_free(&reply);
        char seen[64];
        wait_until_inactive(string_of(cJSON_GetObjectItem(task, "data"), "jobid"), seen,
                            sizeof seen);
        cJSON_Delete(task);
    }
    char *moved = view("/home/test_user/moved.txt");
    cr_assert_str_eq(moved, "keep me\n");
    free(moved);
    char gone[512];
    snprintf(gone, sizeof gone, "%s/cluster/home/test_user/original.txt", sandbox_root);
    cr_assert_neq(access(gone, F_OK), 0, "rm left the file");
    snprintf(gone, sizeof gone, "%s/cluster/home/test_user/copy.txt", sandbox_root);
    cr_assert_neq(access(gone, F_OK), 0, "mv left the source");
}

Test(firecrest_jobs, reservations_are_created_listed_updated_and_deleted)
{
    struct reply reply;
    const char *fields = "account=proj&numberOfNodes=2&nodeType=gpu&starttime=2030-01-01T00:00:00&"
                         "endtime=2030-01-02T00:00:00";
    char form[256];
    snprintf(form, sizeof form, "reservation=class&%s", fields);
    call_api(&reply, "POST", "/reservations", "cluster", form, token);
    cr_assert_eq(reply.status, 201, "%s", reply.body);
    reply_free(&reply);
    call_api(&reply, "POST", "/reservations", "cluster", form, token);
    cr_assert_eq(reply.status, 400, "a second one by the same name is refused");
    reply_free(&reply);
    call_api(&reply, "PUT", "/reservations/class", "cluster",
             "account=proj&numberOfNodes=4&nodeType=gpu&starttime=2030-01-01T00:00:00&endtime=2030-"
             "01-02T00:00:00",
             token);
    cr_assert_eq(reply.status, 200, "%s", reply.body);
    reply_free(&reply);
    call_api(&reply, "GET", "/reservations", "cluster", NULL, token);
    const cJSON *list = cJSON_GetObjectItem(reply.json, "success");
    cr_assert_eq(cJSON_GetArraySize(list), 1);
    cr_assert_str_eq(string_of(cJSON_GetArrayItem(list, 0), "numberofnodes"), "4");
    reply_free(&reply);
    call_api(&reply, "DELETE", "/reservations/class", "cluster", NULL, token);
    cr_assert_eq(reply.status, 204);
    reply_free(&reply);
    call_api(&reply, "DELETE", "/reservations/class", "cluster", NULL, token);
    cr_assert_eq(reply.status, 404);
    reply_free(&reply);
}
