/*
 * mini_loop.c - the whole event loop. Read it top to bottom.
 *
 * Its data is in mini_loop.h: the watched fds in an array indexed by fd (as in
 * redis's ae.c), the timers in a list sorted by due time. The functions below
 * only add to and remove from those two, until the heart of the loop:
 * mini_loop_run_one_turn(), one round of waiting and dispatching in three steps.
 * mini_loop_run(), at the very end, repeats it. The README's "How the event loop
 * works" walks through this file step by step.
 */
#include "mini_loop.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Monotonic: a clock that never jumps when someone sets the date. Timers need it. */
int64_t mini_loop_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

struct mini_loop *mini_loop_create(void)
{
    return calloc(1, sizeof(struct mini_loop)); /* all zero: no fd watched, no timer */
}

void mini_loop_destroy(struct mini_loop *loop)
{
    while (loop->timers != NULL) /* the timers that never fired */
        mini_loop_cancel_timer(loop, loop->timers->id);
    free(loop->watchers);
    free(loop->polled);
    free(loop);
}

/* --- watching file descriptors ------------------------------------------------ */

/* Grow the per-fd arrays to cover `fd`. A failed realloc() leaves the old array in
 * place, and watchers_size changes only once both have grown: after a failure the
 * loop is as it was, still working. */
static int mini_loop_make_room_for_fd(struct mini_loop *loop, int fd)
{
    size_t size = (size_t)fd + 64; /* some spare room, so that growing stays rare */
    struct mini_loop_watcher *watchers = realloc(loop->watchers, size * sizeof *watchers);
    loop->watchers = watchers != NULL ? watchers : loop->watchers;
    struct pollfd *polled = realloc(loop->polled, size * sizeof *polled);
    loop->polled = polled != NULL ? polled : loop->polled;
    if (watchers == NULL || polled == NULL)
        return -1;
    memset(watchers + loop->watchers_size, 0,
           (size - (size_t)loop->watchers_size) * sizeof *watchers);
    loop->watchers_size = (int)size;
    return 0;
}

int mini_loop_watch_fd(struct mini_loop *loop, int fd, int events, mini_loop_fd_callback *callback,
                       void *data)
{
    if (fd < 0 || events == 0 ||
        (fd >= loop->watchers_size && mini_loop_make_room_for_fd(loop, fd) != 0))
        return -1;
    struct mini_loop_watcher *watcher = &loop->watchers[fd];
    if (watcher->events == 0) { /* a new watch: what poll() said about an old one is stale */
        loop->watched_count++;
        watcher->watched_in_turn = loop->turn;
    }
    watcher->events = events;
    watcher->callback = callback;
    watcher->data = data;
    return 0;
}

void mini_loop_unwatch_fd(struct mini_loop *loop, int fd)
{
    if (fd >= 0 && fd < loop->watchers_size && loop->watchers[fd].events != 0) {
        loop->watchers[fd].events = 0;
        loop->watched_count--;
    }
}

/* --- timers ------------------------------------------------------------------- */

uint64_t mini_loop_call_later(struct mini_loop *loop, int64_t delay_ms,
                              mini_loop_callback *callback, void *data)
{
    struct mini_loop_timer *timer = malloc(sizeof *timer);
    if (timer == NULL)
        return 0;
    /* +1: the clock counts whole milliseconds, so without it a timer could fire up
     * to 1 ms early. Late is allowed, early never. */
    *timer =
        (struct mini_loop_timer){.due_ms = mini_loop_now_ms() + (delay_ms > 0 ? delay_ms + 1 : 0),
                                 .id = ++loop->last_timer_id,
                                 .set_in_turn = loop->turn,
                                 .callback = callback,
                                 .data = data};
    /* Walk past every timer due no later than this one, so that timers due together
     * keep the order they were set in. A sorted list on purpose, because it is easy
     * to read; inserting costs O(n). Real loops (libuv, asyncio) use a heap: O(log n). */
    struct mini_loop_timer **place = &loop->timers;
    while (*place != NULL && (*place)->due_ms <= timer->due_ms)
        place = &(*place)->next;
    timer->next = *place;
    *place = timer;
    return timer->id;
}

