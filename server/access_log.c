/*
 * access_log.c - see access_log.h.
 *
 * civetweb calls begin_request when a request has been read and end_request once
 * it is answered, both on the worker thread serving that connection. A connection
 * stays on one thread from start to end (the thread-per-connection model), so a
 * thread-local variable is enough to carry the start time from one to the other.
 */
#include "access_log.h"

#include "dashboard.h"

#include <stdio.h>

#include "clock.h" /* common/clock.h */
#include "json_reply.h"

/* When this thread's current request began; < 0 when civetweb never told us. */
static _Thread_local double request_started_ms = -1;

/* civetweb calls this before looking for a handler. */
static int on_request_begins(struct mg_connection *conn)
{
    (void)conn;
    request_started_ms = monotonic_ms();
    return 0; /* 0: not answered here, civetweb goes on to the handlers */
}

/* civetweb calls this after the reply, with the status that was sent. */
static void on_request_ended(const struct mg_connection *conn, int status)
{
    /* The dashboard's ten polls a second would drown the lines that matter. */
    if (dashboard_is_polling(conn)) {
        request_started_ms = -1;
        return;
    }
    const struct mg_request_info *request = mg_get_request_info(conn);
    const char *query = request->query_string;
    char took[32] = "-";
    if (request_started_ms >= 0)
        snprintf(took, sizeof took, "%.1f ms", monotonic_ms() - request_started_ms);
    request_started_ms = -1;
    /* Every byte of the request line is the client's: printed as %XX unless it is
     * printable, so no newline forges a log line and no escape paints the screen.
     * Static buffers would be shared: these are per thread, off the small stack. */
    static _Thread_local char method[32], uri[2048], query_text[2048];
    printable_copy(request->request_method, method, sizeof method);
    const char *path =
        request->local_uri_raw != NULL ? request->local_uri_raw : request->request_uri;
    printable_copy(path, uri, sizeof uri);
    printable_copy(query != NULL ? query : "", query_text, sizeof query_text);
    /* One fprintf per line: stdio locks the stream, so lines from many threads
     * never interleave. */
    fprintf(stderr, "%s %s%s%s %d %s\n", method, uri, query != NULL ? "?" : "", query_text, status,
            took);
}

void access_log_enable(struct mg_callbacks *callbacks)
{
    callbacks->begin_request = on_request_begins;
    callbacks->end_request = on_request_ended;
}
