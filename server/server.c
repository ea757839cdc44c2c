/*
 * server.c - the kit's server: a slow endpoint to call, and a window on it.
 *
 *   bin/server                      # port 8080, every /say-hi waits 1000 ms
 *   bin/server --port 0 --delay-ms 200
 *
 * Once it listens it prints "listening on http://127.0.0.1:PORT" as its first line,
 * so a script or a test can start it on a free port (--port 0) and read where it
 * is; a second line gives the address of the dashboard (dashboard.c).
 * Ctrl-C or SIGTERM stops it cleanly: no new connections, calls in flight are
 * answered, exit 0.
 *
 * The routes live in their own files (say_hi.c; the fake FirecREST API, known
 * here only through firecrest.h), and every reply goes out through json_reply.c.
 * This file is the plumbing: options, starting civetweb (twice: the main port,
 * and a small second one where /stats never waits for a say-hi worker), the
 * access log (access_log.c), the worker count (workers.c), and shutting down.
 */
#include <arpa/inet.h>
#include <civetweb.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "access_log.h"
#include "dashboard.h"
#include "firecrest.h"
#include "json_reply.h"
#include "numbers.h"
#include "say_hi.h"
#include "workers.h"

/*
 * Enough workers that 1000 concurrent say-hi calls are all served at once (one
 * thread per connection in civetweb), plus room for a few /stats calls.
 */
#define DEFAULT_THREADS 1100
#define MAX_THREADS 10000

struct server_options {
    long port;
    long stats_port;
    long delay_ms;
    long threads;
    bool quiet;
};

static void print_help(FILE *out)
{
    fprintf(out,
            "Usage: server [options]\n\n"
            "A server whose GET /say-hi answers after a delay, like a slow network\n"
            "service, and whose GET /stats shows how many calls are in flight.\n\n"
            "Options:\n"
            "  --port P        port on 127.0.0.1, 0..65535; 0 picks a free one (default 8080)\n"
            "  --stats-port P  a second port for /stats alone, with threads of its own\n"
            "                  (default 0: a free one, named in /stats as stats_url)\n"
            "  --delay-ms D    how long /say-hi waits, 0..%d (default 1000)\n"
            "  --threads T     worker threads = calls served at once, 1..%d (default %d)\n"
            "  --quiet         no access log on stderr\n"
            "  --help          show this help\n\n",
            MAX_DELAY_MS, MAX_THREADS, DEFAULT_THREADS);
    firecrest_print_help(out);
    fprintf(out,
            "\nEndpoints: GET /say-hi[?delay_ms=N], GET /stats, POST /stats/reset, GET / (the\n"
            "dashboard, for a browser), and FirecREST's.\n"
            "Prints \"listening on http://127.0.0.1:PORT\" on stdout when ready, then where\n"
            "the live dashboard is (GET /, in a browser).\n");
}

