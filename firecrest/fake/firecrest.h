/*
 * firecrest.h - the fake FirecREST v1 API, as the kit's server sees it.
 *
 * The server knows the fake through these few calls: it adds the fake's options
 * to its own, starts the fake once civetweb listens (that registers its routes),
 * shows its counters in /stats, and stops it at exit. Everything else is private
 * to firecrest/fake/ (firecrest_internal.h).
 *
 * The API followed is FirecREST v1's: https://firecrest.readthedocs.io
 */
#ifndef FIRECREST_H
#define FIRECREST_H

#include <civetweb.h>
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The fake's options use getopt codes from here up, clear of the server's own. */
enum { FIRECREST_OPTION_FIRST = 1000 };

/* Append the fake's long options to `table`, which holds `used` entries and room
 * for `capacity`; returns the new count. The caller ends the table with {0}. */
size_t firecrest_add_options(struct option *table, size_t used, size_t capacity);

/* Take the value of one of those options; false if it is bad. */
bool firecrest_take_option(int code, const char *value);

/* The fake's lines for --help. */
void firecrest_print_help(FILE *out);

/*
 * Make the sandbox (one directory per system, each with /home/<user>), start the
 * simulated cluster and register the fake's routes on `context`, which listens on
 * `port` (for the URLs the fake hands out). NULL, with a message on stderr, if it
 * cannot.
 */
struct firecrest;
struct firecrest *firecrest_start(struct mg_context *context, int port);
void firecrest_stop(struct firecrest *firecrest);

/* Add the FirecREST counters to a /stats reply (say_hi's add_more_stats hook). */
void firecrest_add_stats(cJSON *stats, void *firecrest);
/* Zero them (POST /stats/reset). The rate-limit windows are kept: a reset is no way
 * around the limit. */
void firecrest_reset_stats(void *firecrest);

#endif
