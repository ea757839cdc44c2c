/*
 * browser.c - headless chromium, driven over the DevTools Protocol. See browser.h.
 *
 * A command is {"id": N, "method": "Domain.name", "params": {...}}, plus the
 * page's "sessionId" for commands to the page; its reply is {"id": N, "result"}
 * or {"id": N, "error"}. Chromium also sends events (no "id"): we read past them.
 * The commands used, in order: Target.createTarget (a tab), Target.attachToTarget
 * (a session on it), Page.navigate, Runtime.evaluate, Page.captureScreenshot,
 * Browser.close.
 */
#define _GNU_SOURCE /* pipe2, posix_spawn_file_actions_addclosefrom_np */
#include "browser.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Chromium's stdout and stderr: read it when a browser test fails. */
#define CHROMIUM_LOG "build/chromium-test.log"

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static bool chromium_installed(void)
{
    const char *path = getenv("PATH");
    char candidate[4096];
    for (const char *dir = path; dir != NULL && *dir != '\0';) {
        size_t length = strcspn(dir, ":");
        snprintf(candidate, sizeof candidate, "%.*s/chromium", (int)length, dir);
        if (access(candidate, X_OK) == 0)
            return true;
        dir += length + (dir[length] == ':');
    }
    return false;
}

/* --- starting it ------------------------------------------------------------ */

/* A pipe whose ends are numbered 10 or more, so that neither is already 3 or 4,
 * the numbers they get in chromium. */
