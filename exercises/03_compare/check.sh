# 03_compare: what "done" means. Sourced by exercises/check.
FILE=answers.txt
BUILD=no                     # nothing to compile: the answers are the exercise
SERVER_ARGS="--delay-ms 100" # for the checker's own measurement

# answer NAME: what the student wrote after "NAME:".
answer() {
    sed -n "s/^$1:[ \t]*//p" "$source" | head -n 1 | sed 's/[ \t]*$//'
}

# number_answer NAME: sets $value to the answer if it is a number, else a wrong answer.
# (It sets a variable rather than printing: wrong() must run in the checker's shell.)
number_answer() {
    value=$(answer "$1")
    case "$value" in
        '') wrong "every line of $source is filled in" "a number after '$1:'" "nothing"; return 1 ;;
        *[!0-9.]*|.|*.*.*) wrong "$1 is a number (seconds, e.g. 10.04)" "a number" "'$value'"; return 1 ;;
    esac
}

# client_seconds CLIENT N: the kit's own client's time against the checker's server.
client_seconds() {
    "bin/client_$1" --number "$2" --url "$BASE_URL/say-hi" --json |
        sed -n 's/.*"seconds": *\([0-9.]*\).*/\1/p' | awk '{ printf "%.2f", $1 }'
}

best_of_two() {
    first=$(client_seconds "$1" "$2")
    second=$(client_seconds "$1" "$2")
    awk "BEGIN { printf \"%.2f\", ($first < $second ? $first : $second) }"
}

check_exercise() {
    delay_ms=$(answer delay_ms)
    case "$delay_ms" in ''|*[!0-9]*) wrong "delay_ms is the server's delay in ms" "e.g. 1000" "'$delay_ms'"; return 1 ;; esac
    delay=$(awk "BEGIN { print $delay_ms / 1000 }")
    for n in 10 20; do
        number_answer "sync_${n}_seconds" || return 1
        sync=$value
        number_answer "async_${n}_seconds" || return 1
        async=$value
        # A blocking client's N calls take N delays plus each call's trip: a bit more.
        is "$sync" '>' "$n * $delay" && is "$sync" '<' "1.5 * $n * $delay + 0.5" ||
            wrong "sync_${n}_seconds fits $n blocking calls of $delay_ms ms" \
                "a little more than $n x $delay s" "$sync" || return 1
        is "$async" '>' "$delay" && is "$async" '<' "3 * $delay + 0.3" ||
            wrong "async_${n}_seconds fits $n overlapping calls of $delay_ms ms" \
                "a little more than $delay s" "$async" || return 1
        number_answer "times_faster_$n" || return 1
        factor=$value
        computed=$(awk "BEGIN { printf \"%.1f\", $sync / $async }")
        is "$factor" '>' "0.8 * $computed" && is "$factor" '<' "1.2 * $computed" ||
            wrong "times_faster_$n is sync_${n}_seconds / async_${n}_seconds" "about $computed" "$factor" ||
            return 1
    done
    winner=$(answer winner)
    [ "$winner" = async ] || wrong "who wins, by your numbers" "async" "'$winner'" || return 1

    # The checker's own measurement, on a 100 ms server: the shape to agree with. The
    # async runs are short (0.1 s), so a busy moment shows in them: the best of two.
    sync_10=$(client_seconds sync 10) sync_20=$(client_seconds sync 20)
    async_10=$(best_of_two async 10) async_20=$(best_of_two async 20)
    measured=$(awk "BEGIN { printf \"%.1f\", ($sync_20 / $async_20) / ($sync_10 / $async_10) }")
    expected_word=same
    is "$measured" '>' 1.41 && expected_word=doubles   # halfway, on a log scale, from 1x to 2x
    doubling=$(answer factor_when_calls_double)
    [ "$doubling" = "$expected_word" ] ||
        wrong "when the calls double, the factor ... (the checker measured it grow ${measured}x)" \
            "$expected_word" "'$doubling'" || return 1
    # And the word must fit your own numbers.
    yours=$(awk "BEGIN { printf \"%.1f\", $(answer times_faster_20) / $(answer times_faster_10) }")
    case "$doubling" in doubles) low=1.5 high=2.6 ;; *) low=0.75 high=1.33 ;; esac
    is "$yours" '>=' "$low" && is "$yours" '<=' "$high" ||
        wrong "your factors fit your answer '$doubling'" \
            "times_faster_20 / times_faster_10 between $low and $high" "${yours}" || return 1
    words=$(answer why | wc -w)
    [ "$words" -ge 8 ] ||
        wrong "why: a sentence or two in your own words" "at least 8 words" "$words words" || return 1
    PASS_NOTE="the checker measured: 10 calls sync ${sync_10} s, async ${async_10} s; 20 calls ${sync_20} s, ${async_20} s"
}
