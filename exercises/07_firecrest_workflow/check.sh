# 07_firecrest_workflow: what "done" means. Sourced by exercises/check.
FILE=workflow.c
SOURCES=client_async/uv_curl.c
LIBS="-luv -lcurl -lcjson"
JOBS=20
TIMEOUT=40
# The server's defaults limit compute and tasks to 10 requests a second; jobs run 0.5 s.
SERVER_ARGS="--job-ms 500"

check_exercise() {
    run_exercise "$BASE_URL" "$JOBS" || return 1
    summary=$(grep ' jobs completed in ' "$OUT")
    if ! say "$summary" | grep -q "^$JOBS of $JOBS jobs completed"; then
        wrong "every job completes and its output is read" "$JOBS of $JOBS jobs completed" \
            "$(grep -m 1 'job failed' "$OUT" || say "${summary:-no summary line}")"
        return 1
    fi
    i=0
    while [ "$i" -lt "$JOBS" ]; do
        grep -q "^$i: job output: $i\$" "$OUT" ||
            wrong "each job's output is what its script echoes" "$i: job output: $i" \
                "$(grep -m 1 "^$i: job output" "$OUT" || say "no output line for job $i")" || return 1
        i=$((i + 1))
    done
    refused=$(stats_field rate_limited)
    [ "$refused" = 0 ] ||
        wrong "paced: the server refused nothing (its /stats rate_limited)" 0 "$refused" || return 1
    compute=$(stats_requests compute)
    queue_polls=$(say "$summary" | sed 's/.*polls asked: queue \([0-9]*\),.*/\1/')
    task_polls=$(say "$summary" | sed 's/.*, task \([0-9]*\);.*/\1/')
    tasks=$(stats_requests tasks)
    # Unmerged, every poll is a request of its own: as many requests as polls. Merged, how
    # many polls wait together depends on timing (tasks: about 1 in 2 to 1 in 3 requests).
    # Compute requests: the JOBS submissions plus the queue polls.
    [ $((4 * (compute - JOBS))) -le $((3 * queue_polls)) ] ||
        wrong "merged: queue polls share requests (compute requests minus the $JOBS submissions)" \
            "at most 3/4 of the $queue_polls queue polls asked" "$((compute - JOBS)) requests" || return 1
    [ $((4 * tasks)) -le $((3 * task_polls)) ] ||
        wrong "merged: task polls share requests" "at most 3/4 of the $task_polls task polls asked" \
            "$tasks /tasks requests" || return 1
    PASS_NOTE="$JOBS jobs; compute $compute requests for $JOBS submissions and $queue_polls queue polls; tasks $tasks for $task_polls; 0 refused"
}
