/*
 * curl_helpers.c - see curl_helpers.h.
 */
#include "curl_helpers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t reply_body_append(char *data, size_t size, size_t count, void *body_ptr)
{
    struct reply_body *body = body_ptr;
    size_t piece = size * count;
    if (piece > REPLY_BODY_LIMIT - body->length) {
        body->too_big = true;
        return 0; /* tells libcurl to abort this transfer with an error */
    }
    char *grown = realloc(body->bytes, body->length + piece + 1);
    if (grown == NULL)
        return 0; /* tells libcurl to abort this transfer with an error */
    memcpy(grown + body->length, data, piece);
    body->bytes = grown;
    body->length += piece;
    body->bytes[body->length] = '\0';
    return piece;
}

bool url_is_usable(const char *url, char *error, size_t error_size)
{
    CURLU *parsed = curl_url();
    char *scheme = NULL;
    CURLUcode rc = curl_url_set(parsed, CURLUPART_URL, url, 0);
    if (rc == CURLUE_OK)
        rc = curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0);
    bool usable = rc == CURLUE_OK && (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
    if (rc != CURLUE_OK)
        snprintf(error, error_size, "--url '%s' is not a URL: %s", url, curl_url_strerror(rc));
    else if (!usable)
        snprintf(error, error_size, "--url '%s': only http:// and https:// URLs are supported",
                 url);
    curl_free(scheme);
    curl_url_cleanup(parsed);
    return usable;
}

bool means_server_unreachable(CURLcode code)
{
    return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST;
}

const char *transfer_failure(CURL *easy, CURLcode code, const struct reply_body *body,
                             const char *error_buffer, bool *server_unreachable)
{
    *server_unreachable = false;
    if (body->too_big)
        return "the reply is longer than 1 MiB: the client keeps no more";
    long os_errno = 0;
    curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
    if (os_errno == EMFILE || os_errno == ENFILE)
        return "no file descriptor left for a socket (EMFILE): raise `ulimit -n` or use "
               "--concurrency";
    *server_unreachable = means_server_unreachable(code);
    return error_buffer != NULL && error_buffer[0] != '\0' ? error_buffer
                                                           : curl_easy_strerror(code);
}
