/*
 * bad_peer.h - a tiny server that misbehaves on purpose: it answers every
 * connection with bytes the test chooses (nonsense, a cut-short reply, nothing)
 * and then closes, resets or holds the connection; or no server at all. The
 * clients must count each such call as a failure with a reason, never crash or
 * hang.
 */
#ifndef BAD_PEER_H
#define BAD_PEER_H

#include <pthread.h>
#include <stddef.h>

/* What the peer does with each connection once it has read the request. */
enum peer_manner {
    SEND_THEN_CLOSE, /* send `reply`, close */
    SEND_THEN_RESET, /* send `reply`, then reset the connection (RST) */
    SEND_THEN_HOLD,  /* send `reply`, keep the connection open until the client closes */
};

/* For a peer that answers by path: the first route whose prefix starts the
 * request's path gives the reply (NULL: none, the connection is held until the
 * client closes it). `hits` counts the requests it got. */
struct peer_route {
    const char *path_prefix;
    const char *reply;
    int hits;
};

struct bad_peer {
    int listener;
    int port; /* where it listens, on 127.0.0.1 */
    enum peer_manner manner;
    const char *reply;
    size_t reply_length;
    struct peer_route *routes; /* or NULL: every request gets `reply` */
    int route_count;
    pthread_t thread;
};

/* Listen on a free port and serve, one connection at a time, on a thread. */
void bad_peer_start(struct bad_peer *peer, enum peer_manner manner, const char *reply,
                    size_t reply_length);

/* A peer that reads each whole request (headers and Content-Length body), answers it
 * from `routes` (a path no route has: 404) and closes: a fake API that misbehaves on
 * chosen endpoints only. */
void bad_peer_start_routed(struct bad_peer *peer, struct peer_route *routes, int route_count);

/* Stop listening and join the thread. */
void bad_peer_stop(struct bad_peer *peer);

/* A port on 127.0.0.1 that nobody listens on (bound, noted, closed): a dead server. */
int closed_port(void);

/* For a literal reply: bad_peer_start(&peer, SEND_THEN_CLOSE, REPLY("garbage")). */
#define REPLY(text) text, sizeof text - 1

#endif
