/*
 * json_reply.h - answer a request with JSON, through civetweb's response API.
 *
 * Every reply of the server goes through here, so each one has a Content-Type and
 * a correct Content-Length: without a length, a keep-alive client cannot tell
 * where the body ends and waits for more.
 */
#ifndef JSON_REPLY_H
#define JSON_REPLY_H

#include <civetweb.h>
#include <cjson/cJSON.h>

/*
 * Send `body` with HTTP `status`. `extra_headers` is NULL or a NULL-terminated
 * list of name, value, name, value, ... Returns `status`, which is what a civetweb
 * handler returns to have it written in the access log.
 */
int json_reply(struct mg_connection *conn, int status, const cJSON *body,
               const char *const extra_headers[]);

/*
 * Copy `text` into `out` (of `size` bytes, cut if need be) with every byte that
 * is not printable ASCII written as %XX. User text that reaches a header or a log
 * line goes through this: a CR LF in a header ends it and lets the rest forge new
 * headers and a body; an ESC in a log line repaints the teacher's terminal.
 */
void printable_copy(const char *text, char *out, size_t size);

/* The status line and headers of any reply: Content-Type (unless NULL),
 * Content-Length, then `extra_headers` (name, value, ..., NULL; each value through
 * printable_copy). The body is the caller's to mg_write. Returns `status`. */
int reply_headers(struct mg_connection *conn, int status, const char *const extra_headers[],
                  const char *content_type, const char *content_length);

/* Send {"error": message} with `status` (a 4xx or 5xx). */
int json_error(struct mg_connection *conn, int status, const char *message,
               const char *const extra_headers[]);

#endif
