#!/bin/sh
# demo.sh - the one-command tour behind `make demo`.
#
# Starts a server whose /say-hi waits DELAY ms (default 200), then asks the
# lesson's two questions with real numbers:
#   1. Who wins, the blocking client or the event-loop client, and by how much?
#   2. When the number of calls doubles, what happens to each one's time?
set -eu
cd "$(dirname "$0")/.."
. scripts/server.sh

read_delay_ms demo "${1:-}"

trap stop_server EXIT INT TERM
start_server --delay-ms "$delay_ms"
url="$BASE_URL/say-hi"

echo "evloop-kit demo: every call to $url waits $delay_ms ms on the server."
echo
printf '%7s  %12s  %12s  %14s\n' calls "sync (s)" "async (s)" "async is"
times=""
for number in 10 20; do
    sync_seconds=$(bin/client_sync --number "$number" --url "$url" --json | json_field seconds)
    async_seconds=$(bin/client_async --number "$number" --url "$url" --json | json_field seconds)
    awk -v n="$number" -v s="$sync_seconds" -v a="$async_seconds" \
        'BEGIN { printf "%7d  %12.3f  %12.3f  %9.1fx %s\n", n, s, a, (s >= a ? s / a : a / s),
                 (s >= a ? "faster" : "slower") }'
    times="$times $sync_seconds $async_seconds"
done
echo
# The closing words say what these numbers show, not what they usually show: with a
# delay of 0 there is no wait to overlap, and the event loop's own work can make the
# async client the slower one.
# shellcheck disable=SC2086  # four numbers, meant to split
set -- $times
awk -v s10="$1" -v a10="$2" -v s20="$3" -v a20="$4" -v delay="$delay_ms" '
# "about the same" within 25%, "doubles" from 1.7x to 2.4x: the noise of a shared machine.
function change(ratio) {
    if (ratio >= 1.7 && ratio <= 2.4) return "doubles"
    if (ratio >= 0.8 && ratio <= 1.25) return "stays about the same"
    return sprintf("changes %.1fx", ratio)
}
BEGIN {
    if (s10 < 0.05 && a10 < 0.05) {
        printf "These times are a few milliseconds: with %d ms per call there is no waiting to\n" \
               "overlap: they show noise and the work of the clients themselves, not a speed-up.\n", delay
        print "Why does async win once the server is slow? The worksheet: exercises/WORKSHEET.md."
        exit
    }
    f10 = s10 / a10; f20 = s20 / a20
    printf "From 10 to 20 calls, the sync time %s (%.3f s -> %.3f s),\n", change(s20 / s10), s10, s20
    printf "the async time %s (%.3f s -> %.3f s),\n", change(a20 / a10), a10, a20
    printf "so the speed-up %s (%.1fx -> %.1fx).\n", change(f20 / f10), f10, f20
    if (f10 < 1 || f20 < 1)
        printf "The async client is slower in one row: with %d ms per call there is little\n" \
               "waiting to overlap, and the event loop costs some work of its own.\n", delay
    print "Why? That is the lesson'"'"'s question: the worksheet is exercises/WORKSHEET.md."
}'
