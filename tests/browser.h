/*
 * browser.h - drive a real headless browser (Debian's chromium) from a test.
 *
 * The test talks to chromium through the Chrome DevTools Protocol, the one that
 * browser-testing tools use, over two pipes instead of a port: chromium started
 * with --remote-debugging-pipe reads commands on its descriptor 3 and writes
 * replies on 4, each a JSON text ended by a NUL byte. No port, no websocket code,
 * nothing that another program on the machine could connect to.
 *
 * Every wait is bounded, and every failure fails the current test (cr_assert),
 * naming the log chromium wrote (build/chromium-test.log).
 */
#ifndef BROWSER_H
#define BROWSER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct browser {
    pid_t pid;
    int commands; /* we write here; chromium reads it as descriptor 3 */
    int replies;  /* we read here; chromium writes it as descriptor 4 */
    char *unread; /* bytes read from `replies` but not yet a whole message */
    size_t unread_length;
    long last_id;      /* each command carries a new id; its reply repeats it */
    char session[128]; /* the page's session, once browser_open() has attached to it */
    char profile[64];  /* chromium's --user-data-dir, a fresh temporary directory */
};

/* Start chromium, headless, with a page of `width` x `height` CSS pixels.
 * Fails the test when chromium is not installed (scripts/ensure-deps.sh installs it). */
void browser_start(struct browser *browser, int width, int height);

/* Open a tab on `url` and wait (bounded) until the page is there. */
void browser_open(struct browser *browser, const char *url);

/*
 * Run the JavaScript `expression` in the page and return its value (as JSON; the
 * caller cJSON_Delete()s it). A Promise is waited for, `seconds` at most. A
 * JavaScript error, or no answer in time, fails the test.
 */
cJSON *browser_evaluate(struct browser *browser, const char *expression, double seconds);

/*
 * Wait until the JavaScript `condition` is true in the page, `seconds` at most,
 * and return its value. The page re-checks it whenever its DOM changes (a
 * MutationObserver): a wait on a condition, not a sleep.
 */
cJSON *browser_wait_for(struct browser *browser, const char *condition, double seconds);

/* Save what the page shows now as a PNG file. */
void browser_screenshot(struct browser *browser, const char *png_path);

/* Close chromium (bounded: killed if it does not go) and remove its profile. Safe
 * to call twice, or on a browser that never started. */
void browser_stop(struct browser *browser);

#endif
