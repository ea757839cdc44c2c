/*
 * firecrest_api.c - see firecrest_api.h.
 */
#include "firecrest_api.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "call_report.h"
#include "numbers.h"

const char *const api_service_names[API_SERVICE_COUNT] = {
    "auth", "status", "compute", "tasks", "utilities", "storage", "reservations"};

enum api_service api_service_of(const char *path)
{
    while (*path == '/')
        path++;
    for (int service = API_STATUS; service < API_SERVICE_COUNT; service++) {
        size_t length = strlen(api_service_names[service]);
        if (strncmp(path, api_service_names[service], length) == 0 &&
            (path[length] == '/' || path[length] == '?' || path[length] == '\0'))
            return (enum api_service)service;
    }
    return API_AUTH;
}

/* --spacing SERVICE=SECONDS, as pyfirecrest's time_between_calls. */
static bool parse_spacing(struct firecrest_options *options, const char *text)
{
    const char *equals = strchr(text, '=');
    if (equals == NULL)
        return false;
    for (int service = API_STATUS; service < API_SERVICE_COUNT; service++) {
        const char *name = api_service_names[service];
        if (strlen(name) == (size_t)(equals - text) && strncmp(text, name, strlen(name)) == 0) {
            return parse_real_number(equals + 1, 0, 3600, &options->spacing_s[service]);
        }
    }
    return false;
}

static bool is_http_url(const char *url)
{
    size_t scheme = strncasecmp(url, "http://", 7) == 0    ? 7
                    : strncasecmp(url, "https://", 8) == 0 ? 8
                                                           : 0;
    return scheme > 0 && url[scheme] != '\0' && url[scheme] != '/';
}

static const char *from_environment(const char *name, const char *fallback)
{
    const char *value = getenv(name);
    return value != NULL && *value != '\0' ? value : fallback;
}

