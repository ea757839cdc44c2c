/*
 * workers.h - are callers queueing for one of civetweb's worker threads?
 *
 * civetweb gives a connection one worker thread for as long as it stays open,
 * idle keep-alive time included. Once every worker holds a connection, new ones
 * wait in a queue; a worker that then keeps an idle connection open makes them
 * wait for nothing (up to keep_alive_timeout_ms). So while the workers are
 * saturated, replies close their connection (json_reply.c): the worker is free
 * at once for the next connection in the queue.
 *
 * This is the server side of "threads vs event loop": an event-loop server keeps
 * an idle connection for the price of a file descriptor; a thread-per-connection
 * server pays a whole thread for it.
 */
#ifndef WORKERS_H
#define WORKERS_H

#include <civetweb.h>
#include <stdbool.h>

/* Count connections through `callbacks` (call before mg_start()). */
void workers_track(struct mg_callbacks *callbacks, long worker_threads);

/* True from the moment every worker holds a connection until half are free. */
bool workers_saturated(void);

#endif
