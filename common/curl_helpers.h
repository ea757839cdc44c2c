/*
 * curl_helpers.h - small pieces every libcurl client of the kit needs the same way.
 */
#ifndef CURL_HELPERS_H
#define CURL_HELPERS_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

/* The most of one reply a client keeps: a bigger one is a misbehaving server, and
 * keeping it all would let one reply take all the memory there is. */
enum { REPLY_BODY_LIMIT = 1 << 20 };

/* A reply body, grown as libcurl hands it over in pieces; always NUL-terminated. */
struct reply_body {
    char *bytes;
    size_t length;
    bool too_big; /* it passed REPLY_BODY_LIMIT: the transfer was stopped */
};

/* A CURLOPT_WRITEFUNCTION for a struct reply_body passed as CURLOPT_WRITEDATA.
 * Past REPLY_BODY_LIMIT it stops the transfer (libcurl then says CURLE_WRITE_ERROR). */
size_t reply_body_append(char *data, size_t size, size_t count, void *body);

/*
 * Why a transfer failed, in words: a reply too big, no socket left (EMFILE), or
 * libcurl's own explanation (`error_buffer`, its CURLOPT_ERRORBUFFER, may be NULL).
 * Sets *server_unreachable when it means "nobody is listening there".
 */
const char *transfer_failure(CURL *easy, CURLcode code, const struct reply_body *body,
                             const char *error_buffer, bool *server_unreachable);

/* A URL we cannot use is a usage error, caught before the first call: http(s) only. */
bool url_is_usable(const char *url, char *error, size_t error_size);

/* libcurl's ways of saying "nobody is listening there". */
bool means_server_unreachable(CURLcode code);

#endif
