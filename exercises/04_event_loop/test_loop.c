/*
 * test_loop.c - exercise 04's checks: your one_turn() against the loop's promises.
 *
 * Not a blank to fill: read it to see what "done" means. Each test builds a loop,
 * drives it with run() below (your one_turn() again and again, as mini_loop_run()
 * does, but with a cap on the turns), and compares what happened with what should.
 * The first failure prints "FAIL: test: expected ...; got ..." and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "one_turn.h"

enum { MAX_TURNS = 20 };

/* Turns until nothing is left to wait for, at most MAX_TURNS. Returns the turns taken. */
static int run(struct mini_loop *loop)
{
    int turns = 0;
    while (turns < MAX_TURNS && (loop->watched_count > 0 || loop->timers != NULL)) {
        turns++;
        if (one_turn(loop) != 0) {
            perror("one_turn returned -1; poll");
            exit(1);
        }
    }
    return turns;
}

static void fail(const char *test, const char *expected, const char *got)
{
    printf("FAIL: %s: expected %s; got %s\n", test, expected, got);
    exit(1);
}

static double cpu_ms(void)
{
    return (double)clock() * 1000.0 / CLOCKS_PER_SEC;
}

/* --- timers --------------------------------------------------------------------- */

struct record {
    char order[16];       /* which callbacks ran, in order: one letter each */
    int64_t at_ms[16];    /* and when, on mini_loop_now_ms()'s clock */
    uint64_t turn[16];    /* and in which turn */
    int count;
};
struct mark {
    struct record *record;
    char letter;
};

static void note(struct mini_loop *loop, struct record *record, char letter)
{
    if (record->count < 15) {
        record->at_ms[record->count] = mini_loop_now_ms();
        record->turn[record->count] = loop->turn;
        record->order[record->count++] = letter;
    }
}

static void on_mark(struct mini_loop *loop, void *mark_ptr)
{
    struct mark *mark = mark_ptr;
    note(loop, mark->record, mark->letter);
}

static void test_one_timer_on_time(void)
{
    const char *test = "a 100 ms timer fires once, after 100 ms and not much later";
    struct mini_loop *loop = mini_loop_create();
    struct record record = {0};
    struct mark a = {&record, 'A'};
    int64_t start_ms = mini_loop_now_ms();
    mini_loop_call_later(loop, 100, on_mark, &a);
    int turns = run(loop);
    char got[128];
    int64_t spent_ms = mini_loop_now_ms() - start_ms;
    if (record.count == 0 && turns == MAX_TURNS && spent_ms < 100) {
        snprintf(got, sizeof got, "%d turns in %lld ms, and no timer fired: the loop does not sleep (poll's timeout?)",
                 turns, (long long)spent_ms);
        fail(test, "1 time, after the loop slept in poll()", got);
    }
    if (record.count != 1) {
        snprintf(got, sizeof got, "it fired %d times in %d turns%s", record.count, turns,
                 loop->timers != NULL ? " (the timer is still in loop->timers)" : "");
        fail(test, "1 time", got);
    }
    int64_t after_ms = record.at_ms[0] - start_ms;
    if (after_ms < 100 || after_ms > 200) {   /* never early; late only by a busy machine's slack */
        snprintf(got, sizeof got, "after %lld ms", (long long)after_ms);
        fail(test, "after 100..200 ms", got);
    }
    mini_loop_destroy(loop);
    printf("ok: %s\n", test);
}

static void test_timers_in_order(void)
{
    const char *test = "timers fire in due order; timers due together in the order they were set";
    struct mini_loop *loop = mini_loop_create();
    struct record record = {0};
    struct mark a = {&record, 'A'}, b = {&record, 'B'}, c = {&record, 'C'}, d = {&record, 'D'};
    mini_loop_call_later(loop, 60, on_mark, &a);
    mini_loop_call_later(loop, 20, on_mark, &b);
    mini_loop_call_later(loop, 40, on_mark, &c);
    mini_loop_call_later(loop, 20, on_mark, &d);
    run(loop);
    if (strcmp(record.order, "BDCA") != 0) {
        char got[64];
        snprintf(got, sizeof got, "\"%s\"", record.order);
        fail(test, "\"BDCA\"", got);
    }
    mini_loop_destroy(loop);
    printf("ok: %s\n", test);
}

