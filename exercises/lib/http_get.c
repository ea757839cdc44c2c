/*
 * http_get.c - the checker's own tiny HTTP client: GET (or POST with --post) one
 * URL and print the body. The checker reads the server's /stats with it, so that
 * the exercises need no curl command on the machine.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    int post = argc == 3 && strcmp(argv[1], "--post") == 0;
    if (argc != 2 + post) {
        fprintf(stderr, "usage: http_get [--post] URL\n");
        return 2;
    }
    CURL *easy = curl_easy_init();
    if (easy == NULL)
        return 1;
    curl_easy_setopt(easy, CURLOPT_URL, argv[1 + post]);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(easy, CURLOPT_FAILONERROR, 1L);
    if (post)
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
    CURLcode code = curl_easy_perform(easy);  /* the body goes to stdout */
    if (code != CURLE_OK)
        fprintf(stderr, "http_get: %s: %s\n", argv[1 + post], curl_easy_strerror(code));
    curl_easy_cleanup(easy);
    return code == CURLE_OK ? 0 : 1;
}
