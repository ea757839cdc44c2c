# 06_await_vs_callback: what "done" means. Sourced by exercises/check.
FILE=results.c
SOURCES=mini_loop/mini_loop.c

# check_mode MODE ORDER LOW HIGH: MODE handles the results in ORDER, the first at LOW..HIGH ms.
check_mode() {
    scenario=$1 want_order=$2 first_low=$3 first_high=$4
    run_exercise "$scenario" || return 1
    order=$(sed -n 's/^handled call \([0-9]\) at .*/\1/p' "$OUT" | tr '\n' ' ' | sed 's/ $//')
    [ "$order" = "$want_order" ] ||
        wrong "'$scenario': the results are handled in the right order" "$want_order" "${order:-none handled}" ||
        return 1
    first=$(sed -n 's/^handled call [0-9] at \([0-9]*\) ms$/\1/p' "$OUT" | head -n 1)
    [ "$first" -ge "$first_low" ] && [ "$first" -lt "$first_high" ] ||
        wrong "'$scenario': the first result is handled at the right time" \
            "at $first_low..$first_high ms" "at $first ms" || return 1
    PASS_NOTE="${PASS_NOTE:+$PASS_NOTE; }$scenario: $order, the first at $first ms"
}

check_exercise() {
    # await: all at once after the slowest (500 ms), in start order.
    check_mode await "1 2 3 4 5" 500 700 || return 1
    # callback: each as it lands, the fastest (call 2, 100 ms) first.
    check_mode callback "2 4 5 1 3" 100 300 || return 1
}
