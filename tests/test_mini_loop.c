/*
 * test_mini_loop.c - the hand-written event loop (mini_loop/mini_loop.c).
 *
 * Each test builds a loop, gives it pipes and timers, runs it, and checks what
 * ran and in which order. Nothing here sleeps to synchronise: a pipe is made
 * ready by writing to it before the loop runs, and timers are the loop's own.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mini_loop.h"
#include "open_files.h"

TestSuite(mini_loop, .timeout = 10);

/* A log of what ran, in order: each callback appends its tag. */
static char ran[256];

static void log_tag(struct mini_loop *loop, void *tag)
{
    (void)loop;
    strcat(ran, tag);
}

Test(mini_loop, an_empty_loop_returns_at_once)
{
    struct mini_loop *loop = mini_loop_create();
    int64_t started = mini_loop_now_ms();
    mini_loop_run(loop);
    cr_assert_lt(mini_loop_now_ms() - started, 1000, "nothing to wait for, yet it waited");
    mini_loop_destroy(loop);
}

Test(mini_loop, timers_fire_in_due_order_and_ties_in_the_order_set)
{
    struct mini_loop *loop = mini_loop_create();
    ran[0] = '\0';
    mini_loop_call_later(loop, 30, log_tag, "c");
    mini_loop_call_later(loop, 10, log_tag, "a");
    mini_loop_call_later(loop, 20, log_tag, "b1");
    mini_loop_call_later(loop, 20, log_tag, "b2");
    mini_loop_call_later(loop, 20, log_tag, "b3");
    mini_loop_run(loop);
    cr_assert_str_eq(ran, "ab1b2b3c");
    mini_loop_destroy(loop);
}

Test(mini_loop, a_timer_waits_at_least_its_delay)
{
    struct mini_loop *loop = mini_loop_create();
    ran[0] = '\0';
    int64_t started = mini_loop_now_ms();
    mini_loop_call_later(loop, 40, log_tag, "x");
    mini_loop_run(loop);
    cr_assert_geq(mini_loop_now_ms() - started, 40);
    cr_assert_str_eq(ran, "x");
    mini_loop_destroy(loop);
}

Test(mini_loop, call_soon_is_first_in_first_out)
{
    struct mini_loop *loop = mini_loop_create();
    ran[0] = '\0';
    mini_loop_call_soon(loop, log_tag, "1");
    mini_loop_call_soon(loop, log_tag, "2");
    mini_loop_call_soon(loop, log_tag, "3");
    mini_loop_run(loop);
    cr_assert_str_eq(ran, "123");
    mini_loop_destroy(loop);
}

Test(mini_loop, a_cancelled_timer_never_fires)
{
    struct mini_loop *loop = mini_loop_create();
    ran[0] = '\0';
    uint64_t doomed = mini_loop_call_later(loop, 5, log_tag, "doomed");
    mini_loop_call_later(loop, 10, log_tag, "kept");
    mini_loop_cancel_timer(loop, doomed);
    mini_loop_run(loop);
    cr_assert_str_eq(ran, "kept");
    mini_loop_destroy(loop);
}

/* A pipe: write a byte to make the read end readable. */
struct pipe_test {
    int fds[2];
    int calls;
    char *tag;
};

static void on_readable_once(struct mini_loop *loop, int fd, int ready, void *test_ptr)
{
    struct pipe_test *test = test_ptr;
    cr_assert(ready & MINI_LOOP_READABLE);
    char byte;
    cr_assert_eq(read(fd, &byte, 1), 1);
    test->calls++;
    strcat(ran, test->tag);
    mini_loop_unwatch_fd(loop, fd); /* removing itself from inside its own callback */
}

