/*
 * support.c - start the kit's programs from tests, with every wait bounded.
 * See support.h.
 *
 * The rules it keeps:
 * - A program is started with posix_spawn (no fork() inside a test process) and
 *   gets only stdin, stdout and stderr: every other descriptor of the test is
 *   closed in the child, so a program never holds a test's pipe or socket open.
 * - Waits use poll() with a deadline, never sleep(): a pipe's end of file, or a
 *   pidfd for "the process has ended". Past the deadline the program is killed.
 * - A child is always reaped. If a test dies halfway (a failed assertion, its
 *   .timeout), Criterion kills the test's whole process group, servers included.
 *   If the whole run is interrupted (Ctrl-C on `make test`), Criterion does not:
 *   so every program is started with a parent-death signal, and dies with the
 *   test process that started it.
 */
#define _GNU_SOURCE /* pipe2, posix_spawn_file_actions_addclosefrom_np */
#include "support.h"

#include "curl_helpers.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

const char *bin_path(const char *program)
{
    static char path[512];
    const char *folder = getenv("EVLOOP_BIN");
    snprintf(path, sizeof path, "%s/%s", folder != NULL && *folder ? folder : "bin", program);
    return path;
}

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Milliseconds left until `deadline`, for poll(); 0 once it has passed. */
static int ms_until(double deadline)
{
    double left_ms = (deadline - now_seconds()) * 1000;
    return left_ms > 0 ? (int)left_ms + 1 : 0;
}

/* poll() one or two descriptors until something happens or the deadline passes.
 * Returns poll's count: 0 means out of time. */
static int poll_until(struct pollfd *watch, nfds_t count, double deadline)
{
    for (;;) {
        int ready = poll(watch, count, ms_until(deadline));
        if (ready >= 0 || errno != EINTR)
            return ready < 0 ? 0 : ready;
    }
}

/*
 * Spawn bin/<program> args... with its stdout on a pipe, and its stderr on a pipe
 * too when `stderr_read` is given (otherwise it shares the test's stderr, where
 * a sanitizer report from a server then shows up).
 */
