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

struct bad_peer {
    int listener;
    int port; /* where it listens, on 127.0.0.1 */
    enum peer_manner manner;
    const char *reply;
    size_t reply_length;
    pthread_t thread;
};

/* Listen on a free port and serve, one connection at a time, on a thread. */
void bad_peer_start(struct bad_peer *peer, enum peer_manner manner, const char *reply, size_t reply_length);

/* Stop listening and join the thread. */
void bad_peer_stop(struct bad_peer *peer);

/* A port on 127.0.0.1 that nobody listens on (bound, noted, closed): a dead server. */
int closed_port(void);

/* For a literal reply: bad_peer_start(&peer, SEND_THEN_CLOSE, REPLY("garbage")). */
#define REPLY(text) text, sizeof text - 1

#endif
