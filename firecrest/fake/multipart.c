/*
 * multipart.c - see multipart.h.
 */
#include "multipart.h"

#include <stdio.h>
#include <strings.h>

bool multipart_is_form(const struct mg_connection *conn)
{
    const char *type = mg_get_header(conn, "Content-Type");
    return type != NULL && strncasecmp(type, "multipart/form-data;", 20) == 0;
}

int multipart_read_form(struct mg_connection *conn, struct mg_form_data_handler *handler)
{
    if (!multipart_is_form(conn))
        return -1;
    return mg_handle_form_request(conn, handler);
}

const char *multipart_field_name(struct multipart_field *field, const char *key)
{
    if (key[0] != '\0')
        snprintf(field->name, sizeof field->name, "%s", key);
    return field->name;
}

int multipart_get_every_field(const char *key, const char *filename, char *path, size_t path_size,
                              void *unused)
{
    (void)key;
    (void)filename;
    (void)path;
    (void)path_size;
    (void)unused;
    return MG_FORM_FIELD_STORAGE_GET;
}
