/*
 * support.h - what the integration tests need to drive the kit's programs as a
 * student would: start a server on a free port, run a client as a separate
 * process, read /stats.
 *
 * The programs are taken from the folder named by $EVLOOP_BIN (default "bin"), so
 * that `make test` can run the same suite against the ASan+UBSan build in bin/san.
 * Every wait is bounded: a hung program is killed and the test fails, it never
 * hangs the suite.
 */
#ifndef SUPPORT_H
#define SUPPORT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <sys/types.h>

/* Path of one of the kit's programs, e.g. bin_path("client_sync"). Static buffer. */
const char *bin_path(const char *program);

struct server_process {
    pid_t pid;
    int port;
    char base_url[64]; /* "http://127.0.0.1:PORT" */
    int log;           /* server_start_logged(): the read end of its stderr; else -1 */
};

/*
 * Start `bin/server --port 0 --quiet` plus `extra_args` (NULL-terminated, may be
 * NULL) and wait until it prints "listening on http://127.0.0.1:PORT".
 * Fails the current test (cr_assert) if it does not.
 */
void server_start(struct server_process *server, const char *const extra_args[]);

/* SIGTERM, wait (bounded) for exit, and assert it exited 0. */
void server_stop(struct server_process *server);

/* The same server without --quiet: its access log goes to a pipe, read back by
 * server_stop_and_read_log() (malloc'd). For short tests only: nobody reads the
 * pipe meanwhile, and a full pipe would stall the server's logging. */
void server_start_logged(struct server_process *server, const char *const extra_args[]);
char *server_stop_and_read_log(struct server_process *server);

struct process_result {
    int exit_code; /* the exit status, or 128+signal when killed */
    char *out;     /* everything it printed on stdout (NUL-terminated, malloc'd) */
    char *err;     /* everything it printed on stderr */
};

/*
 * Run bin/<program> with `args` (NULL-terminated, not counting argv[0]), collect
 * its output, and kill it if it is still running after `time_limit_seconds`.
 */
void run_program(struct process_result *result, const char *program, const char *const args[],
                 double time_limit_seconds);
void process_result_free(struct process_result *result);

/* The same, and Ctrl-C (SIGINT) it once `interrupt_when(data)` says so. */
void run_program_interrupted(struct process_result *result, const char *program,
                             const char *const args[], double time_limit_seconds,
                             bool (*interrupt_when)(void *data), void *data);

/* One HTTP request with libcurl; returns the body (malloc'd) and sets *status. */
char *http_request(const char *method, const char *url, long *status);

/* GET base_url + "/stats", parsed. Caller cJSON_Delete()s it. */
cJSON *server_stats(const struct server_process *server);

/* One line of a client's --trace CSV (written by common/call_trace.c). */
struct traced_call {
    long call;
    double start_ms, end_ms; /* end_ms < 0: never ended */
    long status;
    char result[128];
    long job; /* FirecREST clients: the job's index, -1 for none (a token, a merged poll) */
    char service[16], kind[16];
};

/* Read a --trace CSV, failing the test unless its header is the say-hi clients' one
 * (or, with `with_jobs`, the FirecREST clients' one, with job, service and kind) and
 * every line has its fields. Returns the rows (count in *rows), malloc'd. */
struct traced_call *read_trace(const char *path, bool with_jobs, long *rows);

/* A number field of a JSON object, failing the test when it is missing. */
double json_number(const cJSON *object, const char *field);

#endif