Test(mini_loop, an_fd_callback_runs_when_the_fd_is_readable)
{
    struct mini_loop *loop = mini_loop_create();
    struct pipe_test test = {.tag = "r"};
    ran[0] = '\0';
    cr_assert(pipe(test.fds) == 0);
    mini_loop_watch_fd(loop, test.fds[0], MINI_LOOP_READABLE, on_readable_once, &test);
    cr_assert_eq(write(test.fds[1], "x", 1), 1);
    cr_assert_eq(mini_loop_run(loop), 0); /* returns once the callback unwatched the only fd */
    cr_assert_eq(test.calls, 1);
    close(test.fds[0]);
    close(test.fds[1]);
    mini_loop_destroy(loop);
}

static void on_writable(struct mini_loop *loop, int fd, int ready, void *calls)
{
    cr_assert(ready & MINI_LOOP_WRITABLE);
    (*(int *)calls)++;
    mini_loop_unwatch_fd(loop, fd);
}

Test(mini_loop, an_fd_callback_runs_when_the_fd_is_writable)
{
    struct mini_loop *loop = mini_loop_create();
    int fds[2], calls = 0;
    cr_assert(pipe(fds) == 0);
    mini_loop_watch_fd(loop, fds[1], MINI_LOOP_WRITABLE, on_writable, &calls);
    mini_loop_run(loop);
    cr_assert_eq(calls, 1);
    close(fds[0]);
    close(fds[1]);
    mini_loop_destroy(loop);
}

/* Two pipes ready in the same turn; the first callback unwatches the second fd.
 * The second callback must not run: the loop re-checks before dispatch. */
struct two_pipes {
    int a[2], b[2];
    int a_calls, b_calls;
};

static void on_a_unwatch_both(struct mini_loop *loop, int fd, int ready, void *pipes_ptr)
{
    (void)ready;
    struct two_pipes *pipes = pipes_ptr;
    pipes->a_calls++;
    mini_loop_unwatch_fd(loop, fd);
    mini_loop_unwatch_fd(loop, pipes->b[0]);
}

static void on_b_must_not_run(struct mini_loop *loop, int fd, int ready, void *pipes_ptr)
{
    (void)loop;
    (void)fd;
    (void)ready;
    ((struct two_pipes *)pipes_ptr)->b_calls++;
}

Test(mini_loop, a_watcher_removed_during_dispatch_is_not_called)
{
    struct mini_loop *loop = mini_loop_create();
    struct two_pipes pipes = {0};
    cr_assert(pipe(pipes.a) == 0 && pipe(pipes.b) == 0);
    cr_assert(write(pipes.a[1], "x", 1) == 1 && write(pipes.b[1], "x", 1) == 1);
    /* fds are dispatched in increasing order: make sure a's read end comes first. */
    cr_assert_lt(pipes.a[0], pipes.b[0]);
    mini_loop_watch_fd(loop, pipes.a[0], MINI_LOOP_READABLE, on_a_unwatch_both, &pipes);
    mini_loop_watch_fd(loop, pipes.b[0], MINI_LOOP_READABLE, on_b_must_not_run, &pipes);
    mini_loop_run(loop);
    cr_assert_eq(pipes.a_calls, 1);
    cr_assert_eq(pipes.b_calls, 0);
    for (int i = 0; i < 2; i++) {
        close(pipes.a[i]);
        close(pipes.b[i]);
    }
    mini_loop_destroy(loop);
}

/* A callback that schedules itself "soon" forever must not starve a ready fd. */
struct starvation {
    int fds[2];
    int spins;
    bool fd_seen;
};

/* Makes the pipe readable on its first call, then keeps calling itself soon. */
static void spin(struct mini_loop *loop, void *state_ptr)
{
    struct starvation *state = state_ptr;
    if (state->spins == 0)
        cr_assert_eq(write(state->fds[1], "x", 1), 1);
    if (!state->fd_seen && ++state->spins < 1000)
        mini_loop_call_soon(loop, spin, state);
}

static void on_fd_seen(struct mini_loop *loop, int fd, int ready, void *state_ptr)
{
    (void)ready;
    ((struct starvation *)state_ptr)->fd_seen = true;
    mini_loop_unwatch_fd(loop, fd);
}

