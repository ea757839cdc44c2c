/*
 * uv_curl.c - the glue between libcurl's multi-socket API and libuv. See uv_curl.h.
 *
 * The file reads in the order things happen:
 *   1. uv_curl_init() tells libcurl whom to call; uv_curl_start() hands it a transfer.
 *   2. libcurl calls us back: cb_timer (CURLMOPT_TIMERFUNCTION) asks for a timeout,
 *      cb_socket (CURLMOPT_SOCKETFUNCTION) for a socket to watch, or to stop watching.
 *   3. libuv calls us back when the timer fires (on_uv_curl_timeout) or a socket is
 *      ready (on_uv_socket_ready); each time libcurl does what it can without
 *      blocking (curl_multi_socket_action).
 *   4. We collect what has finished and hand it to the program
 *      (check_finished_transfers), and in the end close everything (uv_curl_close).
 */
#include "uv_curl.h"

#include <stdio.h>
#include <stdlib.h>

/* One socket libcurl asked us to watch. */
struct socket_watch {
    uv_poll_t poll;
    curl_socket_t fd;
    struct uv_curl *glue;
};

static int cb_timer(CURLM *multi, long timeout_ms, void *glue_ptr);
static int cb_socket(CURL *easy, curl_socket_t fd, int what, void *glue_ptr, void *watch_ptr);
static void on_uv_curl_timeout(uv_timer_t *timer);
static void on_uv_socket_ready(uv_poll_t *poll, int status, int events);
static void on_uv_watch_closed(uv_handle_t *handle);
static void check_finished_transfers(struct uv_curl *glue);

/*
 * Every curl_multi_* call returns a CURLMcode. Anything but CURLM_OK here is a bug
 * in the program (a handle added twice, a call from inside a callback) or memory
 * running out: say which call failed and why, rather than carry on in silence.
 */
static bool multi_ok(const char *call, CURLMcode code)
{
    if (code == CURLM_OK)
        return true;
    fprintf(stderr, "uv_curl: %s failed: %s\n", call, curl_multi_strerror(code));
    return false;
}

/* --- 1. set up, and hand libcurl a transfer ------------------------------------- */

bool uv_curl_init(struct uv_curl *glue, uv_loop_t *loop, uv_curl_done_callback *on_done, void *data)
{
    *glue = (struct uv_curl){.loop = loop, .on_done = on_done, .data = data};
    glue->multi = curl_multi_init();
    if (glue->multi == NULL)
        return false;
    uv_timer_init(loop, &glue->timer);
    glue->timer.data = glue;
    return multi_ok("CURLMOPT_SOCKETFUNCTION",
                    curl_multi_setopt(glue->multi, CURLMOPT_SOCKETFUNCTION, cb_socket)) &&
           multi_ok("CURLMOPT_SOCKETDATA",
                    curl_multi_setopt(glue->multi, CURLMOPT_SOCKETDATA, glue)) &&
           multi_ok("CURLMOPT_TIMERFUNCTION",
                    curl_multi_setopt(glue->multi, CURLMOPT_TIMERFUNCTION, cb_timer)) &&
           multi_ok("CURLMOPT_TIMERDATA", curl_multi_setopt(glue->multi, CURLMOPT_TIMERDATA, glue));
}

bool uv_curl_start(struct uv_curl *glue, CURL *easy)
{
    /* libcurl answers at once by asking for a timeout (cb_timer): the transfer
     * really begins when that timer fires, on a later turn of the loop. */
    return multi_ok("curl_multi_add_handle", curl_multi_add_handle(glue->multi, easy));
}

/* --- 2. libcurl calls us: what to wait for -------------------------------------- */

/*
 * CURLMOPT_TIMERFUNCTION: libcurl asks for a timeout. -1 means none, 0 means "as
 * soon as possible". Even 0 goes through the loop: calling libcurl back from inside
 * its own callback is not allowed.
 */
