/*
 * bad_peer.c - see bad_peer.h.
 */
#include "bad_peer.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Read one request whole (the body too, so that close() sends no RST); its path
 * is left NUL-terminated in `request`. Returns false if the client went away. */
static bool read_whole_request(int connection, char *request, size_t size)
{
    size_t used = 0;
    char *end_of_head = NULL;
    while (end_of_head == NULL) {
        ssize_t n = read(connection, request + used, size - 1 - used);
        if (n <= 0)
            return false;
        used += (size_t)n;
        request[used] = '\0';
        end_of_head = strstr(request, "\r\n\r\n");
        if (end_of_head == NULL && used == size - 1)
            return false;
    }
    const char *length_header = strstr(request, "\r\nContent-Length:"); /* as libcurl spells it */
    long body_left = length_header != NULL ? atol(length_header + 17) : 0;
    body_left -= (long)(used - (size_t)(end_of_head + 4 - request));
    for (char sink[4096]; body_left > 0;) {
        ssize_t n = read(connection, sink, sizeof sink);
        if (n <= 0)
            return false;
        body_left -= n;
    }
    char *path = strchr(request, ' ');
    size_t path_length = path != NULL ? strcspn(path + 1, " ") : 0;
    memmove(request, path != NULL ? path + 1 : "", path_length);
    request[path_length] = '\0';
    return true;
}

static void send_all(int connection, const char *bytes, size_t length)
{
    for (size_t sent = 0; sent < length;) {
        ssize_t n = send(connection, bytes + sent, length - sent, MSG_NOSIGNAL);
        if (n <= 0)
            return; /* the client gave up on us */
        sent += (size_t)n;
    }
}

static void answer_by_route(struct bad_peer *peer, int connection)
{
    static const char not_found[] =
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    char request[16384];
    if (!read_whole_request(connection, request, sizeof request))
        return;
    for (int i = 0; i < peer->route_count; i++) {
        struct peer_route *route = &peer->routes[i];
        if (strncmp(request, route->path_prefix, strlen(route->path_prefix)) == 0) {
            route->hits++; /* read by the test after bad_peer_stop() */
            if (route->reply != NULL)
                send_all(connection, route->reply, strlen(route->reply));
            else
                while (read(connection, request, sizeof request) > 0)
                    continue; /* no answer at all: until the client gives up */
            return;
        }
    }
    send_all(connection, not_found, sizeof not_found - 1);
}

static void *serve_badly(void *peer_ptr)
{
    struct bad_peer *peer = peer_ptr;
    for (;;) {
        int connection = accept(peer->listener, NULL, NULL);
        if (connection < 0)
            return NULL; /* the test shut the listener down */
        if (peer->routes != NULL) {
            answer_by_route(peer, connection);
            close(connection);
            continue;
        }
        char request[2048];
        if (read(connection, request, sizeof request) > 0) {
            for (size_t sent = 0; sent < peer->reply_length;) {
                ssize_t n =
                    send(connection, peer->reply + sent, peer->reply_length - sent, MSG_NOSIGNAL);
                if (n <= 0)
                    break; /* the client gave up on us */
                sent += (size_t)n;
            }
        }
        if (peer->manner == SEND_THEN_RESET) {
            struct linger reset = {.l_onoff = 1, .l_linger = 0}; /* close() then sends RST */
            setsockopt(connection, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        } else if (peer->manner == SEND_THEN_HOLD) {
            while (read(connection, request, sizeof request) > 0)
                continue; /* until the client closes */
        }
        close(connection);
    }
}

static void listen_and_serve(struct bad_peer *peer)
{
    peer->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    cr_assert(bind(peer->listener, (struct sockaddr *)&address, sizeof address) == 0);
    cr_assert(listen(peer->listener, 64) == 0);
    getsockname(peer->listener, (struct sockaddr *)&address, &length);
    peer->port = ntohs(address.sin_port);
    cr_assert(pthread_create(&peer->thread, NULL, serve_badly, peer) == 0);
}

void bad_peer_start(struct bad_peer *peer, enum peer_manner manner, const char *reply,
                    size_t reply_length)
{
    *peer = (struct bad_peer){.manner = manner, .reply = reply, .reply_length = reply_length};
    listen_and_serve(peer);
}

void bad_peer_start_routed(struct bad_peer *peer, struct peer_route *routes, int route_count)
{
    *peer =
        (struct bad_peer){.manner = SEND_THEN_CLOSE, .routes = routes, .route_count = route_count};
    listen_and_serve(peer);
}

void bad_peer_stop(struct bad_peer *peer)
{
    shutdown(peer->listener, SHUT_RDWR); /* wakes accept() with an error */
    pthread_join(peer->thread, NULL);
    close(peer->listener);
}

int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    cr_assert(bind(fd, (struct sockaddr *)&address, sizeof address) == 0);
    getsockname(fd, (struct sockaddr *)&address, &length);
    close(fd);
    return ntohs(address.sin_port);
}