/* Returns -1 to run, or the exit code to end with (0 after --help, 2 on bad usage). */
static int parse_options(int argc, char **argv, struct server_options *options)
{
    enum { OPT_PORT = 256, OPT_STATS_PORT, OPT_DELAY_MS, OPT_THREADS, OPT_QUIET, OPT_HELP };
    struct option long_options[32] = {
        {"port", required_argument, NULL, OPT_PORT},
        {"stats-port", required_argument, NULL, OPT_STATS_PORT},
        {"delay-ms", required_argument, NULL, OPT_DELAY_MS},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"help", no_argument, NULL, OPT_HELP},
    };
    size_t count = firecrest_add_options(long_options, 6, 31); /* one {0} stays at the end */
    long_options[count] = (struct option){0};
    *options = (struct server_options){.port = 8080, .delay_ms = 1000, .threads = DEFAULT_THREADS};
    opterr = 0;
    int code, option_index = 0;
    while ((code = getopt_long(argc, argv, ":h", long_options, &option_index)) != -1) {
        const char *name = argv[optind - 1]; /* right for the errors below: no value taken */
        bool ok = true;
        char wanted[64] = ""; /* what the option takes, for the message when it is wrong */
        switch (code) {
        case OPT_PORT:
        case OPT_STATS_PORT:
            snprintf(wanted, sizeof wanted, "a port from 0 to 65535 (0 picks a free one)");
            ok = parse_whole_number(optarg, 0, 65535,
                                    code == OPT_PORT ? &options->port : &options->stats_port);
            break;
        case OPT_DELAY_MS:
            snprintf(wanted, sizeof wanted, "milliseconds from 0 to %d", MAX_DELAY_MS);
            ok = parse_whole_number(optarg, 0, MAX_DELAY_MS, &options->delay_ms);
            break;
        case OPT_THREADS:
            snprintf(wanted, sizeof wanted, "a number of threads from 1 to %d", MAX_THREADS);
            ok = parse_whole_number(optarg, 1, MAX_THREADS, &options->threads);
            break;
        case OPT_QUIET: options->quiet = true; break;
        case 'h':
        case OPT_HELP: print_help(stdout); return 0;
        case ':': fprintf(stderr, "server: %s needs a value (try --help)\n", name); return 2;
        case '?': fprintf(stderr, "server: unknown option '%s' (try --help)\n", name); return 2;
        default: ok = firecrest_take_option(code, optarg); break;
        }
        if (!ok) {
            if (wanted[0] != '\0')
                fprintf(stderr, "server: --%s wants %s, not '%s'\n",
                        long_options[option_index].name, wanted, optarg);
            else
                fprintf(stderr, "server: bad value '%s' for --%s (try --help)\n", optarg,
                        long_options[option_index].name);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "server: unexpected argument '%s' (try --help)\n", argv[optind]);
        return 2;
    }
    return -1;
}

/*
 * civetweb's own error messages go to stderr too, but not while it starts: a port
 * in use gives two lines of civetweb's words ("cannot bind to ...", "Failed to
 * setup server ports"). The first is kept, and said once in our words if the start
 * fails (see main).
 */
static atomic_bool civetweb_starting;
static char civetweb_start_message[256];

static int on_civetweb_message(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    if (atomic_load(&civetweb_starting)) {
        if (civetweb_start_message[0] == '\0')
            snprintf(civetweb_start_message, sizeof civetweb_start_message, "%s", message);
        return 1;
    }
    fprintf(stderr, "server: %s\n", message);
    return 1;
}

/* mg_start() with its messages held back; on failure, say why in one line. */
static struct mg_context *start_civetweb(const struct mg_callbacks *callbacks,
                                         const char **civetweb_options, const char *what, long port)
{
    civetweb_start_message[0] = '\0';
    atomic_store(&civetweb_starting, true);
    struct mg_context *context = mg_start(callbacks, NULL, civetweb_options);
    atomic_store(&civetweb_starting, false);
    if (context == NULL)
        fprintf(stderr,
                "server: could not start %s on 127.0.0.1:%ld: %s\n"
                "(is another server running there? --port 0 picks a free port)\n",
                what, port,
                civetweb_start_message[0] != '\0' ? civetweb_start_message : "civetweb failed");
    return context;
}

/* Anything no other handler took: a JSON 404, never civetweb's HTML page. */
static int on_unknown_path(struct mg_connection *conn, void *unused)
{
    (void)unused;
    return json_error(
        conn, 404, "no such endpoint: try GET /say-hi, GET /stats or FirecREST's /status/systems",
        NULL);
}

/*
 * mg_stop() sets civetweb's stop flag and waits until every thread has seen it.
 * The accept thread looks at the flag only between poll()s of up to 2 s on the
 * listening socket, so Ctrl-C would take up to 2 s to end the server. Instead
 * mg_stop() runs on a helper thread while we knock on our own port (connect,
 * close) every 10 ms: a knock wakes the accept thread, and the first one after
 * the flag is set lets it quit at once.
 * (A worker waiting on an idle keep-alive connection polls the same way; no knock
 * reaches it, so a client holding a connection open can still add up to 2 s.)
 */
struct civetweb_stop {
    struct mg_context *context;
    atomic_bool done;
};

static void *run_mg_stop(void *stop_data)
{
    struct civetweb_stop *stop = stop_data;
    mg_stop(stop->context);
    atomic_store(&stop->done, true);
    return NULL;
}