static pid_t spawn_program(const char *program, const char *const args[], int *stdout_read,
                           int *stderr_read)
{
    /* setpriv (util-linux, on every Debian) sets the parent-death signal and then
     * becomes the program: PR_SET_PDEATHSIG outlives execve, but posix_spawn has
     * no way to set it itself. */
    enum { MAX_ARGS = 64 };
    const char *argv[MAX_ARGS] = {"setpriv", "--pdeathsig", "KILL", "--"};
    size_t count = 4;
    const char *path = bin_path(program);
    cr_assert(access(path, X_OK) == 0, "cannot run %s: %s (run make first)", path, strerror(errno));
    argv[count++] = path;
    for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
        cr_assert(count < MAX_ARGS - 1, "too many arguments for %s", program);
        argv[count++] = args[i];
    }
    argv[count] = NULL;

    /* O_CLOEXEC: the child keeps only the ends dup2'ed onto its 1 and 2. */
    int out_pipe[2], err_pipe[2] = {-1, -1};
    cr_assert(pipe2(out_pipe, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    if (stderr_read != NULL)
        cr_assert(pipe2(err_pipe, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    if (stderr_read != NULL)
        posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
    pid_t pid;
    int failed = posix_spawnp(&pid, argv[0], &actions, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    if (stderr_read != NULL)
        close(err_pipe[1]);
    if (failed != 0) {
        close(out_pipe[0]);
        if (stderr_read != NULL)
            close(err_pipe[0]);
        cr_assert_fail("cannot start %s: %s", argv[0], strerror(failed));
    }
    *stdout_read = out_pipe[0];
    if (stderr_read != NULL)
        *stderr_read = err_pipe[0];
    return pid;
}

/*
 * Wait for `pid` until `deadline`, and kill it past that. A pidfd turns "the
 * child has ended" into something poll() can wait for, with a timeout: no naps.
 * Returns its exit code, or 128 + signal.
 */
static int wait_bounded(pid_t pid, double deadline)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) {
        int error = errno;
        kill(pid, SIGKILL); /* cannot wait with a bound: never leave it running */
        waitpid(pid, NULL, 0);
        cr_assert_fail("pidfd_open: %s", strerror(error));
    }
    struct pollfd watch = {.fd = pidfd, .events = POLLIN};
    if (poll_until(&watch, 1, deadline) == 0)
        kill(pid, SIGKILL);
    close(pidfd);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        continue;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Start the server, quiet or with its access log on a pipe (server->log). */
static void start_server_process(struct server_process *server, const char *const extra_args[],
                                 bool logged)
{
    const char *args[48] = {"--port", "0", "--quiet"};
    size_t count = logged ? 2 : 3;
    for (size_t i = 0; extra_args != NULL && extra_args[i] != NULL; i++) {
        cr_assert(count < 47, "too many server arguments");
        args[count++] = extra_args[i];
    }
    args[count] = NULL;

    int out, log = -1;
    *server = (struct server_process){.log = -1};
    pid_t pid = spawn_program("server", args, &out, logged ? &log : NULL);
    /* Read the one ready line. Byte by byte: it is short, and nothing past the
     * newline must be swallowed. */
    char line[128];
    size_t length = 0;
    double deadline = now_seconds() + 10;
    while (length + 1 < sizeof line) {
        struct pollfd watch = {.fd = out, .events = POLLIN};
        char c;
        if (poll_until(&watch, 1, deadline) == 0 || read(out, &c, 1) != 1 || c == '\n')
            break;
        line[length++] = c;
    }
    line[length] = '\0';
    /* The server prints nothing else on stdout. */
    close(out);
    int port = 0;
    char rest;
    if (sscanf(line, "listening on http://127.0.0.1:%d%c", &port, &rest) != 1 || port <= 0 ||
        port > 65535) {
        if (log >= 0)
            close(log);
        int exit_code = wait_bounded(pid, 0); /* kills it if it is still running */
        cr_assert_fail("%s did not say where it listens (exit %d); its stdout: '%s'",
                       bin_path("server"), exit_code, line);
    }
    server->pid = pid;
    server->port = port;
    server->log = log;
    snprintf(server->base_url, sizeof server->base_url, "http://127.0.0.1:%d", port);
}

void server_start(struct server_process *server, const char *const extra_args[])
{
    start_server_process(server, extra_args, false);
}

void server_start_logged(struct server_process *server, const char *const extra_args[])
{
    start_server_process(server, extra_args, true);
}

void server_stop(struct server_process *server)
{
    if (server->pid <= 0)
        return;
    pid_t pid = server->pid;
    server->pid = 0; /* stopped once, even if the assertion below fails */
    kill(pid, SIGTERM);
    int exit_code = wait_bounded(pid, now_seconds() + 10);
    cr_expect(exit_code == 0, "server should exit 0 on SIGTERM within 10 s, got %d%s", exit_code,
              exit_code == 128 + SIGKILL ? " (killed: it did not stop in time)" : "");
}

/* Append what is readable on `fd` to a growing buffer; false at end of file. */
static bool drain(int fd, char **buffer, size_t *length)
{
    char chunk[4096];
    ssize_t got;
    while ((got = read(fd, chunk, sizeof chunk)) < 0 && errno == EINTR)
        continue;
    if (got <= 0)
        return false;
    char *grown = realloc(*buffer, *length + (size_t)got + 1);
    cr_assert(grown != NULL, "out of memory reading a program's output");
    *buffer = grown;
    memcpy(*buffer + *length, chunk, (size_t)got);
    *length += (size_t)got;
    (*buffer)[*length] = '\0';
    return true;
}

char *server_stop_and_read_log(struct server_process *server)
{
    int log = server->log;
    server->log = -1;
    server_stop(server);
    char *text = NULL;
    size_t length = 0;
    /* The server has exited: its end of the pipe is closed, so this read ends. */
    while (log >= 0 && drain(log, &text, &length))
        continue;
    if (log >= 0)
        close(log);
    return text != NULL ? text : calloc(1, 1);
}

void run_program(struct process_result *result, const char *program, const char *const args[],
                 double time_limit_seconds)
{
    run_program_interrupted(result, program, args, time_limit_seconds, NULL, NULL);
}

void run_program_interrupted(struct process_result *result, const char *program,
                             const char *const args[], double time_limit_seconds,
                             bool (*interrupt_when)(void *data), void *data)
{
    int out, err;
    pid_t pid = spawn_program(program, args, &out, &err);
    double deadline = now_seconds() + time_limit_seconds;
    size_t out_length = 0, err_length = 0;
    result->out = calloc(1, 1);
    result->err = calloc(1, 1);
    cr_assert(result->out != NULL && result->err != NULL, "out of memory");
    /* Read both pipes as they fill (a program blocked on a full stderr pipe would
     * never exit), until both reach end of file or time is up. While a Ctrl-C is
     * due, look at the condition every 20 ms. */
    struct pollfd watch[2] = {{.fd = out, .events = POLLIN}, {.fd = err, .events = POLLIN}};
    while (watch[0].fd >= 0 || watch[1].fd >= 0) {
        double until = interrupt_when != NULL ? now_seconds() + 0.02 : deadline;
        if (until > deadline)
            until = deadline;
        int ready = poll_until(watch, 2, until);
        if (interrupt_when != NULL && interrupt_when(data)) {
            kill(pid, SIGINT);
            interrupt_when = NULL; /* once */
        }
        if (ready == 0) {
            if (now_seconds() >= deadline)
                break; /* out of time: wait_bounded kills it */
            continue;
        }
        if (watch[0].revents && !drain(out, &result->out, &out_length))
            watch[0].fd = -1;
        if (watch[1].revents && !drain(err, &result->err, &err_length))
            watch[1].fd = -1;
    }
    close(out);
    close(err);
    result->exit_code = wait_bounded(pid, deadline);
}

void process_result_free(struct process_result *result)
{
    free(result->out);
    free(result->err);
    result->out = result->err = NULL;
}

char *http_request(const char *method, const char *url, long *status)
{
    CURL *easy = curl_easy_init();
    cr_assert(easy != NULL, "curl_easy_init failed");
    struct reply_body body = {.bytes = calloc(1, 1)};
    cr_assert(body.bytes != NULL, "out of memory");
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, reply_body_append);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, 20L);
    CURLcode code = curl_easy_perform(easy);
    *status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(easy);
    if (code != CURLE_OK) {
        free(body.bytes);
        cr_assert_fail("%s %s: %s", method, url, curl_easy_strerror(code));
    }
    return body.bytes;
}

cJSON *server_stats(const struct server_process *server)
{
    char url[128];
    snprintf(url, sizeof url, "%s/stats", server->base_url);
    long status;
    char *body = http_request("GET", url, &status);
    cJSON *stats = cJSON_Parse(body);
    char said[256];
    snprintf(said, sizeof said, "%s", body);
    free(body);
    if (status != 200 || !cJSON_IsObject(stats)) {
        cJSON_Delete(stats);
        cr_assert_fail("GET /stats: HTTP %ld, body '%s'", status, said);
    }
    return stats;
}

double json_number(const cJSON *object, const char *field)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, field);
    cr_assert(cJSON_IsNumber(item), "JSON field \"%s\" is missing or not a number", field);
    return item->valuedouble;
}