Test(mini_loop, call_soon_in_a_loop_does_not_starve_the_fds)
{
    struct mini_loop *loop = mini_loop_create();
    struct starvation state = {0};
    cr_assert(pipe(state.fds) == 0);
    mini_loop_call_soon(loop, spin, &state);
    mini_loop_watch_fd(loop, state.fds[0], MINI_LOOP_READABLE, on_fd_seen, &state);
    mini_loop_run(loop);
    cr_assert(state.fd_seen);
    cr_assert_lt(state.spins, 5, "the fd waited behind %d turns of call_soon", state.spins);
    close(state.fds[0]);
    close(state.fds[1]);
    mini_loop_destroy(loop);
}

static void stop_the_loop(struct mini_loop *loop, void *unused)
{
    (void)unused;
    strcat(ran, "stop");
    mini_loop_stop(loop);
}

Test(mini_loop, stop_from_a_callback_returns_from_run)
{
    struct mini_loop *loop = mini_loop_create();
    ran[0] = '\0';
    mini_loop_call_later(loop, 5, stop_the_loop, NULL);
    mini_loop_call_later(loop, 5000, log_tag, "too-late");
    int64_t started = mini_loop_now_ms();
    mini_loop_run(loop);
    cr_assert_str_eq(ran, "stop");
    cr_assert_lt(mini_loop_now_ms() - started, 4000, "run() should have returned at the stop");
    mini_loop_destroy(loop); /* frees the timer that never fired */
}

Test(mini_loop, two_loops_are_independent)
{
    struct mini_loop *first = mini_loop_create(), *second = mini_loop_create();
    ran[0] = '\0';
    mini_loop_call_soon(first, log_tag, "1");
    mini_loop_call_soon(second, log_tag, "2");
    mini_loop_run(second);
    cr_assert_str_eq(ran, "2", "running one loop ran the other's callbacks");
    mini_loop_run(first);
    cr_assert_str_eq(ran, "21");
    mini_loop_destroy(first);
    mini_loop_destroy(second);
}

Test(mini_loop, fds_above_1024_work)
{
    struct mini_loop *loop = mini_loop_create();
    struct pipe_test test = {.tag = "high"};
    ran[0] = '\0';
    int fds[2];
    cr_assert(pipe(fds) == 0);
    make_room_for_open_files(1600);
    test.fds[0] = dup2(fds[0], 1500); /* beyond select()'s FD_SETSIZE */
    cr_assert_eq(test.fds[0], 1500, "dup2 failed (ulimit -n below 1501?)");
    test.fds[1] = fds[1];
    mini_loop_watch_fd(loop, test.fds[0], MINI_LOOP_READABLE, on_readable_once, &test);
    cr_assert_eq(write(fds[1], "x", 1), 1);
    mini_loop_run(loop);
    cr_assert_eq(test.calls, 1);
    close(fds[0]);
    close(fds[1]);
    close(test.fds[0]);
    mini_loop_destroy(loop);
}

/* --- callbacks that change the loop while it dispatches ------------------------ */

static void cancel_the_other(struct mini_loop *loop, void *other_id)
{
    strcat(ran, "a");
    mini_loop_cancel_timer(loop, *(uint64_t *)other_id);
}

Test(mini_loop, a_timer_cancelled_by_a_callback_of_the_same_turn_never_fires)
{
    struct mini_loop *loop = mini_loop_create();
    ran[0] = '\0';
    uint64_t second_id = 0;
    mini_loop_call_later(loop, 5, cancel_the_other, &second_id);
    second_id = mini_loop_call_later(loop, 5, log_tag, "b"); /* due with the first: same turn */
    mini_loop_run(loop);
    cr_assert_str_eq(ran, "a");
    mini_loop_destroy(loop);
}

struct self_cancelling {
    uint64_t id;
    int calls;
};