enum parse_outcome firecrest_options_parse(struct firecrest_options *options, bool async, int argc,
                                           char **argv, char *error, size_t error_size)
{
    /* Defaults: the kit's server, then the tutorial's environment variables. */
    *options = (struct firecrest_options){
        .url = from_environment("FIRECREST_URL", "http://127.0.0.1:8080"),
        .client_id = from_environment("FIRECREST_CLIENT_ID", "kit-client"),
        .client_secret = from_environment("FIRECREST_CLIENT_SECRET", "kit-secret"),
        .system = "cluster",
        .jobs = 5,
        .poll_ms = 1000,
        .timeout_ms = 30000,
        .deadline_s = 600,
        .max_retries = 10,
        .merge = true,
        /* The kit server's default limits, status and utilities 20 requests per second,
         * the others 10. firecrest_async puts each request in the middle of its own
         * 1/limit of a clock second, so that all fit in the server's one-second window. */
        .spacing_s = {[API_STATUS] = 0.05,
                      [API_COMPUTE] = 0.1,
                      [API_TASKS] = 0.1,
                      [API_UTILITIES] = 0.05,
                      [API_STORAGE] = 0.1,
                      [API_RESERVATIONS] = 0.1},
    };
    const char *token_url = getenv("AUTH_TOKEN_URL");
    enum {
        OPT_URL = 256,
        OPT_TOKEN_URL,
        OPT_CLIENT_ID,
        OPT_CLIENT_SECRET,
        OPT_SYSTEM,
        OPT_JOBS,
        OPT_SCRIPT,
        OPT_POLL_MS,
        OPT_JSON,
        OPT_TIMEOUT_MS,
        OPT_DEADLINE,
        OPT_MAX_RETRIES,
        OPT_SPACING,
        OPT_NO_MERGE,
        OPT_TRACE,
        OPT_HELP
    };
    const struct option long_options[] = {
        {"url", required_argument, NULL, OPT_URL},
        {"token-url", required_argument, NULL, OPT_TOKEN_URL},
        {"client-id", required_argument, NULL, OPT_CLIENT_ID},
        {"client-secret", required_argument, NULL, OPT_CLIENT_SECRET},
        {"system", required_argument, NULL, OPT_SYSTEM},
        {"jobs", required_argument, NULL, OPT_JOBS},
        {"script", required_argument, NULL, OPT_SCRIPT},
        {"poll-ms", required_argument, NULL, OPT_POLL_MS},
        {"json", no_argument, NULL, OPT_JSON},
        {"timeout-ms", required_argument, NULL, OPT_TIMEOUT_MS},
        {"deadline", required_argument, NULL, OPT_DEADLINE},
        {"max-retries", required_argument, NULL, OPT_MAX_RETRIES},
        {"spacing", required_argument, NULL, OPT_SPACING},
        {"rate", required_argument, NULL, OPT_SPACING}, /* its old name, still accepted */
        {"no-merge", no_argument, NULL, OPT_NO_MERGE},
        {"trace", required_argument, NULL, OPT_TRACE},
        {"help", no_argument, NULL, OPT_HELP},
        {0, 0, 0, 0},
    };
    optind = 0;
    opterr = 0;
    int code, index = 0;
    while ((code = getopt_long(argc, argv, ":h", long_options, &index)) != -1) {
        bool ok = true;
        switch (code) {
        case OPT_URL: options->url = optarg; break;
        case OPT_TOKEN_URL: token_url = optarg; break;
        case OPT_CLIENT_ID: options->client_id = optarg; break;
        case OPT_CLIENT_SECRET: options->client_secret = optarg; break;
        case OPT_SYSTEM:
            options->system = optarg;
            ok = *optarg != '\0' && strlen(optarg) < 64;
            break;
        case OPT_JOBS: ok = parse_whole_number(optarg, 1, 10000, &options->jobs); break;
        case OPT_SCRIPT: options->script_path = optarg; break;
        case OPT_POLL_MS: ok = parse_whole_number(optarg, 0, 600000, &options->poll_ms); break;
        case OPT_JSON: options->json = true; break;
        case OPT_TIMEOUT_MS:
            ok = parse_whole_number(optarg, 1, 3600 * 1000L, &options->timeout_ms);
            break;
        case OPT_DEADLINE:
            ok = parse_real_number(optarg, 0.001, 7 * 86400, &options->deadline_s);
            break;
        case OPT_MAX_RETRIES:
            ok = parse_whole_number(optarg, 0, 1000, &options->max_retries);
            break;
        case OPT_SPACING: ok = async && parse_spacing(options, optarg); break;
        case OPT_NO_MERGE:
            ok = async;
            options->merge = false;
            break;
        case OPT_TRACE:
            options->trace_path = optarg;
            ok = *optarg != '\0';
            break;
        case 'h':
        case OPT_HELP: return PARSE_SHOW_HELP;
        case ':':
            snprintf(error, error_size, "%s needs a value", argv[optind - 1]);
            return PARSE_BAD_USAGE;
        default:
            snprintf(error, error_size, "unknown option '%s'", argv[optind - 1]);
            return PARSE_BAD_USAGE;
        }
        if (!ok) {
            if (!async && (code == OPT_SPACING || code == OPT_NO_MERGE))
                snprintf(error, error_size, "--%s is for firecrest_async",
                         long_options[index].name);
            else
                snprintf(error, error_size, "bad value '%s' for --%s", optarg ? optarg : "",
                         long_options[index].name);
            return PARSE_BAD_USAGE;
        }
    }
    if (optind < argc) {
        snprintf(error, error_size, "unexpected argument '%s'", argv[optind]);
        return PARSE_BAD_USAGE;
    }
    if (token_url != NULL)
        snprintf(options->token_url, sizeof options->token_url, "%s", token_url);
    else
        snprintf(options->token_url, sizeof options->token_url, "%s/auth/token", options->url);
    /* Both URLs, from the command line or the environment, are HTTP: libcurl would also
     * read file:// or talk ftp://, and send the client secret there. */
    const char *const urls[][2] = {{"--url (or $FIRECREST_URL)", options->url},
                                   {"--token-url (or $AUTH_TOKEN_URL)", options->token_url}};
    for (size_t i = 0; i < 2; i++) {
        if (!is_http_url(urls[i][1])) {
            snprintf(error, error_size, "%s '%.300s' is not an http:// or https:// URL", urls[i][0],
                     urls[i][1]);
            return PARSE_BAD_USAGE;
        }
    }
    return PARSE_RUN;
}

double firecrest_token_renew_after_s(long expires_in_s)
{
    double lifetime_s = (double)expires_in_s;
    return fmax(lifetime_s - 10, fmin(1.0, lifetime_s / 2));
}

