/*
 * firecrest.c - the fake FirecREST's frame: its sandbox, its tokens, the checks
 * every call goes through, and the /status microservice. See firecrest_internal.h.
 */
#include "firecrest_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json_reply.h"
#include "numbers.h"
#include "sandbox.h"

const char *const firecrest_service_names[SERVICE_COUNT] = {"status",  "utilities", "compute",
                                                            "storage", "tasks",     "reservations"};

/* The clients the token endpoint knows, from the configuration. */
static void load_clients(struct firecrest *firecrest)
{
    const struct firecrest_config *config = &firecrest->config;
    struct firecrest_client *client = &firecrest->clients[0];
    snprintf(client->id, sizeof client->id, "%s", config->client_id);
    snprintf(client->secret, sizeof client->secret, "%s", config->client_secret);
    snprintf(client->user, sizeof client->user, "%s", config->user);
    firecrest->client_count = 1;
    for (int i = 0; i < config->more_client_count; i++) {
        client = &firecrest->clients[firecrest->client_count++];
        const char *text = config->more_clients[i];
        const char *first = strchr(text, ':'), *second = strchr(first + 1, ':');
        snprintf(client->id, sizeof client->id, "%.*s", (int)(first - text), text);
        snprintf(client->secret, sizeof client->secret, "%.*s", (int)(second - first - 1),
                 first + 1);
        snprintf(client->user, sizeof client->user, "%s", second + 1);
    }
}

/* --- the sandbox: <root>/<system>/home/<user> -------------------------------- */

/* The clients, the state tables, the key, the directories of the sandbox, and
 * the scheduler thread. False, with a message on stderr, if any cannot be had. */
