/*
 * host_lookup.h - find the server's address once, on the event loop, for every call.
 *
 * Finding an address is I/O too. Left to libcurl, each of N calls started at once
 * would look the name up on its own (libcurl's resolver runs a thread per lookup):
 * 1000 calls, 1000 lookups of the same name, and a mistyped name keeps every call
 * waiting for its own failure. So a program looks the name up once, and gives every
 * call the answer through CURLOPT_RESOLVE.
 */
#ifndef HOST_LOOKUP_H
#define HOST_LOOKUP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <uv.h>

struct host_lookup;

/* The lookup is over: `error` is NULL and lookup->resolve is ready, or `error`
 * says why the name has no address. */
typedef void host_lookup_done_callback(struct host_lookup *lookup, const char *error);

struct host_lookup {
    uv_getaddrinfo_t request;   /* runs on libuv's thread pool */
    char entry[512];            /* the answer: "HOST:PORT:ADDRESS[,ADDRESS...]" */
    struct curl_slist *resolve; /* the same, as CURLOPT_RESOLVE takes it (NULL: none) */
    host_lookup_done_callback *on_done;
    void *data; /* for the program */
};

/*
 * Start looking up the host of `url` on `loop`; `on_done` runs on a later turn.
 * Returns false when there is nothing to look up (a numeric address, like the
 * default 127.0.0.1, or a URL without a host): then on_done never runs, and the
 * program starts its calls at once.
 */
bool host_lookup_start(struct host_lookup *lookup, uv_loop_t *loop, const char *url,
                       host_lookup_done_callback *on_done, void *data);

/* Free the answer: after every handle that used it is cleaned up. */
void host_lookup_free(struct host_lookup *lookup);

#endif