static void high_pipe(int ends[2])
{
    int made[2];
    cr_assert(pipe2(made, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    for (int i = 0; i < 2; i++) {
        ends[i] = fcntl(made[i], F_DUPFD_CLOEXEC, 10);
        cr_assert(ends[i] >= 0, "fcntl: %s", strerror(errno));
        close(made[i]);
    }
}

void browser_start(struct browser *browser, int width, int height)
{
    *browser = (struct browser){.pid = -1, .commands = -1, .replies = -1};
    cr_assert(chromium_installed(), "chromium is not installed: scripts/ensure-deps.sh installs it "
                                    "(apt-get install chromium)");
    snprintf(browser->profile, sizeof browser->profile, "/tmp/evloop-chromium.XXXXXX");
    cr_assert(mkdtemp(browser->profile) != NULL, "mkdtemp: %s", strerror(errno));

    char profile_option[96], size_option[64];
    snprintf(profile_option, sizeof profile_option, "--user-data-dir=%s", browser->profile);
    snprintf(size_option, sizeof size_option, "--window-size=%d,%d", width, height);
    /* setpriv gives chromium a parent-death signal (as support.c does for the kit's
     * programs): it dies with the test process, even one that is killed. */
    const char *argv[40] = {
        "setpriv", "--pdeathsig", "KILL", "--", "chromium", "--headless", "--remote-debugging-pipe",
        profile_option, size_option,
        /* No first-run screens, nothing fetched from the network. */
        "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--no-pings", "--disable-breakpad", "--disable-crash-reporter",
        /* Any name but 127.0.0.1 fails to resolve: loopback only, whatever
                             * a background service of chromium's might want to reach. */
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        /* A page nobody looks at must keep its timers running on time. */
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
        /* A plain, reproducible picture. */
        "--disable-gpu", "--hide-scrollbars", "--mute-audio", "--force-device-scale-factor=1",
        "--force-color-profile=srgb"};
    size_t count = 0;
    while (argv[count] != NULL) /* the rest of the array is NULL */
        count++;
    /* Chromium refuses to run as root with its sandbox on (CI runs as root). */
    if (geteuid() == 0)
        argv[count++] = "--no-sandbox";
    argv[count++] = "about:blank";
    argv[count] = NULL;

    int to_chromium[2], from_chromium[2];
    high_pipe(to_chromium);
    high_pipe(from_chromium);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, CHROMIUM_LOG,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_adddup2(&actions, to_chromium[0], 3);
    posix_spawn_file_actions_adddup2(&actions, from_chromium[1], 4);
    posix_spawn_file_actions_addclosefrom_np(&actions, 5);
    pid_t pid;
    int failed = posix_spawnp(&pid, argv[0], &actions, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(to_chromium[0]);
    close(from_chromium[1]);
    if (failed != 0) {
        close(to_chromium[1]);
        close(from_chromium[0]);
        cr_assert_fail("cannot start chromium, its log " CHROMIUM_LOG " included: %s",
                       strerror(failed));
    }
    browser->pid = pid;
    browser->commands = to_chromium[1];
    browser->replies = from_chromium[0];
}

/* --- one command, one reply -------------------------------------------------- */

static void write_all(int fd, const char *bytes, size_t length)
{
    while (length > 0) {
        ssize_t written = write(fd, bytes, length);
        if (written < 0 && errno == EINTR)
            continue;
        cr_assert(written > 0, "writing to chromium: %s (see " CHROMIUM_LOG ")", strerror(errno));
        bytes += written;
        length -= (size_t)written;
    }
}

/* The next whole message from chromium, parsed; fails the test past `deadline`. */
static cJSON *read_message(struct browser *browser, double deadline, const char *waiting_for)
{
    for (;;) {
        char *end =
            browser->unread == NULL ? NULL : memchr(browser->unread, '\0', browser->unread_length);
        if (end != NULL) {
            cJSON *message = cJSON_Parse(browser->unread);
            size_t used = (size_t)(end - browser->unread) + 1;
            memmove(browser->unread, end + 1, browser->unread_length - used);
            browser->unread_length -= used;
            cr_assert(message != NULL, "chromium sent something that is not JSON");
            return message;
        }
        double left = deadline - now_seconds();
        struct pollfd watch = {.fd = browser->replies, .events = POLLIN};
        int ready = poll(&watch, 1, left > 0 ? (int)(left * 1000) + 1 : 0);
        if (ready < 0 && errno == EINTR)
            continue;
        cr_assert(ready > 0, "no answer from chromium in time to %s (see " CHROMIUM_LOG ")",
                  waiting_for);
        char chunk[65536];
        ssize_t got = read(browser->replies, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        cr_assert(got > 0, "chromium went away during %s (see " CHROMIUM_LOG ")", waiting_for);
        char *grown = realloc(browser->unread, browser->unread_length + (size_t)got + 1);
        cr_assert(grown != NULL, "out of memory");
        browser->unread = grown;
        memcpy(browser->unread + browser->unread_length, chunk, (size_t)got);
        browser->unread_length += (size_t)got;
        browser->unread[browser->unread_length] = '\0';
    }
}

/*
 * Send `method` with `params` (taken over; NULL for none), to the page's session
 * when `to_page`, and return the "result" of its reply (the caller deletes it).
 */
static cJSON *send_command(struct browser *browser, const char *method, cJSON *params, bool to_page,
                           double seconds)
{
    long id = ++browser->last_id;
    cJSON *command = cJSON_CreateObject();
    cJSON_AddNumberToObject(command, "id", (double)id);
    cJSON_AddStringToObject(command, "method", method);
    cJSON_AddItemToObject(command, "params", params != NULL ? params : cJSON_CreateObject());
    if (to_page)
        cJSON_AddStringToObject(command, "sessionId", browser->session);
    char *text = cJSON_PrintUnformatted(command);
    cJSON_Delete(command);
    cr_assert(text != NULL, "out of memory");
    write_all(browser->commands, text, strlen(text) + 1); /* the NUL ends the message */
    cJSON_free(text);

    double deadline = now_seconds() + seconds;
    for (;;) {
        cJSON *message = read_message(browser, deadline, method);
        const cJSON *reply_id = cJSON_GetObjectItem(message, "id");
        if (!cJSON_IsNumber(reply_id) || (long)reply_id->valuedouble != id) {
            cJSON_Delete(message); /* an event, or the reply to another command */
            continue;
        }
        const cJSON *error = cJSON_GetObjectItem(message, "error");
        if (error != NULL) {
            char *said = cJSON_PrintUnformatted(error);
            char copy[512];
            snprintf(copy, sizeof copy, "%s", said != NULL ? said : "?");
            cJSON_free(said);
            cJSON_Delete(message);
            cr_assert_fail("chromium refused %s: %s", method, copy);
        }
        cJSON *result = cJSON_DetachItemFromObject(message, "result");
        cJSON_Delete(message);
        return result != NULL ? result : cJSON_CreateObject();
    }
}

static const char *string_field(const cJSON *object, const char *field)
{
    const cJSON *item = cJSON_GetObjectItem(object, field);
    cr_assert(cJSON_IsString(item), "chromium's reply has no \"%s\"", field);
    return item->valuestring;
}

/* --- what the tests use ------------------------------------------------------ */

void browser_open(struct browser *browser, const char *url)
{
    /* A tab on about:blank first: once we are attached to it, navigating tells us
     * whether the page could be loaded at all. */
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "url", "about:blank");
    cJSON *target = send_command(browser, "Target.createTarget", params, false, 20);
    params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "targetId", string_field(target, "targetId"));
    cJSON_AddBoolToObject(params, "flatten", true); /* its messages on our pipe, by sessionId */
    cJSON_Delete(target);
    cJSON *attached = send_command(browser, "Target.attachToTarget", params, false, 10);
    snprintf(browser->session, sizeof browser->session, "%s", string_field(attached, "sessionId"));
    cJSON_Delete(attached);

    params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "url", url);
    /* The reply comes once the new document has replaced about:blank. */
    cJSON *navigated = send_command(browser, "Page.navigate", params, true, 10);
    const cJSON *error = cJSON_GetObjectItem(navigated, "errorText");
    char said[256] = "";
    if (cJSON_IsString(error))
        snprintf(said, sizeof said, "%s", error->valuestring);
    cJSON_Delete(navigated);
    cr_assert(said[0] == '\0', "chromium could not open %s: %s", url, said);
}

cJSON *browser_evaluate(struct browser *browser, const char *expression, double seconds)
{
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "expression", expression);
    cJSON_AddBoolToObject(params, "returnByValue", true);
    cJSON_AddBoolToObject(params, "awaitPromise", true);
    cJSON *result = send_command(browser, "Runtime.evaluate", params, true, seconds);
    const cJSON *exception = cJSON_GetObjectItem(result, "exceptionDetails");
    if (exception != NULL) {
        const cJSON *thrown = cJSON_GetObjectItem(exception, "exception");
        const cJSON *description = cJSON_GetObjectItem(thrown, "description");
        char said[512];
        snprintf(said, sizeof said, "%s",
                 cJSON_IsString(description) ? description->valuestring : "?");
        cJSON_Delete(result);
        cr_assert_fail("in the page: %s", said);
    }
    cJSON *value = cJSON_DetachItemFromObject(cJSON_GetObjectItem(result, "result"), "value");
    cJSON_Delete(result);
    return value != NULL ? value : cJSON_CreateNull();
}

