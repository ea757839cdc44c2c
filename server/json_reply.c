/*
 * json_reply.c - see json_reply.h.
 */
#include "json_reply.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "workers.h"

void printable_copy(const char *text, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t used = 0;
    for (const unsigned char *byte = (const unsigned char *)text; *byte != '\0' && used + 4 <= size;
         byte++) {
        if (*byte >= 0x20 && *byte < 0x7f) {
            out[used++] = (char)*byte;
        } else {
            out[used++] = '%';
            out[used++] = hex[*byte >> 4];
            out[used++] = hex[*byte & 0x0f];
        }
    }
    if (size > 0)
        out[used] = '\0';
}

/*
 * After an interim "100 Continue" (written by hand: civetweb 1.15 has no call for
 * it), civetweb refuses to start another response, so the final one is written
 * by hand too, and the connection closes after it, for civetweb's bookkeeping of
 * the connection no longer matches what was sent.
 */
static void send_headers_by_hand(struct mg_connection *conn, int status,
                                 const char *const headers[])
{
    mg_printf(conn, "HTTP/1.1 %d %s\r\n", status, mg_get_response_code_text(conn, status));
    for (size_t i = 0; headers[i] != NULL; i += 2)
        mg_printf(conn, "%s: %s\r\n", headers[i], headers[i + 1]);
    mg_printf(conn, "Connection: close\r\n\r\n");
    mg_disable_connection_keep_alive(conn);
}

int reply_headers(struct mg_connection *conn, int status, const char *const extra_headers[],
                  const char *content_type, const char *content_length)
{
    enum { MAX_HEADERS = 16 };
    const char *headers[2 * MAX_HEADERS + 1];
    char values[MAX_HEADERS][1024];
    size_t count = 0;
    if (content_type != NULL) {
        headers[count++] = "Content-Type";
        headers[count++] = content_type;
    }
    headers[count++] = "Content-Length";
    headers[count++] = content_length;
    for (size_t i = 0;
         extra_headers != NULL && extra_headers[i] != NULL && count + 2 < 2 * MAX_HEADERS; i += 2) {
        printable_copy(extra_headers[i + 1], values[count / 2], sizeof values[0]);
        headers[count++] = extra_headers[i];
        headers[count] = values[count / 2];
        count++;
    }
    headers[count] = NULL;
    if (mg_response_header_start(conn, status) != 0) {
        send_headers_by_hand(conn, status, headers);
        return status;
    }
    for (size_t i = 0; headers[i] != NULL; i += 2)
        mg_response_header_add(conn, headers[i], headers[i + 1], -1);
    /* Callers may be queueing for a worker thread: close this
     * connection after the reply, to free its worker (see workers.h). civetweb
     * then writes "Connection: close" itself. */
    if (workers_saturated())
        mg_disable_connection_keep_alive(conn);
    mg_response_header_send(conn);
    return status;
}

int json_reply(struct mg_connection *conn, int status, const cJSON *body,
               const char *const extra_headers[])
{
    char *text = cJSON_PrintUnformatted(body);
    size_t length = text != NULL ? strlen(text) : 0;
    char length_text[32];
    snprintf(length_text, sizeof length_text, "%zu", length);
    reply_headers(conn, status, extra_headers, "application/json", length_text);
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
