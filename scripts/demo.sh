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

delay_ms=${1:-200}
case "$delay_ms" in
    ''|*[!0-9]*)
        echo "demo: DELAY is how long each call waits, in whole milliseconds (make demo DELAY=500), not '$delay_ms'" >&2
        exit 2 ;;
esac

trap stop_server EXIT INT TERM
start_server --delay-ms "$delay_ms"
url="$BASE_URL/say-hi"

echo "evloop-kit demo: every call to $url waits $delay_ms ms on the server."
echo
printf '%7s  %12s  %12s  %14s\n' calls "sync (s)" "async (s)" "async is"
for number in 10 20; do
    sync_seconds=$(bin/client_sync --number "$number" --url "$url" --json | json_field seconds)
    async_seconds=$(bin/client_async --number "$number" --url "$url" --json | json_field seconds)
    awk -v n="$number" -v s="$sync_seconds" -v a="$async_seconds" \
        'BEGIN { printf "%7d  %12.3f  %12.3f  %9.1fx faster\n", n, s, a, s / a }'
done
echo
echo "The sync client waits for each reply before sending the next call: its time is"
echo "the sum of all the waits, so it doubles with the calls. The async client sends"
echo "every call at once and waits for all replies together: its time stays near one"
echo "delay ($delay_ms ms), so the speed-up doubles too. Next: read client_async/uv_curl.c."
