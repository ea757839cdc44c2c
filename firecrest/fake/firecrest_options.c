/*
 * firecrest_options.c - the fake's command-line options, and their help.
 *
 * The server's getopt loop hands us every option whose code is ours
 * (FIRECREST_OPTION_FIRST and up); we keep the values in one configuration, as
 * getopt keeps its own state: one per process. firecrest_start() reads it.
 */
#include <stdio.h>
#include <string.h>

#include "firecrest_internal.h"
#include "numbers.h"

enum {
    OPT_CLIENT_ID = FIRECREST_OPTION_FIRST,
    OPT_CLIENT_SECRET,
    OPT_USER,
    OPT_TOKEN_LIFETIME,
    OPT_SYSTEMS,
    OPT_ROOT,
    OPT_RATE_LIMIT,
    OPT_JOB_MS,
    OPT_CLIENT
};

static const struct option options[] = {
    {"client-id", required_argument, NULL, OPT_CLIENT_ID},
    {"client-secret", required_argument, NULL, OPT_CLIENT_SECRET},
    {"user", required_argument, NULL, OPT_USER},
    {"token-lifetime", required_argument, NULL, OPT_TOKEN_LIFETIME},
    {"systems", required_argument, NULL, OPT_SYSTEMS},
    {"firecrest-root", required_argument, NULL, OPT_ROOT},
    {"rate-limit", required_argument, NULL, OPT_RATE_LIMIT},
    {"job-ms", required_argument, NULL, OPT_JOB_MS},
    {"client", required_argument, NULL, OPT_CLIENT},
};

/* Generous limits, but present: a client that polls in a tight loop meets them. */
static struct firecrest_config config = {
    .client_id = "kit-client",
    .client_secret = "kit-secret",
    .user = "test_user",
    .token_lifetime_s = 300,
    .systems = "cluster,daint",
    .rate_limit = {[SERVICE_STATUS] = 20,
                   [SERVICE_UTILITIES] = 20,
                   [SERVICE_COMPUTE] = 10,
                   [SERVICE_STORAGE] = 10,
                   [SERVICE_TASKS] = 10,
                   [SERVICE_RESERVATIONS] = 10},
    .job_ms = 5000,
    .queue_ms = 200,
    .task_ms = 50,
};

const struct firecrest_config *firecrest_config(void)
{
    return &config;
}

size_t firecrest_add_options(struct option *table, size_t used, size_t capacity)
{
    for (size_t i = 0; i < sizeof options / sizeof options[0] && used < capacity; i++)
        table[used++] = options[i];
    return used;
}

void firecrest_print_help(FILE *out)
{
    fprintf(
        out,
        "The fake FirecREST v1 API (/auth/token, /status, /utilities, /compute, /tasks,\n"
        "/storage, /reservations):\n"
        "  --client-id ID          the OAuth2 client id tokens are issued to (default kit-client)\n"
        "  --client-secret SECRET  its secret (default kit-secret)\n"
        "  --user NAME             the user the tokens name (default test_user)\n"
        "  --client ID:SECRET:USER one more client and its user (up to 3)\n"
        "  --token-lifetime S      token lifetime in seconds, 11..86400 (default 300)\n"
        "  --systems A,B           the systems (default cluster,daint)\n"
        "  --firecrest-root DIR    keep the simulated filesystems in DIR (default: a\n"
        "                          fresh temporary directory, removed at exit)\n"
        "  --rate-limit SERVICE=N  requests per second per user for a microservice\n"
        "                          (status, utilities, compute, storage, tasks,\n"
        "                          reservations); 0 = no limit. Repeatable.\n"
        "  --job-ms MS             how long a simulated job runs (default 5000)\n");
}

/* A user name: it becomes a directory name, /home/<user>. */
static bool is_user_name(const char *name)
{
    size_t length = strlen(name);
    return length > 0 && length < 32 &&
           strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == length;
}

/* "ID:SECRET:USER" for --client. */
static bool add_client(const char *text)
{
    const char *first = strchr(text, ':');
    const char *second = first != NULL ? strchr(first + 1, ':') : NULL;
    if (second == NULL || first == text || second == first + 1 || strlen(text) > 150 ||
        !is_user_name(second + 1) || config.more_client_count == 3)
        return false;
    config.more_clients[config.more_client_count++] = text;
    return true;
}

/* "SERVICE=N" for --rate-limit. */
static bool parse_rate_limit(const char *text)
{
    const char *equals = strchr(text, '=');
    if (equals == NULL)
        return false;
    for (int service = 0; service < SERVICE_COUNT; service++) {
        const char *name = firecrest_service_names[service];
        if (strlen(name) == (size_t)(equals - text) && strncmp(text, name, strlen(name)) == 0)
            return parse_whole_number(equals + 1, 0, 1000000, &config.rate_limit[service]);
    }
    return false;
}

bool firecrest_take_option(int code, const char *value)
{
    switch (code) {
    case OPT_CLIENT_ID: config.client_id = value; return *value != '\0';
    case OPT_CLIENT_SECRET: config.client_secret = value; return *value != '\0';
    case OPT_USER: config.user = value; return is_user_name(value);
    case OPT_TOKEN_LIFETIME: return parse_whole_number(value, 11, 86400, &config.token_lifetime_s);
    case OPT_SYSTEMS: config.systems = value; return *value != '\0' && strlen(value) < 200;
    case OPT_ROOT: config.root = value; return *value != '\0';
    case OPT_RATE_LIMIT: return parse_rate_limit(value);
    case OPT_JOB_MS: return parse_whole_number(value, 0, 3600 * 1000L, &config.job_ms);
    case OPT_CLIENT: return add_client(value);
    default: return false;
    }
}