static bool make_sandbox(struct firecrest *firecrest, const struct firecrest_config *config)
{
    firecrest->config = *config;
    load_clients(firecrest);
    pthread_mutex_init(&firecrest->lock, NULL);
    pthread_mutex_init(&firecrest->state_lock, NULL);
    firecrest->next_job_id = 1001;
    firecrest->tasks = calloc(MAX_TASKS, sizeof *firecrest->tasks);
    firecrest->jobs = calloc(MAX_JOBS, sizeof *firecrest->jobs);
    firecrest->reservations = cJSON_CreateArray();
    if (firecrest->tasks == NULL || firecrest->jobs == NULL || firecrest->reservations == NULL) {
        fprintf(stderr, "server: out of memory for the FirecREST state\n");
        return false;
    }
    if (RAND_bytes(firecrest->token_key, sizeof firecrest->token_key) != 1) {
        fprintf(stderr, "server: no randomness for the token key\n");
        return false;
    }
    if (config->root != NULL) {
        snprintf(firecrest->root_path, sizeof firecrest->root_path, "%s", config->root);
        if (mkdir(config->root, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "server: --firecrest-root %s: %s\n", config->root, strerror(errno));
            return false;
        }
    } else {
        const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(firecrest->root_path, sizeof firecrest->root_path, "%s/evloop-firecrest.XXXXXX",
                 tmp);
        if (mkdtemp(firecrest->root_path) == NULL) {
            fprintf(stderr, "server: cannot make a sandbox directory in %s: %s\n", tmp,
                    strerror(errno));
            return false;
        }
        firecrest->root_is_temporary = true;
    }
    int root_fd = open(firecrest->root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) {
        fprintf(stderr, "server: %s: %s\n", firecrest->root_path, strerror(errno));
        return false;
    }
    /* One directory per system, each with /home/<user> in it. */
    char systems[256];
    snprintf(systems, sizeof systems, "%s", config->systems);
    bool ok = true;
    for (char *name = strtok(systems, ","); ok && name != NULL; name = strtok(NULL, ",")) {
        if (firecrest->system_count == MAX_SYSTEMS ||
            strlen(name) >= sizeof firecrest->system_names[0] || strchr(name, '/') != NULL ||
            name[0] == '.') {
            fprintf(stderr, "server: --systems: bad or too many system names ('%s')\n", name);
            ok = false;
            break;
        }
        mkdirat(root_fd, name, 0700);
        char home[512];
        snprintf(home, sizeof home, "%s/home", name);
        mkdirat(root_fd, home, 0755);
        for (int i = 0; i < firecrest->client_count; i++) {
            snprintf(home, sizeof home, "%s/home/%s", name, firecrest->clients[i].user);
            mkdirat(root_fd, home, 0700);
        }
        int system_fd = openat(root_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (system_fd < 0) {
            fprintf(stderr, "server: sandbox for system '%s': %s\n", name, strerror(errno));
            ok = false;
            break;
        }
        snprintf(firecrest->system_names[firecrest->system_count],
                 sizeof firecrest->system_names[0], "%s", name);
        firecrest->system_fds[firecrest->system_count++] = system_fd;
    }
    close(root_fd);
    if (ok && firecrest->system_count == 0) {
        fprintf(stderr, "server: --systems names no system\n");
        ok = false;
    }
    if (ok && !firecrest_scheduler_start(firecrest)) {
        fprintf(stderr, "server: cannot start the scheduler thread\n");
        ok = false;
    }
    firecrest->scheduler_running = ok;
    return ok;
}

static void register_routes(struct mg_context *context, struct firecrest *firecrest);

/* The fake's state is large: one, on the heap, for as long as the server runs. */
struct firecrest *firecrest_start(struct mg_context *context, int port)
{
    struct firecrest *firecrest = calloc(1, sizeof *firecrest);
    if (firecrest == NULL) {
        fprintf(stderr, "server: out of memory for the FirecREST state\n");
        return NULL;
    }
    if (!make_sandbox(firecrest, firecrest_config())) {
        firecrest_stop(firecrest);
        return NULL;
    }
    snprintf(firecrest->base_url, sizeof firecrest->base_url, "http://127.0.0.1:%d", port);
    register_routes(context, firecrest);
    return firecrest;
}

void firecrest_stop(struct firecrest *firecrest)
{
    if (firecrest == NULL)
        return;
    if (firecrest->scheduler_running)
        firecrest_scheduler_stop(firecrest);
    firecrest_jobs_free(firecrest);
    free(firecrest->tasks);
    free(firecrest->jobs);
    cJSON_Delete(firecrest->reservations);
    pthread_mutex_destroy(&firecrest->state_lock);
    for (int i = 0; i < firecrest->system_count; i++)
        close(firecrest->system_fds[i]);
    if (firecrest->root_is_temporary) {
        char *slash = strrchr(firecrest->root_path, '/');
        *slash = '\0';
        int parent_fd = open(firecrest->root_path[0] ? firecrest->root_path : "/",
                             O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent_fd >= 0) {
            sandbox_remove_tree(parent_fd, slash + 1);
            close(parent_fd);
        }
    }
    pthread_mutex_destroy(&firecrest->lock);
    free(firecrest);
}

/* --- tokens: JWTs signed with HS256 ------------------------------------------- */

/* base64url without padding, as JWTs want it. */
static void base64url_encode(const unsigned char *bytes, size_t length, char *out)
{
    int written = EVP_EncodeBlock((unsigned char *)out, bytes, (int)length);
    while (written > 0 && out[written - 1] == '=')
        written--;
    out[written] = '\0';
    for (char *c = out; *c; c++)
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
}

/* Returns the decoded length, or -1. `out` must hold 3/4 of the input plus 3. */
static int base64url_decode(const char *text, size_t length, unsigned char *out)
{
    char padded[2048];
    if (length + 4 > sizeof padded)
        return -1;
    for (size_t i = 0; i < length; i++)
        padded[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
    size_t padding = (4 - length % 4) % 4;
    memset(padded + length, '=', padding);
    int decoded = EVP_DecodeBlock(out, (unsigned char *)padded, (int)(length + padding));
    return decoded < 0 ? -1 : decoded - (int)padding;
}

static void sign(const struct firecrest *firecrest, const char *signed_part, size_t length,
                 char *signature)
{
    unsigned char mac[32];
    unsigned int mac_length = sizeof mac;
    HMAC(EVP_sha256(), firecrest->token_key, sizeof firecrest->token_key,
         (const unsigned char *)signed_part, length, mac, &mac_length);
    base64url_encode(mac, mac_length, signature);
}

static void make_token(const struct firecrest *firecrest, const struct firecrest_client *client,
                       char *token, size_t size)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char payload[512], header64[128], payload64[1024], signature[64];
    long now = (long)time(NULL);
    snprintf(payload, sizeof payload,
             "{\"preferred_username\":\"%s\",\"iat\":%ld,\"exp\":%ld,\"azp\":\"%s\"}", client->user,
             now, now + firecrest->config.token_lifetime_s, client->id);
    base64url_encode((const unsigned char *)header, strlen(header), header64);
    base64url_encode((const unsigned char *)payload, strlen(payload), payload64);
    char signed_part[1280];
    int length = snprintf(signed_part, sizeof signed_part, "%s.%s", header64, payload64);
    sign(firecrest, signed_part, (size_t)length, signature);
    snprintf(token, size, "%s.%s", signed_part, signature);
}

/* A token is good when we signed it and it has not expired. Sets the user. */
static bool token_is_valid(const struct firecrest *firecrest, const char *token, char *user,
                           size_t user_size)
{
    const char *last_dot = strrchr(token, '.');
    const char *first_dot = strchr(token, '.');
    if (first_dot == NULL || last_dot == first_dot || strlen(token) > 1500)
        return false;
    char expected[64];
    sign(firecrest, token, (size_t)(last_dot - token), expected);
    if (strlen(last_dot + 1) != strlen(expected) ||
        CRYPTO_memcmp(last_dot + 1, expected, strlen(expected)) != 0)
        return false; /* forged, or signed by an earlier run of the server */
    unsigned char payload[1200];
    int length = base64url_decode(first_dot + 1, (size_t)(last_dot - first_dot - 1), payload);
    if (length < 0)
        return false;
    cJSON *claims = cJSON_ParseWithLength((const char *)payload, (size_t)length);
    const cJSON *expires = cJSON_GetObjectItem(claims, "exp");
    const cJSON *name = cJSON_GetObjectItem(claims, "preferred_username");
    bool valid = cJSON_IsNumber(expires) && cJSON_IsString(name) &&
                 expires->valuedouble > (double)time(NULL) && strlen(name->valuestring) < user_size;
    if (valid)
        snprintf(user, user_size, "%s", name->valuestring);
    cJSON_Delete(claims);
    return valid;
}

/* --- request bodies and parameters: every byte is the client's, and hostile ----- */

enum { MAX_FORM = 1 << 20 };

/* Read and drop the rest of a body, so that the reply is read before the close:
 * closing with unread bytes makes the kernel reset the connection, and the client
 * loses the reply. Bounded by the request timeout of each read. */
static void drain_body(struct mg_connection *conn)
{
    char *buffer = malloc(65536);
    while (buffer != NULL && mg_read(conn, buffer, 65536) > 0)
        continue;
    free(buffer);
}

bool firecrest_accept_body(struct mg_connection *conn, long long limit)
{
    enum { DRAIN_LIMIT = 256 * 1024 * 1024 };
    long long length = mg_get_request_info(conn)->content_length;
    const char *expect = mg_get_header(conn, "Expect");
    bool expects_continue = expect != NULL && strcasecmp(expect, "100-continue") == 0;
    if (length > limit) {
        /* Refused before the body is used. A client that waits for "100 Continue"
         * never sends it; one that sends it anyway is drained, within reason; the
         * body of a liar (Content-Length: 10^23) is never waited for. */
        if (!expects_continue && length <= DRAIN_LIMIT)
            drain_body(conn);
        else
            mg_disable_connection_keep_alive(conn);
        firecrest_error(conn, 413, "X-Size-Limit", "request body too large");
        return false;
    }
    /* curl sends "Expect: 100-continue" before a large body, and waits for this
     * line (or 1 s) before sending it. civetweb leaves it to the handler. */
    if (expects_continue)
        mg_printf(conn, "HTTP/1.1 100 Continue\r\n\r\n");
    return true;
}

/* Read the whole request body (bounded): forms are small. NULL if too large. */
static char *read_body(struct mg_connection *conn, size_t *length)
{
    size_t capacity = 4096;
    char *body = malloc(capacity + 1);
    *length = 0;
    for (int got; body != NULL && (got = mg_read(conn, body + *length, capacity - *length)) > 0;) {
        *length += (size_t)got;
        if (*length == capacity) {
            char *grown = capacity < MAX_FORM ? realloc(body, capacity * 2 + 1) : NULL;
            if (grown == NULL) {
                free(body);
                return NULL;
            }
            body = grown;
            capacity *= 2;
        }
    }
    if (body != NULL)
        body[*length] = '\0';
    return body;
}

bool firecrest_is_clean_text(const char *text, size_t length)
{
    const unsigned char *byte = (const unsigned char *)text, *end = byte + length;
    while (byte < end) {
        unsigned char first = *byte++;
        if (first < 0x20 || first == 0x7f)
            return false; /* NUL, CR, LF, ESC, ...: never in a name */
        if (first < 0x80)
            continue;
        /* UTF-8: how many continuation bytes, and the range of the first one
         * (which rules out overlong forms and surrogates). */
        int more = first >= 0xc2 && first <= 0xdf   ? 1
                   : first >= 0xe0 && first <= 0xef ? 2
                   : first >= 0xf0 && first <= 0xf4 ? 3
                                                    : -1;
        unsigned char low = first == 0xe0 ? 0xa0 : first == 0xf0 ? 0x90 : 0x80;
        unsigned char high = first == 0xed ? 0x9f : first == 0xf4 ? 0x8f : 0xbf;
        if (more < 0 || end - byte < more || byte[0] < low || byte[0] > high)
            return false;
        for (int i = 0; i < more; i++)
            if ((byte[i] & 0xc0) != 0x80)
                return false;
        byte += more;
    }
    return true;
}

/* Every name and value of a url-encoded text (a query, a form), once decoded,
 * must be clean text: a NUL would cut it, a CR LF would split a header it reaches,
 * an ESC would repaint the terminal that shows the log. */
static bool parameters_are_clean(const char *encoded, size_t length)
{
    char *decoded = malloc(length + 1);
    bool clean = decoded != NULL;
    for (size_t start = 0; clean && start < length;) {
        size_t end = start;
        while (end < length && encoded[end] != '&')
            end++;
        for (size_t part = start; clean && part < end;) { /* the name, then the value */
            size_t stop = part;
            while (stop < end && encoded[stop] != '=')
                stop++;
            int got =
                mg_url_decode(encoded + part, (int)(stop - part), decoded, (int)length + 1, 1);
            clean = got >= 0 && firecrest_is_clean_text(decoded, (size_t)got);
            part = stop + 1;
        }
        start = end + 1;
    }
    free(decoded);
    return clean;
}

/* POST /auth/token: OAuth2 client credentials, in the form or in Basic auth. */
static int on_token_request(struct mg_connection *conn, void *firecrest_ptr)
{
    struct firecrest *firecrest = firecrest_ptr;
    if (strcmp(mg_get_request_info(conn)->request_method, "POST") != 0)
        return json_error(conn, 405, "the token endpoint takes POST",
                          (const char *const[]){"Allow", "POST", NULL});
    if (!firecrest_accept_body(conn, MAX_FORM))
        return 413;
    size_t length;
    char *form = read_body(conn, &length);
    char grant[64] = "", id[128] = "", secret[128] = "";
    if (form == NULL || !parameters_are_clean(form, length)) {
        free(form);
        return json_error(conn, 400,
                          "the form holds a NUL, a control byte or bytes that are not UTF-8", NULL);
    }
    mg_get_var(form, length, "grant_type", grant, sizeof grant);
    mg_get_var(form, length, "client_id", id, sizeof id);
    mg_get_var(form, length, "client_secret", secret, sizeof secret);
    free(form);
    const char *basic = mg_get_header(conn, "Authorization");
    if (id[0] == '\0' && basic != NULL && strncasecmp(basic, "Basic ", 6) == 0) {
        unsigned char decoded[300];
        size_t encoded_length = strlen(basic + 6);
        int decoded_length =
            encoded_length < 380
                ? EVP_DecodeBlock(decoded, (const unsigned char *)basic + 6, (int)encoded_length)
                : -1;
        /* EVP_DecodeBlock counts the padding as zero bytes: leave them out. */
        for (size_t i = encoded_length; decoded_length > 0 && i > 0 && basic[6 + i - 1] == '='; i--)
            decoded_length--;
        /* A NUL inside would cut the id or the secret short: refused, not shortened. */
        if (decoded_length > 0 && memchr(decoded, '\0', (size_t)decoded_length) == NULL) {
            decoded[decoded_length] = '\0';
            char *colon = strchr((char *)decoded, ':');
            if (colon != NULL) {
                *colon = '\0';
                snprintf(id, sizeof id, "%.127s", (char *)decoded);
                snprintf(secret, sizeof secret, "%.*s", (int)strcspn(colon + 1, "\n"), colon + 1);
            }
        }
    }
    if (strcmp(grant, "client_credentials") != 0)
        return json_error(conn, 400, "grant_type must be client_credentials", NULL);
    const struct firecrest_client *client = NULL;
    for (int i = 0; i < firecrest->client_count; i++)
        if (strcmp(id, firecrest->clients[i].id) == 0 &&
            strcmp(secret, firecrest->clients[i].secret) == 0)
            client = &firecrest->clients[i];
    if (client == NULL)
        return json_error(conn, 401, "invalid client credentials", NULL);
    char token[1400];
    make_token(firecrest, client, token, sizeof token);
    cJSON *reply = cJSON_CreateObject();
    cJSON_AddStringToObject(reply, "access_token", token);
    cJSON_AddStringToObject(reply, "token_type", "Bearer");
    cJSON_AddNumberToObject(reply, "expires_in", (double)firecrest->config.token_lifetime_s);
    cJSON_AddStringToObject(reply, "scope", "openid");
    int status = json_reply(conn, 200, reply, NULL);
    cJSON_Delete(reply);
    return status;
}

/* --- the checks every call goes through ---------------------------------------- */

int firecrest_error(struct mg_connection *conn, int status, const char *header, const char *message)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "description", message);
    cJSON_AddStringToObject(body, "error", message);
    const char *const headers[] = {header, message, NULL};
    json_reply(conn, status, body, header != NULL ? headers : NULL);
    cJSON_Delete(body);
    return status;
}

