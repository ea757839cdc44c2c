/*
 * test_dashboard.c - the live dashboard (server/dashboard.c, server/dashboard/):
 * first its files over plain HTTP, then the page in a real browser while the
 * clients run, read back from the page's own DOM.
 *
 * The browser test leaves a screenshot in build/dashboard.png: look at it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "browser.h"
#include "support.h"

#define SCREENSHOT "build/dashboard.png"

static struct server_process server;
static struct browser browser;

/* Stops whatever a test started, even when an assertion ended it halfway. */
static void stop_all(void)
{
    browser_stop(&browser);
    server_stop(&server);
}

TestSuite(dashboard, .fini = stop_all, .timeout = 60);

/* GET base_url + path; returns the body (malloc'd), asserts the status. */
static char *get(const char *path, long expected_status)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", server.base_url, path);
    long status;
    char *body = http_request("GET", url, &status);
    cr_assert_eq(status, expected_status, "GET %s: HTTP %ld, expected %ld", path, status,
                 expected_status);
    return body;
}

Test(dashboard, the_page_and_its_files_are_served_from_the_binary)
{
    server_start(&server, NULL);
    const char *const page_paths[] = {"/", "/dashboard", "/dashboard/", "/dashboard/index.html"};
    for (size_t i = 0; i < sizeof page_paths / sizeof page_paths[0]; i++) {
        char *page = get(page_paths[i], 200);
        cr_assert(strstr(page, "<script src=\"/dashboard/dashboard.js\"") != NULL,
                  "GET %s is not the dashboard's page", page_paths[i]);
        free(page);
    }
    char *script = get("/dashboard/dashboard.js", 200);
    cr_assert(strstr(script, "'/stats'") != NULL && strstr(script, "stats_url") != NULL,
              "the script polls /stats, on the stats port once the server names it");
    free(script);
    free(get("/dashboard/dashboard.css", 200));
    free(get("/dashboard/nope.js", 404));
    free(get("/dashboard/../../etc/passwd", 404));
    free(get("/dashboardx", 404));
}

/* --- in a browser -------------------------------------------------------------- */

static long page_number(const char *expression)
{
    cJSON *value = browser_evaluate(&browser, expression, 5);
    cr_assert(cJSON_IsNumber(value), "%s: not a number in the page", expression);
    long number = (long)value->valuedouble;
    cJSON_Delete(value);
    return number;
}

static void run_client(const char *client, const char *number)
{
    char url[128];
    snprintf(url, sizeof url, "%s/say-hi", server.base_url);
    struct process_result result;
    run_program(&result, client, (const char *const[]){"--number", number, "--url", url, NULL}, 30);
    cr_assert_eq(result.exit_code, 0, "%s failed: %s", client, result.err);
    process_result_free(&result);
}

/*
 * The in-flight line as the page drew it, read back from the SVG: the highest
 * and the last value on the graph's own axis, how many points, and how tall the
 * line is on screen (0 if the page's style hid it).
 */
static const char read_drawing[] =
    "(() => {\n"
    "  const graph = document.getElementById('graph');\n"
    "  const line = document.getElementById('in-flight-line');\n"
    "  const top = Number(graph.dataset.plotTop), bottom = Number(graph.dataset.plotBottom);\n"
    "  const yMax = Number(graph.dataset.yMax);\n"
    "  const values = [];\n"
    "  for (let i = 0; i < line.points.numberOfItems; i++)\n"
    "    values.push((bottom - line.points.getItem(i).y) / (bottom - top) * yMax);\n"
    "  return {points: values.length, highest: Math.max(...values), last: values[values.length - "
    "1],\n"
    "          height: line.getBoundingClientRect().height,\n"
    "          plotHeight: graph.getBoundingClientRect().height * (bottom - top) /\n"
    "                      graph.viewBox.baseVal.height};\n"
    "})()";

static double field(const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItem(object, name);
    cr_assert(cJSON_IsNumber(item), "the drawing has no number \"%s\"", name);
    return item->valuedouble;
}

