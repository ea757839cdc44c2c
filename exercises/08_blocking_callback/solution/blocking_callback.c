/*
 * blocking_callback.c - exercise 08: one blocking call in a callback stalls them all.
 *
 *   blocking_callback URL
 *
 * Starts 5 calls at once on libuv (through the kit's glue, client_async/uv_curl.c).
 * After each reply, the program must "think" for PAUSE_MS before it reports the
 * result: in Python, `time.sleep(0.3)` or `await asyncio.sleep(0.3)` in each task.
 *
 * As given, on_call_done() thinks with usleep(): a blocking call. Run it first and
 * note when the last result is reported. While one callback sleeps, the loop is
 * stuck inside it: no other socket is read, no other callback runs, so the 5 pauses
 * add up. Then fix it (the two blanks marked TODO(student)): instead of sleeping,
 * start a timer and report in its callback, so that the loop waits for all the
 * pauses at the same time, as it does for the calls.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "uv_curl.h"

enum { CALLS = 5, PAUSE_MS = 300 };

struct call {
    int number;             /* 1..CALLS */
    CURL *easy;
    uv_timer_t pause;       /* for the fix: the pause as a timer */
    struct program *program;
};

struct program {
    uv_loop_t loop;
    struct uv_curl curl;
    struct call calls[CALLS];
    uint64_t started_ns;
    int reported;
};

static double seconds_since_start(struct program *program)
{
    return (double)(uv_hrtime() - program->started_ns) / 1e9;
}

/* The end of a call's story: its result is reported. */
static void report(struct call *call, const char *how)
{
    struct program *program = call->program;
    program->reported++;
    printf("call %d: reported at %.3f s (%s)\n", call->number, seconds_since_start(program), how);
}

/* A byte-sink: this exercise does not look at the reply's body. */
static size_t ignore_body(char *data, size_t size, size_t count, void *unused)
{
    (void)data;
    (void)unused;
    return size * count;
}

/* libuv calls this when a call's pause timer is over. */
static void on_pause_over(uv_timer_t *timer)
{
    /* BEGIN TODO(student): the call is timer->data: report(call, "after a timer"), then uv_close
     * the timer (NULL callback) so the loop can close */
    struct call *call = timer->data;
    report(call, "after a timer");
    uv_close((uv_handle_t *)timer, NULL);
    /* STUB: (void)timer; */
    /* END TODO */
}

/* uv_curl calls this when a call's reply is in (or it failed). */
static void on_call_done(struct uv_curl *glue, CURL *easy, CURLcode result)
{
    struct program *program = glue->data;
    struct call *call = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&call);
    if (result != CURLE_OK)
        printf("call %d: failed: %s\n", call->number, curl_easy_strerror(result));
    /* BEGIN TODO(student): do not sleep here: uv_timer_init(&program->loop, &call->pause),
     * call->pause.data = call, uv_timer_start it for PAUSE_MS with on_pause_over */
    uv_timer_init(&program->loop, &call->pause);
    call->pause.data = call;
    uv_timer_start(&call->pause, on_pause_over, PAUSE_MS, 0);
    /* STUB: usleep(PAUSE_MS * 1000);  // the blocking pause: the whole loop stops here */
    /* STUB: report(call, "after usleep"); */
    /* STUB: (void)program; (void)on_pause_over; */
    /* END TODO */
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: blocking_callback URL\n"
               "5 calls at once, each followed by a 300 ms pause before its report (exercise 08).\n");
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: blocking_callback URL\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static struct program program;
    uv_loop_init(&program.loop);
    if (!uv_curl_init(&program.curl, &program.loop, on_call_done, &program)) {
        fprintf(stderr, "blocking_callback: libcurl could not start\n");
        return 1;
    }
    program.started_ns = uv_hrtime();
    for (int i = 0; i < CALLS; i++) {
        struct call *call = &program.calls[i];
        *call = (struct call){.number = i + 1, .easy = curl_easy_init(), .program = &program};
        curl_easy_setopt(call->easy, CURLOPT_URL, argv[1]);
        curl_easy_setopt(call->easy, CURLOPT_WRITEFUNCTION, ignore_body);
        curl_easy_setopt(call->easy, CURLOPT_PRIVATE, call);
        curl_easy_setopt(call->easy, CURLOPT_TIMEOUT_MS, 10000L);
        uv_curl_start(&program.curl, call->easy);
    }
    uv_run(&program.loop, UV_RUN_DEFAULT);
    printf("%d of %d calls reported, the last at %.3f s\n", program.reported, CALLS,
           seconds_since_start(&program));

    for (int i = 0; i < CALLS; i++)
        curl_easy_cleanup(program.calls[i].easy);
    uv_curl_close(&program.curl);
    uv_run(&program.loop, UV_RUN_DEFAULT);  /* let libuv finish closing */
    int closed = uv_loop_close(&program.loop);
    if (closed != 0)
        printf("loop not closed: %s (a handle is still open)\n", uv_strerror(closed));
    curl_global_cleanup();
    return program.reported == CALLS && closed == 0 ? 0 : 1;
}
