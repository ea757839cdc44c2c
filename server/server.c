/*
 * server.c - the kit's server: a slow endpoint to call, and a window on it.
 *
 *   bin/server                      # port 8080, every /say-hi waits 1000 ms
 *   bin/server --port 0 --delay-ms 200
 *
 * Once it listens it prints one line, "listening on http://127.0.0.1:PORT", so a
 * script or a test can start it on a free port (--port 0) and read where it is.
 * Ctrl-C or SIGTERM stops it cleanly: no new connections, calls in flight are
 * answered, exit 0.
 *
 * The routes live in their own files (say_hi.c, then FirecREST's firecrest*.c),
 * and every reply goes out through json_reply.c. This file is the plumbing:
 * options, starting civetweb, the access log (access_log.c), the worker count
 * (workers.c), and shutting down.
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "access_log.h"
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
    long delay_ms;
    long threads;
    bool quiet;
    struct firecrest_config firecrest;
};

static void print_help(FILE *out)
{
    fprintf(out,
            "Usage: server [options]\n\n"
            "A server whose GET /say-hi answers after a delay, like a slow network\n"
            "service, and whose GET /stats shows how many calls are in flight.\n\n"
            "Options:\n"
            "  --port P        port on 127.0.0.1; 0 picks a free one (default 8080)\n"
            "  --delay-ms D    how long /say-hi waits, 0..%d (default 1000)\n"
            "  --threads T     worker threads = calls served at once (default %d)\n"
            "  --quiet         no access log on stderr\n"
            "  --help          show this help\n\n"
            "The fake FirecREST v1 API (/auth/token, /status, /utilities, /compute, /tasks,\n/storage, /reservations):\n"
            "  --client-id ID          the OAuth2 client id tokens are issued to (default kit-client)\n"
            "  --client-secret SECRET  its secret (default kit-secret)\n"
            "  --user NAME             the user the tokens name (default test_user)\n"
            "  --client ID:SECRET:USER one more client and its user (up to 3)\n"
            "  --token-lifetime S      token lifetime in seconds, 11..86400 (default 300)\n"
            "  --systems A,B           the systems (default cluster,daint)\n"
            "  --firecrest-root DIR    keep the simulated filesystems in DIR (default: a\n"
            "                          fresh temporary directory, removed at exit)\n"
            "  --rate-limit SERVICE=N  requests per second per user for a microservice\n"
            "                          (status, utilities, compute, storage, tasks,\n"
            "                          reservations); 0 = no limit. Repeatable.\n"
            "  --job-ms MS             how long a simulated job runs (default 5000)\n\n"
            "Endpoints: GET /say-hi[?delay_ms=N], GET /stats, POST /stats/reset, and FirecREST's.\n"
            "Prints \"listening on http://127.0.0.1:PORT\" on stdout when ready.\n",
            MAX_DELAY_MS, DEFAULT_THREADS);
}

/* Returns -1 to run, or the exit code to end with (0 after --help, 2 on bad usage). */
static int parse_options(int argc, char **argv, struct server_options *options)
{
    enum { OPT_PORT = 256, OPT_DELAY_MS, OPT_THREADS, OPT_QUIET, OPT_HELP, OPT_CLIENT_ID,
           OPT_CLIENT_SECRET, OPT_USER, OPT_TOKEN_LIFETIME, OPT_SYSTEMS, OPT_ROOT, OPT_RATE_LIMIT, OPT_JOB_MS, OPT_CLIENT };
    const struct option long_options[] = {
        {"port", required_argument, NULL, OPT_PORT},
        {"delay-ms", required_argument, NULL, OPT_DELAY_MS},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"help", no_argument, NULL, OPT_HELP},
        {"client-id", required_argument, NULL, OPT_CLIENT_ID},
        {"client-secret", required_argument, NULL, OPT_CLIENT_SECRET},
        {"user", required_argument, NULL, OPT_USER},
        {"token-lifetime", required_argument, NULL, OPT_TOKEN_LIFETIME},
        {"systems", required_argument, NULL, OPT_SYSTEMS},
        {"firecrest-root", required_argument, NULL, OPT_ROOT},
        {"rate-limit", required_argument, NULL, OPT_RATE_LIMIT},
        {"job-ms", required_argument, NULL, OPT_JOB_MS},
        {"client", required_argument, NULL, OPT_CLIENT},
        {0, 0, 0, 0},
    };
    *options = (struct server_options){.port = 8080, .delay_ms = 1000, .threads = DEFAULT_THREADS};
    firecrest_config_defaults(&options->firecrest);
    opterr = 0;
    int code, option_index = 0;
    while ((code = getopt_long(argc, argv, ":h", long_options, &option_index)) != -1) {
        const char *name = argv[optind - 1]; /* right for the errors below: no value taken */
        bool ok = true;
        switch (code) {
        case OPT_PORT: ok = parse_whole_number(optarg, 0, 65535, &options->port); break;
        case OPT_DELAY_MS: ok = parse_whole_number(optarg, 0, MAX_DELAY_MS, &options->delay_ms); break;
        case OPT_THREADS: ok = parse_whole_number(optarg, 1, MAX_THREADS, &options->threads); break;
        case OPT_QUIET: options->quiet = true; break;
        case OPT_CLIENT_ID: options->firecrest.client_id = optarg; ok = *optarg != '\0'; break;
        case OPT_CLIENT_SECRET: options->firecrest.client_secret = optarg; ok = *optarg != '\0'; break;
        case OPT_USER:
            options->firecrest.user = optarg;
            ok = *optarg != '\0' && strlen(optarg) < 32 && strspn(optarg, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(optarg);
            break;
        case OPT_TOKEN_LIFETIME: ok = parse_whole_number(optarg, 11, 86400, &options->firecrest.token_lifetime_s); break;
        case OPT_SYSTEMS: options->firecrest.systems = optarg; ok = *optarg != '\0' && strlen(optarg) < 200; break;
        case OPT_ROOT: options->firecrest.root = optarg; ok = *optarg != '\0'; break;
        case OPT_RATE_LIMIT: ok = firecrest_parse_rate_limit(&options->firecrest, optarg); break;
        case OPT_JOB_MS: ok = parse_whole_number(optarg, 0, 3600 * 1000L, &options->firecrest.job_ms); break;
        case OPT_CLIENT: ok = firecrest_add_client(&options->firecrest, optarg); break;
        case 'h':
        case OPT_HELP: print_help(stdout); return 0;
        case ':': fprintf(stderr, "server: %s needs a value (try --help)\n", name); return 2;
        default: fprintf(stderr, "server: unknown option '%s' (try --help)\n", name); return 2;
        }
        if (!ok) {
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

/* civetweb's own error messages (a port in use, say) go to stderr too. */
static int on_civetweb_message(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    fprintf(stderr, "server: %s\n", message);
    return 1;
}

/* Anything no other handler took: a JSON 404, never civetweb's HTML page. */
static int on_unknown_path(struct mg_connection *conn, void *unused)
{
    (void)unused;
    return json_error(conn, 404, "no such endpoint: try GET /say-hi, GET /stats or FirecREST's /status/systems", NULL);
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
    static struct firecrest firecrest; /* static: large, and lives as long as the server */
    if (!firecrest_start(&firecrest, &options.firecrest)) {
        say_hi_destroy(&say_hi);
        return 1;
    }
    say_hi.add_more_stats = firecrest_add_stats;
    say_hi.reset_more_stats = firecrest_reset_stats;
    say_hi.more_stats_data = &firecrest;

    char listening_ports[32], threads[16];
    snprintf(listening_ports, sizeof listening_ports, "127.0.0.1:%ld", options.port);
    snprintf(threads, sizeof threads, "%ld", options.threads);
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
        "keep_alive_timeout_ms", "10000",
        /* civetweb sends a reply in several small writes (the status line, each
         * header, the body). Without TCP_NODELAY, Nagle's algorithm holds all but
         * the first back until the client's delayed ACK (~40 ms): a keep-alive
         * client would see every call take 40 ms longer. */
        "tcp_nodelay", "1",
        NULL,
    };
    struct mg_callbacks callbacks = {.log_message = on_civetweb_message};
    workers_track(&callbacks, options.threads);
    if (!options.quiet)
        access_log_enable(&callbacks);

    mg_init_library(0);
    struct mg_context *context = mg_start(&callbacks, NULL, civetweb_options);
    if (context == NULL) {
        fprintf(stderr, "server: could not start on 127.0.0.1:%ld (is the port in use?)\n",
                options.port);
        mg_exit_library();
        firecrest_stop(&firecrest);
        say_hi_destroy(&say_hi);
        return 1;
    }
    say_hi_register(context, &say_hi);
    firecrest_register(context, &firecrest);
    /* Registered last: civetweb tries patterns in order, so this one catches the rest. */
    mg_set_request_handler(context, "**", on_unknown_path, NULL);

    struct mg_server_port port;
    if (mg_get_server_ports(context, 1, &port) < 1) {
        fprintf(stderr, "server: civetweb reports no listening port\n");
        mg_stop(context);
        mg_exit_library();
        firecrest_stop(&firecrest);
        say_hi_destroy(&say_hi);
        return 1;
    }
    firecrest_set_base_url(&firecrest, port.port);
    printf("listening on http://127.0.0.1:%d\n", port.port);
    fflush(stdout);

    int received;
    sigwait(&stop_signals, &received);
    if (!options.quiet)
        fprintf(stderr, "server: %s received, stopping\n", received == SIGINT ? "SIGINT" : "SIGTERM");

    /* Answer the sleeping calls first: mg_stop waits for every worker to return. */
    say_hi_shut_down(&say_hi);
    stop_civetweb(context, port.port);
    mg_exit_library();
    firecrest_stop(&firecrest);
    say_hi_destroy(&say_hi);
    return 0;
}
