/*
 * clock.h - the server's one clock: milliseconds on the monotonic clock.
 *
 * Durations (a say-hi delay, a request's time in the access log, when a job
 * ends) are measured on CLOCK_MONOTONIC, which a wall-clock change (NTP, a
 * teacher fixing the laptop's time) never moves. Its zero is arbitrary: only
 * differences mean something.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <time.h>

static inline double monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

#endif
