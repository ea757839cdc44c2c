/*
 * say_hi.c - GET /say-hi: a call that takes a while, like any network service.
 *
 * The handler does nothing for `delay_ms` and then answers. That idle wait is the
 * whole point of the lesson: a client that waits for each reply before sending
 * the next call wastes the wait; a client that overlaps the calls does not.
 *
 * civetweb runs each connection on its own worker thread, so each waiting call
 * ties up one thread for its delay. With T threads, N calls take about
 * ceil(N / T) delays: the server side of "threads vs event loop". That is why the
 * server starts with many threads (--threads), and why /stats shows them. Try
 * `bin/server --threads 100` and 1000 calls at once: ten waves, about 10 delays.
 * (An idle keep-alive connection ties up a thread too: see workers.h.)
 */
#include "say_hi.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h" /* common/clock.h */
#include "json_reply.h"

bool say_hi_init(struct say_hi_service *service, long default_delay_ms, long worker_threads)
{
    service->default_delay_ms = default_delay_ms;
    service->worker_threads = worker_threads;
    service->handlers_running = 0;
    service->add_more_stats = NULL;
    service->stats_url[0] = '\0';
    service->shutdown_event = eventfd(0, EFD_CLOEXEC);
    if (service->shutdown_event < 0)
        return false;
    stats_init(&service->stats);
    pthread_mutex_init(&service->running_lock, NULL);
    /* Time the wait on the monotonic clock: a wall-clock jump must not stretch it. */
    monotonic_cond_init(&service->all_answered);
    return true;
}

void say_hi_destroy(struct say_hi_service *service)
{
    pthread_cond_destroy(&service->all_answered);
    pthread_mutex_destroy(&service->running_lock);
    stats_destroy(&service->stats);
    close(service->shutdown_event);
}

/* A bound on the wait, in case a client reads its answer very slowly. */
#define SHUTDOWN_GRACE_SECONDS 5

void say_hi_shut_down(struct say_hi_service *service)
{
    /* An eventfd stays readable once written: every sleeper wakes, and any call
     * that arrives from now on answers at once. */
    uint64_t one = 1;
    if (write(service->shutdown_event, &one, sizeof one) != sizeof one)
        perror("server: waking the sleeping calls");

    struct timespec give_up = monotonic_deadline(SHUTDOWN_GRACE_SECONDS * 1000L);
    pthread_mutex_lock(&service->running_lock);
    int waited = 0;
    while (service->handlers_running > 0 && waited != ETIMEDOUT)
        waited = pthread_cond_timedwait(&service->all_answered, &service->running_lock, &give_up);
    pthread_mutex_unlock(&service->running_lock);
}

/* Each say-hi handler checks in and out, so shutdown knows when all have answered. */
static void handler_check_in(struct say_hi_service *service)
{
    pthread_mutex_lock(&service->running_lock);
    service->handlers_running++;
    pthread_mutex_unlock(&service->running_lock);
}

static void handler_check_out(struct say_hi_service *service)
{
    pthread_mutex_lock(&service->running_lock);
    if (--service->handlers_running == 0)
        pthread_cond_broadcast(&service->all_answered);
    pthread_mutex_unlock(&service->running_lock);
}

/*
 * The I/O wait, simulated. Returns false when shutdown cut it short.
 *
 * poll() on the shutdown eventfd with the delay as its timeout: it returns when
 * the delay is over or when shutdown makes the eventfd readable, whichever comes
 * first. Each waiting thread sleeps in the kernel on its own; a thousand of them
 * share no lock, so they all wake on time.
 */
static bool wait_delay(struct say_hi_service *service, long delay_ms)
{
    struct pollfd shutdown_watch = {.fd = service->shutdown_event, .events = POLLIN};
    double due = monotonic_ms() + (double)delay_ms;
    for (;;) {
        double left_ms = due - monotonic_ms();
        if (left_ms <= 0)
            return true;
        int ready = poll(&shutdown_watch, 1, (int)ceil(left_ms));
        if (ready > 0)
            return false; /* shutdown */
        if (ready < 0 && errno != EINTR)
            return true;
    }
}

/*
 * ?delay_ms=N overrides the delay for one call. Digits only, 0..MAX_DELAY_MS:
 * "abc", "-1", "" or "99999" is the caller's mistake, answered with a 400.
 */