/* Copy the CSV field at `at` (quoted or not; "" in quotes is one quote) into `field`;
 * returns where the next field starts, or NULL after the line's last one. */
static const char *csv_field(const char *at, char *field, size_t size)
{
    size_t length = 0;
    bool quoted = *at == '"';
    if (quoted)
        at++;
    while (*at != '\0' && *at != '\n' && (quoted ? !(*at == '"' && at[1] != '"') : *at != ',')) {
        if (quoted && *at == '"')
            at++; /* the first of two quotes */
        if (length + 1 < size)
            field[length++] = *at;
        at++;
    }
    if (quoted && *at == '"')
        at++;
    field[length] = '\0';
    return *at == ',' ? at + 1 : NULL;
}

/* A number that fills its whole field. */
static double csv_number(const char *field, const char *line)
{
    char *end;
    double value = strtod(field, &end);
    cr_assert(field[0] != '\0' && *end == '\0', "a bad trace line: %s", line);
    return value;
}

struct traced_call *read_trace(const char *path, bool with_jobs, long *rows)
{
    FILE *file = fopen(path, "r");
    cr_assert(file != NULL, "no trace written to %s", path);
    char line[512];
    cr_assert(fgets(line, sizeof line, file) != NULL, "the trace is empty");
    cr_assert_str_eq(line, with_jobs ? "call,start_ms,end_ms,status,result,job,service,kind\n"
                                     : "call,start_ms,end_ms,status,result\n");
    enum { MOST_ROWS = 5000 };
    struct traced_call *calls = calloc(MOST_ROWS, sizeof *calls);
    cr_assert(calls != NULL);
    long count = 0;
    while (count < MOST_ROWS && fgets(line, sizeof line, file) != NULL) {
        char fields[8][128];
        int found = 0;
        for (const char *at = line; at != NULL && found < 8; found++)
            at = csv_field(at, fields[found], sizeof fields[found]);
        cr_assert_eq(found, with_jobs ? 8 : 5, "a bad trace line: %s", line);
        struct traced_call *call = &calls[count++];
        call->call = (long)csv_number(fields[0], line);
        call->start_ms = csv_number(fields[1], line);
        call->end_ms = fields[2][0] == '\0' ? -1 : csv_number(fields[2], line); /* never ended */
        call->status = (long)csv_number(fields[3], line);
        snprintf(call->result, sizeof call->result, "%s", fields[4]);
        call->job = -1;
        if (with_jobs) {
            if (fields[5][0] != '\0')
                call->job = (long)csv_number(fields[5], line);
            snprintf(call->service, sizeof call->service, "%.15s", fields[6]);
            snprintf(call->kind, sizeof call->kind, "%.15s", fields[7]);
        }
    }
    fclose(file);
    *rows = count;
    return calls;
}
