/*
 * reply_check.h - did a call succeed? The same rule for every client of the kit.
 */
#ifndef REPLY_CHECK_H
#define REPLY_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A call succeeded when the server answered 200 with a JSON object we can parse.
 * Otherwise `reason` says why, in words ("HTTP 404 instead of 200", "the body is
 * not a JSON object").
 */
bool reply_is_good(long http_status, const char *body, size_t body_length, char *reason,
                   size_t reason_size);

#endif
