/*
 * mini_client.c - client_async's job on mini_loop and plain non-blocking sockets.
 *
 *   make run-server                       # in another terminal: port 8080
 *   bin/mini_client --number 1000         # all 1000 calls at once
 *   bin/mini_client --number 1000 --concurrency 50 --json
 *
 * No libcurl, no libuv: every step of an HTTP call is written out, so you can see
 * what those libraries do for client_async. Each call is a small state machine,
 * and each arrow below is one callback from the loop:
 *
 *   CONNECTING --writable--> SENDING --request sent--> RECEIVING --whole reply--> done
 *
 * connect() on a non-blocking socket returns at once (EINPROGRESS). The loop tells
 * us when the socket becomes writable: the connection is then up, or has failed,
 * and SO_ERROR says which. Nothing here ever waits: a call that cannot go on
 * returns to the loop, which calls it again when its socket is ready.
 *
 * One connection per call ("Connection: close"): with every call in flight at
 * once there is no idle connection to reuse anyway. A reply is complete when
 * Content-Length bytes of body are in, or when the server closes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "call_report.h"
#include "client_options.h"
#include "mini_loop.h"
#include "numbers.h"
#include "open_files.h"
#include "reply_check.h"

static const char WHAT_IT_DOES[] =
    "Calls URL --number times, all at once (or --concurrency at a time), on the\n"
    "hand-written event loop mini_loop with plain non-blocking sockets: the same\n"
    "job as client_async, without libcurl or libuv. The URL is http:// only, and\n"
    "its host an IPv4 address or localhost (no DNS lookup: that would block).";

enum { MAX_REPLY_BYTES = 1 << 20 }; /* a bigger reply is a misbehaving server */

enum call_state { CONNECTING, SENDING, RECEIVING };
static const char *const state_names[] = {"connecting", "sending the request",
                                          "waiting for the reply"};

struct call {
    struct client *client;
    long index; /* 0-based, in start order */
    int fd;
    enum call_state state;
    size_t bytes_sent;
    char *reply; /* what has arrived so far, NUL-terminated */
    size_t reply_length, reply_capacity;
    uint64_t timeout_timer; /* 0 when there is none */
    double started_at;
};

struct client {
    struct mini_loop *loop;
    struct client_options options;
    struct sockaddr_in server_address;
    char request[1200]; /* the same request for every call */
    size_t request_length;
    struct run_tally tally;
    long calls_started, calls_in_flight;
    bool stop_starting; /* the server is unreachable, or no socket can be had */
    bool told_out_of_sockets;
};

/* --- the URL, read by hand: http://HOST[:PORT][/PATH][?QUERY] ------------------ */

static bool parse_url(struct client *client, const char *url, char *error, size_t error_size)
{
    if (strncasecmp(url, "http://", 7) != 0) {
        snprintf(error, error_size, "--url '%s': mini_client speaks plain http:// only", url);
        return false;
    }
    const char *host = url + 7;
    size_t host_length = strcspn(host, ":/?#");
    const char *after_host = host + host_length;
    char host_text[64];
    if (host_length == 0 || host_length >= sizeof host_text) {
        snprintf(error, error_size, "--url '%s' has no host, or a far too long one", url);
        return false;
    }
    memcpy(host_text, host, host_length);
    host_text[host_length] = '\0';
    /* No DNS here (a lookup would block the loop): an IPv4 address or localhost. */
    const char *address = strcmp(host_text, "localhost") == 0 ? "127.0.0.1" : host_text;
    client->server_address = (struct sockaddr_in){.sin_family = AF_INET};
    if (inet_pton(AF_INET, address, &client->server_address.sin_addr) != 1) {
        snprintf(error, error_size, "--url '%s': the host must be an IPv4 address or localhost",
                 url);
        return false;
    }
    long port = 80;
    if (*after_host == ':') {
        char port_text[8] = "";
        size_t port_length = strcspn(after_host + 1, "/?#");
        if (port_length < sizeof port_text)
            memcpy(port_text, after_host + 1, port_length);
        if (port_length >= sizeof port_text || !parse_whole_number(port_text, 1, 65535, &port)) {
            snprintf(error, error_size, "--url '%s': the port must be a number from 1 to 65535",
                     url);
            return false;
        }
        after_host += 1 + port_length;
    }
    /* From here on, after_host is the path; host..after_host goes into "Host:". */
    client->server_address.sin_port = htons((uint16_t)port);
    /* The path goes into the request line as it is: no spaces or control bytes. */
    size_t path_length = strcspn(after_host, "#");
    for (size_t i = 0; i < path_length; i++) {
        if ((unsigned char)after_host[i] <= ' ' || after_host[i] == 0x7f) {
            snprintf(error, error_size, "--url '%s': the path has a space or a control character",
                     url);
            return false;
        }
    }
    int length =
        snprintf(client->request, sizeof client->request,
                 "GET %s%.*s HTTP/1.1\r\nHost: %.*s\r\nUser-Agent: evloop-kit mini_client\r\n"
                 "Accept: application/json\r\nConnection: close\r\n\r\n",
                 *after_host == '/' ? "" : "/", (int)path_length, after_host,
                 (int)(after_host - host), host);
    if (length < 0 || (size_t)length >= sizeof client->request) {
        snprintf(error, error_size, "--url '%s' is too long", url);
        return false;
    }
    client->request_length = (size_t)length;
    return true;
}

