/*
 * mini_loop.h - an event loop you can read in one sitting.
 *
 * What asyncio, libuv or Node.js do at heart, in about 100 lines (mini_loop.c):
 * wait for the earliest of "a file descriptor is ready" and "a timer is due",
 * run the callbacks that are ready, repeat until nothing is left to wait for.
 *
 * A program on it never blocks. It says what it wants to wait for, with a
 * function to call when that happens, and returns to the loop:
 *
 *   struct mini_loop *loop = mini_loop_create();
 *   mini_loop_watch_fd(loop, fd, MINI_LOOP_READABLE, on_readable, data);
 *   mini_loop_call_later(loop, 200, on_timeout, data);
 *   mini_loop_run(loop);     // returns when no watcher and no timer is left
 *   mini_loop_destroy(loop);
 *
 * Like redis's ae.h, this header shows the loop's data as well as its functions:
 * nothing is hidden from the student. Programs use only the functions.
 */
#ifndef MINI_LOOP_H
#define MINI_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

struct mini_loop;

/* What a watcher waits for, a bit mask: poll(2)'s own bits, so no translation. */
enum { MINI_LOOP_READABLE = POLLIN, MINI_LOOP_WRITABLE = POLLOUT };

/* Called when `fd` is ready; `ready` says for what (READABLE, WRITABLE or both).
 * An error or a hang-up on the fd counts as ready for everything it waits for:
 * the callback finds out which by reading or writing, as with a real socket. */
typedef void mini_loop_fd_callback(struct mini_loop *loop, int fd, int ready, void *data);

/* Called when a timer is due (mini_loop_call_later, mini_loop_call_soon). */
typedef void mini_loop_callback(struct mini_loop *loop, void *data);

/* One watched fd. The loop keeps them in an array indexed by the fd. */
struct mini_loop_watcher {
    int events;               /* MINI_LOOP_READABLE | MINI_LOOP_WRITABLE; 0 = not watched */
    uint64_t watched_in_turn; /* the loop's turn when this watch began */
    mini_loop_fd_callback *callback;
    void *data;
};

/* One timer, in a list sorted by (due_ms, id). */
struct mini_loop_timer {
    int64_t due_ms;       /* on mini_loop_now_ms()'s clock */
    uint64_t id;          /* for mini_loop_cancel_timer */
    uint64_t set_in_turn; /* the loop's turn when it was set */
    mini_loop_callback *callback;
    void *data;
    struct mini_loop_timer *next;
};

/* The loop. No global state anywhere: two loops can exist side by side. */
struct mini_loop {
    struct mini_loop_watcher *watchers; /* watchers[fd], watchers_size of them */
    int watchers_size;
    int watched_count;              /* how many fds are watched now */
    struct pollfd *polled;          /* what this turn asks poll() (watchers_size long) */
    struct mini_loop_timer *timers; /* sorted by (due_ms, id) */
    uint64_t last_timer_id;
    uint64_t turn; /* counts turns: what begins during one waits for the next */
    bool stopping;
};

/* A new loop, or NULL when out of memory. */
struct mini_loop *mini_loop_create(void);

/* Frees the loop and the timers that never fired. Closes no fd: they are yours. */
void mini_loop_destroy(struct mini_loop *loop);

/* Call `callback` each time `fd` is ready for `events` (READABLE, WRITABLE or
 * both), until unwatched. Watching an fd again replaces its events and callback.
 * Returns 0, or -1 for a negative fd, no events, or no memory. */
int mini_loop_watch_fd(struct mini_loop *loop, int fd, int events, mini_loop_fd_callback *callback,
                       void *data);

/* Stop watching `fd` (do it before closing the fd). Unwatched fds are ignored. */
void mini_loop_unwatch_fd(struct mini_loop *loop, int fd);

/* Call `callback` once, `delay_ms` from now (a negative delay counts as 0).
 * Timers fire in due order, timers due together in the order they were set.
 * Returns the timer's id for mini_loop_cancel_timer, or 0 when out of memory. */
uint64_t mini_loop_call_later(struct mini_loop *loop, int64_t delay_ms,
                              mini_loop_callback *callback, void *data);

/* Call `callback` on the loop's next turn, after the callbacks already queued
 * (first in, first out). Same return value as mini_loop_call_later. */
uint64_t mini_loop_call_soon(struct mini_loop *loop, mini_loop_callback *callback, void *data);

/* Forget a timer that has not fired yet; an id that fired or is unknown is ignored. */
void mini_loop_cancel_timer(struct mini_loop *loop, uint64_t timer_id);

/* Run until no watcher and no timer is left, or until mini_loop_stop(). Returns
 * 0, or -1 if poll() itself failed (errno says why). Not from inside a callback. */
int mini_loop_run(struct mini_loop *loop);

/* Make mini_loop_run() return after the callback that calls this. What has not
 * run yet stays queued: calling mini_loop_run() again carries on. */
void mini_loop_stop(struct mini_loop *loop);

/* The loop's clock: milliseconds on CLOCK_MONOTONIC, which never jumps. */
int64_t mini_loop_now_ms(void);

#endif