static void knock_on_port(int port)
{
    int knock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (knock < 0)
        return;
    struct sockaddr_in address = {
        .sin_family = AF_INET,
        .sin_port = htons((uint16_t)port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    /* Refused once civetweb has closed its port: the knock is no longer needed. */
    connect(knock, (const struct sockaddr *)&address, sizeof address);
    close(knock);
}

static void stop_civetweb(struct mg_context *context, int port)
{
    struct civetweb_stop stop = {.context = context};
    atomic_init(&stop.done, false);
    pthread_t helper;
    if (pthread_create(&helper, NULL, run_mg_stop, &stop) != 0) {
        mg_stop(context); /* no thread to spare: stop the slow way */
        return;
    }
    const struct timespec pause = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
    while (!atomic_load(&stop.done)) {
        knock_on_port(port);
        nanosleep(&pause, NULL);
    }
    pthread_join(helper, NULL);
}

/*
 * A thread-per-connection server holds one worker per open connection, so a
 * thousand sockets that never send a byte take a thousand workers. Two limits
 * keep a class served (README, "When every worker is taken"): an unfinished
 * request head is dropped after REQUEST_TIMEOUT_MS, an idle keep-alive
 * connection after KEEP_ALIVE_TIMEOUT_MS (at once when workers run short, see
 * workers.h); and /stats has a port and threads of its own.
 */
#define REQUEST_TIMEOUT_MS "1000"
#define KEEP_ALIVE_TIMEOUT_MS "2000"
enum { STATS_THREADS = 4 };

/* Each connection is a socket, queued ones too: raise the soft limit on open
 * files to the hard one (the default 1024 is less than our threads). */
static void make_room_for_connections(long threads)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        limit.rlim_cur < (rlim_t)threads + 4096 + 256)
        fprintf(stderr,
                "server: warning: only %lu open files allowed; %ld threads and a queue of 4096 "
                "need more (raise `ulimit -n`)\n",
                (unsigned long)limit.rlim_cur, threads);
}

/*
 * /stats on a second port, served by a few threads of its own: however many
 * say-hi calls hold the main workers (or queue for them), a look at /stats never
 * waits behind them. Its own timeouts are short: its threads are few.
 */
static struct mg_context *start_stats_port(struct say_hi_service *say_hi, long port)
{
    char listening_ports[32], threads[16];
    snprintf(listening_ports, sizeof listening_ports, "127.0.0.1:%ld", port);
    snprintf(threads, sizeof threads, "%d", STATS_THREADS);
    /* One option and its value per line: */
    /* clang-format off */
    const char *civetweb_options[] = {
        "listening_ports", listening_ports,
        "num_threads", threads,
        "enable_keep_alive", "yes",
        "keep_alive_timeout_ms", "500",
        "request_timeout_ms", "500",
        "decode_url", "no",
        "tcp_nodelay", "1",
        NULL,
    };
    /* clang-format on */
    struct mg_callbacks callbacks = {.log_message = on_civetweb_message};
    struct mg_context *context =
        start_civetweb(&callbacks, civetweb_options, "the stats port", port);
    struct mg_server_port stats_port;
    if (context == NULL)
        return NULL;
    if (mg_get_server_ports(context, 1, &stats_port) < 1) {
        fprintf(stderr, "server: civetweb reports no stats port\n");
        mg_stop(context);
        return NULL;
    }
    snprintf(say_hi->stats_url, sizeof say_hi->stats_url, "http://127.0.0.1:%d", stats_port.port);
    say_hi_register_stats(context, say_hi);
    mg_set_request_handler(context, "**", on_unknown_path, NULL);
    return context;
}

/* The stats port, from the URL start_stats_port() wrote. */
static int say_hi_stats_port(const struct say_hi_service *say_hi)
{
    const char *colon = strrchr(say_hi->stats_url, ':');
    return colon != NULL ? atoi(colon + 1) : 0;
}