cJSON *browser_wait_for(struct browser *browser, const char *condition, double seconds)
{
    /* The page checks `condition` now and after each change to its DOM, and gives
     * up after the time limit with the condition in the message. */
    static const char waiter[] =
        "new Promise((resolve, reject) => {\n"
        "  const check = () => { try { return (%s); } catch (error) { return false; } };\n"
        "  const observer = new MutationObserver(() => {\n"
        "    const value = check();\n"
        "    if (value) { observer.disconnect(); clearTimeout(timer); resolve(value); }\n"
        "  });\n"
        "  const timer = setTimeout(() => { observer.disconnect();\n"
        "    reject(new Error('waited %.0f ms in vain for: ' + %s)); }, %.0f);\n"
        "  observer.observe(document, {attributes: true, childList: true, subtree: true,\n"
        "                              characterData: true});\n"
        "  const value = check();\n"
        "  if (value) { observer.disconnect(); clearTimeout(timer); resolve(value); }\n"
        "})";
    cJSON *quoted = cJSON_CreateString(condition);
    char *condition_text = cJSON_PrintUnformatted(quoted); /* a JavaScript string literal too */
    cJSON_Delete(quoted);
    size_t size = sizeof waiter + 2 * strlen(condition_text) + 64;
    char *expression = malloc(size);
    cr_assert(expression != NULL && condition_text != NULL, "out of memory");
    snprintf(expression, size, waiter, condition, seconds * 1000, condition_text, seconds * 1000);
    cJSON_free(condition_text);
    /* A little longer on our side: the page's own time-out says more. */
    cJSON *value = browser_evaluate(browser, expression, seconds + 5);
    free(expression);
    return value;
}