void firecrest_options_help(FILE *out, const char *program, bool async)
{
    fprintf(
        out,
        "Usage: %s [options]\n\n"
        "The workflow of pyfirecrest's asyncio tutorial against a FirecREST v1 API (the kit's\n"
        "server by default): submit --jobs batch jobs, poll each until it is no longer\n"
        "active, confirm its final state, read its output. %s\n\n"
        "Options:\n"
        "  --url BASE            the API (default http://127.0.0.1:8080, or $FIRECREST_URL)\n"
        "  --token-url URL       the token endpoint (default BASE/auth/token, or $AUTH_TOKEN_URL)\n"
        "  --client-id ID        (default kit-client, or $FIRECREST_CLIENT_ID)\n"
        "  --client-secret S     (default kit-secret, or $FIRECREST_CLIENT_SECRET)\n"
        "  --system NAME         the system to run on (default cluster)\n"
        "  --jobs N              how many jobs (default 5)\n"
        "  --script FILE         the batch script (default: one that echoes the job's index)\n"
        "  --poll-ms MS          %s\n"
        "  --json                print one JSON summary on stdout\n"
        "  --timeout-ms MS       give up on a request after MS (default 30000)\n"
        "  --deadline SECONDS    give up on the whole run after SECONDS (default 600)\n"
        "  --max-retries N       429 answers in a row before a call gives up (default 10);\n"
        "                        a Retry-After over %d s is not waited for\n"
        "  --trace FILE          write every HTTP request to FILE as CSV at the end: its\n"
        "                        start and end (ms), status, result, job, service, kind\n",
        program, async ? "All jobs at once, one thread, on libuv." : "One job after the other.",
        async ? "the first pause between polls (default 1000), doubled until a job\n"
                "                        is seen ended; then they are planned from its run time"
              : "pause between two polls of a job (default 1000)",
        MAX_RETRY_AFTER_S);
    if (async)
        fprintf(
            out,
            "  --spacing SERVICE=S   at most one request to SERVICE (compute, tasks, utilities,\n"
            "                        status, storage, reservations) every S seconds, each in\n"
            "                        the middle of its S of the clock; repeatable (defaults:\n"
            "                        0.1 s, status and utilities 0.05 s: the server's limits)\n"
            "  --no-merge            do not merge the jobs' identical polls into one request\n");
    fprintf(out, "  --help                show this help\n\n"
                 "Exit status: 0 every job completed and its output was read, 1 otherwise (a job\n"
                 "failed, a call gave up, the deadline passed), 2 bad usage.\n");
}

char *firecrest_job_script(const struct firecrest_options *options, long index, char *error,
                           size_t error_size)
{
    if (options->script_path == NULL) {
        char *script = malloc(128);
        if (script != NULL)
            snprintf(script, 128, "#!/bin/bash\n#SBATCH --job-name=kit-%ld\necho %ld\n", index,
                     index);
        return script;
    }
    FILE *file = fopen(options->script_path, "r");
    if (file == NULL) {
        snprintf(error, error_size, "--script %s: %s", options->script_path, strerror(errno));
        return NULL;
    }
    char *script = calloc(1, 1024 * 1024 + 1);
    size_t length = script != NULL ? fread(script, 1, 1024 * 1024, file) : 0;
    fclose(file);
    if (script != NULL)
        script[length] = '\0';
    return script;
}

/* --- reading replies ---------------------------------------------------------- */

bool firecrest_read_token(const char *body, char *token, size_t token_size, long *expires_in_s,
                          char *error, size_t error_size)
{
    cJSON *json = cJSON_Parse(body);
    const char *access = cJSON_GetStringValue(cJSON_GetObjectItem(json, "access_token"));
    const cJSON *expires = cJSON_GetObjectItem(json, "expires_in");
    bool ok = access != NULL && strlen(access) < token_size && cJSON_IsNumber(expires);
    if (ok) {
        snprintf(token, token_size, "%s", access);
        *expires_in_s = (long)expires->valuedouble;
    } else {
        snprintf(error, error_size,
                 "the token endpoint's reply has no access_token and expires_in");
    }
    cJSON_Delete(json);
    return ok;
}

bool firecrest_read_task_id(const char *body, char *task_id, size_t size, char *error,
                            size_t error_size)
{
    cJSON *json = cJSON_Parse(body);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(json, "task_id"));
    bool ok = id != NULL && strlen(id) < size && strchr(id, ',') == NULL;
    if (ok)
        snprintf(task_id, size, "%s", id);
    else
        snprintf(error, error_size, "the reply has no task_id");
    cJSON_Delete(json);
    return ok;
}

bool firecrest_read_task(const char *body, const char *task_id, char status[8], cJSON **data,
                         char *error, size_t error_size)
{
    cJSON *json = cJSON_Parse(body);
    const cJSON *task = cJSON_GetObjectItem(json, "task"); /* GET /tasks/{id} */
    if (task == NULL)                                      /* GET /tasks?tasks=... */
        task = cJSON_GetObjectItem(cJSON_GetObjectItem(json, "tasks"), task_id);
    const char *task_status = cJSON_GetStringValue(cJSON_GetObjectItem(task, "status"));
    bool ok = task_status != NULL && strlen(task_status) < 8;
    if (ok) {
        snprintf(status, 8, "%s", task_status);
        *data = cJSON_Duplicate(cJSON_GetObjectItem(task, "data"), true);
    } else {
        snprintf(error, error_size, "task %s is missing from the reply, or has no status", task_id);
    }
    cJSON_Delete(json);
    return ok;
}

