/*
 * test_hostile.c - the hostile-parameter sweep: every endpoint of the server,
 * every parameter it reads, against a table of values a hostile student would
 * try (negative, zero, huge, just past a limit, empty, NUL, CR/LF, "..",
 * absolute paths, very long, not UTF-8, deeply nested).
 *
 * test_random_requests.c sends random bytes; it never found the crashes that
 * these values find, because a crash hides behind a *particular* value
 * (bytes=-8, a path 300 levels deep), not behind randomness. Here each request
 * changes one parameter of an otherwise sane call, so a failure names exactly
 * the parameter and the value that did it.
 *
 * Each request must be answered below 500 within 5 s; afterwards the server
 * still answers /stats, a file planted outside the sandbox and a file planted
 * in the second user's home are untouched. Under `make test` the same sweep runs
 * against the ASan+UBSan server, which turns a silent overrun into a crash.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "firecrest_support.h"

/* --- the hostile values (URL-encoded: they go into a query or a form body) --- */

static const char *const hostile_values[] = {
    "",
    "-8",
    "-1",
    "0",
    "1",
    "+5",
    "%205",
    "0x7fffffff",
    "4294967296",
    "-9223372036854775808",
    "9223372036854775808",
    "99999999999999999999999",
    "1e400",
    "nan",
    "%00",
    "a%00b",
    "/home/test_user/sweep%00/x",
    "%0d%0aSet-Cookie:%20forged=1%0d%0a%0d%0abody",
    "%1b%5b2J%1b%5b31mred",
    "%ff%fe%fd",
    "%c0%af",
    "..",
    "../..",
    ".",
    "/",
    "//",
    "/..",
    "/etc/passwd",
    "/home",
    "/home/",
    "/home/other_user",
    "/home/other_user/planted.txt",
    "/home/test_user/../other_user/planted.txt",
    "/home/test_user/../../../outside.txt",
    "/home/test_user/sweep/../../test_user/sweep/file.txt",
    "/home/test_user/sweep",
    "/home/test_user",
    "/home/test_user/",
    NULL, /* end of the fixed ones; the long ones are made at run time */
};

enum { LONG_VALUES = 4 };
static char *long_values[LONG_VALUES];

/* A very long word, a path just past PATH_MAX, a path 300 levels deep, a long list. */
static void make_long_values(void)
{
    long_values[0] = malloc(6001);
    memset(long_values[0], 'a', 6000);
    long_values[0][6000] = '\0';
    long_values[1] = malloc(4200);
    strcpy(long_values[1], "/home/test_user/");
    memset(long_values[1] + 16, 'b', 4100 - 16);
    long_values[1][4100] = '\0';
    long_values[2] = malloc(16 + 300 * 2 + 1);
    strcpy(long_values[2], "/home/test_user/");
    for (int i = 0; i < 300; i++)
        strcat(long_values[2], "d/");
    long_values[3] = malloc(3 * 3000 + 1);
    long_values[3][0] = '\0';
    for (int i = 0; i < 3000; i++)
        strcat(long_values[3], "1,,");
}

static void free_long_values(void)
{
    for (int i = 0; i < LONG_VALUES; i++)
        free(long_values[i]);
}

/* --- the endpoints and the parameters each reads, with a sane value each ------ */

struct parameter {
    const char *name, *sane;
};

struct endpoint {
    const char *method, *path;
    struct parameter parameters[8];
};

#define FILE_PATH "/home/test_user/sweep/file.txt"
#define DIRECTORY "/home/test_user/sweep"

