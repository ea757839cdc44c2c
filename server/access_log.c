/*
 * access_log.c - see access_log.h.
 *
 * civetweb calls begin_request when a request has been read and end_request once
 * it is answered, both on the worker thread serving that connection. A connection
 * stays on one thread from start to end (the thread-per-connection model), so a
 * thread-local variable is enough to carry the start time from one to the other.
 */
#include "access_log.h"

#include <stdio.h>
#include "clock.h"

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
    const struct mg_request_info *request = mg_get_request_info(conn);
    const char *query = request->query_string;
    char took[32] = "-";
    if (request_started_ms >= 0)
        snprintf(took, sizeof took, "%.1f ms", monotonic_ms() - request_started_ms);
    request_started_ms = -1;
    /* One fprintf per line: stdio locks the stream, so lines from many threads
     * never interleave. */
    fprintf(stderr, "%s %s%s%s %d %s\n", request->request_method, request->request_uri,
            query != NULL ? "?" : "", query != NULL ? query : "", status, took);
}

void access_log_enable(struct mg_callbacks *callbacks)
{
    callbacks->begin_request = on_request_begins;
    callbacks->end_request = on_request_ended;
}
