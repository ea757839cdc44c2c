/*
 * uv_curl.h - libcurl's multi-socket API driven by a libuv event loop: the glue.
 *
 * Who does what:
 *   - libcurl speaks HTTP. Its multi-socket API does no waiting of its own: it
 *     tells us which sockets to watch (cb_socket) and when it needs a timeout
 *     (cb_timer), and we tell it when a socket is ready (curl_multi_socket_action).
 *   - libuv waits. It watches the sockets (one uv_poll_t each) and the one timer,
 *     and calls us back (on_uv_*) when one of them fires.
 * Naming: on_uv_* = libuv calls us, cb_* = libcurl calls us.
 *
 * client_async.c and firecrest_async.c both run on this: they start transfers
 * with uv_curl_start() and hear of each finished one through `on_done`.
 */
#ifndef UV_CURL_H
#define UV_CURL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <uv.h>

struct uv_curl;

/* A transfer has finished (`result` says how); it is already out of the multi
 * handle, so the callback may reuse or clean up `easy`, and start new transfers. */
typedef void uv_curl_done_callback(struct uv_curl *glue, CURL *easy, CURLcode result);

struct uv_curl {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer; /* the one timeout libcurl asks for */
    uv_curl_done_callback *on_done;
    void *data; /* for the program: its own state */
};

bool uv_curl_init(struct uv_curl *glue, uv_loop_t *loop, uv_curl_done_callback *on_done,
                  void *data);

/* Hand a transfer to libcurl. It starts on the loop's next turn; nothing waits here.
 * False (with a message on stderr) when libcurl refuses it. */
bool uv_curl_start(struct uv_curl *glue, CURL *easy);

/* Take back a transfer that has not finished (after Ctrl-C, say); harmless for
 * one that has. Its socket watches are closed. */
void uv_curl_cancel(struct uv_curl *glue, CURL *easy);

/* Close the multi handle (and with it the kept-alive connections) and the timer.
 * Run the loop once more afterwards, so that libuv finishes closing them. */
void uv_curl_close(struct uv_curl *glue);

#endif
