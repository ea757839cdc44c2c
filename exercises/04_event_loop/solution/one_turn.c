/*
 * one_turn.c - exercise 04: one turn of the event loop, in three steps.
 *
 * The loop's data is in mini_loop/mini_loop.h: watchers[fd] for the watched fds
 * (events == 0 means not watched), `timers` a list sorted by due_ms (the head is
 * the earliest), `polled` an array as long as watchers for what poll() is asked,
 * `turn` a counter. The kit's rule for what a callback adds during dispatch: a
 * timer set or a watch begun in this turn waits for the next turn (so a callback
 * that calls itself "soon" again and again cannot starve the fds).
 *
 * The kit's own version is mini_loop_run_one_turn() in mini_loop/mini_loop.c: try
 * yours first. Fill in the five blanks marked TODO(student).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>

#include "one_turn.h"

int one_turn(struct mini_loop *loop)
{
    /* Step 1: how long may poll() sleep? Until the earliest timer is due; with no
     * timer, for as long as it takes (-1). */
    int timeout_ms = -1;
    /* BEGIN TODO(student): if loop->timers: timeout_ms = its due_ms - mini_loop_now_ms(), 0 if
     * that is negative (clamp to INT_MAX) */
    if (loop->timers != NULL) {
        int64_t until_due_ms = loop->timers->due_ms - mini_loop_now_ms();
        timeout_ms = until_due_ms <= 0 ? 0 : until_due_ms > INT_MAX ? INT_MAX : (int)until_due_ms;
    }
    /* END TODO */

    /* Step 2: sleep in poll(): the only place where the program waits. */
    int count = 0;
    /* BEGIN TODO(student): one struct pollfd in loop->polled[count++] for each fd with
     * loop->watchers[fd].events != 0 */
    for (int fd = 0; fd < loop->watchers_size; fd++)
        if (loop->watchers[fd].events != 0)
            loop->polled[count++] = (struct pollfd){.fd = fd, .events = (short)loop->watchers[fd].events};
    /* END TODO */
    loop->turn++;  /* what begins from here on belongs to this turn */
    /* BEGIN TODO(student): poll(loop->polled, count, timeout_ms); if it fails: return 0 when
     * errno is EINTR, else -1 */
    if (poll(loop->polled, (nfds_t)count, timeout_ms) < 0)
        return errno == EINTR ? 0 : -1;
    /* STUB: (void)timeout_ms; (void)count; */
    /* END TODO */

    /* Step 3: run the callbacks, the ready fds first, then the due timers. What is
     * due is decided once, now. */
    int64_t now_ms = mini_loop_now_ms();
    /* BEGIN TODO(student): for each polled fd (while !loop->stopping): ready =
     * POLLERR|POLLHUP|POLLNVAL in revents ? its events : revents & events; call it if ready
     * and its watched_in_turn != loop->turn */
    for (int i = 0; i < count && !loop->stopping; i++) {
        struct mini_loop_watcher *watcher = &loop->watchers[loop->polled[i].fd];
        int revents = loop->polled[i].revents;
        int ready = revents & (POLLERR | POLLHUP | POLLNVAL) ? watcher->events : revents & watcher->events;
        /* Re-read watcher now, not before the loop: an earlier callback of this turn
         * may have unwatched it (events 0, so ready 0) or watched a new fd there. */
        if (ready != 0 && watcher->watched_in_turn != loop->turn)
            watcher->callback(loop, loop->polled[i].fd, ready, watcher->data);
    }
    /* END TODO */
    /* BEGIN TODO(student): while !stopping and the head timer is due (due_ms <= now_ms) and its
     * set_in_turn != loop->turn: unlink it, call it, free it */
    while (!loop->stopping && loop->timers != NULL && loop->timers->due_ms <= now_ms &&
           loop->timers->set_in_turn != loop->turn) {
        struct mini_loop_timer *timer = loop->timers;
        loop->timers = timer->next;  /* unlinked first: a callback cancelling itself is harmless */
        timer->callback(loop, timer->data);
        free(timer);
    }
    /* STUB: (void)now_ms; */
    /* END TODO */
    return 0;
}