int firecrest_output(struct mg_connection *conn, int status, const char *description, cJSON *output)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "description", description);
    cJSON_AddItemToObject(body, "output", output);
    json_reply(conn, status, body, NULL);
    cJSON_Delete(body);
    return status;
}

static int unauthorized(struct mg_connection *conn, const char *message)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "message", message);
    json_reply(conn, 401, body, NULL);
    cJSON_Delete(body);
    return 401;
}

/* Count this call against the user's limit for the service; false if over it. */
static bool within_rate_limit(struct firecrest *firecrest, enum firecrest_service service,
                              const char *user)
{
    long limit = firecrest->config.rate_limit[service];
    int64_t second = (int64_t)time(NULL);
    pthread_mutex_lock(&firecrest->lock);
    firecrest->requests[service]++;
    bool allowed = true;
    if (limit > 0) {
        /* The user's window, or the stalest slot to reuse for a new user. */
        struct rate_window *windows = firecrest->windows[service], *window = &windows[0];
        for (int i = 0; i < MAX_USERS_TRACKED; i++) {
            if (strcmp(windows[i].user, user) == 0) {
                window = &windows[i];
                break;
            }
            if (windows[i].second < window->second)
                window = &windows[i];
        }
        if (strcmp(window->user, user) != 0 || window->second != second) {
            snprintf(window->user, sizeof window->user, "%s", user);
            window->second = second;
            window->requests = 0;
        }
        allowed = ++window->requests <= limit;
        if (!allowed)
            firecrest->rate_limited++;
    }
    pthread_mutex_unlock(&firecrest->lock);
    return allowed;
}

