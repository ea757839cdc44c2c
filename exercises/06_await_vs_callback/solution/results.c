/*
 * results.c - exercise 06: await the results all together, or take each as it lands.
 *
 *   results await|callback
 *
 * Five calls start at once on mini_loop, each a timer of a different length standing
 * in for a network call (call 1 takes 400 ms, 2 takes 100, 3 500, 4 200, 5 300).
 * Both modes take as long as the slowest call; what differs is *when* each result
 * is handled:
 *   - await (asyncio.gather): nothing until the last one is in, then all of them,
 *     in the order the calls were started;
 *   - callback (a done-callback): each one the moment it arrives, fastest first.
 * Before you fill in the blank: write down, for each mode, the order in which the
 * five results will be handled, and when the first one will be.
 * The kit's version: mini_loop/mini_results.c, on_call_done().
 */
#include <stdio.h>
#include <string.h>

#include "mini_loop.h"

enum { CALL_COUNT = 5 };
static const int64_t call_duration_ms[CALL_COUNT] = {400, 100, 500, 200, 300};

struct call {
    int number;                 /* 1..CALL_COUNT, in start order */
    struct run *run;
};

struct run {
    struct call calls[CALL_COUNT];
    bool handle_on_arrival;     /* callback mode */
    int64_t started_ms;
    int arrived;                /* how many results are in */
    int handled;
};

static long long ms_since_start(const struct run *run)
{
    return (long long)(mini_loop_now_ms() - run->started_ms);
}

/* What a program does with a result: here, say when it got to it. */
static void handle_result(struct run *run, const struct call *call)
{
    printf("handled call %d at %lld ms\n", call->number, ms_since_start(run));
    run->handled++;
}

/* The loop calls this when a call's result is in. */
static void on_call_done(struct mini_loop *loop, void *call_ptr)
{
    (void)loop;
    struct call *call = call_ptr;
    struct run *run = call->run;
    printf("call %d arrived at %lld ms\n", call->number, ms_since_start(run));
    run->arrived++;
    /* BEGIN TODO(student): callback mode: handle_result(run, call) now. await mode: once all
     * CALL_COUNT are in, handle every call in start order (run->calls[0..4]) */
    if (run->handle_on_arrival) {
        handle_result(run, call);
    } else if (run->arrived == CALL_COUNT) {
        for (int i = 0; i < CALL_COUNT; i++)
            handle_result(run, &run->calls[i]);
    }
    /* STUB: (void)handle_result; */
    /* END TODO */
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: results await|callback\n"
               "Five calls at once; their results awaited together or each on arrival (exercise 06).\n");
        return 0;
    }
    if (argc != 2 || (strcmp(argv[1], "await") != 0 && strcmp(argv[1], "callback") != 0)) {
        fprintf(stderr, "usage: results await|callback\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct mini_loop *loop = mini_loop_create();
    if (loop == NULL)
        return 1;
    struct run run = {.handle_on_arrival = strcmp(argv[1], "callback") == 0, .started_ms = mini_loop_now_ms()};
    for (int i = 0; i < CALL_COUNT; i++) {
        run.calls[i] = (struct call){.number = i + 1, .run = &run};
        mini_loop_call_later(loop, call_duration_ms[i], on_call_done, &run.calls[i]);
    }
    int failed = mini_loop_run(loop);
    mini_loop_destroy(loop);
    printf("%d of %d results handled after %lld ms\n", run.handled, CALL_COUNT, ms_since_start(&run));
    return failed || run.handled != CALL_COUNT ? 1 : 0;
}
