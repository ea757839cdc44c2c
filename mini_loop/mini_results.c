/*
 * mini_results.c - two ways to consume the results of many concurrent calls.
 *
 *   bin/mini_results await      # collect all results, then handle them in start order
 *   bin/mini_results callback   # handle each result the moment it arrives
 *
 * Five "calls" run at once on mini_loop, each a timer of a different length
 * standing in for a network call. Both modes take as long as the slowest call;
 * what differs is *when* each result gets handled:
 *   - await (asyncio.gather): nothing until the last one is in, then all of them,
 *     in the order the calls were started. Simple to write, but the fastest reply
 *     waits for the slowest.
 *   - callback (a done-callback, or asyncio.as_completed): each one as it lands,
 *     fastest first.
 * The program prints when each result arrives and when it is handled, and at the
 * end both orders side by side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mini_loop.h"
#include "numbers.h"

enum { CALL_COUNT = 5 };
/* Deliberately out of order: the call started first is not the first to finish. */
static const int64_t call_duration_ms[CALL_COUNT] = {400, 100, 500, 200, 300};

struct call {
    int number; /* 1..CALL_COUNT, in start order */
    int64_t duration_ms;
    struct program *program;
};

struct program {
    struct call calls[CALL_COUNT];
    bool handle_on_arrival; /* callback mode */
    int64_t started_ms;
    int arrived;                                               /* how many results are in */
    int arrival_order[CALL_COUNT], handling_order[CALL_COUNT]; /* call numbers */
    int handled;
    int64_t first_handled_after_ms;
};

static int64_t ms_since_start(const struct program *program)
{
    return mini_loop_now_ms() - program->started_ms;
}

/* What a program does with a result: here, note when it got to it. */
static void handle_result(struct program *program, const struct call *call)
{
    printf("  handled call %d at %3lld ms\n", call->number, (long long)ms_since_start(program));
    if (program->handled == 0)
        program->first_handled_after_ms = ms_since_start(program);
    program->handling_order[program->handled++] = call->number;
}

/* The loop calls this when a call's reply is in. */
static void on_call_done(struct mini_loop *loop, void *call_ptr)
{
    (void)loop;
    struct call *call = call_ptr;
    struct program *program = call->program;
    printf("  call %d arrived at %3lld ms\n", call->number, (long long)ms_since_start(program));
    program->arrival_order[program->arrived++] = call->number;
    if (program->handle_on_arrival) {
        handle_result(program, call); /* callback style: right now */
    } else if (program->arrived == CALL_COUNT) {
        for (int i = 0; i < CALL_COUNT; i++) /* await style: all at once, in start order */
            handle_result(program, &program->calls[i]);
    }
}

static void print_order(const char *title, const int order[CALL_COUNT])
{
    printf("%s", title);
    for (int i = 0; i < CALL_COUNT; i++)
        printf(" %d", order[i]);
    printf("\n");
}

static void print_help(void)
{
    printf("Usage: mini_results MODE [--scale F]\n\n"
           "Starts %d calls of different lengths at once on mini_loop and handles their\n"
           "results in one of two ways. MODE is one of:\n"
           "  await      collect all results, then handle them in start order (asyncio.gather)\n"
           "  callback   handle each result the moment it arrives (a done-callback)\n\n"
           "Options:\n"
           "  --scale F  multiply every duration by F, 0 < F <= 10 (default 1)\n"
           "  --help     show this help\n\n"
           "Exit status: 0 done, 2 bad usage.\n",
           CALL_COUNT);
}

int main(int argc, char **argv)
{
    double scale = 1.0;
    const char *mode = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_help();
            return 0;
        } else if (strcmp(argv[i], "--scale") == 0) {
            if (i + 1 == argc) {
                fprintf(stderr, "mini_results: --scale needs a value (try --help)\n");
                return 2;
            }
            if (!parse_real_number(argv[++i], 0, 10, &scale) || scale == 0) {
                fprintf(stderr,
                        "mini_results: --scale wants a number above 0 and at most 10, not '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (mode == NULL &&
                   (strcmp(argv[i], "await") == 0 || strcmp(argv[i], "callback") == 0)) {
            mode = argv[i];
        } else {
            fprintf(
                stderr,
                "mini_results: unexpected '%s': give one MODE, await or callback (try --help)\n",
                argv[i]);
            return 2;
        }
    }
    if (mode == NULL) {
        fprintf(stderr, "mini_results: which mode? await or callback (try --help)\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line shows when it happens, even in a pipe */

    struct mini_loop *loop = mini_loop_create();
    if (loop == NULL) {
        fprintf(stderr, "mini_results: out of memory\n");
        return 1;
    }
    struct program program = {.handle_on_arrival = strcmp(mode, "callback") == 0,
                              .started_ms = mini_loop_now_ms()};
    printf("%s: starting %d calls at once\n", mode, CALL_COUNT);
    for (int i = 0; i < CALL_COUNT; i++) {
        struct call *call = &program.calls[i];
        *call = (struct call){.number = i + 1,
                              .program = &program,
                              .duration_ms = (int64_t)((double)call_duration_ms[i] * scale)};
        printf("  call %d started, takes %lld ms\n", call->number, (long long)call->duration_ms);
        mini_loop_call_later(loop, call->duration_ms, on_call_done, call);
    }
    int run_failed = mini_loop_run(loop);
    mini_loop_destroy(loop);
    if (run_failed != 0) {
        perror("mini_results: poll");
        return 1;
    }
    print_order("arrival order: ", program.arrival_order);
    print_order("handling order:", program.handling_order);
    printf("first result handled after %lld ms, all %d after %lld ms\n",
           (long long)program.first_handled_after_ms, CALL_COUNT,
           (long long)ms_since_start(&program));
    return 0;
}