/* "Soon" is a timer due now. It runs on the next turn (see step 3), after every
 * callback due before it. asyncio keeps a separate queue of ready callbacks for
 * this; a 0 ms timer does the same job here in one line. */
uint64_t mini_loop_call_soon(struct mini_loop *loop, mini_loop_callback *callback, void *data)
{
    return mini_loop_call_later(loop, 0, callback, data);
}

void mini_loop_cancel_timer(struct mini_loop *loop, uint64_t timer_id)
{
    struct mini_loop_timer **place = &loop->timers;
    while (*place != NULL && (*place)->id != timer_id)
        place = &(*place)->next;
    struct mini_loop_timer *cancelled = *place;
    if (cancelled != NULL)
        *place = cancelled->next;
    free(cancelled); /* free(NULL) does nothing: an unknown id is ignored */
}

void mini_loop_stop(struct mini_loop *loop)
{
    loop->stopping = true; /* the dispatch in step 3 checks it before each callback */
}

/* --- the loop ----------------------------------------------------------------- */

/* One turn: sleep until something is ready, then run the callbacks of what is. */
static int mini_loop_run_one_turn(struct mini_loop *loop)
{
    /* Step 1: how long may we sleep? Until the earliest timer is due (the list is
     * sorted: it is the first one), or for as long as it takes if there is none. */
    int timeout_ms = -1;
    if (loop->timers != NULL) {
        int64_t until_due_ms = loop->timers->due_ms - mini_loop_now_ms();
        timeout_ms = until_due_ms <= 0 ? 0 : until_due_ms > INT_MAX ? INT_MAX : (int)until_due_ms;
    }

    /* Step 2: sleep in poll() until a watched fd is ready or the timeout is over.
     * This is the only place where the program waits. With no fd watched, poll()
     * is simply how we sleep until the next timer. poll() is handed the whole list
     * every turn, O(fds watched); epoll (libuv on Linux) keeps it in the kernel. */
    int count = 0;
    for (int fd = 0; fd < loop->watchers_size; fd++)
        if (loop->watchers[fd].events != 0)
            loop->polled[count++] =
                (struct pollfd){.fd = fd, .events = (short)loop->watchers[fd].events};
    loop->turn++;
    if (poll(loop->polled, (nfds_t)count, timeout_ms) < 0)
        return errno == EINTR ? 0 : -1; /* a signal woke us up: just take another turn */

    /* Step 3: run the callbacks, the ready fds first, then the due timers. What is
     * due is decided now, once: a timer that a callback sets during this turn, even
     * "soon", waits for the next turn, so that a callback calling itself soon again
     * and again cannot starve the fds. */
    int64_t now_ms = mini_loop_now_ms();
    for (int i = 0; i < count && !loop->stopping; i++) {
        struct mini_loop_watcher *watcher = &loop->watchers[loop->polled[i].fd];
        int revents = loop->polled[i].revents;
        /* An error or a hang-up wakes the callback up for whatever it waits for: it
         * learns what happened from its next read() or write(). */
        int ready =
            revents & (POLLERR | POLLHUP | POLLNVAL) ? watcher->events : revents & watcher->events;
        /* Re-check before calling: an earlier callback of this turn may have unwatched
         * this fd (then events, so ready, is 0), or closed it and watched a new socket
         * that got the same number (a watch begun in this turn): skip stale news. */
        if (ready != 0 && watcher->watched_in_turn != loop->turn)
            watcher->callback(loop, loop->polled[i].fd, ready, watcher->data);
    }
    /* The due timers are at the head of the sorted list. A timer set during this
     * turn is due no earlier than now_ms, so it sorts after them: it ends the walk. */
    while (!loop->stopping && loop->timers != NULL && loop->timers->due_ms <= now_ms &&
           loop->timers->set_in_turn != loop->turn) {
        struct mini_loop_timer *timer = loop->timers;
        loop->timers = timer->next; /* unlinked first: cancelling itself is harmless */
        timer->callback(loop, timer->data);
        free(timer);
    }
    return 0;
}

/* Turn after turn, while there is something left to wait for. */
int mini_loop_run(struct mini_loop *loop)
{
    loop->stopping = false;
    while (!loop->stopping && (loop->watched_count > 0 || loop->timers != NULL))
        if (mini_loop_run_one_turn(loop) != 0)
            return -1;
    return 0;
}