static const struct endpoint endpoints[] = {
    {"GET", "/say-hi", {{"delay_ms", "0"}}},
    {"POST",
     "/auth/token",
     {{"grant_type", "client_credentials"},
      {"client_id", "kit-client"},
      {"client_secret", "kit-secret"}}},
    {"GET",
     "/utilities/ls",
     {{"targetPath", DIRECTORY}, {"showhidden", "true"}, {"recursive", "true"}}},
    {"POST", "/utilities/mkdir", {{"targetPath", DIRECTORY "/made"}, {"p", "true"}}},
    {"PUT",
     "/utilities/rename",
     {{"targetPath", DIRECTORY "/renamed.txt"}, {"sourcePath", FILE_PATH}}},
    {"POST",
     "/utilities/copy",
     {{"targetPath", DIRECTORY "/copied.txt"}, {"sourcePath", FILE_PATH}}},
    {"PUT", "/utilities/chmod", {{"targetPath", FILE_PATH}, {"mode", "644"}}},
    {"POST", "/utilities/symlink", {{"targetPath", FILE_PATH}, {"linkPath", DIRECTORY "/link"}}},
    {"GET", "/utilities/file", {{"targetPath", FILE_PATH}}},
    {"GET", "/utilities/stat", {{"targetPath", FILE_PATH}, {"dereference", "true"}}},
    {"GET", "/utilities/head", {{"targetPath", FILE_PATH}, {"lines", "3"}}},
    {"GET", "/utilities/head", {{"targetPath", FILE_PATH}, {"bytes", "4"}}},
    {"GET", "/utilities/tail", {{"targetPath", FILE_PATH}, {"lines", "3"}}},
    {"GET", "/utilities/tail", {{"targetPath", FILE_PATH}, {"bytes", "4"}}},
    {"GET", "/utilities/view", {{"targetPath", FILE_PATH}}},
    {"GET", "/utilities/checksum", {{"targetPath", FILE_PATH}}},
    {"GET", "/utilities/download", {{"sourcePath", FILE_PATH}}},
    {"GET", "/utilities/whoami", {{"groups", "true"}}},
    {"DELETE", "/utilities/rm", {{"targetPath", DIRECTORY "/made"}}},
    {"POST", "/compute/jobs/path", {{"targetPath", FILE_PATH}}},
    {"GET", "/compute/jobs", {{"jobs", "1001"}}},
    {"GET", "/compute/acct", {{"jobs", "1001"}}},
    {"GET", "/tasks", {{"tasks", "abc"}}},
    {"POST", "/storage/xfer-external/download", {{"sourcePath", FILE_PATH}}},
    {"POST",
     "/storage/xfer-external/upload",
     {{"sourcePath", "local.txt"}, {"targetPath", DIRECTORY}}},
    {"POST",
     "/storage/xfer-internal/cp",
     {{"sourcePath", FILE_PATH}, {"targetPath", DIRECTORY "/cp.txt"}, {"jobName", "cp"}}},
    {"POST",
     "/storage/xfer-internal/mv",
     {{"sourcePath", DIRECTORY "/cp.txt"}, {"targetPath", DIRECTORY "/mv.txt"}}},
    {"POST",
     "/storage/xfer-internal/rsync",
     {{"sourcePath", FILE_PATH}, {"targetPath", DIRECTORY "/rs.txt"}}},
    {"POST", "/storage/xfer-internal/rm", {{"sourcePath", DIRECTORY "/rs.txt"}}},
    {"POST",
     "/reservations",
     {{"reservation", "r1"},
      {"account", "a"},
      {"numberOfNodes", "1"},
      {"nodeType", "gpu"},
      {"starttime", "2030-01-01T00:00:00"},
      {"endtime", "2030-01-02T00:00:00"}}},
    {"PUT",
     "/reservations/r1",
     {{"account", "a"},
      {"numberOfNodes", "1"},
      {"nodeType", "gpu"},
      {"starttime", "2030-01-01T00:00:00"},
      {"endtime", "2030-01-02T00:00:00"}}},
};

/* Hostile values in the path itself (already URL-encoded). */
static const char *const path_values[] = {
    "/tasks/%00",
    "/tasks/%0d%0aX:%20y",
    "/tasks/-1",
    "/tasks/..%2f..%2f",
    "/compute/jobs/-1",
    "/compute/jobs/99999999999999999999999",
    "/compute/jobs/%00",
    "/compute/jobs/1e3",
    "/reservations/%00",
    "/reservations/..",
    "/reservations/%0d%0a",
    "/objects/%00",
    "/objects/..",
    "/status/systems/%0d%0a",
    "/status/services/%ff",
    "/say-hi%00.json",
    "/stats%00",
    "/%00",
    "/utilities/%00",
    "/say-hi?delay_ms=-1",
    "/say-hi?delay_ms=99999999999999999999",
};

/* Hostile header values. */
static const char *const header_values[] = {
    "",
    "%00",
    "cluster\x01",
    "no-such-system",
    "../cluster",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "\xff\xfe",
    "cluster,daint",
};

/* --- one request: a status below 500, within 5 s --------------------------------- */

static size_t ignore_body(char *data, size_t size, size_t count, void *unused)
{
    (void)data;
    (void)unused;
    return size * count;
}

