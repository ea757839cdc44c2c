/*
 * multipart.h - what every multipart upload handler of the server needs from
 * civetweb's form parser (mg_handle_form_request).
 *
 * Two traps worth knowing:
 * - civetweb names a field only with its FIRST piece of data; the pieces after it
 *   come with an empty name. A handler that checks the name of every piece
 *   silently cuts each upload after the first few kilobytes.
 * - mg_handle_form_request() also takes url-encoded bodies, and bodies with no
 *   Content-Type at all. Its url-encoded reader (civetweb 1.15) loops for ever,
 *   holding a worker thread at full CPU and keeping the server from stopping, on
 *   a body with a NUL byte after an '='. Random requests found it. So the server
 *   never calls it directly: multipart_read_form() hands it multipart bodies only.
 */
#ifndef MULTIPART_H
#define MULTIPART_H

#include <civetweb.h>
#include <stdbool.h>
#include <stddef.h>

/* True when the request's body is a multipart form (multipart/form-data; boundary=...). */
bool multipart_is_form(const struct mg_connection *conn);

/* mg_handle_form_request() for a multipart body: the number of fields read, or
 * -1 without reading anything when the body is not a multipart form. */
int multipart_read_form(struct mg_connection *conn, struct mg_form_data_handler *handler);

/* The field whose data is arriving, remembered across its pieces. */
struct multipart_field {
    char name[32];
};

/* The name of the field this piece belongs to (`key` is "" after the first piece). */
const char *multipart_field_name(struct multipart_field *field, const char *key);

/* A field_found callback that asks for every field's data, piece by piece. */
int multipart_get_every_field(const char *key, const char *filename, char *path, size_t path_size,
                              void *unused);

#endif
