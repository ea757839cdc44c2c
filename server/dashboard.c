/*
 * dashboard.c - serve the dashboard's page. See dashboard.h.
 *
 * Three small files, compiled into the server: the handler finds one by name in
 * dashboard_files[] and sends it. The name is only ever compared with the names
 * in that table, so no request, however odd, can make it read anything else.
 */
#include "dashboard.h"

#include <stdio.h>
#include <string.h>

#include "json_reply.h"

#define PAGE_PREFIX "/dashboard/"

/* The Content-Type of each kind of file the page is made of. */
static const char *content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot != NULL && strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (dot != NULL && strcmp(dot, ".js") == 0)
        return "text/javascript; charset=utf-8";
    if (dot != NULL && strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    return "application/octet-stream";
}

static const struct dashboard_file *find_file(const char *name)
{
    for (size_t i = 0; i < dashboard_file_count; i++)
        if (strcmp(dashboard_files[i].name, name) == 0)
            return &dashboard_files[i];
    return NULL;
}

static int send_file(struct mg_connection *conn, const struct dashboard_file *file)
{
    char length[32];
    snprintf(length, sizeof length, "%zu", file->size);
    mg_response_header_start(conn, 200);
    mg_response_header_add(conn, "Content-Type", content_type(file->name), -1);
    mg_response_header_add(conn, "Content-Length", length, -1);
    /* Ask again on every load: after `make`, a reload shows the new page. */
    mg_response_header_add(conn, "Cache-Control", "no-cache", -1);
    /* The page is fetched once. Kept alive, its connection would hold one of the
     * say-hi workers idle for the keep-alive timeout (see workers.h). */
    mg_disable_connection_keep_alive(conn);
    mg_response_header_send(conn);
    if (strcmp(mg_get_request_info(conn)->request_method, "HEAD") != 0)
        mg_write(conn, file->data, file->size);
    return 200;
}

/* civetweb calls this on a worker thread for /, /dashboard and /dashboard/... */
static int on_dashboard(struct mg_connection *conn, void *unused)
{
    (void)unused;
    const struct mg_request_info *request = mg_get_request_info(conn);
    const char *method = request->request_method;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        const char *const allow_header[] = {"Allow", "GET, HEAD", NULL};
        return json_error(conn, 405, "method not allowed here: use GET", allow_header);
    }
    const char *path = request->local_uri; /* NULL when the URI names another host */
    const size_t prefix_length = strlen(PAGE_PREFIX);
    const char *name = "index.html"; /* for /, /dashboard and /dashboard/ */
    if (path == NULL)
        name = "";
    else if (strncmp(path, PAGE_PREFIX, prefix_length) == 0 && path[prefix_length] != '\0')
        name = path + prefix_length;
    const struct dashboard_file *file = find_file(name);
    if (file == NULL)
        return json_error(conn, 404, "no such file of the dashboard: try GET /", NULL);
    return send_file(conn, file);
}

void dashboard_register(struct mg_context *context)
{
    /* "$" anchors a pattern; "**" matches any rest, "/dashboard/" included. */
    mg_set_request_handler(context, "/$", on_dashboard, NULL);
    mg_set_request_handler(context, "/dashboard$", on_dashboard, NULL);
    mg_set_request_handler(context, PAGE_PREFIX "**", on_dashboard, NULL);
}

bool dashboard_is_polling(const struct mg_connection *conn)
{
    return mg_get_header(conn, "X-Dashboard") != NULL;
}