/* --- the reply: "HTTP/1.1 200 OK\r\n", headers, "\r\n\r\n", body -------------- */

enum reply_verdict { REPLY_INCOMPLETE, REPLY_GOOD, REPLY_BAD };

/* The value of header `name` (case does not matter), or NULL. */
static const char *find_header(const char *headers, const char *headers_end, const char *name)
{
    size_t name_length = strlen(name);
    for (const char *line = strstr(headers, "\r\n"); line != NULL && line < headers_end;
         line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, name, name_length) == 0 && line[2 + name_length] == ':')
            return line + 2 + name_length + 1 + strspn(line + 3 + name_length, " \t");
    }
    return NULL;
}

/*
 * Is the reply in call->reply complete, and good? `closed` says the server has
 * closed the connection, so nothing more will come. REPLY_BAD and REPLY_GOOD
 * fill `reason` (for a bad one: why, in words).
 */
static enum reply_verdict judge_reply(const struct call *call, bool closed, char *reason,
                                      size_t reason_size)
{
    const char *reply = call->reply;
    const char *headers_end = strstr(reply, "\r\n\r\n");
    if (headers_end == NULL) {
        if (!closed)
            return REPLY_INCOMPLETE;
        snprintf(reason, reason_size,
                 call->reply_length == 0 ? "the server closed the connection without replying"
                                         : "the reply ended inside its headers");
        return REPLY_BAD;
    }
    int status = 0, status_end = 0;
    if (sscanf(reply, "HTTP/1.%*1[01] %3d%n", &status, &status_end) != 1 || status_end != 12 ||
        (reply[12] != ' ' && reply[12] != '\r')) {
        snprintf(reason, reason_size, "the reply is not HTTP: it starts with '%.20s'", reply);
        return REPLY_BAD;
    }
    const char *body = headers_end + 4;
    size_t body_length = call->reply_length - (size_t)(body - reply);
    const char *chunked = find_header(reply, headers_end, "Transfer-Encoding");
    if (chunked != NULL && strncasecmp(chunked, "identity", 8) != 0) {
        snprintf(reason, reason_size, "the reply is chunked, which mini_client does not decode");
        return REPLY_BAD;
    }
    const char *length_text = find_header(reply, headers_end, "Content-Length");
    if (length_text != NULL) {
        char *end;
        unsigned long long content_length = strtoull(length_text, &end, 10);
        if (end == length_text || *length_text == '-' || (*end != '\r' && *end != ' ')) {
            snprintf(reason, reason_size, "the reply has a bad Content-Length");
            return REPLY_BAD;
        }
        if (body_length < content_length && !closed)
            return REPLY_INCOMPLETE;
        if (body_length < content_length) {
            snprintf(reason, reason_size, "the reply was cut short: %zu of %llu body bytes",
                     body_length, content_length);
            return REPLY_BAD;
        }
        body_length = (size_t)content_length; /* anything after it is not this reply */
    } else if (!closed) {
        return REPLY_INCOMPLETE; /* no length given: the body ends when the server closes */
    }
    return reply_is_good(status, body, body_length, reason, reason_size) ? REPLY_GOOD : REPLY_BAD;
}

/* --- one call's life ----------------------------------------------------------- */

static void start_calls_allowed_now(struct client *client);