bool firecrest_call_begin(struct firecrest_call *call, struct mg_connection *conn,
                          struct firecrest *firecrest, enum firecrest_service service, int needs)
{
    *call = (struct firecrest_call){.conn = conn,
                                    .request = mg_get_request_info(conn),
                                    .firecrest = firecrest,
                                    .sandbox = {.home_fd = -1}};
    const char *authorization = mg_get_header(conn, "Authorization");
    if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0) {
        call->status = unauthorized(conn, "missing Authorization: Bearer <token> header");
        return false;
    }
    if (!token_is_valid(firecrest, authorization + 7, call->user, sizeof call->user)) {
        call->status = unauthorized(conn, "invalid or expired token");
        return false;
    }
    if (!within_rate_limit(firecrest, service, call->user)) {
        call->status = json_error(conn, 429, "too many requests: slow down",
                                  (const char *const[]){"Retry-After", "1", NULL});
        return false;
    }
    if (needs & NEEDS_SYSTEM) {
        const char *name = mg_get_header(conn, "X-Machine-Name");
        int system = -1;
        for (int i = 0; name != NULL && i < firecrest->system_count; i++) {
            if (strcmp(name, firecrest->system_names[i]) == 0)
                system = i;
        }
        if (system < 0) {
            call->status = firecrest_error(conn, 400, "X-Machine-Does-Not-Exist",
                                           name == NULL ? "missing X-Machine-Name header"
                                                        : "machine does not exist");
            return false;
        }
        if (firecrest_enter_home(firecrest, system, call->user, &call->sandbox) != 0) {
            call->status = firecrest_error(conn, 400, "X-Permission-Denied",
                                           "no home for this user on the system");
            return false;
        }
        call->system = firecrest->system_names[system];
    }
    if (strcmp(call->request->request_method, "GET") != 0 && !(needs & KEEP_BODY)) {
        if (!firecrest_accept_body(conn, MAX_FORM)) {
            call->status = 413;
        } else if ((call->form = read_body(conn, &call->form_length)) == NULL) {
            call->status = firecrest_error(conn, 413, "X-Size-Limit", "request body too large");
        }
    }
    const char *query = call->request->query_string;
    if (call->status == 0 &&
        ((query != NULL && !parameters_are_clean(query, strlen(query))) ||
         (call->form != NULL && !parameters_are_clean(call->form, call->form_length))))
        call->status =
            firecrest_error(conn, 400, "X-Invalid-Path",
                            "a parameter holds a NUL, a control byte or bytes that are not UTF-8");
    if (call->status != 0) {
        firecrest_call_end(call); /* the caller ends only calls that began */
        return false;
    }
    return true;
}