static const char *state_of(const cJSON *entry, const char *jobid)
{
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(entry, "jobid"));
    return id != NULL && strcmp(id, jobid) == 0
               ? cJSON_GetStringValue(cJSON_GetObjectItem(entry, "state"))
               : NULL;
}

const char *firecrest_active_state(const cJSON *squeue_data, const char *jobid)
{
    const cJSON *entry;
    cJSON_ArrayForEach(entry, squeue_data)
    { /* works on {"0": {...}} and on [...] */
        const char *state = state_of(entry, jobid);
        if (state != NULL)
            return state;
    }
    return NULL;
}

const char *firecrest_final_state(const cJSON *acct_data, const char *jobid)
{
    return firecrest_active_state(acct_data, jobid);
}

void firecrest_log(FILE *out, const char *format, ...)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    struct tm local;
    localtime_r(&now.tv_sec, &local);
    char stamp[16];
    strftime(stamp, sizeof stamp, "%H:%M:%S", &local);
    fprintf(out, "%s.%03ld - ", stamp, (long)(now.tv_usec / 1000));
    va_list arguments;
    va_start(arguments, format);
    vfprintf(out, format, arguments);
    va_end(arguments);
    fputc('\n', out);
}

void firecrest_tally_start(struct firecrest_tally *tally, const char *client,
                           const struct firecrest_options *options)
{
    *tally = (struct firecrest_tally){.client = client,
                                      .jobs = options->jobs,
                                      .started_at = monotonic_seconds(),
                                      .trace_path = options->trace_path};
    call_trace_init(&tally->trace, tally->started_at, true);
}

long firecrest_request_started(struct firecrest_tally *tally, enum api_service service, long job,
                               const char *kind)
{
    long request = 0;
    for (int each = 0; each < API_SERVICE_COUNT; each++)
        request += tally->requests[each];
    tally->requests[service]++;
    if (tally->trace_path != NULL) {
        struct call_record *record =
            call_trace_started(&tally->trace, request, monotonic_seconds());
        if (record != NULL) {
            record->job = job;
            record->service = api_service_names[service];
            record->kind = kind;
        }
    }
    return request;
}

void firecrest_request_ended(struct firecrest_tally *tally, long request, long status,
                             const char *transport_error)
{
    if (tally->trace_path == NULL)
        return;
    bool ok = transport_error == NULL && status >= 200 && status < 300;
    char failure[96];
    if (transport_error != NULL)
        snprintf(failure, sizeof failure, "%s", transport_error);
    else
        snprintf(failure, sizeof failure, "HTTP %ld", status);
    call_trace_ended(&tally->trace, request, monotonic_seconds(), status, ok, failure);
}

int firecrest_tally_finish(struct firecrest_tally *tally, bool json)
{
    double seconds = monotonic_seconds() - tally->started_at;
    if (json) {
        printf("{\"client\": \"%s\", \"jobs\": %ld, \"completed\": %ld, \"failed\": %ld, "
               "\"seconds\": %.3f, "
               "\"requests\": {",
               tally->client, tally->jobs, tally->completed, tally->failed, seconds);
        for (int service = 0; service < API_SERVICE_COUNT; service++)
            printf("%s\"%s\": %ld", service ? ", " : "", api_service_names[service],
                   tally->requests[service]);
        printf("}, \"rate_limited\": %ld}\n", tally->rate_limited);
    } else {
        long total = 0;
        for (int service = 0; service < API_SERVICE_COUNT; service++)
            total += tally->requests[service];
        printf("%s: %ld job%s, %ld completed, %ld failed, in %.2f s; %ld request%s "
               "(compute %ld, tasks %ld, utilities %ld), %ld answered 429\n",
               tally->client, tally->jobs, tally->jobs == 1 ? "" : "s", tally->completed,
               tally->failed, seconds, total, total == 1 ? "" : "s", tally->requests[API_COMPUTE],
               tally->requests[API_TASKS], tally->requests[API_UTILITIES], tally->rate_limited);
    }
    fflush(stdout);
    int exit_code = tally->completed == tally->jobs ? 0 : 1;
    char error[512];
    if (tally->trace_path != NULL &&
        !call_trace_write_csv(&tally->trace, tally->trace_path, error, sizeof error)) {
        fprintf(stderr, "%s: %s\n", tally->client, error);
        exit_code = 1;
    }
    call_trace_free(&tally->trace);
    return exit_code;
}