/* The end of a call, good or bad: give back its socket, timer and memory. */
static void finish_call(struct call *call, bool ok, const char *reason, bool server_unreachable)
{
    struct client *client = call->client;
    mini_loop_unwatch_fd(client->loop, call->fd); /* before close(): the loop must not poll it */
    mini_loop_cancel_timer(client->loop, call->timeout_timer);
    close(call->fd);
    if (ok) {
        tally_ok(&client->tally, call->index, monotonic_seconds() - call->started_at);
    } else {
        tally_failed(&client->tally, call->index, reason, server_unreachable);
        client->stop_starting |= server_unreachable; /* no point in starting more */
    }
    free(call->reply);
    free(call);
    client->calls_in_flight--;
}

/* RECEIVING: read what has arrived, and finish the call once the reply is whole. */
static void read_reply(struct call *call)
{
    if (call->reply_capacity - call->reply_length < 4096) {
        size_t capacity = call->reply_capacity * 2 + 4096;
        char *grown = realloc(call->reply, capacity + 1); /* +1: room for a '\0' */
        if (grown == NULL) {
            finish_call(call, false, "out of memory", false);
            return;
        }
        call->reply = grown;
        call->reply_capacity = capacity;
    }
    ssize_t got = recv(call->fd, call->reply + call->reply_length,
                       call->reply_capacity - call->reply_length, 0);
    if (got < 0) {
        if (errno != EAGAIN && errno != EINTR) /* e.g. "Connection reset by peer" */
            finish_call(call, false, strerror(errno), false);
        return; /* EAGAIN: nothing after all; the loop calls again when there is */
    }
    call->reply_length += (size_t)got;
    call->reply[call->reply_length] = '\0';
    char reason[160];
    if (call->reply_length > MAX_REPLY_BYTES) {
        snprintf(reason, sizeof reason, "the reply is longer than %d bytes", MAX_REPLY_BYTES);
        finish_call(call, false, reason, false);
        return;
    }
    enum reply_verdict verdict = judge_reply(call, got == 0, reason, sizeof reason);
    if (verdict != REPLY_INCOMPLETE)
        finish_call(call, verdict == REPLY_GOOD, reason, false);
}

static mini_loop_fd_callback on_socket_ready;

/* SENDING: write what the socket takes now; once all is out, wait for the reply. */
static void send_request(struct call *call)
{
    const struct client *client = call->client;
    ssize_t sent = send(call->fd, client->request + call->bytes_sent,
                        client->request_length - call->bytes_sent, MSG_NOSIGNAL);
    if (sent < 0) {
        if (errno != EAGAIN && errno != EINTR)
            finish_call(call, false, strerror(errno), false);
        return; /* EAGAIN: the socket's buffer is full; the loop calls again when not */
    }
    call->bytes_sent += (size_t)sent;
    if (call->bytes_sent == client->request_length) {
        call->state = RECEIVING; /* from now on, wait to read instead of to write */
        mini_loop_watch_fd(client->loop, call->fd, MINI_LOOP_READABLE, on_socket_ready, call);
    }
}

/* CONNECTING, and the socket turned writable: the connection is up, or failed. */
static void check_connection(struct call *call)
{
    int error = 0;
    socklen_t error_size = sizeof error;
    if (getsockopt(call->fd, SOL_SOCKET, SO_ERROR, &error, &error_size) != 0)
        error = errno;
    if (error != 0) { /* e.g. "Connection refused": nobody listens there */
        bool unreachable = error == ECONNREFUSED || error == EHOSTUNREACH || error == ENETUNREACH;
        finish_call(call, false, strerror(error), unreachable);
        return;
    }
    call->state = SENDING;
    send_request(call); /* the socket is writable right now: no need to wait a turn */
}

/* The loop calls this when the call's socket is ready for what the call waits for.
 * Each step may finish the call, which frees it: nothing touches it afterwards. */
static void on_socket_ready(struct mini_loop *loop, int fd, int ready, void *call_ptr)
{
    (void)loop;
    (void)fd;
    (void)ready; /* the call's state says what it waits for */
    struct call *call = call_ptr;
    struct client *client = call->client;
    switch (call->state) {
    case CONNECTING: check_connection(call); break;
    case SENDING: send_request(call); break;
    case RECEIVING: read_reply(call); break;
    }
    start_calls_allowed_now(client); /* if the call ended, another may take its place */
}

