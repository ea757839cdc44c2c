/*
 * mini_tasks.c - the asyncio tutorial's four scenarios, on mini_loop.
 *
 *   bin/mini_tasks sequential     # await function 1, then function 2: 5 s
 *   bin/mini_tasks gather         # asyncio.gather(both): 3 s
 *   bin/mini_tasks create_task    # two tasks, then await each: 3 s
 *   bin/mini_tasks dont_wait      # start two tasks, never await them: 3 s
 *   bin/mini_tasks gather --scale 0.1    # every sleep 10 times shorter
 *
 * The tutorial (an "asyncio" chapter with the sections "Using the async / await
 * keywords", "Using the gather function", "Creating tasks" and "Don't wait") has
 * two async functions: function 1 sleeps 3 s (2 s in "Don't wait"), function 2
 * sleeps 2 s (1 s). This program prints exactly the lines its Python prints, in
 * the same order and with the same timing, with timers standing in for
 * asyncio.sleep(). Run two modes side by side and watch when each line appears.
 *
 * How "await" maps onto C. In Python,
 *
 *     result1 = await my_async_function1()
 *     result2 = await my_async_function2()
 *
 * suspends main at each await and resumes it later, in the middle of the
 * function, with the result. C cannot leave a function halfway and come back, so
 * we cut main at every await: the part before the await starts the work and
 * returns to the loop; the part after it (the "continuation") becomes a function
 * of its own, which is called when the awaited work is done. So
 * `await asyncio.sleep(3)` becomes mini_loop_call_later(loop, 3000, rest, ...),
 * and `await task` becomes "call rest when the task finishes". A coroutine is
 * exactly this, with the compiler doing the cutting and keeping the local
 * variables for you; in C they live in a struct instead (struct tutorial).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mini_loop.h"
#include "numbers.h"

struct tutorial;

/* The rest of a function after an await: what the loop calls when it is done. */
typedef void continuation(struct mini_loop *loop, struct tutorial *tutorial);

/* One call of my_async_function1 or 2: a coroutine, or a Task once scheduled. */
struct task {
    int number;               /* 1 or 2: which of the tutorial's functions */
    int64_t sleep_ms;         /* its asyncio.sleep() */
    const char *result;       /* what it returned; NULL while it runs */
    continuation *awaited_by; /* who awaits it, to resume when it returns */
    struct tutorial *tutorial;
};

/* The state Python keeps in main's frame: the tasks and what main got back. */
struct tutorial {
    struct task function1, function2;
    double time_scale;  /* --scale */
    int tasks_gathered; /* gather: how many of the two have returned */
    bool main_returned_results;
};

static int64_t scaled_ms(const struct tutorial *tutorial, int64_t ms)
{
    return (int64_t)((double)ms * tutorial->time_scale);
}

/* --- my_async_function1 and 2, cut at their await ------------------------------ */

/* After `await asyncio.sleep(...)`: finish, return the result, resume the awaiter. */
static void my_async_function_after_sleep(struct mini_loop *loop, void *task_ptr)
{
    struct task *task = task_ptr;
    printf("Done with async function %d\n", task->number);
    task->result = task->number == 1 ? "my_async_function1 result" : "my_async_function2 result";
    if (task->awaited_by != NULL)
        task->awaited_by(loop, task->tutorial);
}

/* Up to `await asyncio.sleep(...)`: say hello, set a timer, return to the loop. */
static void my_async_function(struct mini_loop *loop, void *task_ptr)
{
    struct task *task = task_ptr;
    printf("Hello from my async function %d\n", task->number);
    mini_loop_call_later(loop, scaled_ms(task->tutorial, task->sleep_ms),
                         my_async_function_after_sleep, task);
}

/* `await task`: go on at once if it has returned already, else when it returns. */
static void await_task(struct mini_loop *loop, struct task *task, continuation *rest)
{
    if (task->result != NULL)
        rest(loop, task->tutorial);
    else
        task->awaited_by = rest;
}

/* `asyncio.create_task(f())`: f does not start now, but on the loop's next turn. */
static void create_task(struct mini_loop *loop, struct task *task)
{
    mini_loop_call_soon(loop, my_async_function, task);
}

/* The end of main in the first three scenarios: `return result1, result2`. */
static void main_returns_results(struct mini_loop *loop, struct tutorial *tutorial)
{
    (void)loop;
    printf("Done with main function\n");
    tutorial->main_returned_results = true;
}

/* --- sequential: result1 = await f1(); result2 = await f2() -------------------- */

static void sequential_after_function1(struct mini_loop *loop, struct tutorial *tutorial)
{
    my_async_function(loop, &tutorial->function2);
    await_task(loop, &tutorial->function2, main_returns_results);
}

static void sequential_main(struct mini_loop *loop, struct tutorial *tutorial)
{
    printf("Starting main function\n");
    /* Awaiting a coroutine (not a task) runs it right now, up to its own await. */
    my_async_function(loop, &tutorial->function1);
    await_task(loop, &tutorial->function1, sequential_after_function1);
}

/* --- gather: result1, result2 = await asyncio.gather(f1(), f2()) ---------------- */

/* gather makes a task of each and resumes main when the last one has returned. */
static void gather_one_returned(struct mini_loop *loop, struct tutorial *tutorial)
{
    if (++tutorial->tasks_gathered == 2)
        main_returns_results(loop, tutorial);
}