static void test_no_busy_waiting(void)
{
    const char *test = "the loop sleeps in poll() while it waits (no busy waiting)";
    struct mini_loop *loop = mini_loop_create();
    struct record record = {0};
    struct mark a = {&record, 'A'};
    mini_loop_call_later(loop, 200, on_mark, &a);
    double cpu_before_ms = cpu_ms();
    int turns = run(loop);
    double cpu_used_ms = cpu_ms() - cpu_before_ms;
    if (turns > 3 || cpu_used_ms > 50) {
        char got[128];
        snprintf(got, sizeof got, "%d turns and %.0f ms of CPU time (is poll's timeout right?)", turns, cpu_used_ms);
        fail(test, "at most 3 turns and 50 ms of CPU time for one 200 ms timer", got);
    }
    mini_loop_destroy(loop);
    printf("ok: %s\n", test);
}

/* A callback that sets another timer "soon": that one must wait for the next turn. */
static struct mark soon_mark;
static void on_mark_then_soon(struct mini_loop *loop, void *mark_ptr)
{
    on_mark(loop, mark_ptr);
    mini_loop_call_soon(loop, on_mark, &soon_mark);
}

static void test_timer_set_during_dispatch(void)
{
    const char *test = "a timer set by a callback runs on a later turn, not in the same one";
    struct mini_loop *loop = mini_loop_create();
    struct record record = {0};
    struct mark a = {&record, 'A'};
    soon_mark = (struct mark){&record, 'S'};
    mini_loop_call_soon(loop, on_mark_then_soon, &a);
    run(loop);
    if (strcmp(record.order, "AS") != 0 || record.turn[1] == record.turn[0]) {
        char got[96];
        snprintf(got, sizeof got, "\"%s\"%s", record.order,
                 record.count == 2 ? ", both in the same turn (check set_in_turn)" : "");
        fail(test, "\"AS\", S in a later turn than A", got);
    }
    mini_loop_destroy(loop);
    printf("ok: %s\n", test);
}

/* --- file descriptors ----------------------------------------------------------- */

struct pipe_test {
    int fds[2][2];        /* two pipes: [i][0] read end, [i][1] write end */
    int calls[2];         /* how often each read end's callback ran */
    int ready[2];         /* with what */
    int64_t at_ms;
    bool unwatch_other;
};

static void on_readable(struct mini_loop *loop, int fd, int ready, void *test_ptr)
{
    struct pipe_test *test = test_ptr;
    int which = fd == test->fds[0][0] ? 0 : 1;
    test->calls[which]++;
    test->ready[which] = ready;
    test->at_ms = mini_loop_now_ms();
    char byte;
    if (read(fd, &byte, 1) != 1)
        exit(3);
    mini_loop_unwatch_fd(loop, fd);
    if (test->unwatch_other)
        mini_loop_unwatch_fd(loop, test->fds[1 - which][0]);
}

static void on_time_to_write(struct mini_loop *loop, void *test_ptr)
{
    (void)loop;
    struct pipe_test *test = test_ptr;
    if (write(test->fds[0][1], "x", 1) != 1)
        exit(3);
}

static void close_pipes(struct pipe_test *test)
{
    for (int i = 0; i < 2; i++)
        for (int end = 0; end < 2; end++)
            close(test->fds[i][end]);
}

static void test_fd_readiness(void)
{
    const char *test = "a watched fd that becomes readable wakes the loop: its callback runs, with READABLE";
    struct mini_loop *loop = mini_loop_create();
    struct pipe_test pipes = {0};
    if (pipe(pipes.fds[0]) != 0 || pipe(pipes.fds[1]) != 0)
        exit(3);
    mini_loop_watch_fd(loop, pipes.fds[0][0], MINI_LOOP_READABLE, on_readable, &pipes);
    int64_t start_ms = mini_loop_now_ms();
    mini_loop_call_later(loop, 50, on_time_to_write, &pipes);  /* a byte arrives after 50 ms */
    int turns = run(loop);
    char got[128];
    if (pipes.calls[0] != 1 || pipes.ready[0] != MINI_LOOP_READABLE) {
        snprintf(got, sizeof got, "%d calls in %d turns, ready = %d", pipes.calls[0], turns, pipes.ready[0]);
        fail(test, "1 call with ready = MINI_LOOP_READABLE", got);
    }
    if (pipes.at_ms - start_ms < 50) {
        snprintf(got, sizeof got, "called after %lld ms", (long long)(pipes.at_ms - start_ms));
        fail(test, "called when the byte arrived, after 50 ms", got);
    }
    close_pipes(&pipes);
    mini_loop_destroy(loop);
    printf("ok: %s\n", test);
}