void firecrest_call_end(struct firecrest_call *call)
{
    free(call->form);
    sandbox_leave(&call->sandbox);
}

int firecrest_enter_home(const struct firecrest *firecrest, int system, const char *user,
                         struct sandbox *sandbox)
{
    return sandbox_enter(sandbox, firecrest->system_fds[system], user);
}

bool firecrest_param(const struct firecrest_call *call, const char *name, char *value, size_t size)
{
    const char *source = call->form != NULL ? call->form : call->request->query_string;
    size_t length = call->form != NULL ? call->form_length : (source ? strlen(source) : 0);
    return source != NULL && mg_get_var(source, length, name, value, size) > 0;
}

void firecrest_add_stats(cJSON *stats, void *firecrest_ptr)
{
    struct firecrest *firecrest = firecrest_ptr;
    cJSON *section = cJSON_AddObjectToObject(stats, "firecrest");
    cJSON *requests = cJSON_AddObjectToObject(section, "requests");
    pthread_mutex_lock(&firecrest->lock);
    for (int service = 0; service < SERVICE_COUNT; service++)
        cJSON_AddNumberToObject(requests, firecrest_service_names[service],
                                (double)firecrest->requests[service]);
    cJSON_AddNumberToObject(section, "rate_limited", (double)firecrest->rate_limited);
    pthread_mutex_unlock(&firecrest->lock);
    /* Per second and user, 0 = none: what the dashboard draws the requests against. */
    cJSON *limits = cJSON_AddObjectToObject(section, "rate_limits");
    for (int service = 0; service < SERVICE_COUNT; service++)
        cJSON_AddNumberToObject(limits, firecrest_service_names[service],
                                (double)firecrest->config.rate_limit[service]);
}