static bool read_delay_override(const char *query, long *delay_ms)
{
    if (query == NULL)
        return true;
    char value[16];
    int length = mg_get_var(query, strlen(query), "delay_ms", value, sizeof value);
    if (length == -1)
        return true; /* not given: keep the default */
    if (length <= 0 || strspn(value, "0123456789") != (size_t)length)
        return false;
    long parsed = strtol(value, NULL, 10);
    if (parsed > MAX_DELAY_MS)
        return false;
    *delay_ms = parsed;
    return true;
}

static int method_not_allowed(struct mg_connection *conn, const char *allowed)
{
    const char *const allow_header[] = {"Allow", allowed, NULL};
    char message[64];
    snprintf(message, sizeof message, "method not allowed here: use %s", allowed);
    return json_error(conn, 405, message, allow_header);
}

/* civetweb calls this on a worker thread for each GET /say-hi. */
static int on_say_hi(struct mg_connection *conn, void *service_data)
{
    struct say_hi_service *service = service_data;
    const struct mg_request_info *request = mg_get_request_info(conn);
    if (strcmp(request->request_method, "GET") != 0)
        return method_not_allowed(conn, "GET");
    long delay_ms = service->default_delay_ms;
    if (!read_delay_override(request->query_string, &delay_ms))
        return json_error(conn, 400,
                          "delay_ms must be a whole number of milliseconds from 0 to 60000", NULL);

    handler_check_in(service);
    stats_call_started(&service->stats);
    bool completed = wait_delay(service, delay_ms);
    /* Counted out before the reply leaves: once a client has its answer, /stats no
     * longer shows its call in flight. */
    stats_call_finished(&service->stats);
    int status;
    if (completed) {
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "message", "hi");
        cJSON_AddNumberToObject(body, "delay_ms", (double)delay_ms);
        status = json_reply(conn, 200, body, NULL);
        cJSON_Delete(body);
    } else {
        status = json_error(conn, 503, "the server is shutting down", NULL);
    }
    handler_check_out(service);
    return status;
}

static int reply_with_stats(struct mg_connection *conn, struct say_hi_service *service)
{
    struct say_hi_stats numbers = stats_snapshot(&service->stats);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddNumberToObject(body, "served", (double)numbers.served);
    cJSON_AddNumberToObject(body, "in_flight", (double)numbers.in_flight);
    cJSON_AddNumberToObject(body, "max_in_flight", (double)numbers.max_in_flight);
    cJSON_AddNumberToObject(body, "threads", (double)service->worker_threads);
    cJSON_AddNumberToObject(body, "delay_ms", (double)service->default_delay_ms);
    if (service->stats_url[0] != '\0')
        cJSON_AddStringToObject(body, "stats_url", service->stats_url);
    if (service->add_more_stats != NULL)
        service->add_more_stats(body, service->more_stats_data);
    /* Read-only counters: a page served from the main port may poll the stats port. */
    json_reply(conn, 200, body, (const char *const[]){"Access-Control-Allow-Origin", "*", NULL});
    cJSON_Delete(body);
    return 200;
}

/* GET /stats: what the server sees, so concurrency is measured, not guessed. */
static int on_stats(struct mg_connection *conn, void *service_data)
{
    if (strcmp(mg_get_request_info(conn)->request_method, "GET") != 0)
        return method_not_allowed(conn, "GET");
    return reply_with_stats(conn, service_data);
}

/* POST /stats/reset: a fresh count before each experiment. */
static int on_stats_reset(struct mg_connection *conn, void *service_data)
{
    if (strcmp(mg_get_request_info(conn)->request_method, "POST") != 0)
        return method_not_allowed(conn, "POST");
    struct say_hi_service *service = service_data;
    stats_reset(&service->stats);
    if (service->reset_more_stats != NULL)
        service->reset_more_stats(service->more_stats_data);
    return reply_with_stats(conn, service_data);
}

void say_hi_register(struct mg_context *context, struct say_hi_service *service)
{
    /* "$" anchors the pattern: "/say-hi" alone would also match "/say-hi/anything". */
    mg_set_request_handler(context, "/say-hi$", on_say_hi, service);
    say_hi_register_stats(context, service);
}

void say_hi_register_stats(struct mg_context *context, struct say_hi_service *service)
{
    mg_set_request_handler(context, "/stats$", on_stats, service);
    mg_set_request_handler(context, "/stats/reset$", on_stats_reset, service);
}