/* The loop calls this when a call has taken longer than --timeout-ms. */
static void on_call_timeout(struct mini_loop *loop, void *call_ptr)
{
    (void)loop;
    struct call *call = call_ptr;
    struct client *client = call->client;
    char reason[96];
    snprintf(reason, sizeof reason, "no reply within %ld ms (still %s)", client->options.timeout_ms,
             state_names[call->state]);
    call->timeout_timer = 0; /* it has fired: nothing left to cancel */
    finish_call(call, false, reason, false);
    start_calls_allowed_now(client);
}

/* Open a socket and start connecting; false when no socket can be had now. */
static bool start_call(struct client *client)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct call *call = calloc(1, sizeof *call);
    if (call == NULL) {
        close(fd);
        errno = ENOMEM;
        return false;
    }
    *call = (struct call){.client = client,
                          .index = client->calls_started++,
                          .fd = fd,
                          .state = CONNECTING,
                          .started_at = monotonic_seconds()};
    client->calls_in_flight++;
    if (client->options.timeout_ms > 0)
        call->timeout_timer =
            mini_loop_call_later(client->loop, client->options.timeout_ms, on_call_timeout, call);
    /* Returns at once: EINPROGRESS means "connecting, the socket turns writable when done". */
    if (connect(fd, (const struct sockaddr *)&client->server_address,
                sizeof client->server_address) != 0 &&
        errno != EINPROGRESS) {
        int error = errno;
        finish_call(call, false, strerror(error), error == ECONNREFUSED);
    } else if (mini_loop_watch_fd(client->loop, fd, MINI_LOOP_WRITABLE, on_socket_ready, call) !=
               0) {
        finish_call(call, false, "out of memory", false);
    }
    return true;
}

/* Start calls while some are left and --concurrency allows. */
static void start_calls_allowed_now(struct client *client)
{
    const struct client_options *options = &client->options;
    while (client->calls_started < options->number && !client->stop_starting &&
           (options->concurrency == 0 || client->calls_in_flight < options->concurrency)) {
        if (start_call(client))
            continue;
        if ((errno == EMFILE || errno == ENFILE) && client->calls_in_flight > 0) {
            /* Out of file descriptors: wait for a call to end and free one. */
            if (!client->told_out_of_sockets)
                fprintf(stderr,
                        "mini_client: out of sockets at %ld calls in flight; the others wait "
                        "for a free one (raise `ulimit -n`, or use --concurrency)\n",
                        client->calls_in_flight);
            client->told_out_of_sockets = true;
            return;
        }
        fprintf(stderr, "mini_client: cannot open a socket: %s\n", strerror(errno));
        client->stop_starting = true; /* the calls never started count as failed */
    }
}

int main(int argc, char **argv)
{
    struct client client = {0};
    char error[512];
    switch (client_options_parse(&client.options, CLIENT_MINI, argc, argv, error, sizeof error)) {
    case PARSE_SHOW_HELP:
        client_options_print_help(stdout, "mini_client", CLIENT_MINI, WHAT_IT_DOES);
        return EXIT_ALL_CALLS_OK;
    case PARSE_BAD_USAGE:
        fprintf(stderr, "mini_client: %s (try --help)\n", error);
        return EXIT_BAD_USAGE;
    case PARSE_RUN: break;
    }
    if (!parse_url(&client, client.options.url, error, sizeof error)) {
        fprintf(stderr, "mini_client: %s\n", error);
        return EXIT_BAD_USAGE;
    }
    /* One socket per call in flight, plus stdio and a little spare. */
    long most_at_once =
        client.options.concurrency > 0 && client.options.concurrency < client.options.number
            ? client.options.concurrency
            : client.options.number;
    make_room_for_open_files(most_at_once + 16); /* short of it, calls wait for a free socket */

    client.loop = mini_loop_create();
    if (client.loop == NULL) {
        fprintf(stderr, "mini_client: out of memory\n");
        return EXIT_SOME_CALLS_FAILED;
    }
    tally_start(&client.tally, "mini", "mini_client", &client.options);
    start_calls_allowed_now(&client);
    if (mini_loop_run(client.loop) != 0) /* returns when no call is left in flight */
        perror("mini_client: poll");
    int exit_code = tally_finish(&client.tally);
    mini_loop_destroy(client.loop);
    return exit_code;
}
