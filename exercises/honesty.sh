#!/bin/sh
# honesty.sh - the checks of the exercises themselves, run by `make test`.
#
# Like Rustlings' author-side checks: every exercise has its README, hint and at
# least one blank; skeletons and solutions compile without a warning; every solution
# passes; every untouched skeleton fails, at its own exercise, with a wrong answer (a
# behavioural reason, not a compile error, a crash or a time-out); no skeleton is kept
# in git (each is cut from its solution, so the two differ only inside the blanks);
# and the checker's four messages are each seen, on planted bad solutions.
# It never touches the students' own files: it works in a temporary folder.
set -u
cd "$(dirname "$0")/.." || exit 1
failures=0
say_ok() { echo "ok   $*"; }
say_fail() { echo "FAIL $*"; failures=$((failures + 1)); }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/evloop-honesty.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
started=$(date +%s)

exercises=$(grep -v '^#' exercises/LIST | grep .)
warning_flags="-std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -Icommon -Imini_loop -Iclient_async"

# --- each exercise's parts --------------------------------------------------------------
for name in $exercises; do
    dir=exercises/$name
    FILE=''
    # shellcheck disable=SC1090,SC1091  # each exercise's own
    . "$dir/check.sh"
    failures_before=$failures
    [ -s "$dir/README.md" ] || say_fail "$name: no README.md"
    [ -s "$dir/hint.txt" ] || say_fail "$name: no hint.txt"
    if [ -z "$FILE" ] || [ ! -f "$dir/solution/$FILE" ]; then
        say_fail "$name: no solution/$FILE"
        continue
    fi
    mkdir -p "$scratch/$name"
    if ! awk -f exercises/lib/cut.awk "$dir/solution/$FILE" >"$scratch/$name/$FILE"; then
        say_fail "$name: the blanks of solution/$FILE are badly marked"
        continue
    fi
    grep -q '/\* TODO(student): ..' "$scratch/$name/$FILE" || say_fail "$name: the skeleton has no TODO(student) with a hint"
    cmp -s "$dir/solution/$FILE" "$scratch/$name/$FILE" && say_fail "$name: the skeleton is the solution"
    if git ls-files --error-unmatch "$dir/$FILE" >/dev/null 2>&1; then
        say_fail "$name: $dir/$FILE is in git: it must be cut from the solution, not kept"
    fi
    if git rev-parse --git-dir >/dev/null 2>&1 && ! git check-ignore -q "$dir/$FILE"; then
        say_fail "$name: $dir/$FILE is not in exercises/.gitignore: a student's work would show as new"
    fi
    case "$FILE" in
        *.c) for version in "$dir/solution/$FILE" "$scratch/$name/$FILE"; do
                 # shellcheck disable=SC2086
                 cc $warning_flags -I"$dir" -fsyntax-only "$version" 2>"$scratch/warnings" ||
                     { say_fail "$name: $version does not compile without warnings:"; head -n 5 "$scratch/warnings"; }
             done ;;
    esac
    [ "$failures" = "$failures_before" ] &&
        say_ok "$name: README, hint, marked blanks, skeleton and solution compile cleanly"
done

# --- the solutions pass, the skeletons fail where and how they should --------------------
if exercises/check --solutions >"$scratch/solutions.out" 2>&1; then
    say_ok "every solution passes the checker"
else
    say_fail "a solution fails the checker:"
    cat "$scratch/solutions.out"
fi

# The skeletons are checked in parallel, two at a time: each check has its own server
# and folder, and most of the time goes to compiling.
for name in $exercises; do
    number=$(echo "$name" | sed 's/_.*//')
    exercises/check --dir "$scratch" "$number" >"$scratch/$name.out" 2>&1
    echo $? >"$scratch/$name.status"
done
for name in $exercises; do
    status=$(cat "$scratch/$name.status")
    if [ "$status" = 1 ] && grep -q "^$name: wrong answer" "$scratch/$name.out"; then
        say_ok "$name: the untouched skeleton fails with a wrong answer: $(grep -m 1 '  check:' "$scratch/$name.out" | sed 's/^ *check: *//')"
    else
        say_fail "$name: the untouched skeleton should fail with a wrong answer (status 1), got status $status:"
        sed -n 1,8p "$scratch/$name.out"
    fi
done

# --- the checker's four messages, on planted bad versions of exercise 01 ------------------
# plant NAME LINE: exercise 01's solution with LINE put just before its first END TODO
# (inside on_body_piece, which every call runs).
plant() {
    awk -v line="$2" '/END TODO/ && !planted { print line; planted = 1 } { print }' \
        exercises/01_sync_client/solution/sync_client.c >"$scratch/planted_$1.c"
}
# expect_message NAME STATUS TEXT: the planted file gets exit STATUS and says TEXT.
expect_message() {
    EXERCISE_TIMEOUT=3 exercises/check --file "$scratch/planted_$1.c" 1 >"$scratch/planted_$1.out" 2>&1
    status=$?
    if [ "$status" = "$2" ] && grep -q "$3" "$scratch/planted_$1.out"; then
        say_ok "planted $1: status $status and \"$3\""
    else
        say_fail "planted $1: expected status $2 and \"$3\", got status $status:"
        sed -n 1,12p "$scratch/planted_$1.out"
    fi
}
plant compile_error '    this is not C;'
plant use_after_free '    { volatile char *bytes = malloc(4); free((void *)bytes); bytes[0] = 1; }'
plant abort '    abort();'
plant endless_loop '    for (;;) {}'
plant wrong_answer '    return 0;'
expect_message compile_error 2 'sync_client: does not compile'
expect_message use_after_free 3 'AddressSanitizer: heap-use-after-free'
expect_message abort 3 'killed by signal 6 (ABRT)'
expect_message endless_loop 4 'ran out of time'
expect_message wrong_answer 1 'sync_client: wrong answer'

echo "exercises' honesty checks: $failures failed, $(($(date +%s) - started)) s"
[ "$failures" -eq 0 ]
