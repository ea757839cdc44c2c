/*
 * json_reply.c - see json_reply.h.
 */
#include "json_reply.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "workers.h"

int json_reply(struct mg_connection *conn, int status, const cJSON *body,
               const char *const extra_headers[])
{
    char *text = cJSON_PrintUnformatted(body);
    size_t length = text != NULL ? strlen(text) : 0;
    char length_text[32];
    snprintf(length_text, sizeof length_text, "%zu", length);

    mg_response_header_start(conn, status);
    mg_response_header_add(conn, "Content-Type", "application/json", -1);
    mg_response_header_add(conn, "Content-Length", length_text, -1);
    for (size_t i = 0; extra_headers != NULL && extra_headers[i] != NULL; i += 2)
        mg_response_header_add(conn, extra_headers[i], extra_headers[i + 1], -1);
    /* Callers may be queueing for a worker thread: close this
     * connection after the reply, to free its worker (see workers.h). civetweb
     * then writes "Connection: close" itself. */
    if (workers_saturated())
        mg_disable_connection_keep_alive(conn);
    mg_response_header_send(conn);
    /* A reply to HEAD has the headers of the GET reply, Content-Length included,
     * but no body: bytes sent anyway would be read as the start of the next reply
     * on a keep-alive connection. */
    bool is_head = strcmp(mg_get_request_info(conn)->request_method, "HEAD") == 0;
    if (length > 0 && !is_head)
        mg_write(conn, text, length);
    cJSON_free(text);
    return status;
}

int json_error(struct mg_connection *conn, int status, const char *message,
               const char *const extra_headers[])
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "error", message);
    json_reply(conn, status, body, extra_headers);
    cJSON_Delete(body);
    return status;
}
