/*
 * open_files.c - see open_files.h.
 */
#include "open_files.h"

#include <limits.h>
#include <sys/resource.h>

long make_room_for_open_files(long wanted)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return wanted; /* cannot tell: hope for the best */
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= (rlim_t)wanted)
        return wanted;
    rlim_t room = limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= (rlim_t)wanted
                      ? (rlim_t)wanted
                      : limit.rlim_max;
    limit.rlim_cur = room;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0 && getrlimit(RLIMIT_NOFILE, &limit) == 0)
        room = limit.rlim_cur;
    return room > LONG_MAX ? LONG_MAX : (long)room;
}
