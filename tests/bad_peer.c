/*
 * bad_peer.c - see bad_peer.h.
 */
#include "bad_peer.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static void *serve_badly(void *peer_ptr)
{
    struct bad_peer *peer = peer_ptr;
    for (;;) {
        int connection = accept(peer->listener, NULL, NULL);
        if (connection < 0)
            return NULL; /* the test shut the listener down */
        char request[2048];
        if (read(connection, request, sizeof request) > 0) {
            for (size_t sent = 0; sent < peer->reply_length;) {
                ssize_t n = send(connection, peer->reply + sent, peer->reply_length - sent, MSG_NOSIGNAL);
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

void bad_peer_start(struct bad_peer *peer, enum peer_manner manner, const char *reply, size_t reply_length)
{
    *peer = (struct bad_peer){.manner = manner, .reply = reply, .reply_length = reply_length};
    peer->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    cr_assert(bind(peer->listener, (struct sockaddr *)&address, sizeof address) == 0);
    cr_assert(listen(peer->listener, 64) == 0);
    getsockname(peer->listener, (struct sockaddr *)&address, &length);
    peer->port = ntohs(address.sin_port);
    cr_assert(pthread_create(&peer->thread, NULL, serve_badly, peer) == 0);
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