int main(int argc, char **argv)
{
    struct server_options options;
    int early_exit = parse_options(argc, argv, &options);
    if (early_exit >= 0)
        return early_exit;

    /*
     * Block SIGINT and SIGTERM before any thread exists: every civetweb worker
     * inherits the mask, and main alone receives them, in sigwait() below. No code
     * runs inside a signal handler, so nothing unsafe can happen there.
     */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    struct say_hi_service say_hi;
    if (!say_hi_init(&say_hi, options.delay_ms, options.threads)) {
        perror("server: eventfd");
        return 1;
    }

    make_room_for_connections(options.threads);
    char listening_ports[32], threads[16];
    snprintf(listening_ports, sizeof listening_ports, "127.0.0.1:%ld", options.port);
    snprintf(threads, sizeof threads, "%ld", options.threads);
    /* One option and its value per line: */
    /* clang-format off */
    const char *civetweb_options[] = {
        "listening_ports", listening_ports,
        "num_threads", threads,
        /* 1000 clients connecting at once: a short kernel backlog would drop SYNs
         * and make clients retry a second later, ruining the measurement. */
        "listen_backlog", "4096",
        "connection_queue", "4096",
        /* Keep-alive: a client may send its next call on the same connection,
         * sparing a TCP handshake per call. An idle connection keeps its worker
         * thread meanwhile; workers.h says what we do when threads run short. */
        "enable_keep_alive", "yes",
        "keep_alive_timeout_ms", KEEP_ALIVE_TIMEOUT_MS,
        /* A connection that has not sent its whole request head within this time
         * is closed: otherwise (civetweb's default is 30 s) a thousand sockets that
         * send nothing hold every worker, and everyone else waits. See README. */
        "request_timeout_ms", REQUEST_TIMEOUT_MS,
        /* Paths reach the handlers as the client sent them, %-encoded: a decoded
         * "/say-hi%00.json" would be "/say-hi" to a C string, and a decoded %0d%0a
         * would reach the log. Handlers decode what they need, and check it. */
        "decode_url", "no",
        /* civetweb sends a reply in several small writes (the status line, each
         * header, the body). Without TCP_NODELAY, Nagle's algorithm holds all but
         * the first back until the client's delayed ACK (~40 ms): a keep-alive
         * client would see every call take 40 ms longer. */
        "tcp_nodelay", "1",
        NULL,
    };
    /* clang-format on */
    struct mg_callbacks callbacks = {.log_message = on_civetweb_message};
    workers_track(&callbacks, options.threads);
    if (!options.quiet)
        access_log_enable(&callbacks);

    mg_init_library(0);
    struct mg_context *context =
        start_civetweb(&callbacks, civetweb_options, "the server", options.port);
    if (context == NULL) {
        mg_exit_library();
        say_hi_destroy(&say_hi);
        return 1;
    }
    struct mg_server_port port;
    struct firecrest *firecrest = NULL;
    struct mg_context *stats_context = NULL;
    if (mg_get_server_ports(context, 1, &port) < 1)
        fprintf(stderr, "server: civetweb reports no listening port\n");
    else if ((stats_context = start_stats_port(&say_hi, options.stats_port)) != NULL)
        firecrest = firecrest_start(context, port.port);
    if (firecrest == NULL) {
        if (stats_context != NULL)
            mg_stop(stats_context);
        mg_stop(context);
        mg_exit_library();
        say_hi_destroy(&say_hi);
        return 1;
    }
    say_hi.add_more_stats = firecrest_add_stats;
    say_hi.reset_more_stats = firecrest_reset_stats;
    say_hi.more_stats_data = firecrest;
    say_hi_register(context, &say_hi);
    dashboard_register(context);
    /* Registered last: civetweb tries patterns in order, so this one catches the rest. */
    mg_set_request_handler(context, "**", on_unknown_path, NULL);

    printf("listening on http://127.0.0.1:%d\n", port.port);
    printf("dashboard at http://127.0.0.1:%d/ (open it in a browser)\n", port.port);
    fflush(stdout);
    if (!options.quiet)
        fprintf(stderr, "server: /stats also on %s/stats, with threads of its own\n",
                say_hi.stats_url);

    int received;
    sigwait(&stop_signals, &received);
    if (!options.quiet)
        fprintf(stderr, "server: %s received, stopping\n",
                received == SIGINT ? "SIGINT" : "SIGTERM");

    /* Answer the sleeping calls first: mg_stop waits for every worker to return. */
    say_hi_shut_down(&say_hi);
    stop_civetweb(stats_context, say_hi_stats_port(&say_hi));
    stop_civetweb(context, port.port);
    mg_exit_library();
    firecrest_stop(firecrest);
    say_hi_destroy(&say_hi);
    return 0;
}
