# 04_event_loop: what "done" means. Sourced by exercises/check.
FILE=one_turn.c
SOURCES="mini_loop/mini_loop.c exercises/04_event_loop/test_loop.c"
TIMEOUT=10

check_exercise() {
    run_exercise || return 1
    failure=$(grep -m 1 '^FAIL: ' "$OUT")
    if [ -n "$failure" ]; then
        test=$(say "$failure" | sed 's/^FAIL: \([^:]*\): .*/\1/')
        expected=$(say "$failure" | sed 's/.*: expected \(.*\); got .*/\1/')
        got=$(say "$failure" | sed 's/.*; got //')
        wrong "$test" "$expected" "$got"
        return 1
    fi
    grep -q '^all loop tests pass$' "$OUT" ||
        wrong "every test of test_loop.c runs" "all loop tests pass" "$(tail -n 1 "$OUT")" || return 1
    PASS_NOTE="$(grep -c '^ok: ' "$OUT") loop tests"
}
