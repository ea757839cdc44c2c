# 01_sync_client: what "done" means. Sourced by exercises/check.
FILE=sync_client.c
LIBS="-lcurl -lcjson"
DELAY_MS=100
CALLS=5
SERVER_ARGS="--delay-ms $DELAY_MS"

check_exercise() {
    run_exercise "$BASE_URL/say-hi" "$CALLS" || return 1
    summary=$(tail -n 1 "$OUT")
    first_failure=$(grep -m 1 'failed' "$OUT")
    say "$summary" | grep -q "^$CALLS of $CALLS calls ok" ||
        wrong "every call succeeds (the server says {\"message\": \"hi\"})" \
            "$CALLS of $CALLS calls ok" "${first_failure:-$summary}" || return 1
    served=$(stats_field served)
    [ "$served" = "$CALLS" ] ||
        wrong "the server saw each call once" "$CALLS calls served" "$served" || return 1
    in_flight=$(stats_field max_in_flight)
    [ "$in_flight" = 1 ] ||
        wrong "one call at a time (the server's /stats max_in_flight)" 1 "$in_flight" || return 1
    is "$SECONDS_TAKEN" '>=' "$(awk "BEGIN { print $CALLS * $DELAY_MS / 1000 }")" ||
        wrong "blocking calls take the sum of their delays" \
            "at least $CALLS x $DELAY_MS ms" "$SECONDS_TAKEN s" || return 1
    PASS_NOTE="$CALLS calls in $SECONDS_TAKEN s, one at a time"
}