/* Send one request; fail the test, naming it, unless it is answered below 500 in 5 s. */
static void expect_answer(const char *method, const char *path, const char *form,
                          const char *system, const char *authorization, const char *what)
{
    char url[16384], header[4096], machine[4096];
    snprintf(url, sizeof url, "%s%s", server.base_url, path);
    CURL *easy = curl_easy_init();
    struct curl_slist *headers = NULL;
    snprintf(header, sizeof header, "Authorization: %s", authorization);
    headers = curl_slist_append(headers, header);
    if (system != NULL) {
        snprintf(machine, sizeof machine, "X-Machine-Name: %s", system);
        headers = curl_slist_append(headers, machine);
    }
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(easy, CURLOPT_PATH_AS_IS, 1L);
    if (form != NULL)
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, ignore_body);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 5000L);
    CURLcode code = curl_easy_perform(easy);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(easy);
    cr_assert_eq(code, CURLE_OK, "%s %s (%s): %s", method, path, what, curl_easy_strerror(code));
    cr_assert(status > 0 && status < 500, "%s %.200s (%.300s): status %ld", method, path, what,
              status);
}

/* One call of `endpoint` with parameter `hostile` (an index) set to `value`. */
static void call_with(const struct endpoint *endpoint, int hostile, const char *value)
{
    size_t room = strlen(value) + 4096;
    char *parameters = malloc(room);
    parameters[0] = '\0';
    for (int i = 0; i < 8 && endpoint->parameters[i].name != NULL; i++) {
        size_t used = strlen(parameters);
        snprintf(parameters + used, room - used, "%s%s=%s", i > 0 ? "&" : "",
                 endpoint->parameters[i].name, i == hostile ? value : endpoint->parameters[i].sane);
    }
    bool is_get = strcmp(endpoint->method, "GET") == 0;
    char *path = malloc(room + strlen(endpoint->path));
    sprintf(path, is_get ? "%s?%s" : "%s", endpoint->path, parameters);
    char what[128], bearer[2100];
    snprintf(what, sizeof what, "%s=%.60s", hostile >= 0 ? endpoint->parameters[hostile].name : "-",
             value);
    snprintf(bearer, sizeof bearer, "Bearer %s", token);
    expect_answer(endpoint->method, path, is_get ? NULL : parameters, "cluster", bearer, what);
    free(path);
    free(parameters);
}

/* --- the server, with a planted file outside the sandbox and one of other_user's -- */

static char outside_file[512], others_file[512];
static const char planted[] = "planted: must stay as it is\n";

static void write_file(const char *path, const char *content)
{
    FILE *file = fopen(path, "w");
    cr_assert(file != NULL, "cannot write %s", path);
    fputs(content, file);
    fclose(file);
}

static char *read_whole(const char *path)
{
    FILE *file = fopen(path, "r");
    if (file == NULL)
        return NULL;
    static char content[4096];
    size_t length = fread(content, 1, sizeof content - 1, file);
    content[length] = '\0';
    fclose(file);
    return content;
}

