/*
 * dashboard.h - the live dashboard: a web page, served by the kit's server, that
 * draws what /stats says while a class runs the clients.
 *
 *   GET /, GET /dashboard            the page (server/dashboard/index.html)
 *   GET /dashboard/NAME              its script and style sheet
 *
 * The page itself lives in server/dashboard/ (HTML, CSS, plain JavaScript: no
 * build step, nothing from the network). The Makefile compiles those files into
 * bin/server through scripts/embed.sh, which writes the dashboard_files[] table.
 * The page polls GET /stats ten times a second; it never calls /say-hi, so the
 * say-hi counters see only the students' calls.
 */
#ifndef DASHBOARD_H
#define DASHBOARD_H

#include <civetweb.h>
#include <stdbool.h>
#include <stddef.h>

/* One file of server/dashboard/, as compiled in. */
struct dashboard_file {
    const char *name; /* "index.html" */
    const unsigned char *data;
    size_t size;
};
extern const struct dashboard_file dashboard_files[];
extern const size_t dashboard_file_count;

/* Register the page's routes on a started civetweb context (before any catch-all). */
void dashboard_register(struct mg_context *context);

/*
 * True for the page's own /stats polls, which say so in an X-Dashboard header:
 * ten a second would drown the say-hi calls in the access log.
 */
bool dashboard_is_polling(const struct mg_connection *conn);

#endif
