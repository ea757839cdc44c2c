/*
 * clock.h - the kit's one clock: CLOCK_MONOTONIC, in seconds or in milliseconds.
 *
 * Durations (a call's time, a say-hi delay, a line of the access log, when a job
 * ends) are measured on a clock that never jumps: a wall-clock change (NTP, a
 * teacher fixing the laptop's time) never moves it. Its zero is arbitrary: only
 * differences mean something.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <pthread.h>
#include <time.h>

/* Seconds, for the clients' timings. */
double monotonic_seconds(void);

/* Milliseconds, for the server's delays and deadlines. */
double monotonic_ms(void);

/* A condition variable whose timed waits run on this clock, and the deadline to give
 * pthread_cond_timedwait() for "`ms` milliseconds from now" on it. (By default a
 * condition variable times its waits on the wall clock, which can jump.) */
void monotonic_cond_init(pthread_cond_t *condition);
struct timespec monotonic_deadline(long ms);

#endif
