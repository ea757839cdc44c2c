/*
 * test_random_requests.c - the server against requests nobody writes by hand:
 * random methods, paths, parameters and bodies (url-encoded, multipart, raw bytes
 * with NULs in them, or none). Whatever arrives, the server must answer within a
 * few seconds with a status below 500, and go on answering. Under ASan the same
 * run also hunts memory errors.
 *
 * This is how a hang was found: civetweb's form reader looped for ever on a
 * url-encoded body with a NUL byte after an '=' (see server/multipart.h).
 *
 * The requests come from a seeded generator (libc's nrand48), so every run sends
 * the same ones, and a failure names the request that caused it.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "firecrest_support.h"

enum { REQUESTS = 5000, REQUEST_ROOM = 64 * 1024, REPLY_WAIT_MS = 5000 };

static const char *const methods[] = {"GET", "GET",    "POST", "POST",
                                      "PUT", "DELETE", "HEAD", "BREW"};
static const char *const paths[] = {
    "/say-hi",
    "/stats",
    "/stats/reset",
    "/",
    "/nope",
    "/auth/token",
    "/dashboard/",
    "/dashboard/index.html",
    "/status/systems",
    "/status/systems/cluster",
    "/status/services",
    "/status/parameters",
    "/utilities/ls",
    "/utilities/mkdir",
    "/utilities/rename",
    "/utilities/chmod",
    "/utilities/chown",
    "/utilities/copy",
    "/utilities/symlink",
    "/utilities/file",
    "/utilities/stat",
    "/utilities/head",
    "/utilities/tail",
    "/utilities/view",
    "/utilities/checksum",
    "/utilities/download",
    "/utilities/upload",
    "/utilities/rm",
    "/utilities/whoami",
    "/compute/jobs",
    "/compute/jobs/upload",
    "/compute/jobs/path",
    "/compute/jobs/1001",
    "/compute/acct",
    "/compute/nodes",
    "/compute/partitions",
    "/storage/xfer-external/download",
    "/storage/xfer-external/upload",
    "/storage/xfer-external/invalidate",
    "/storage/xfer-internal/cp",
    "/storage/xfer-internal/rm",
    "/tasks",
    "/tasks/x",
    "/reservations",
    "/objects/x",
};
static const char *const names[] = {
    "targetPath", "sourcePath", "mode",      "owner",         "lines",
    "bytes",      "jobs",       "tasks",     "linkPath",      "delay_ms",
    "file",       "grant_type", "client_id", "client_secret", "account",
};
/* Already URL-encoded where they go in a URL or a url-encoded body. */
static const char *const values[] = {
    "",
    "/",
    "/home/test_user",
    "..",
    "../../etc/passwd",
    "/etc/passwd",
    "%00",
    "-1",
    "0",
    "99999999999999999999",
    "1001",
    "1001,,1002",
    "%2F..%2F..",
    "a%",
    "%zz",
    "755",
    "x&y=z",
    "/home/test_user/firecrest",
    "kit-client",
    "client_credentials",
};
static const char *const systems[] = {"cluster", "daint", "", "no-such-system"};

static unsigned short generator[3] = {0x1234, 0x5678, 0x9abc}; /* the seed */

static long below(long n)
{
    return nrand48(generator) % n;
}

#define PICK(list) (list[below((long)(sizeof list / sizeof list[0]))])

/* A growing request in a fixed buffer (REQUEST_ROOM is far more than needed). */
struct request {
    char bytes[REQUEST_ROOM];
    size_t length;
};

static void add(struct request *request, const char *text, size_t length)
{
    if (request->length + length <= sizeof request->bytes) {
        memcpy(request->bytes + request->length, text, length);
        request->length += length;
    }
}

static void add_text(struct request *request, const char *text)
{
    add(request, text, strlen(text));
}

static void add_parameters(struct request *request, int count)
{
    for (int i = 0; i < count; i++) {
        add_text(request, i > 0 ? "&" : "");
        add_text(request, PICK(names));
        add_text(request, "=");
        add_text(request, PICK(values));
    }
}