static int cb_timer(CURLM *multi, long timeout_ms, void *glue_ptr)
{
    (void)multi;
    struct uv_curl *glue = glue_ptr;
    if (timeout_ms < 0)
        uv_timer_stop(&glue->timer);
    else
        uv_timer_start(&glue->timer, on_uv_curl_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

/*
 * CURLMOPT_SOCKETFUNCTION: libcurl says which socket to watch, for what, or to stop
 * watching. This is the heart of the event loop integration: libcurl decides *what*
 * to wait for, libuv does the waiting.
 */
static int cb_socket(CURL *easy, curl_socket_t fd, int what, void *glue_ptr, void *watch_ptr)
{
    (void)easy;
    struct uv_curl *glue = glue_ptr;
    struct socket_watch *watch = watch_ptr;

    if (what == CURL_POLL_REMOVE) {
        if (watch != NULL) {
            uv_poll_stop(&watch->poll);
            curl_multi_assign(glue->multi, fd, NULL);
            /* Freed in on_uv_watch_closed: libuv still owns the handle until then. */
            uv_close((uv_handle_t *)&watch->poll, on_uv_watch_closed);
        }
        return 0;
    }
    if (watch == NULL) {
        watch = malloc(sizeof *watch);
        if (watch == NULL || uv_poll_init_socket(glue->loop, &watch->poll, fd) != 0) {
            free(watch);
            return -1; /* libcurl fails this transfer */
        }
        watch->fd = fd;
        watch->glue = glue;
        watch->poll.data = watch;
        /* libcurl hands it back to us as watch_ptr, the next time it calls for this fd. */
        if (!multi_ok("curl_multi_assign", curl_multi_assign(glue->multi, fd, watch))) {
            uv_close((uv_handle_t *)&watch->poll, on_uv_watch_closed);
            return -1;
        }
    }
    int events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= UV_WRITABLE;
    uv_poll_start(&watch->poll, events, on_uv_socket_ready);
    return 0;
}

/* --- 3. libuv calls us: something is ready -------------------------------------- */

/* libuv calls this when libcurl's timeout expires. */
static void on_uv_curl_timeout(uv_timer_t *timer)
{
    struct uv_curl *glue = timer->data;
    int running;
    multi_ok("curl_multi_socket_action",
             curl_multi_socket_action(glue->multi, CURL_SOCKET_TIMEOUT, 0, &running));
    check_finished_transfers(glue);
}

/* libuv calls this when a watched socket is readable or writable (or broken). */
static void on_uv_socket_ready(uv_poll_t *poll, int status, int events)
{
    struct socket_watch *watch = poll->data;
    struct uv_curl *glue = watch->glue;
    int flags = 0;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    /* A broken socket (the peer reset it, say) comes with status < 0 and no events.
     * Let libcurl try both directions: a reply may still wait to be read (a server
     * that answers "400, your URL is too long" and closes), and otherwise the read
     * fails with the real reason, better than "select/poll returned error". */
    if (status < 0)
        flags = CURL_CSELECT_IN | CURL_CSELECT_OUT;
    int running;
    /* "This socket is ready": libcurl reads or writes it, as far as it can without
     * blocking, and returns at once. */
    CURLMcode code = curl_multi_socket_action(glue->multi, watch->fd, flags, &running);
    /* CURLM_BAD_SOCKET: libcurl let go of the socket while the event was on its way. */
    if (code != CURLM_BAD_SOCKET)
        multi_ok("curl_multi_socket_action", code);
    check_finished_transfers(glue);
}

/* libuv calls this once a socket watch is fully closed: only now may it be freed. */
static void on_uv_watch_closed(uv_handle_t *handle)
{
    free(handle->data);
}

/* --- 4. what has finished, and the end ------------------------------------------ */

/*
 * Read what libcurl has finished, and hand each to the program. Copy what we need
 * from the message first: it is invalid once the handle leaves the multi handle.
 */
static void check_finished_transfers(struct uv_curl *glue)
{
    CURLMsg *message;
    int messages_left;
    while ((message = curl_multi_info_read(glue->multi, &messages_left)) != NULL) {
        if (message->msg != CURLMSG_DONE)
            continue;
        CURL *easy = message->easy_handle;
        CURLcode result = message->data.result;
        multi_ok("curl_multi_remove_handle", curl_multi_remove_handle(glue->multi, easy));
        glue->on_done(glue, easy, result);
    }
}

void uv_curl_cancel(struct uv_curl *glue, CURL *easy)
{
    /* CURLM_OK also for a handle already out of the multi handle. */
    multi_ok("curl_multi_remove_handle", curl_multi_remove_handle(glue->multi, easy));
}

void uv_curl_close(struct uv_curl *glue)
{
    /* Closes the kept-alive connections: libcurl says CURL_POLL_REMOVE for each,
     * and cb_socket closes their watches. */
    multi_ok("curl_multi_cleanup", curl_multi_cleanup(glue->multi));
    uv_close((uv_handle_t *)&glue->timer, NULL);
}
