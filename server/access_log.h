/*
 * access_log.h - one line on stderr per request the server answers:
 *
 *   GET /say-hi?delay_ms=200 200 200.4 ms
 *
 * method, URI, status, and how long the server took from reading the request to
 * the end of the reply. Watch a say-hi call take its delay, and a burst of calls
 * all finish together.
 */
#ifndef ACCESS_LOG_H
#define ACCESS_LOG_H

#include <civetweb.h>

/* Fill in the callbacks that write the log; call before mg_start(). */
void access_log_enable(struct mg_callbacks *callbacks);

#endif