static void test_watcher_removed_by_callback(void)
{
    const char *test = "a watcher that an earlier callback of the same turn removed is not called";
    struct mini_loop *loop = mini_loop_create();
    struct pipe_test pipes = {.unwatch_other = true};
    if (pipe(pipes.fds[0]) != 0 || pipe(pipes.fds[1]) != 0)
        exit(3);
    /* Both readable before the turn starts: poll reports both; the first callback
     * removes the other one's watch. */
    if (write(pipes.fds[0][1], "x", 1) != 1 || write(pipes.fds[1][1], "x", 1) != 1)
        exit(3);
    mini_loop_watch_fd(loop, pipes.fds[0][0], MINI_LOOP_READABLE, on_readable, &pipes);
    mini_loop_watch_fd(loop, pipes.fds[1][0], MINI_LOOP_READABLE, on_readable, &pipes);
    mini_loop_call_later(loop, 0, on_time_to_write, &pipes);  /* so the loop takes a turn first */
    int turns = run(loop);
    if (pipes.calls[0] + pipes.calls[1] != 1) {
        char got[96];
        snprintf(got, sizeof got, "%d and %d calls in %d turns", pipes.calls[0], pipes.calls[1], turns);
        fail(test, "exactly one of the two callbacks called, once", got);
    }
    close_pipes(&pipes);
    mini_loop_destroy(loop);
    printf("ok: %s\n", test);
}

/* A watch begun during dispatch waits for the next turn: the fd's readiness that poll()
 * reported this turn was news about the old watch, not the new one. */
static uint64_t rewatched_in_turn, rewatched_called_in_turn;
static void on_rewatched(struct mini_loop *loop, int fd, int ready, void *test_ptr)
{
    (void)ready;
    (void)test_ptr;
    rewatched_called_in_turn = loop->turn;
    char byte;
    if (read(fd, &byte, 1) != 1)
        exit(3);
    mini_loop_unwatch_fd(loop, fd);
}

static void on_readable_rewatch_other(struct mini_loop *loop, int fd, int ready, void *test_ptr)
{
    on_readable(loop, fd, ready, test_ptr);
    struct pipe_test *test = test_ptr;
    int other = test->fds[1][0];
    mini_loop_unwatch_fd(loop, other);
    mini_loop_watch_fd(loop, other, MINI_LOOP_READABLE, on_rewatched, test);
    rewatched_in_turn = loop->turn;
}

static void test_watch_begun_during_dispatch(void)
{
    const char *test = "a watch begun by a callback waits for the next turn, even on a ready fd";
    struct mini_loop *loop = mini_loop_create();
    struct pipe_test pipes = {0};
    if (pipe(pipes.fds[0]) != 0 || pipe(pipes.fds[1]) != 0)
        exit(3);
    if (write(pipes.fds[0][1], "x", 1) != 1 || write(pipes.fds[1][1], "x", 1) != 1)
        exit(3);
    /* The first pipe's callback unwatches the second and watches it anew. */
    mini_loop_watch_fd(loop, pipes.fds[0][0], MINI_LOOP_READABLE, on_readable_rewatch_other, &pipes);
    mini_loop_watch_fd(loop, pipes.fds[1][0], MINI_LOOP_READABLE, on_readable, &pipes);
    mini_loop_call_later(loop, 0, on_time_to_write, &pipes);  /* so the loop takes a turn first */
    run(loop);
    if (pipes.calls[1] != 0 || rewatched_called_in_turn == 0 || rewatched_called_in_turn == rewatched_in_turn) {
        char got[128];
        snprintf(got, sizeof got, "%s", pipes.calls[1] != 0 ? "the old watch's callback was called"
                 : rewatched_called_in_turn == 0 ? "the new watch's callback was never called"
                 : "the new watch's callback ran in the same turn (check watched_in_turn)");
        fail(test, "the new callback, on a later turn", got);
    }
    close_pipes(&pipes);
    mini_loop_destroy(loop);
    printf("ok: %s\n", test);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_one_timer_on_time();
    test_timers_in_order();
    test_no_busy_waiting();
    test_timer_set_during_dispatch();
    test_fd_readiness();
    test_watcher_removed_by_callback();
    test_watch_begun_during_dispatch();
    printf("all loop tests pass\n");
    return 0;
}
