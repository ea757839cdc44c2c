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
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
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
    struct program *program;
    long index; /* 0-based, in start order */
    int fd;
    enum call_state state;
    size_t bytes_sent;
    char *reply; /* what has arrived so far, NUL-terminated */
    size_t reply_length, reply_capacity;
    uint64_t timeout_timer;       /* 0 when there is none */
    struct call *next, *previous; /* the calls in flight, so that Ctrl-C can drop them */
};

struct program {
    struct mini_loop *loop;
    struct client_options options;
    struct sockaddr_in server_address;
    char request[1200]; /* the same request for every call */
    size_t request_length;
    struct run_tally tally;
    long calls_started, calls_in_flight;
    struct call *calls_in_flight_list;
    bool stop_starting; /* the server is unreachable, no socket can be had, or Ctrl-C */
    bool told_out_of_sockets;
};

/* --- the URL, read by hand: http://HOST[:PORT][/PATH][?QUERY] ------------------ */

static bool parse_url(struct program *program, const char *url, char *error, size_t error_size)
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
    program->server_address = (struct sockaddr_in){.sin_family = AF_INET};
    if (inet_pton(AF_INET, address, &program->server_address.sin_addr) != 1) {
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
    program->server_address.sin_port = htons((uint16_t)port);
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
        snprintf(program->request, sizeof program->request,
                 "GET %s%.*s HTTP/1.1\r\nHost: %.*s\r\nUser-Agent: evloop-kit mini_client\r\n"
                 "Accept: application/json\r\nConnection: close\r\n\r\n",
                 *after_host == '/' ? "" : "/", (int)path_length, after_host,
                 (int)(after_host - host), host);
    if (length < 0 || (size_t)length >= sizeof program->request) {
        snprintf(error, error_size, "--url '%s' is too long", url);
        return false;
    }
    program->request_length = (size_t)length;
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

static void start_calls_allowed_now(struct program *program);
static int interrupt_pipe[2] = {-1, -1}; /* Ctrl-C's way into the loop (see the end) */

/* A call leaves the list of calls in flight, and its memory is freed. */
static void forget_call(struct call *call)
{
    struct program *program = call->program;
    if (call->previous != NULL)
        call->previous->next = call->next;
    else
        program->calls_in_flight_list = call->next;
    if (call->next != NULL)
        call->next->previous = call->previous;
    program->calls_in_flight--;
    free(call->reply);
    free(call);
}

/* The end of a call, good or bad: give back its socket, timer and memory. */
static void finish_call(struct call *call, bool ok, const char *reason, bool server_unreachable)
{
    struct program *program = call->program;
    mini_loop_unwatch_fd(program->loop, call->fd); /* before close(): the loop must not poll it */
    mini_loop_cancel_timer(program->loop, call->timeout_timer);
    close(call->fd);
    if (ok) {
        tally_ok(&program->tally, call->index);
    } else {
        tally_failed(&program->tally, call->index, 0, reason, server_unreachable);
        program->stop_starting |= server_unreachable; /* no point in starting more */
    }
    forget_call(call);
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
    const struct program *program = call->program;
    ssize_t sent = send(call->fd, program->request + call->bytes_sent,
                        program->request_length - call->bytes_sent, MSG_NOSIGNAL);
    if (sent < 0) {
        if (errno != EAGAIN && errno != EINTR)
            finish_call(call, false, strerror(errno), false);
        return; /* EAGAIN: the socket's buffer is full; the loop calls again when not */
    }
    call->bytes_sent += (size_t)sent;
    if (call->bytes_sent == program->request_length) {
        call->state = RECEIVING; /* from now on, wait to read instead of to write */
        mini_loop_watch_fd(program->loop, call->fd, MINI_LOOP_READABLE, on_socket_ready, call);
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
    struct program *program = call->program;
    switch (call->state) {
    case CONNECTING: check_connection(call); break;
    case SENDING: send_request(call); break;
    case RECEIVING: read_reply(call); break;
    }
    start_calls_allowed_now(program); /* if the call ended, another may take its place */
}

/* The loop calls this when a call has taken longer than --timeout-ms. */
static void on_call_timeout(struct mini_loop *loop, void *call_ptr)
{
    (void)loop;
    struct call *call = call_ptr;
    struct program *program = call->program;
    char reason[96];
    snprintf(reason, sizeof reason, "no reply within %ld ms (still %s)",
             program->options.timeout_ms, state_names[call->state]);
    call->timeout_timer = 0; /* it has fired: nothing left to cancel */
    finish_call(call, false, reason, false);
    start_calls_allowed_now(program);
}

/* Open a socket and start connecting; false when no socket can be had now. */
static bool start_call(struct program *program)
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
    *call = (struct call){.program = program,
                          .index = program->calls_started++,
                          .fd = fd,
                          .state = CONNECTING,
                          .next = program->calls_in_flight_list};
    if (call->next != NULL)
        call->next->previous = call;
    program->calls_in_flight_list = call;
    program->calls_in_flight++;
    tally_call_started(&program->tally, call->index);
    if (program->options.timeout_ms > 0)
        call->timeout_timer =
            mini_loop_call_later(program->loop, program->options.timeout_ms, on_call_timeout, call);
    /* Returns at once: EINPROGRESS means "connecting, the socket turns writable when done". */
    if (connect(fd, (const struct sockaddr *)&program->server_address,
                sizeof program->server_address) != 0 &&
        errno != EINPROGRESS) {
        int error = errno;
        finish_call(call, false, strerror(error), error == ECONNREFUSED);
    } else if (mini_loop_watch_fd(program->loop, fd, MINI_LOOP_WRITABLE, on_socket_ready, call) !=
               0) {
        finish_call(call, false, "out of memory", false);
    }
    return true;
}

/* Start calls while some are left and --concurrency allows. */
static void start_calls_allowed_now(struct program *program)
{
    const struct client_options *options = &program->options;
    while (program->calls_started < options->number && !program->stop_starting &&
           (options->concurrency == 0 || program->calls_in_flight < options->concurrency)) {
        if (start_call(program))
            continue;
        if ((errno == EMFILE || errno == ENFILE) && program->calls_in_flight > 0) {
            /* Out of file descriptors: wait for a call to end and free one. */
            if (!program->told_out_of_sockets)
                fprintf(stderr,
                        "mini_client: out of sockets at %ld calls in flight; the others wait "
                        "for a free one (raise `ulimit -n`, or use --concurrency)\n",
                        program->calls_in_flight);
            program->told_out_of_sockets = true;
            return;
        }
        fprintf(stderr, "mini_client: cannot open a socket: %s\n", strerror(errno));
        program->stop_starting = true; /* the calls never started count as failed */
    }
    /* Nothing in flight and nothing left to start: stop watching for Ctrl-C too,
     * so that the loop, with nothing left to watch, returns. */
    if (program->calls_in_flight == 0)
        mini_loop_unwatch_fd(program->loop, interrupt_pipe[0]);
}

/* --- Ctrl-C, the self-pipe way ------------------------------------------------- */

/*
 * A signal handler may do almost nothing safely, but it may write() to a pipe.
 * The loop watches the pipe's other end like any socket, so Ctrl-C arrives as one
 * more "this fd is readable" event, in the loop, where anything may be done.
 */
static void on_interrupt_signal(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno; /* the code we interrupted may be about to read errno */
    ssize_t ignored = write(interrupt_pipe[1], "!", 1);
    (void)ignored; /* a full pipe already holds a Ctrl-C */
    errno = saved_errno;
}

/* The loop calls this when the pipe has a byte: drop the calls in flight, stop. */
static void on_interrupt(struct mini_loop *loop, int fd, int ready, void *program_ptr)
{
    (void)ready;
    struct program *program = program_ptr;
    mini_loop_unwatch_fd(loop, fd);
    program->stop_starting = true;
    tally_interrupted(&program->tally);
    while (program->calls_in_flight_list != NULL) {
        struct call *call = program->calls_in_flight_list;
        mini_loop_unwatch_fd(loop, call->fd);
        mini_loop_cancel_timer(loop, call->timeout_timer);
        close(call->fd);
        forget_call(call); /* neither ok nor failed: the summary counts it as not done */
    }
    mini_loop_stop(loop);
}

static bool watch_for_ctrl_c(struct program *program)
{
    if (pipe(interrupt_pipe) != 0)
        return false;
    /* Non-blocking, so that the handler never waits on a full pipe. */
    fcntl(interrupt_pipe[1], F_SETFL, O_NONBLOCK);
    if (mini_loop_watch_fd(program->loop, interrupt_pipe[0], MINI_LOOP_READABLE, on_interrupt,
                           program) != 0)
        return false;
    struct sigaction interrupt = {.sa_handler = on_interrupt_signal};
    return sigaction(SIGINT, &interrupt, NULL) == 0;
}

int main(int argc, char **argv)
{
    struct program program = {0};
    char error[512];
    switch (client_options_parse(&program.options, CLIENT_MINI, argc, argv, error, sizeof error)) {
    case PARSE_SHOW_HELP:
        client_options_print_help(stdout, "mini_client", CLIENT_MINI, WHAT_IT_DOES);
        return EXIT_ALL_CALLS_OK;
    case PARSE_BAD_USAGE:
        fprintf(stderr, "mini_client: %s (try --help)\n", error);
        return EXIT_BAD_USAGE;
    case PARSE_RUN: break;
    }
    if (!parse_url(&program, program.options.url, error, sizeof error)) {
        fprintf(stderr, "mini_client: %s\n", error);
        return EXIT_BAD_USAGE;
    }
    /* One socket per call in flight, plus stdio and a little spare. */
    long most_at_once =
        program.options.concurrency > 0 && program.options.concurrency < program.options.number
            ? program.options.concurrency
            : program.options.number;
    make_room_for_open_files(most_at_once + 16); /* short of it, calls wait for a free socket */

    program.loop = mini_loop_create();
    if (program.loop == NULL) {
        fprintf(stderr, "mini_client: out of memory\n");
        return EXIT_SOME_CALLS_FAILED;
    }
    tally_start(&program.tally, "mini", "mini_client", &program.options);
    if (!watch_for_ctrl_c(&program))
        perror("mini_client: Ctrl-C will end the program without a summary");
    start_calls_allowed_now(&program);
    if (mini_loop_run(program.loop) != 0) /* returns when no call is left in flight */
        perror("mini_client: poll");
    int exit_code = tally_finish(&program.tally);
    mini_loop_destroy(program.loop);
    close(interrupt_pipe[0]);
    close(interrupt_pipe[1]);
    return exit_code;
}