static void start_hostile_server(void)
{
    snprintf(sandbox_root, sizeof sandbox_root, "%s/evloop-hostile-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    cr_assert(mkdtemp(sandbox_root) != NULL);
    server_start(&server, (const char *const[]){"--delay-ms",
                                                "0",
                                                "--threads",
                                                "16",
                                                "--firecrest-root",
                                                sandbox_root,
                                                "--job-ms",
                                                "0",
                                                "--client",
                                                "other-client:other-secret:other_user",
                                                "--rate-limit",
                                                "status=0",
                                                "--rate-limit",
                                                "utilities=0",
                                                "--rate-limit",
                                                "compute=0",
                                                "--rate-limit",
                                                "tasks=0",
                                                "--rate-limit",
                                                "storage=0",
                                                "--rate-limit",
                                                "reservations=0",
                                                NULL});
    long status;
    fetch_token("grant_type=client_credentials&client_id=kit-client&client_secret=kit-secret",
                token, sizeof token, &status);
    cr_assert_eq(status, 200);
    /* The sandbox's systems are <root>/<system>: <root> itself is outside every one. */
    snprintf(outside_file, sizeof outside_file, "%s/outside.txt", sandbox_root);
    write_file(outside_file, planted);
    snprintf(others_file, sizeof others_file, "%s/cluster/home/other_user/planted.txt",
             sandbox_root);
    write_file(others_file, planted);
    make_long_values();
}

static void stop_hostile_server(void)
{
    free_long_values();
    firecrest_server_stop();
}

/* The sweep's working directory, with a small file in it, made afresh. */
static void make_sweep_directory(void)
{
    struct reply reply;
    call_api(&reply, "POST", "/utilities/mkdir", "cluster", "targetPath=" DIRECTORY "&p=true",
             token);
    reply_free(&reply);
    upload_file("/utilities/upload", DIRECTORY, "file.txt", "one\ntwo\nthree\nfour\nfive\n", 24,
                &reply);
    reply_free(&reply);
}

static void expect_still_serving_and_planted_files_intact(void)
{
    cJSON *stats = server_stats(&server);
    cr_assert(stats != NULL, "the server no longer answers /stats");
    cJSON_Delete(stats);
    const char *content = read_whole(outside_file);
    cr_assert(content != NULL && strcmp(content, planted) == 0,
              "the file outside the sandbox was touched");
    content = read_whole(others_file);
    cr_assert(content != NULL && strcmp(content, planted) == 0, "other_user's file was touched");
}

TestSuite(hostile, .init = start_hostile_server, .fini = stop_hostile_server, .timeout = 300);

Test(hostile, every_parameter_of_every_endpoint)
{
    for (size_t e = 0; e < sizeof endpoints / sizeof endpoints[0]; e++) {
        const struct endpoint *endpoint = &endpoints[e];
        for (int p = 0; p < 8 && endpoint->parameters[p].name != NULL; p++) {
            make_sweep_directory();
            for (int v = 0; hostile_values[v] != NULL; v++)
                call_with(endpoint, p, hostile_values[v]);
            for (int v = 0; v < LONG_VALUES; v++)
                call_with(endpoint, p, long_values[v]);
        }
    }
    expect_still_serving_and_planted_files_intact();
}

Test(hostile, hostile_paths_and_headers)
{
    char bearer[2100];
    snprintf(bearer, sizeof bearer, "Bearer %s", token);
    for (size_t i = 0; i < sizeof path_values / sizeof path_values[0]; i++)
        for (int m = 0; m < 3; m++)
            expect_answer((const char *[]){"GET", "PUT", "DELETE"}[m], path_values[i], NULL,
                          "cluster", bearer, "the path");
    for (size_t e = 0; e < sizeof endpoints / sizeof endpoints[0]; e++) {
        for (size_t h = 0; h < sizeof header_values / sizeof header_values[0]; h++) {
            expect_answer(endpoints[e].method, endpoints[e].path, NULL, header_values[h], bearer,
                          "X-Machine-Name");
            char authorization[256];
            snprintf(authorization, sizeof authorization, "Bearer %s", header_values[h]);
            expect_answer(endpoints[e].method, endpoints[e].path, NULL, "cluster", authorization,
                          "Authorization");
        }
        expect_answer(endpoints[e].method, endpoints[e].path, NULL, "cluster", "Basic %00",
                      "Authorization");
    }
    /* invalidate reads X-Task-Id; the token endpoint reads Basic credentials. */
    static const char *const task_ids[] = {"", "%00", "x\x01y", "../..",
                                           "0123456789abcdef0123456789abcdef0"};
    for (size_t i = 0; i < sizeof task_ids / sizeof task_ids[0]; i++) {
        struct reply reply;
        char header[128];
        snprintf(header, sizeof header, "X-Task-Id: %s", task_ids[i]);
        call_api_with_header(&reply, "POST", "/storage/xfer-external/invalidate", NULL, "", token,
                             header);
        cr_assert(reply.status > 0 && reply.status < 500, "X-Task-Id '%s': %ld", task_ids[i],
                  reply.status);
        reply_free(&reply);
    }
    static const char *const basics[] = {"Basic ",
                                         "Basic ====", "Basic a2l0LWNsaWVudAA6a2l0LXNlY3JldA==",
                                         "Basic a2l0LWNsaWVudDpraXQtc2VjcmV0AGp1bms="};
    for (size_t i = 0; i < sizeof basics / sizeof basics[0]; i++)
        expect_answer("POST", "/auth/token", "grant_type=client_credentials", NULL, basics[i],
                      "Basic");
    expect_still_serving_and_planted_files_intact();
}

/* Multipart uploads: hostile file names and target paths. */
Test(hostile, upload_names_and_targets)
{
    static const char *const names[] = {
        "..",
        ".",
        "",
        "a/b",
        "/etc/passwd",
        "x\r\nSet-Cookie: y",
        "\x1b[31m",
        "\xff\xfe",
        "planted.txt",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    static const char *const targets[] = {
        DIRECTORY,
        "",
        "/",
        "..",
        "/home/other_user",
        "/home/test_user/../other_user",
        "/etc",
        "x\r\ny",
        "/home/test_user/nope/deeper",
    };
    make_sweep_directory();
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
            for (int e = 0; e < 2; e++) {
                struct reply reply;
                const char *path = e == 0 ? "/utilities/upload" : "/compute/jobs/upload";
                long status = upload_file(path, targets[t], names[n], "echo x\n", 7, &reply);
                cr_assert(status > 0 && status < 500, "%s name '%s' target '%s': %ld", path,
                          names[n], targets[t], status);
                reply_free(&reply);
            }
        }
    }
    expect_still_serving_and_planted_files_intact();
}