/* One of four bodies: url-encoded, multipart, raw bytes (NULs included), none. */
static void make_body(struct request *body, const char **content_type)
{
    body->length = 0;
    switch (below(4)) {
    case 0:
        *content_type = below(4) > 0 ? "application/x-www-form-urlencoded" : NULL;
        add_parameters(body, (int)below(5));
        if (below(3) == 0)
            add(body, "=\0x", 3); /* the hang: a NUL after an '=' */
        break;
    case 1:
        *content_type =
            below(8) > 0 ? "multipart/form-data; boundary=XyZ" : "multipart/form-data; boundary=";
        for (long parts = below(4); parts > 0; parts--) {
            add_text(body, "--XyZ\r\nContent-Disposition: form-data; name=\"");
            add_text(body, PICK(names));
            add_text(body, below(2) ? "\"; filename=\"f.sh\"\r\n\r\n" : "\"\r\n\r\n");
            add_text(body, PICK(values));
            add_text(body, "\r\n");
        }
        if (below(5) > 0)
            add_text(body, "--XyZ--\r\n");
        else
            body->length = (size_t)below((long)body->length + 1); /* cut anywhere */
        break;
    case 2:
        *content_type = below(2) ? "application/octet-stream" : NULL;
        for (long n = below(3000); n > 0; n--) {
            char byte = (char)below(256);
            add(body, &byte, 1);
        }
        break;
    default: *content_type = NULL;
    }
}

static void make_request(struct request *request)
{
    static struct request body;
    const char *content_type = NULL;
    make_body(&body, &content_type);
    char line[256];
    request->length = 0;
    add_text(request, PICK(methods));
    add_text(request, " ");
    add_text(request, PICK(paths));
    if (below(3) > 0) {
        add_text(request, "?");
        add_parameters(request, 1 + (int)below(3));
    }
    add_text(request, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if (below(10) > 0) {
        add_text(request, "Authorization: Bearer ");
        add_text(request, below(10) > 0 ? token : "not.a.token");
        add_text(request, "\r\n");
    }
    if (below(6) > 0) {
        snprintf(line, sizeof line, "X-Machine-Name: %s\r\n", PICK(systems));
        add_text(request, line);
    }
    if (content_type != NULL) {
        snprintf(line, sizeof line, "Content-Type: %s\r\n", content_type);
        add_text(request, line);
    }
    if (body.length > 0) {
        snprintf(line, sizeof line, "Content-Length: %zu\r\n", body.length);
        add_text(request, line);
    }
    add_text(request, "\r\n");
    add(request, body.bytes, body.length);
}

/* Send it, say we are done (shutdown), and read the reply's status: -1 for none in time. */
static int send_and_read_status(const struct request *request)
{
    int connection = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)server.port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert(connect(connection, (struct sockaddr *)&address, sizeof address) == 0,
              "the server is gone");
    for (size_t sent = 0; sent < request->length;) {
        ssize_t n = send(connection, request->bytes + sent, request->length - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server answered early and closed: fine, its answer is what counts */
        sent += (size_t)n;
    }
    shutdown(connection, SHUT_WR);
    char reply[64] = "";
    size_t length = 0;
    struct pollfd watch = {.fd = connection, .events = POLLIN};
    while (length + 1 < sizeof reply && poll(&watch, 1, REPLY_WAIT_MS) == 1) {
        ssize_t got = read(connection, reply + length, sizeof reply - 1 - length);
        if (got <= 0)
            break;
        length += (size_t)got;
    }
    close(connection);
    reply[length] = '\0';
    int status;
    return sscanf(reply, "HTTP/1.1 %d", &status) == 1 ? status : -1;
}

TestSuite(random_requests, .init = firecrest_server_start, .fini = firecrest_server_stop,
          .timeout = 120);

Test(random_requests, every_one_gets_an_answer_below_500)
{
    static struct request request;
    for (int i = 0; i < REQUESTS; i++) {
        make_request(&request);
        int status = send_and_read_status(&request);
        /* The request line is enough to tell which one it was. */
        int line_length = (int)strcspn(request.bytes, "\r");
        cr_assert(status >= 100 && status < 500, "request %d (%.*s, %zu bytes): %s", i, line_length,
                  request.bytes, request.length,
                  status < 0 ? "no answer within 5 s" : "a 5xx answer");
    }
    struct reply stats;
    get(&stats, "/stats");
    cr_assert_eq(stats.status, 200, "the server no longer answers");
    reply_free(&stats);
}
