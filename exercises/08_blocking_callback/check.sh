# 08_blocking_callback: what "done" means. Sourced by exercises/check.
FILE=blocking_callback.c
SOURCES=client_async/uv_curl.c
LIBS="-luv -lcurl"
DELAY_MS=200
PAUSE_MS=300   # as in blocking_callback.c
SERVER_ARGS="--delay-ms $DELAY_MS"

check_exercise() {
    run_exercise "$BASE_URL/say-hi" || return 1
    summary=$(grep ' calls reported, the last at ' "$OUT")
    say "$summary" | grep -q '^5 of 5 calls reported' ||
        wrong "every call's result is reported" "5 of 5 calls reported" \
            "$(grep -m 1 -e failed -e 'not closed' "$OUT" || say "${summary:-no summary line}")" || return 1
    if grep -q '^loop not closed' "$OUT"; then
        wrong "every handle closed, so that uv_loop_close returns 0" "no 'loop not closed' line" \
            "$(grep -m 1 '^loop not closed' "$OUT")"
        return 1
    fi
    last=$(say "$summary" | sed 's/.* at \([0-9.]*\) s$/\1/')
    deadline=$(awk "BEGIN { print ($DELAY_MS + 2 * $PAUSE_MS) / 1000 }")
    is "$last" '<' "$deadline" ||
        wrong "the 5 pauses overlap, like the calls: the last report comes after one delay and one pause" \
            "under $deadline s (a blocked loop: about $(awk "BEGIN { print ($DELAY_MS + 5 * $PAUSE_MS) / 1000 }") s)" \
            "$last s: something blocks the loop" || return 1
    PASS_NOTE="5 calls and their pauses in $last s"
}
