/*
 * say_hi.h - the lesson's slow endpoint, and the counters that watch it.
 *
 *   GET  /say-hi        waits the delay, then {"message": "hi", "delay_ms": D}
 *   GET  /stats         {"served", "in_flight", "max_in_flight", "threads", "delay_ms"}
 *   POST /stats/reset   starts the counts afresh
 *
 * /stats and /stats/reset are served twice: beside /say-hi, and on a port of their
 * own with its own few threads (server.c), where they never queue behind say-hi
 * calls. /stats names that second address as "stats_url".
 */
#ifndef SAY_HI_H
#define SAY_HI_H

#include <civetweb.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>

#include "stats.h"

#define MAX_DELAY_MS 60000

struct say_hi_service {
    long default_delay_ms; /* --delay-ms */
    long worker_threads;   /* --threads, shown in /stats for context */
    struct stats_counter stats;

    /* Sleeping handlers watch this eventfd: shutdown makes it readable to wake them. */
    int shutdown_event;

    /* say-hi calls not yet answered, so that shutdown can wait for their replies. */
    pthread_mutex_t running_lock;
    pthread_cond_t all_answered;
    long handlers_running;

    /* Anything else the server counts (the FirecREST fake) adds itself to /stats here. */
    void (*add_more_stats)(cJSON *stats, void *data);
    void (*reset_more_stats)(void *data); /* and POST /stats/reset starts them afresh */
    void *more_stats_data;

    char stats_url[64]; /* where /stats has threads of its own, or "" */
};

/* Returns false when the service cannot be set up (no eventfd). */
bool say_hi_init(struct say_hi_service *service, long default_delay_ms, long worker_threads);
void say_hi_destroy(struct say_hi_service *service);

/* Register /say-hi, /stats and /stats/reset on a started civetweb context. */
void say_hi_register(struct mg_context *context, struct say_hi_service *service);

/* Register only /stats and /stats/reset (for the stats port). */
void say_hi_register_stats(struct mg_context *context, struct say_hi_service *service);

/*
 * Wake every handler still sleeping its delay (they answer 503 at once) and wait
 * until each has sent its answer. Call it before mg_stop(): once civetweb is
 * stopping, it drops whatever a handler still writes.
 */
void say_hi_shut_down(struct say_hi_service *service);

#endif
