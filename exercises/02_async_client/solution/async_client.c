/*
 * async_client.c - exercise 02: the event-loop client (libuv drives libcurl).
 *
 *   async_client URL NUMBER
 *
 * Starts all NUMBER calls at once and waits for every reply at the same time, on
 * one thread: N calls of one delay each take about one delay in all. It prints a
 * line as each call lands, then the summary and whether every handle was closed:
 *
 *   call 7: ok in 0.302 s
 *   ...
 *   50 of 50 calls ok in 0.305 s
 *   loop closed: every handle was closed
 *
 * Who does what. libcurl speaks HTTP but never waits: through cb_socket it says
 * which socket to watch for what, through cb_timer when it needs a timeout. libuv
 * waits: one uv_poll_t per socket, one uv_timer_t. When one of them fires, libuv
 * calls us (on_uv_*), we tell libcurl (curl_multi_socket_action), and libcurl
 * moves every transfer on as far as it can without blocking.
 * Naming: cb_* = libcurl calls us, on_uv_* = libuv calls us.
 *
 * Fill in the five blanks marked TODO(student). Read them in the order things
 * happen: cb_timer, cb_socket, on_uv_timeout, on_uv_socket_ready, then
 * check_finished_transfers.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* The whole program's state. */
struct client {
    uv_loop_t loop;
    CURLM *multi;
    uv_timer_t timeout;     /* the one timeout libcurl asks for */
    struct call *calls;     /* NUMBER of them */
    long number, finished, ok;
    double started;
};

/* One call: its easy handle and the body it collects. */
struct call {
    CURL *easy;
    long index;             /* 1..NUMBER */
    bool finished;
    char *body;
    size_t body_length;
    struct client *client;
};

/* One socket libcurl asked us to watch. */
struct socket_watch {
    uv_poll_t poll;
    curl_socket_t fd;
    struct client *client;
};

static double now_seconds(struct client *client)
{
    return (double)uv_hrtime() / 1e9 - client->started;  /* uv_hrtime: monotonic ns */
}

/* CURLOPT_WRITEFUNCTION: keep each piece of the body (exercise 01's callback). */
static size_t on_body_piece(char *data, size_t size, size_t count, void *call_ptr)
{
    struct call *call = call_ptr;
    size_t piece = size * count;
    char *grown = realloc(call->body, call->body_length + piece + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + call->body_length, data, piece);
    call->body_length += piece;
    grown[call->body_length] = '\0';
    call->body = grown;
    return piece;
}

/* A call is over: was it good? Say so, and let its handle go. */
static void finish_call(struct client *client, struct call *call, CURLcode result)
{
    long status = 0;
    curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
    cJSON *json = result == CURLE_OK ? cJSON_Parse(call->body) : NULL;
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(json, "message");
    bool ok = status == 200 && cJSON_IsString(message) && strcmp(message->valuestring, "hi") == 0;
    cJSON_Delete(json);
    if (ok) {
        client->ok++;
        printf("call %ld: ok in %.3f s\n", call->index, now_seconds(client));
    } else {
        printf("call %ld: failed: %s (HTTP status %ld)\n", call->index, curl_easy_strerror(result), status);
    }
    call->finished = true;
    client->finished++;
    curl_easy_cleanup(call->easy);
    call->easy = NULL;
}

/* Collect the transfers libcurl has finished. A CURLMsg is only valid until its
 * handle leaves the multi handle: copy what you need from it first. */
static void check_finished_transfers(struct client *client)
{
    /* BEGIN TODO(student): loop on curl_multi_info_read; for each CURLMSG_DONE: copy easy_handle
     * and data.result, curl_multi_remove_handle, then finish_call (CURLINFO_PRIVATE gives the
     * call) */
    CURLMsg *message;
    int messages_left;
    while ((message = curl_multi_info_read(client->multi, &messages_left)) != NULL) {
        if (message->msg != CURLMSG_DONE)
            continue;
        CURL *easy = message->easy_handle;
        CURLcode result = message->data.result;
        curl_multi_remove_handle(client->multi, easy);
        struct call *call;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&call);
        finish_call(client, call, result);
    }
    /* STUB: (void)client; (void)finish_call; */
    /* END TODO */
}

