/*
 * open_files.h - make room for many sockets at once.
 *
 * A concurrent client holds one socket per call in flight. Linux allows 1024 open
 * files per process by default (the "soft" limit), which 1000 calls plus stdio and
 * the event loop's own descriptors would exceed. The "hard" limit is usually much
 * higher, and a process may raise its soft limit up to it without privileges.
 */
#ifndef OPEN_FILES_H
#define OPEN_FILES_H

/*
 * Raise the soft limit on open files to at least `wanted` if the hard limit allows
 * (never lower it). Returns how many files the process may now have open: less
 * than `wanted` when the hard limit is lower (`ulimit -n` in a shell sets both).
 */
long make_room_for_open_files(long wanted);

#endif