void firecrest_reset_stats(void *firecrest_ptr)
{
    struct firecrest *firecrest = firecrest_ptr;
    pthread_mutex_lock(&firecrest->lock);
    memset(firecrest->requests, 0, sizeof firecrest->requests);
    firecrest->rate_limited = 0;
    pthread_mutex_unlock(&firecrest->lock);
}

/* --- /status ------------------------------------------------------------------ */

/* /status replies say "out" where /utilities say "output": FirecREST's own quirk. */
static int status_out(struct mg_connection *conn, const char *description, cJSON *out)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "description", description);
    cJSON_AddItemToObject(body, "out", out);
    json_reply(conn, 200, body, NULL);
    cJSON_Delete(body);
    return 200;
}

static cJSON *system_status(const char *name)
{
    cJSON *system = cJSON_CreateObject();
    cJSON_AddStringToObject(system, "system", name);
    cJSON_AddStringToObject(system, "status", "available");
    cJSON_AddStringToObject(system, "description", "System ready");
    return system;
}

static cJSON *service_status(const char *name)
{
    cJSON *service = cJSON_CreateObject();
    cJSON_AddStringToObject(service, "service", name);
    cJSON_AddStringToObject(service, "status", "available");
    cJSON_AddNumberToObject(service, "status_code", 200);
    cJSON_AddStringToObject(service, "description", "server up & flask running");
    return service;
}