/* libuv calls this when libcurl's timeout is over. */
static void on_uv_timeout(uv_timer_t *timer)
{
    struct client *client = timer->data;
    /* BEGIN TODO(student): tell libcurl its time is up: curl_multi_socket_action(multi,
     * CURL_SOCKET_TIMEOUT, 0, &running); then check_finished_transfers */
    int running;
    curl_multi_socket_action(client->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_finished_transfers(client);
    /* STUB: (void)client; (void)check_finished_transfers; */
    /* END TODO */
}

/* libuv calls this when a watched socket is readable or writable (or broken). */
static void on_uv_socket_ready(uv_poll_t *poll, int status, int events)
{
    struct socket_watch *watch = poll->data;
    /* BEGIN TODO(student): turn status < 0, UV_READABLE, UV_WRITABLE into CURL_CSELECT_ERR/IN/OUT
     * flags; curl_multi_socket_action(multi, watch->fd, flags, &running);
     * check_finished_transfers */
    int flags = status < 0 ? CURL_CSELECT_ERR : 0;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(watch->client->multi, watch->fd, flags, &running);
    check_finished_transfers(watch->client);
    /* STUB: (void)watch; (void)status; (void)events; */
    /* END TODO */
}

/* libuv calls this once a socket's watch is fully closed: only now may it be freed. */
static void on_uv_watch_closed(uv_handle_t *handle)
{
    free(handle->data);
}

/* CURLMOPT_SOCKETFUNCTION: libcurl says which socket to watch, for what (CURL_POLL_IN,
 * _OUT, _INOUT), or to stop (CURL_POLL_REMOVE). `watch` is what we gave
 * curl_multi_assign for this socket before, NULL the first time. Returns 0, or -1 to
 * fail the transfer. */
static int cb_socket(CURL *easy, curl_socket_t fd, int what, void *client_ptr, void *watch_ptr)
{
    (void)easy;
    struct client *client = client_ptr;
    struct socket_watch *watch = watch_ptr;
    /* BEGIN TODO(student): REMOVE: uv_poll_stop, curl_multi_assign(NULL),
     * uv_close(on_uv_watch_closed). Else: a new watch if NULL (malloc, uv_poll_init_socket,
     * curl_multi_assign), then uv_poll_start with the events asked for */
    if (what == CURL_POLL_REMOVE) {
        if (watch != NULL) {
            uv_poll_stop(&watch->poll);
            curl_multi_assign(client->multi, fd, NULL);
            uv_close((uv_handle_t *)&watch->poll, on_uv_watch_closed);
        }
        return 0;
    }
    if (watch == NULL) {
        watch = malloc(sizeof *watch);
        if (watch == NULL || uv_poll_init_socket(&client->loop, &watch->poll, fd) != 0) {
            free(watch);
            return -1;
        }
        watch->fd = fd;
        watch->client = client;
        watch->poll.data = watch;  /* on_uv_socket_ready finds its watch through this */
        curl_multi_assign(client->multi, fd, watch);
    }
    int events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= UV_WRITABLE;
    uv_poll_start(&watch->poll, events, on_uv_socket_ready);
    /* STUB: (void)client; (void)watch; (void)fd; (void)what; */
    /* STUB: (void)on_uv_watch_closed; (void)on_uv_socket_ready; */
    /* END TODO */
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: libcurl asks to be called back in timeout_ms: -1 means no
 * timeout (stop the timer), 0 means as soon as possible. Even 0 must go through the
 * loop: calling libcurl from inside its own callback is not allowed. */
static int cb_timer(CURLM *multi, long timeout_ms, void *client_ptr)
{
    (void)multi;
    struct client *client = client_ptr;
    /* BEGIN TODO(student): -1: uv_timer_stop(&client->timeout); else
     * uv_timer_start(&client->timeout, on_uv_timeout, timeout_ms, 0) */
    if (timeout_ms < 0)
        uv_timer_stop(&client->timeout);
    else
        uv_timer_start(&client->timeout, on_uv_timeout, (uint64_t)timeout_ms, 0);
    /* STUB: (void)client; (void)timeout_ms; (void)on_uv_timeout; */
    /* END TODO */
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: async_client URL NUMBER\n"
               "Calls URL NUMBER times, all at once, on a libuv loop (exercise 02).\n");
        return 0;
    }
    long number = argc == 3 ? strtol(argv[2], NULL, 10) : 0;
    if (number < 1 || number > 1000) {
        fprintf(stderr, "usage: async_client URL NUMBER (NUMBER 1..1000)\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct client client = {.number = number, .started = (double)uv_hrtime() / 1e9};
    client.calls = calloc((size_t)number, sizeof *client.calls);
    client.multi = curl_multi_init();
    if (client.calls == NULL || client.multi == NULL || uv_loop_init(&client.loop) != 0) {
        fprintf(stderr, "async_client: out of memory\n");
        return 1;
    }
    uv_timer_init(&client.loop, &client.timeout);
    client.timeout.data = &client;
    curl_multi_setopt(client.multi, CURLMOPT_SOCKETFUNCTION, cb_socket);
    curl_multi_setopt(client.multi, CURLMOPT_SOCKETDATA, &client);
    curl_multi_setopt(client.multi, CURLMOPT_TIMERFUNCTION, cb_timer);
    curl_multi_setopt(client.multi, CURLMOPT_TIMERDATA, &client);

    /* Hand every call to libcurl. Nothing waits here: they start once the loop runs. */
    for (long i = 0; i < number; i++) {
        struct call *call = &client.calls[i];
        *call = (struct call){.easy = curl_easy_init(), .index = i + 1, .client = &client};
        curl_easy_setopt(call->easy, CURLOPT_URL, argv[1]);
        curl_easy_setopt(call->easy, CURLOPT_WRITEFUNCTION, on_body_piece);
        curl_easy_setopt(call->easy, CURLOPT_WRITEDATA, call);
        curl_easy_setopt(call->easy, CURLOPT_PRIVATE, call);
        curl_easy_setopt(call->easy, CURLOPT_TIMEOUT_MS, 10000L);  /* every wait bounded */
        curl_multi_add_handle(client.multi, call->easy);
    }

    /* asyncio.run(...): run the loop until nothing is left to wait for. */
    uv_run(&client.loop, UV_RUN_DEFAULT);
    double seconds = now_seconds(&client);

    /* Calls the loop never finished (if it stopped early) are let go here. */
    for (long i = 0; i < number; i++) {
        if (!client.calls[i].finished) {
            curl_multi_remove_handle(client.multi, client.calls[i].easy);
            curl_easy_cleanup(client.calls[i].easy);
        }
        free(client.calls[i].body);
    }
    printf("%ld of %ld calls ok in %.3f s", client.ok, number, seconds);
    if (client.finished < number)
        printf(" (%ld never finished: the loop found nothing to wait for)", number - client.finished);
    printf("\n");

    /* Close everything, run the loop once more so libuv finishes closing, and check. */
    curl_multi_cleanup(client.multi);  /* closes kept-alive sockets: CURL_POLL_REMOVE for each */
    uv_close((uv_handle_t *)&client.timeout, NULL);
    uv_run(&client.loop, UV_RUN_DEFAULT);
    int closed = uv_loop_close(&client.loop);
    if (closed == 0)
        printf("loop closed: every handle was closed\n");
    else
        printf("loop not closed: %s (a handle is still open)\n", uv_strerror(closed));
    free(client.calls);
    curl_global_cleanup();
    return client.ok == number && closed == 0 ? 0 : 1;
}
