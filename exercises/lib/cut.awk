# cut.awk - make a student's skeleton from a solution, by cutting its marked blanks.
#
# In a solution, a blank is marked like this (the markers on lines of their own):
#
#     /* BEGIN TODO(student): the hint (it may go on over more comment lines) */
#     ...the solution's lines...
#     /* STUB: what the skeleton has instead, e.g. return false; */
#     /* END TODO */
#
# The skeleton keeps every line outside the blanks as it is, and of each blank only
# the hint, as "/* TODO(student): the hint */", and its STUB lines without
# the comment around them, so that the skeleton compiles. Nothing else can differ:
# skeleton and solution cannot drift apart. A marker out of place is an error.
function fail(message) {
    printf "%s:%d: %s\n", FILENAME, FNR, message > "/dev/stderr"
    failed = 1
    exit 1
}
# The hint may go on over more comment lines; they are kept with it.
hint_goes_on {
    print
    if ($0 ~ /\*\/[ \t]*$/) hint_goes_on = 0
    next
}
/^[ \t]*\/\* BEGIN TODO\(student\): / {
    if (inside) fail("BEGIN TODO inside a blank (a missing END TODO above?)")
    inside = 1
    line = $0
    sub(/BEGIN TODO/, "TODO", line)
    print line
    if (line !~ /\*\/[ \t]*$/) hint_goes_on = 1
    blanks++
    next
}
/^[ \t]*\/\* END TODO \*\/[ \t]*$/ {
    if (!inside) fail("END TODO without a BEGIN TODO(student)")
    inside = 0
    next
}
/^[ \t]*\/\* STUB:( .*)? \*\/[ \t]*$/ {
    if (!inside) fail("STUB outside a blank")
    line = $0
    sub(/\/\* STUB: ?/, "", line)
    sub(/ ?\*\/[ \t]*$/, "", line)
    print line
    next
}
/BEGIN TODO|END TODO|STUB:/ { fail("a marker not alone on its line") }
!inside { print }
END {
    if (failed) exit 1
    if (inside) fail("a blank without its END TODO")
    if (blanks == 0) fail("no BEGIN TODO(student) blank at all")
}
