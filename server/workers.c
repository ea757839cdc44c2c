/*
 * workers.c - see workers.h.
 *
 * civetweb calls init_connection when a worker picks up a connection and
 * connection_close when it lets go of it, so we can count the busy workers.
 *
 * Why "until half are free" and not simply "all busy right now": when a wave of
 * calls ends together, each worker closes its connection and takes the next one
 * from the queue a moment later. In that moment the count dips below the thread
 * count; a worker answering then would keep its idle connection, and hold its
 * thread for the whole keep-alive timeout. A wrong guess either way costs little:
 * a reconnection, or one keep-alive wait.
 */
#include "workers.h"

#include <stdatomic.h>

static long worker_threads;
static atomic_long busy_workers;
static atomic_bool saturated;

/* civetweb calls this on the worker that has just taken a new connection. */
static int on_connection_taken(const struct mg_connection *conn, void **connection_data)
{
    (void)conn;
    (void)connection_data;
    if (atomic_fetch_add(&busy_workers, 1) + 1 >= worker_threads)
        atomic_store(&saturated, true);
    return 0; /* civetweb requires 0 */
}

/* civetweb calls this on the same worker when the connection is closed. */
static void on_connection_closed(const struct mg_connection *conn)
{
    (void)conn;
    if (atomic_fetch_sub(&busy_workers, 1) - 1 <= worker_threads / 2)
        atomic_store(&saturated, false);
}

void workers_track(struct mg_callbacks *callbacks, long threads)
{
    worker_threads = threads;
    atomic_store(&busy_workers, 0);
    atomic_store(&saturated, false);
    callbacks->init_connection = on_connection_taken;
    callbacks->connection_close = on_connection_closed;
}

bool workers_saturated(void)
{
    return atomic_load(&saturated);
}
