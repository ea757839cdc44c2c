/*
 * reply_check.c - see reply_check.h.
 */
#include "reply_check.h"

#include <cjson/cJSON.h>
#include <stdio.h>

bool reply_is_good(long http_status, const char *body, size_t body_length, char *reason,
                   size_t reason_size)
{
    if (http_status != 200) {
        snprintf(reason, reason_size, "HTTP %ld instead of 200", http_status);
        return false;
    }
    cJSON *json = cJSON_ParseWithLength(body, body_length);
    bool is_object = cJSON_IsObject(json);
    cJSON_Delete(json);
    if (!is_object) {
        snprintf(reason, reason_size, "the body is not a JSON object");
        return false;
    }
    return true;
}
