/*
 * host_lookup.c - see host_lookup.h.
 */
#include "host_lookup.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static void on_uv_address_found(uv_getaddrinfo_t *request, int status, struct addrinfo *addresses);

static bool is_numeric_address(const char *host)
{
    unsigned char ipv4[sizeof(struct in_addr)];
    return host[0] == '[' /* IPv6, as URLs write it */ || inet_pton(AF_INET, host, ipv4) == 1;
}

bool host_lookup_start(struct host_lookup *lookup, uv_loop_t *loop, const char *url,
                       host_lookup_done_callback *on_done, void *data)
{
    *lookup = (struct host_lookup){.on_done = on_done, .data = data};
    CURLU *parsed = curl_url();
    char *host = NULL, *port = NULL;
    bool looking_up = false;
    if (parsed != NULL && curl_url_set(parsed, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
        !is_numeric_address(host)) {
        int length = snprintf(lookup->entry, sizeof lookup->entry, "%s:%s", host, port);
        const struct addrinfo tcp = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
        lookup->request.data = lookup;
        looking_up =
            length > 0 && (size_t)length < sizeof lookup->entry &&
            uv_getaddrinfo(loop, &lookup->request, on_uv_address_found, host, port, &tcp) == 0;
    }
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(parsed);
    return looking_up;
}

/* libuv calls this when the lookup is over: write the answer as libcurl takes it. */
static void on_uv_address_found(uv_getaddrinfo_t *request, int status, struct addrinfo *addresses)
{
    struct host_lookup *lookup = request->data;
    if (status < 0) {
        char error[128];
        snprintf(error, sizeof error, "its host name has no address (%s)", uv_strerror(status));
        lookup->on_done(lookup, error);
        return;
    }
    /* libcurl's form of "this name is at these addresses": HOST:PORT:ADDRESS[,ADDRESS...] */
    char *entry = lookup->entry;
    size_t length = strlen(entry), room = sizeof lookup->entry;
    char separator = ':';
    for (struct addrinfo *each = addresses; each != NULL; each = each->ai_next) {
        char address[INET6_ADDRSTRLEN];
        if (uv_ip_name(each->ai_addr, address, sizeof address) != 0)
            continue;
        int added = snprintf(entry + length, room - length,
                             each->ai_family == AF_INET6 ? "%c[%s]" : "%c%s", separator, address);
        if (added < 0 || (size_t)added >= room - length) {
            entry[length] = '\0'; /* no room for more: keep the addresses that fit */
            break;
        }
        length += (size_t)added;
        separator = ',';
    }
    uv_freeaddrinfo(addresses);
    lookup->resolve = curl_slist_append(NULL, entry);
    lookup->on_done(lookup, lookup->resolve == NULL ? "out of memory" : NULL);
}

void host_lookup_free(struct host_lookup *lookup)
{
    curl_slist_free_all(lookup->resolve);
    lookup->resolve = NULL;
}