static cJSON *parameter(const char *name, const char *value, const char *unit,
                        const char *description)
{
    cJSON *item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "name", name);
    cJSON_AddStringToObject(item, "value", value);
    cJSON_AddStringToObject(item, "unit", unit);
    cJSON_AddStringToObject(item, "description", description);
    return item;
}

/* Every system of the fake mounts one filesystem, /home. */
static cJSON *home_filesystem(void)
{
    cJSON *list = cJSON_CreateArray();
    cJSON *home = cJSON_CreateObject();
    cJSON_AddStringToObject(home, "name", "HOME");
    cJSON_AddStringToObject(home, "path", "/home");
    cJSON_AddStringToObject(home, "status", "available");
    cJSON_AddNumberToObject(home, "status_code", 200);
    cJSON_AddStringToObject(home, "description", "Filesystem is ready");
    cJSON_AddItemToArray(list, home);
    return list;
}

static cJSON *parameters(const struct firecrest *firecrest)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *general = cJSON_AddArrayToObject(out, "general");
    cJSON_AddItemToArray(general, parameter("FIRECREST_VERSION", "1.16.1", "",
                                            "FirecREST version (the kit's fake)"));
    cJSON_AddItemToArray(general, parameter("FIRECREST_BUILD", "evloop-kit", "", "Build"));
    cJSON *utilities = cJSON_AddArrayToObject(out, "utilities");
    cJSON_AddItemToArray(utilities, parameter("UTILITIES_MAX_FILE_SIZE", "5", "MB",
                                              "Largest file for upload and view"));
    cJSON_AddItemToArray(
        utilities, parameter("UTILITIES_TIMEOUT", "5", "seconds", "Timeout of a utilities call"));
    cJSON *storage = cJSON_AddArrayToObject(out, "storage");
    cJSON *filesystems = cJSON_CreateObject();
    cJSON_AddStringToObject(filesystems, "name", "FILESYSTEMS");
    cJSON *value = cJSON_AddArrayToObject(filesystems, "value");
    for (int i = 0; i < firecrest->system_count; i++) {
        cJSON *system = cJSON_CreateObject();
        cJSON_AddStringToObject(system, "system", firecrest->system_names[i]);
        cJSON_AddItemToObject(system, "mounted",
                              cJSON_CreateStringArray((const char *const[]){"/home"}, 1));
        cJSON_AddItemToArray(value, system);
    }
    cJSON_AddStringToObject(filesystems, "unit", "");
    cJSON_AddStringToObject(filesystems, "description", "Filesystems of each system");
    cJSON_AddItemToArray(storage, filesystems);
    cJSON_AddItemToArray(storage,
                         parameter("OBJECT_STORAGE", "s3v4", "", "Object storage technology"));
    cJSON_AddItemToArray(storage, parameter("STORAGE_TEMPURL_EXP_TIME", "604800", "seconds",
                                            "Expiry of temporary URLs"));
    cJSON_AddItemToArray(storage, parameter("STORAGE_MAX_FILE_SIZE", "5120", "MB",
                                            "Largest file for external transfers"));
    cJSON *compute = cJSON_AddArrayToObject(out, "compute");
    cJSON_AddItemToArray(
        compute, parameter("WORKLOAD_MANAGER", "Slurm", "", "Workload manager (simulated)"));
    return out;
}

