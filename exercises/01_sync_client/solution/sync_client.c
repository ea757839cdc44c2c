/*
 * sync_client.c - exercise 01: the blocking client.
 *
 *   sync_client URL NUMBER
 *
 * Calls URL NUMBER times, one call after the other, on one libcurl "easy" handle,
 * and prints one line per call, then how many were ok and how long it all took:
 *
 *   call 1: ok in 0.101 s
 *   ...
 *   5 of 5 calls ok in 0.507 s
 *
 * Each call blocks: curl_easy_perform() returns only when the reply is in, so the
 * program's time is the sum of the server's delays. That is the lesson's "before".
 * Fill in the five blanks marked TODO(student), top to bottom.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A reply body, grown piece by piece as libcurl hands it over; NUL-terminated. */
struct reply {
    char *bytes;
    size_t length;
};

/* CURLOPT_WRITEFUNCTION: libcurl calls this with each piece of the body as it arrives
 * (size * count bytes at data; never NUL-terminated). Returning less than that tells
 * libcurl to fail the call. */
static size_t on_body_piece(char *data, size_t size, size_t count, void *reply_ptr)
{
    struct reply *reply = reply_ptr;
    size_t piece = size * count;
    /* BEGIN TODO(student): append the piece: realloc reply->bytes to length + piece + 1, memcpy,
     * keep a '\0' at the end */
    char *grown = realloc(reply->bytes, reply->length + piece + 1);
    if (grown == NULL)
        return 0;  /* out of memory: libcurl fails the call with CURLE_WRITE_ERROR */
    memcpy(grown + reply->length, data, piece);
    reply->length += piece;
    grown[reply->length] = '\0';
    reply->bytes = grown;
    /* STUB: (void)reply; (void)data; */
    /* END TODO */
    return piece;
}

/* The settings every call shares. libcurl keeps them in the handle between calls. */
static void set_up_handle(CURL *easy, const char *url, struct reply *reply)
{
    /* BEGIN TODO(student): curl_easy_setopt: CURLOPT_URL, CURLOPT_WRITEFUNCTION (on_body_piece),
     * CURLOPT_WRITEDATA (reply) */
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body_piece);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, reply);
    /* STUB: (void)url; (void)reply; (void)on_body_piece; */
    /* END TODO */
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L);  /* every wait bounded: 10 s per call */
}

/* One call. Returns true when the server answered 200 with {"message": "hi"};
 * otherwise false, with the reason in `why`. */
static bool make_one_call(CURL *easy, struct reply *reply, char *why, size_t why_size)
{
    reply->length = 0;  /* the handle and the buffer are reused: start the body afresh */
    /* BEGIN TODO(student): curl_easy_perform(easy); if it is not CURLE_OK, put
     * curl_easy_strerror(code) in why, return false */
    CURLcode code = curl_easy_perform(easy);
    if (code != CURLE_OK) {
        snprintf(why, why_size, "%s", curl_easy_strerror(code));
        return false;
    }
    /* STUB: (void)easy; snprintf(why, why_size, "no call was made"); */
    /* STUB: return false; */
    /* END TODO */

    long status = 0;
    /* BEGIN TODO(student): read the HTTP status: curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE,
     * &status) */
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    /* END TODO */
    if (status != 200) {
        snprintf(why, why_size, "HTTP status %ld, not 200", status);
        return false;
    }

    bool said_hi = false;
    /* BEGIN TODO(student): cJSON_Parse(reply->bytes); said_hi when its "message" item is the
     * string "hi"; cJSON_Delete it */
    cJSON *json = cJSON_Parse(reply->bytes);
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(json, "message");
    said_hi = cJSON_IsString(message) && strcmp(message->valuestring, "hi") == 0;
    cJSON_Delete(json);
    /* END TODO */
    if (!said_hi)
        snprintf(why, why_size, "the reply is not {\"message\": \"hi\"}: %.60s", reply->bytes ? reply->bytes : "");
    return said_hi;
}

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);  /* monotonic: never jumps */
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: sync_client URL NUMBER\n"
               "Calls URL NUMBER times, one call after the other (exercise 01).\n");
        return 0;
    }
    long number = argc == 3 ? strtol(argv[2], NULL, 10) : 0;
    if (number < 1) {
        fprintf(stderr, "usage: sync_client URL NUMBER (NUMBER at least 1)\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *easy = curl_easy_init();  /* one handle for every call: one kept-alive connection */
    if (easy == NULL) {
        fprintf(stderr, "sync_client: libcurl could not make a handle\n");
        return 1;
    }
    struct reply reply = {0};
    set_up_handle(easy, argv[1], &reply);

    long ok = 0;
    double started = now_seconds();
    for (long call = 1; call <= number; call++) {
        double call_started = now_seconds();
        char why[160] = "";
        if (make_one_call(easy, &reply, why, sizeof why)) {
            ok++;
            printf("call %ld: ok in %.3f s\n", call, now_seconds() - call_started);
        } else {
            printf("call %ld: failed: %s\n", call, why);
        }
    }
    printf("%ld of %ld calls ok in %.3f s\n", ok, number, now_seconds() - started);

    free(reply.bytes);
    curl_easy_cleanup(easy);
    curl_global_cleanup();
    return ok == number ? 0 : 1;
}
