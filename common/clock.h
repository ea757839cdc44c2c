/*
 * clock.h - the one clock the clients time their calls with.
 */
#ifndef CLOCK_H
#define CLOCK_H

/* Seconds on a clock that never jumps (CLOCK_MONOTONIC): the right one for timing.
 * The wall clock can be set back or forward while a run is timed; this one cannot. */
double monotonic_seconds(void);

#endif