static void cancel_myself(struct mini_loop *loop, void *state_ptr)
{
    struct self_cancelling *state = state_ptr;
    state->calls++;
    mini_loop_cancel_timer(loop, state->id); /* already fired: must be harmless */
}

Test(mini_loop, a_timer_cancelling_itself_is_harmless)
{
    struct mini_loop *loop = mini_loop_create();
    struct self_cancelling state = {0};
    state.id = mini_loop_call_soon(loop, cancel_myself, &state);
    mini_loop_run(loop);
    cr_assert_eq(state.calls, 1);
    mini_loop_destroy(loop);
}

static void queue_another_soon(struct mini_loop *loop, void *unused)
{
    (void)unused;
    strcat(ran, "a");
    mini_loop_call_soon(loop, log_tag, "d"); /* behind b and c, queued before it */
}

Test(mini_loop, call_soon_from_a_callback_runs_after_what_was_queued)
{
    struct mini_loop *loop = mini_loop_create();
    ran[0] = '\0';
    mini_loop_call_soon(loop, queue_another_soon, NULL);
    mini_loop_call_soon(loop, log_tag, "b");
    mini_loop_call_soon(loop, log_tag, "c");
    mini_loop_run(loop);
    cr_assert_str_eq(ran, "abcd");
    mini_loop_destroy(loop);
}

Test(mini_loop, a_negative_delay_counts_as_zero)
{
    struct mini_loop *loop = mini_loop_create();
    ran[0] = '\0';
    mini_loop_call_soon(loop, log_tag, "a");
    mini_loop_call_later(loop, -50, log_tag, "b");
    mini_loop_run(loop);
    cr_assert_str_eq(ran, "ab");
    mini_loop_destroy(loop);
}

/* A socket pair: write a request on one end, and read the answer back. The
 * callback first waits to read, then re-watches its own fd to write. */
struct ping_pong {
    int fds[2];
    int reads, writes;
};

static void on_ping_pong(struct mini_loop *loop, int fd, int ready, void *state_ptr)
{
    struct ping_pong *state = state_ptr;
    char byte;
    if (ready & MINI_LOOP_READABLE) {
        cr_assert_eq(read(fd, &byte, 1), 1);
        state->reads++;
        mini_loop_watch_fd(loop, fd, MINI_LOOP_WRITABLE, on_ping_pong,
                           state); /* same fd, new events */
    } else {
        cr_assert(ready & MINI_LOOP_WRITABLE);
        cr_assert_eq(write(fd, "!", 1), 1);
        state->writes++;
        mini_loop_unwatch_fd(loop, fd);
    }
}

Test(mini_loop, a_callback_can_rewatch_its_own_fd_for_other_events)
{
    struct mini_loop *loop = mini_loop_create();
    struct ping_pong state = {0};
    cr_assert(socketpair(AF_UNIX, SOCK_STREAM, 0, state.fds) == 0);
    cr_assert_eq(write(state.fds[1], "?", 1), 1);
    mini_loop_watch_fd(loop, state.fds[0], MINI_LOOP_READABLE, on_ping_pong, &state);
    mini_loop_run(loop);
    cr_assert_eq(state.reads, 1);
    cr_assert_eq(state.writes, 1);
    char answer;
    cr_assert_eq(read(state.fds[1], &answer, 1), 1);
    cr_assert_eq(answer, '!');
    close(state.fds[0]);
    close(state.fds[1]);
    mini_loop_destroy(loop);
}

/* The trap of every event loop: in one turn, a callback closes an fd that poll()
 * reported ready, and a new fd gets the same number. The news was about the old
 * fd: the new one's callback must not get it. */
struct reuse {
    int first[2], second[2]; /* both read ends ready when the loop starts */
    int fresh[2];            /* a new, empty pipe; its read end takes second[0]'s number */
    int fresh_calls, second_calls;
};