/* Standard base64 (RFC 4648), as the protocol sends binary data. Returns the length. */
static size_t base64_decode(const char *text, unsigned char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t length = 0;
    unsigned int bits = 0;
    int bit_count = 0;
    for (; *text != '\0' && *text != '='; text++) {
        const char *digit = strchr(alphabet, *text);
        cr_assert(digit != NULL, "the screenshot is not base64");
        bits = (bits << 6) | (unsigned int)(digit - alphabet);
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            out[length++] = (unsigned char)(bits >> bit_count);
            bits &= (1u << bit_count) - 1;
        }
    }
    return length;
}

void browser_screenshot(struct browser *browser, const char *png_path)
{
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "format", "png");
    cJSON *shot = send_command(browser, "Page.captureScreenshot", params, true, 20);
    const char *data = string_field(shot, "data");
    unsigned char *png = malloc(strlen(data) / 4 * 3 + 3);
    cr_assert(png != NULL, "out of memory");
    size_t length = base64_decode(data, png);
    cJSON_Delete(shot);
    FILE *file = fopen(png_path, "wb");
    cr_assert(file != NULL, "cannot write %s: %s", png_path, strerror(errno));
    size_t written = fwrite(png, 1, length, file);
    free(png);
    cr_assert(fclose(file) == 0 && written == length, "cannot write %s", png_path);
}

static int remove_entry(const char *path, const struct stat *info, int kind, struct FTW *where)
{
    (void)info;
    (void)kind;
    (void)where;
    remove(path);
    return 0;
}

void browser_stop(struct browser *browser)
{
    if (browser->pid > 0) {
        /* Ask chromium to close, then wait until it closes its end of the pipe. */
        const char close_command[] = "{\"id\": 0, \"method\": \"Browser.close\"}";
        if (write(browser->commands, close_command, sizeof close_command) < 0)
            kill(browser->pid, SIGKILL);
        double deadline = now_seconds() + 10;
        char chunk[4096];
        for (;;) {
            double left = deadline - now_seconds();
            struct pollfd watch = {.fd = browser->replies, .events = POLLIN};
            if (left <= 0 || poll(&watch, 1, (int)(left * 1000) + 1) <= 0) {
                kill(browser->pid, SIGKILL); /* not gone in time */
                break;
            }
            if (read(browser->replies, chunk, sizeof chunk) <= 0)
                break; /* end of file: chromium has let go of the pipe */
        }
        waitpid(browser->pid, NULL, 0);
        browser->pid = -1;
    }
    if (browser->commands >= 0)
        close(browser->commands);
    if (browser->replies >= 0)
        close(browser->replies);
    browser->commands = browser->replies = -1;
    free(browser->unread);
    browser->unread = NULL;
    browser->unread_length = 0;
    if (browser->profile[0] != '\0')
        nftw(browser->profile, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    browser->profile[0] = '\0';
}