static void gather_main(struct mini_loop *loop, struct tutorial *tutorial)
{
    printf("Starting main function\n");
    create_task(loop, &tutorial->function1);
    create_task(loop, &tutorial->function2);
    await_task(loop, &tutorial->function1, gather_one_returned);
    await_task(loop, &tutorial->function2, gather_one_returned);
}

/* --- create_task: task1 = create_task(f1()); ...; await task1; await task2 ------ */

static void create_task_after_task1(struct mini_loop *loop, struct tutorial *tutorial)
{
    /* task2 (1 s shorter) has returned already: this await goes on at once. */
    await_task(loop, &tutorial->function2, main_returns_results);
}

static void create_task_main(struct mini_loop *loop, struct tutorial *tutorial)
{
    printf("Starting main function\n");
    create_task(loop, &tutorial->function1);
    create_task(loop, &tutorial->function2);
    await_task(loop, &tutorial->function1, create_task_after_task1);
}

/* --- dont_wait: create both tasks, do other work, sleep 3 s, never await them --- */

static void dont_wait_after_sleep(struct mini_loop *loop, void *tutorial_ptr)
{
    (void)loop;
    (void)tutorial_ptr;
    printf("Done with main function\n");
}

static void dont_wait_main(struct mini_loop *loop, struct tutorial *tutorial)
{
    tutorial->function1.sleep_ms = 2000; /* this scenario's functions sleep 2 s and 1 s */
    tutorial->function2.sleep_ms = 1000;
    printf("Starting main function\n");
    create_task(loop, &tutorial->function1);
    create_task(loop, &tutorial->function2);
    /* Neither task has started: they run once main gives the loop a turn, at its await. */
    printf("main function doing other work\n");
    mini_loop_call_later(loop, scaled_ms(tutorial, 3000), dont_wait_after_sleep, tutorial);
    /* (asyncio.run would cancel tasks still running when main returns; these two
     * are done by then, so the output is the same.) */
}

/* --- the command line, and asyncio.run() -------------------------------------- */

static const struct {
    const char *name;
    continuation *main;
} modes[] = {
    {"sequential", sequential_main},
    {"gather", gather_main},
    {"create_task", create_task_main},
    {"dont_wait", dont_wait_main},
};
enum { MODE_COUNT = sizeof modes / sizeof modes[0] };

static void print_help(void)
{
    printf("Usage: mini_tasks MODE [--scale F]\n\n"
           "The asyncio tutorial's four scenarios on mini_loop: prints the lines its\n"
           "Python prints, in the same order and with the same timing. MODE is one of:\n"
           "  sequential    await function 1, then function 2 (5 s)\n"
           "  gather        asyncio.gather(function 1, function 2) (3 s)\n"
           "  create_task   two tasks, then await each (3 s)\n"
           "  dont_wait     start two tasks, do other work, never await them (3 s)\n\n"
           "Options:\n"
           "  --scale F     multiply every sleep by F, 0 < F <= 10 (default 1)\n"
           "  --help        show this help\n\n"
           "Exit status: 0 done, 2 bad usage.\n");
}

/* Fills `main` and `time_scale` from argv; returns false after saying what is wrong. */
static bool parse_command_line(int argc, char **argv, continuation **main, double *time_scale)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scale") == 0) {
            if (i + 1 == argc) {
                fprintf(stderr, "mini_tasks: --scale needs a value (try --help)\n");
                return false;
            }
            if (!parse_real_number(argv[++i], 0, 10, time_scale) || *time_scale == 0) {
                fprintf(stderr,
                        "mini_tasks: --scale wants a number above 0 and at most 10, not '%s'\n",
                        argv[i]);
                return false;
            }
            continue;
        }
        int found = MODE_COUNT;
        for (int m = 0; m < MODE_COUNT; m++)
            if (strcmp(argv[i], modes[m].name) == 0)
                found = m;
        if (found == MODE_COUNT || *main != NULL) {
            fprintf(stderr,
                    "mini_tasks: %s '%s': the modes are sequential, gather, create_task and "
                    "dont_wait (try --help)\n",
                    *main != NULL ? "one mode only, unexpected" : "unknown mode or option",
                    argv[i]);
            return false;
        }
        *main = modes[found].main;
    }
    if (*main == NULL) {
        fprintf(
            stderr,
            "mini_tasks: which mode? sequential, gather, create_task or dont_wait (try --help)\n");
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_help();
            return 0;
        }
    }
    struct tutorial tutorial = {
        .function1 = {.number = 1, .sleep_ms = 3000, .tutorial = &tutorial},
        .function2 = {.number = 2, .sleep_ms = 2000, .tutorial = &tutorial},
        .time_scale = 1.0,
    };
    continuation *scenario_main = NULL;
    if (!parse_command_line(argc, argv, &scenario_main, &tutorial.time_scale))
        return 2;
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line shows when it happens, even in a pipe */

    /* result = asyncio.run(main_async_function()): a new loop, main's first part,
     * then the loop until nothing is left to wait for. */
    struct mini_loop *loop = mini_loop_create();
    if (loop == NULL) {
        fprintf(stderr, "mini_tasks: out of memory\n");
        return 1;
    }
    scenario_main(loop, &tutorial);
    int run_failed = mini_loop_run(loop);
    mini_loop_destroy(loop);
    if (run_failed != 0) {
        perror("mini_tasks: poll");
        return 1;
    }
    /* print(result): the tuple main returned (the "Don't wait" main returns nothing). */
    if (tutorial.main_returned_results)
        printf("('%s', '%s')\n", tutorial.function1.result, tutorial.function2.result);
    return 0;
}
