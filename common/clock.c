/*
 * clock.c - see clock.h.
 */
#include "clock.h"

#include <time.h>

double monotonic_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

double monotonic_ms(void)
{
    return monotonic_seconds() * 1000.0;
}