static size_t count_lines_with(const char *text, const char *needle)
{
    size_t count = 0;
    for (const char *at = text; (at = strstr(at, needle)) != NULL; at += strlen(needle))
        count++;
    return count;
}

Test(dashboard, a_browser_shows_200_async_calls_in_flight_then_1_sync_call)
{
    server_start_logged(&server, (const char *const[]){"--delay-ms", "1000", NULL});
    browser_start(&browser, 1280, 1000);
    char url[128];
    snprintf(url, sizeof url, "%s/", server.base_url);
    browser_open(&browser, url);
    cJSON_Delete(browser_wait_for(&browser,
                                  "document.body.dataset.state === 'live' && "
                                  "Number(document.body.dataset.samples) >= 5",
                                  10));

    /* Five polls and more, and not one say-hi call: the page only reads /stats. */
    cJSON *stats = server_stats(&server);
    cr_assert_eq(json_number(stats, "served"), 0,
                 "the page's own requests must not count as say-hi calls");
    cJSON_Delete(stats);

    /* 200 calls at once, each waiting 1 s: the page must catch them in flight. */
    run_client("client_async", "200");
    cJSON_Delete(browser_wait_for(&browser,
                                  "Number(document.body.dataset.served) === 200 && "
                                  "Number(document.body.dataset.inFlight) === 0",
                                  5));
    long peak = page_number("Number(document.body.dataset.peakInFlight)");
    cr_assert_geq(peak, 190, "the page saw at most %ld calls in flight, not ~200", peak);
    cJSON *drawing = browser_evaluate(&browser, read_drawing, 5);
    cr_assert_geq(field(drawing, "points"), 10, "the graph has too few points");
    cr_assert_geq(field(drawing, "highest"), 190, "the graph's line does not rise to ~200");
    cr_assert_eq(field(drawing, "last"), 0, "the graph's line does not fall back to 0");
    cr_assert_gt(field(drawing, "height"), field(drawing, "plotHeight") / 2,
                 "the line is not drawn tall on screen (%.0f px)", field(drawing, "height"));
    cJSON_Delete(drawing);

    /* A reset (as the page's button or curl sends it), then the blocking client. */
    long status;
    char reset_url[128];
    snprintf(reset_url, sizeof reset_url, "%s/stats/reset", server.base_url);
    free(http_request("POST", reset_url, &status));
    cr_assert_eq(status, 200);
    cJSON_Delete(browser_wait_for(&browser,
                                  "Number(document.body.dataset.served) === 0 && "
                                  "Number(document.body.dataset.peakInFlight) === 0",
                                  5));
    run_client("client_sync", "3");
    cJSON_Delete(browser_wait_for(&browser, "Number(document.body.dataset.served) === 3", 5));
    peak = page_number("Number(document.body.dataset.peakInFlight)");
    cr_assert_eq(peak, 1, "a blocking client has exactly 1 call in flight, the page saw %ld", peak);

    browser_screenshot(&browser, SCREENSHOT);
    FILE *png = fopen(SCREENSHOT, "rb");
    unsigned char signature[8] = {0};
    cr_assert(png != NULL && fread(signature, 1, 8, png) == 8, "no screenshot in " SCREENSHOT);
    fclose(png);
    cr_assert(memcmp(signature, "\x89PNG\r\n\x1a\n", 8) == 0, SCREENSHOT " is not a PNG");
    cr_log_info("the dashboard's screenshot: " SCREENSHOT);

    /* The page's polls stay out of the access log; the calls are all in it. */
    char *log = server_stop_and_read_log(&server);
    /* And a page whose server has gone says so, instead of showing old numbers as live. */
    cJSON_Delete(browser_wait_for(&browser, "document.body.dataset.state === 'offline'", 5));
    cr_expect_eq(count_lines_with(log, "GET /say-hi"), 203, "the log should have each say-hi call");
    cr_expect_eq(count_lines_with(log, "GET /stats "), 1,
                 "only the test's own GET /stats is logged:\n%s", log);
    cr_expect_eq(count_lines_with(log, "GET / 200"), 1, "the page itself is logged");
    free(log);
}
