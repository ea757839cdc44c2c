# 02_async_client: what "done" means. Sourced by exercises/check.
FILE=async_client.c
LIBS="-luv -lcurl -lcjson"
DELAY_MS=400
CALLS=50
SERVER_ARGS="--delay-ms $DELAY_MS"

check_exercise() {
    run_exercise "$BASE_URL/say-hi" "$CALLS" || return 1
    summary=$(grep ' calls ok in ' "$OUT")
    first_failure=$(grep -m 1 'failed' "$OUT")
    say "$summary" | grep -q "^$CALLS of $CALLS calls ok in [0-9.]* s\$" ||
        wrong "every call succeeds" "$CALLS of $CALLS calls ok" "${first_failure:-${summary:-no summary line}}" ||
        return 1
    in_flight=$(stats_field max_in_flight)
    [ "$in_flight" = "$CALLS" ] ||
        wrong "all calls wait at the same time (the server's /stats max_in_flight)" \
            "$CALLS" "$in_flight" || return 1
    seconds=$(say "$summary" | sed 's/.* in \([0-9.]*\) s$/\1/')
    is "$seconds" '<' "$(awk "BEGIN { print 2 * $DELAY_MS / 1000 }")" ||
        wrong "overlapping calls take about one delay" "under 2 x $DELAY_MS ms" "$seconds s" || return 1
    grep -q '^loop closed: every handle was closed$' "$OUT" ||
        wrong "every handle closed, so that uv_loop_close returns 0" \
            "loop closed: every handle was closed" "$(tail -n 1 "$OUT")" || return 1
    PASS_NOTE="$CALLS calls in $seconds s, $in_flight in flight at once"
}