static void on_fresh_readable(struct mini_loop *loop, int fd, int ready, void *state_ptr)
{
    (void)ready;
    struct reuse *state = state_ptr;
    char byte;
    /* Non-blocking: a stale call would find nothing here and fail, not hang. */
    cr_assert_eq(read(fd, &byte, 1), 1, "called for readiness that was the old fd's");
    state->fresh_calls++;
    mini_loop_unwatch_fd(loop, fd);
}

static void make_fresh_readable(struct mini_loop *loop, void *state_ptr)
{
    (void)loop;
    cr_assert_eq(write(((struct reuse *)state_ptr)->fresh[1], "x", 1), 1);
}

static void on_second_readable(struct mini_loop *loop, int fd, int ready, void *state_ptr)
{
    (void)loop, (void)fd, (void)ready;
    ((struct reuse *)state_ptr)->second_calls++;
}

static void on_first_replace_second(struct mini_loop *loop, int fd, int ready, void *state_ptr)
{
    (void)ready;
    struct reuse *state = state_ptr;
    mini_loop_unwatch_fd(loop, fd);
    int number = state->second[0];
    mini_loop_unwatch_fd(loop, number);
    cr_assert(pipe(state->fresh) == 0);
    fcntl(state->fresh[0], F_SETFL, O_NONBLOCK);
    cr_assert_eq(dup2(state->fresh[0], number), number); /* closes the old fd, reuses its number */
    close(state->fresh[0]);
    state->fresh[0] = number;
    mini_loop_watch_fd(loop, number, MINI_LOOP_READABLE, on_fresh_readable, state);
    mini_loop_call_soon(loop, make_fresh_readable, state); /* for real, a turn later */
}

Test(mini_loop, news_about_a_closed_fd_does_not_reach_the_fd_that_reuses_its_number)
{
    struct mini_loop *loop = mini_loop_create();
    struct reuse state = {0};
    cr_assert(pipe(state.first) == 0 && pipe(state.second) == 0);
    cr_assert_lt(state.first[0], state.second[0], "dispatch goes in fd order");
    cr_assert(write(state.first[1], "x", 1) == 1 && write(state.second[1], "x", 1) == 1);
    mini_loop_watch_fd(loop, state.first[0], MINI_LOOP_READABLE, on_first_replace_second, &state);
    mini_loop_watch_fd(loop, state.second[0], MINI_LOOP_READABLE, on_second_readable, &state);
    mini_loop_run(loop);
    cr_assert_eq(state.second_calls, 0);
    cr_assert_eq(state.fresh_calls, 1);
    int to_close[] = {state.first[0], state.first[1], state.second[1], state.fresh[0],
                      state.fresh[1]};
    for (size_t i = 0; i < sizeof to_close / sizeof to_close[0]; i++)
        close(to_close[i]);
    mini_loop_destroy(loop);
}

/* A hang-up counts as readable: the callback reads 0 bytes, end of file. */
static void on_hang_up(struct mini_loop *loop, int fd, int ready, void *calls)
{
    cr_assert(ready & MINI_LOOP_READABLE);
    char byte;
    cr_assert_eq(read(fd, &byte, 1), 0);
    (*(int *)calls)++;
    mini_loop_unwatch_fd(loop, fd);
}

Test(mini_loop, a_hang_up_wakes_the_reader)
{
    struct mini_loop *loop = mini_loop_create();
    int fds[2], calls = 0;
    cr_assert(pipe(fds) == 0);
    close(fds[1]);
    mini_loop_watch_fd(loop, fds[0], MINI_LOOP_READABLE, on_hang_up, &calls);
    mini_loop_run(loop);
    cr_assert_eq(calls, 1);
    close(fds[0]);
    mini_loop_destroy(loop);
}

/* A timer may end the wait on an fd that never becomes ready: unwatching the
 * last fd leaves nothing to wait for, and run() returns. */
static void give_up_on_fd(struct mini_loop *loop, void *fd)
{
    mini_loop_unwatch_fd(loop, *(int *)fd);
}

