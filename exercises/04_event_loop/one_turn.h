/*
 * one_turn.h - exercise 04: the heart of mini_loop, written by you.
 *
 * mini_loop/mini_loop.c provides everything else (watch_fd, call_later, ...); the
 * checker's tests (test_loop.c) drive the loop by calling your one_turn() again
 * and again, as mini_loop_run() does.
 */
#ifndef ONE_TURN_H
#define ONE_TURN_H

#include "mini_loop.h"

/* One turn: sleep in poll() until a watched fd is ready or the earliest timer is due,
 * then run the callbacks of the ready fds, then those of the due timers. Returns 0, or
 * -1 if poll() failed (not for EINTR). */
int one_turn(struct mini_loop *loop);

#endif