/* GET /status/{systems,services,parameters,filesystems}[/{name}] */
static int on_status(struct mg_connection *conn, void *firecrest_ptr)
{
    struct firecrest *firecrest = firecrest_ptr;
    struct firecrest_call call;
    if (!firecrest_call_begin(&call, conn, firecrest, SERVICE_STATUS, NO_SYSTEM))
        return call.status;
    int status;
    char what[32] = "", name[64] = "";
    int fields = sscanf(call.request->local_uri, "/status/%31[^/]/%63[^/]", what, name);
    bool one = fields == 2;
    if (strcmp(call.request->request_method, "GET") != 0) {
        status =
            json_error(conn, 405, "/status takes GET", (const char *const[]){"Allow", "GET", NULL});
    } else if (strcmp(what, "systems") == 0) {
        int found = -1;
        for (int i = 0; i < firecrest->system_count; i++)
            if (strcmp(name, firecrest->system_names[i]) == 0)
                found = i;
        if (!one) {
            cJSON *list = cJSON_CreateArray();
            for (int i = 0; i < firecrest->system_count; i++)
                cJSON_AddItemToArray(list, system_status(firecrest->system_names[i]));
            status = status_out(conn, "List of systems with status and description.", list);
        } else if (found < 0) {
            status =
                firecrest_error(conn, 400, "X-Machine-Does-Not-Exist", "System does not exist");
        } else {
            status = status_out(conn, "System information", system_status(name));
        }
    } else if (strcmp(what, "services") == 0) {
        int found = -1;
        for (int i = 0; i < SERVICE_COUNT; i++)
            if (strcmp(name, firecrest_service_names[i]) == 0)
                found = i;
        if (!one) {
            cJSON *list = cJSON_CreateArray();
            for (int i = 0; i < SERVICE_COUNT; i++)
                cJSON_AddItemToArray(list, service_status(firecrest_service_names[i]));
            status = status_out(conn, "List of services with status and description.", list);
        } else if (found < 0) {
            status = firecrest_error(conn, 404, NULL, "Service does not exist");
        } else {
            status = status_out(conn, "Service information", service_status(name));
        }
    } else if (strcmp(what, "parameters") == 0 && !one) {
        status = status_out(conn, "FirecREST parameters", parameters(firecrest));
    } else if (strcmp(what, "filesystems") == 0) {
        cJSON *out = cJSON_CreateObject();
        bool known = !one;
        for (int i = 0; i < firecrest->system_count; i++) {
            if (!one || strcmp(name, firecrest->system_names[i]) == 0) {
                cJSON_AddItemToObject(out, firecrest->system_names[i], home_filesystem());
                known = true;
            }
        }
        if (known) {
            status = status_out(conn, "Filesystem information", out);
        } else {
            cJSON_Delete(out);
            status =
                firecrest_error(conn, 400, "X-Machine-Does-Not-Exist", "System does not exist");
        }
    } else {
        status = firecrest_error(conn, 404, NULL, "no such /status endpoint");
    }
    firecrest_call_end(&call);
    return status;
}

static void register_routes(struct mg_context *context, struct firecrest *firecrest)
{
    mg_set_request_handler(context, "/auth/token$", on_token_request, firecrest);
    mg_set_request_handler(context, "/status/**", on_status, firecrest);
    firecrest_utilities_register(context, firecrest);
    firecrest_tasks_register(context, firecrest);
    firecrest_compute_register(context, firecrest);
    firecrest_storage_register(context, firecrest);
}
