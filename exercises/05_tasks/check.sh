# 05_tasks: what "done" means. Sourced by exercises/check.
FILE=tasks.c
SOURCES=mini_loop/mini_loop.c
SCALE=0.2    # the tutorial's 3 s and 2 s become 0.6 s and 0.4 s

# expected_lines MODE: what the tutorial's Python prints for it.
expected_lines() {
    case "$1" in
        sequential) printf '%s\n' "Starting main function" "Hello from my async function 1" \
            "Done with async function 1" "Hello from my async function 2" "Done with async function 2" ;;
        gather|create_task) printf '%s\n' "Starting main function" "Hello from my async function 1" \
            "Hello from my async function 2" "Done with async function 2" "Done with async function 1" ;;
        dont_wait) printf '%s\n' "Starting main function" "main function doing other work" \
            "Hello from my async function 1" "Hello from my async function 2" \
            "Done with async function 2" "Done with async function 1" "Done with main function"
            return ;;
    esac
    printf '%s\n' "Done with main function" "('my_async_function1 result', 'my_async_function2 result')"
}

check_exercise() {
    for scenario in sequential gather create_task dont_wait; do
        run_exercise "$scenario" "$SCALE" || return 1
        expected_lines "$scenario" >"$work/expected"
        # The first line that differs, with its number: the student sees where the order breaks.
        difference=$(awk 'NR == FNR { want[FNR] = $0; wanted = FNR; next }
                          { got[FNR] = $0; gotten = FNR }
                          END { n = wanted > gotten ? wanted : gotten
                                for (i = 1; i <= n; i++) if (want[i] != got[i]) {
                                    printf "line %d: \"%s\"|line %d: %s\n", i, want[i], i,
                                        (i <= gotten ? "\"" got[i] "\"" : "nothing, the output ends"); exit } }' \
                     "$work/expected" "$OUT")
        if [ -n "$difference" ]; then
            wrong "'$scenario' prints the tutorial's lines in the tutorial's order" \
                "${difference%%|*}" "${difference#*|}"
            return 1
        fi
        # Sequential takes 3 + 2 s, the others 3 s, scaled; the slack (for a busy machine)
        # stays below the 2 s (scaled) that tell them apart.
        case "$scenario" in sequential) low=1.0 ;; *) low=0.6 ;; esac
        high=$(awk "BEGIN { print $low + 0.3 }")
        # The program's own clock, from main() on: a busy machine may be slow to start it.
        took=$(sed -n 's/^tasks: .* took \([0-9.]*\) s$/\1/p' "$work/err")
        [ -n "$took" ] || wrong "'$scenario' says how long it took" "a line 'tasks: ... took S s' on stderr" \
            "none (is the end of main() as given?)" || return 1
        is "$took" '>=' "$low" && is "$took" '<' "$high" ||
            wrong "'$scenario' takes the tutorial's time (scaled by $SCALE)" \
                "$low s (up to $high s)" "$took s" || return 1
        PASS_NOTE="${PASS_NOTE:+$PASS_NOTE, }$scenario $took s"
    done
}