static void on_never_ready(struct mini_loop *loop, int fd, int ready, void *unused)
{
    (void)loop, (void)fd, (void)ready, (void)unused;
    cr_assert_fail("the pipe was never written to");
}

Test(mini_loop, run_returns_when_a_timer_removes_the_last_watcher)
{
    struct mini_loop *loop = mini_loop_create();
    int fds[2];
    cr_assert(pipe(fds) == 0);
    mini_loop_watch_fd(loop, fds[0], MINI_LOOP_READABLE, on_never_ready, NULL);
    mini_loop_call_later(loop, 10, give_up_on_fd, &fds[0]);
    cr_assert_eq(mini_loop_run(loop), 0);
    close(fds[0]);
    close(fds[1]);
    mini_loop_destroy(loop);
}

Test(mini_loop, run_again_after_stop_carries_on)
{
    struct mini_loop *loop = mini_loop_create();
    ran[0] = '\0';
    mini_loop_call_later(loop, 1, stop_the_loop, NULL);
    mini_loop_call_later(loop, 20, log_tag, "-then");
    mini_loop_run(loop);
    cr_assert_str_eq(ran, "stop");
    mini_loop_run(loop);
    cr_assert_str_eq(ran, "stop-then");
    mini_loop_destroy(loop);
}

static void never_called(struct mini_loop *loop, int fd, int ready, void *unused)
{
    (void)loop, (void)fd, (void)ready, (void)unused;
}

Test(mini_loop, watch_refuses_a_negative_fd_or_no_events)
{
    struct mini_loop *loop = mini_loop_create();
    cr_assert_eq(mini_loop_watch_fd(loop, -1, MINI_LOOP_READABLE, never_called, NULL), -1);
    cr_assert_eq(mini_loop_watch_fd(loop, 0, 0, never_called, NULL), -1);
    mini_loop_unwatch_fd(loop, -1);   /* ignored */
    mini_loop_unwatch_fd(loop, 4000); /* never watched: ignored */
    mini_loop_cancel_timer(loop, 12345);
    cr_assert_eq(loop->watched_count, 0);
    mini_loop_run(loop); /* nothing to wait for: returns at once */
    mini_loop_destroy(loop);
}

/* --- the README quotes this file: the quotes must not rot ---------------------- */

static char *read_whole_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return NULL;
    char *text = NULL;
    size_t length = 0, capacity = 0;
    for (size_t got = 1; got > 0;) {
        if (capacity - length < 4096) {
            capacity = capacity * 2 + 4096;
            text = realloc(text, capacity + 1);
            cr_assert(text != NULL);
        }
        got = fread(text + length, 1, capacity - length, file);
        length += got;
    }
    fclose(file);
    text[length] = '\0';
    return text;
}

/* Every ```c block of mini_loop/README.md appears, as it is, in mini_loop.c or .h. */
Test(mini_loop, the_readmes_quotes_match_the_code)
{
    char *readme = read_whole_file("mini_loop/README.md");
    if (readme == NULL)
        cr_skip_test("run the suite from the repository's top folder to check mini_loop/README.md");
    char *source = read_whole_file("mini_loop/mini_loop.c");
    char *header = read_whole_file("mini_loop/mini_loop.h");
    cr_assert(source != NULL && header != NULL);
    int quotes = 0;
    for (char *block = strstr(readme, "```c\n"); block != NULL; block = strstr(block, "```c\n")) {
        block += strlen("```c\n");
        char *end = strstr(block, "```");
        cr_assert(end != NULL, "a ```c block is never closed");
        *end = '\0';
        cr_assert(strstr(source, block) != NULL || strstr(header, block) != NULL,
                  "mini_loop/README.md quotes code that is no longer in mini_loop.c/.h:\n%s",
                  block);
        quotes++;
        block = end + 3;
    }
    cr_assert_geq(quotes, 5, "the README should quote the loop");
    free(readme);
    free(source);
    free(header);
}
