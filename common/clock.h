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

/* Seconds, for the clients' timings. */
double monotonic_seconds(void);

/* Milliseconds, for the server's delays and deadlines. */
double monotonic_ms(void);

#endif
