/*
 * open_files.c - see open_files.h.
 */
#include "open_files.h"

#include <stdio.h>
#include <sys/resource.h>

bool make_room_for_open_files(long wanted, const char *program)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return false;
    /* Unlimited already: never "raise" it to a finite number. */
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= (rlim_t)wanted)
        return true;
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < (rlim_t)wanted) {
        fprintf(stderr,
                "%s: warning: %ld calls at once need %ld open files, the limit is %lu: "
                "use --concurrency or raise `ulimit -n`\n",
                program, wanted, wanted, (unsigned long)limit.rlim_max);
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        return false;
    }
    limit.rlim_cur = (rlim_t)wanted;
    return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}
