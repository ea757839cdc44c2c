#!/bin/sh
# bench.sh - the figures behind `make bench` (numbers to read, not pass/fail).
#
# Part 1: every call waits 200 ms on the server. The sync client's time is the sum
#   of the waits; the ideal for a concurrent client is one delay, whatever N.
# Part 2: the server answers at once (delay 0), so what is measured is the cost of
#   the client itself: requests per second, next to wrk (a C load generator built
#   for exactly this) and curl on the same server in the same run.
set -eu
cd "$(dirname "$0")/.."
. scripts/server.sh
trap stop_server EXIT INT TERM

delay_ms=${BENCH_DELAY_MS:-200}
throughput_calls=${BENCH_CALLS:-20000}
seconds_now() { date +%s.%N; }

# Figures taken while other work loads the machine are slower than its own: say so.
# The load is read once, before the bench adds its own (wrk alone keeps two cores busy).
load_before=$(cut -d' ' -f1 /proc/loadavg)
note_if_busy() {
    awk -v load="$load_before" -v cores="$(nproc)" 'BEGIN { if (load > cores / 2) printf "(note: the machine was busy before the bench began, load %.1f on %d cores: these figures may be slower than usual)\n", load, cores }'
}

# run_row LABEL N CLIENT ARGS...: a timed run, with the server's own view of it.
# The concurrent clients' runs take a fraction of a second, so one busy moment of
# the machine moves them a lot: they run three times and the median is shown.
run_row() {
    label=$1 number=$2 client=$3
    shift 3
    runs=3
    [ "$client" = client_sync ] && runs=1
    times=""
    for run in $(seq "$runs"); do
        curl -s -X POST "$BASE_URL/stats/reset" >/dev/null
        times="$times $("bin/$client" --number "$number" --url "$BASE_URL/say-hi" --json "$@" | json_field seconds)"
    done
    seconds=$(echo $times | tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    max_in_flight=$(curl -s "$BASE_URL/stats" | json_field max_in_flight)
    awk -v label="$label" -v n="$number" -v s="$seconds" -v d="$delay_ms" -v m="$max_in_flight" \
        -v client="$client" 'BEGIN {
            ideal = (client == "client_sync") ? n * d / 1000 : d / 1000
            printf "%-28s %6d %9.3f %9.3f %8.2fx %9.1fx %13d\n", label, n, s, ideal, s / ideal, n * d / 1000 / s, m
        }'
}

start_server --delay-ms "$delay_ms"
echo "== Part 1: each call waits $delay_ms ms ($(nproc) cores) =="
printf '%-28s %6s %9s %9s %9s %10s %13s\n' "client" "N" "seconds" "ideal" "vs ideal" "speedup" "max_in_flight"
run_row "sync" 10 client_sync
run_row "sync" 100 client_sync
for number in 10 100 1000; do
    run_row "async" "$number" client_async
done
if [ -x bin/mini_client ]; then
    run_row "mini (mini_loop)" 1000 mini_client
fi
# What recording costs: the same 1000 calls with every start and end kept (--trace).
trace_file=$(mktemp)
run_row "async --trace" 1000 client_async --trace "$trace_file"
rm -f "$trace_file"
echo "(ideal: N delays for sync, one delay for a concurrent client; speedup: N delays / seconds;"
echo " concurrent clients: the median of 3 runs)"
note_if_busy
stop_server

start_server --delay-ms 0
url="$BASE_URL/say-hi"
echo
echo "== Part 2: zero delay, requests per second on the same server =="
# rate LABEL N COMMAND...: run COMMAND, print N / its wall time.
rate() {
    label=$1 number=$2
    shift 2
    started=$(seconds_now)
    "$@" >/dev/null
    finished=$(seconds_now)
    awk -v label="$label" -v n="$number" -v a="$started" -v b="$finished" \
        'BEGIN { printf "%-44s %10.0f req/s\n", label, n / (b - a) }'
}
sequential_calls=$((throughput_calls / 4))
rate "client_sync (one call at a time)" "$sequential_calls" \
    bin/client_sync --number "$sequential_calls" --url "$url"
rate "curl, sequential, one process" "$sequential_calls" \
    curl -s -o /dev/null "$url?call=[1-$sequential_calls]"
rate "client_async --concurrency 64" "$throughput_calls" \
    bin/client_async --number "$throughput_calls" --concurrency 64 --url "$url"
if [ -x bin/mini_client ]; then
    rate "mini_client --concurrency 64" "$throughput_calls" \
        bin/mini_client --number "$throughput_calls" --concurrency 64 --url "$url"
fi
# (curl draws a progress meter for --parallel even with -s: sent to /dev/null)
rate "curl --parallel --parallel-max 64" "$throughput_calls" \
    sh -c 'curl -s -o /dev/null --parallel --parallel-max 64 "$0?call=[1-$1]" 2>/dev/null' "$url" "$throughput_calls"
if command -v wrk >/dev/null 2>&1; then
    wrk -t2 -c64 -d3s "$url" | awk '/Requests\/sec/ { printf "%-44s %10.0f req/s\n", "wrk -t2 -c64 -d3s (the yardstick)", $2 }'
else
    echo "wrk not installed: make deps installs it"
fi
note_if_busy
stop_server

# Part 3: the FirecREST workflow, server rate limits at their defaults.
# PYFIRECREST_DIR=/path/to/an/export/of/pyfirecrest (tag v3.6.0, its Python deps
# installed) adds a row for its v1 AsyncFirecrest on the same server; the kit never
# downloads it.
jobs=${BENCH_FIRECREST_JOBS:-100}
job_ms=2000
start_server --job-ms "$job_ms"
echo
echo "== Part 3: FirecREST workflow, jobs of $((job_ms / 1000)) s, the server's default rate limits =="
# The bound: every job needs a submission (compute: 10 per second at most) and
# then runs job_ms plus 200 ms in the queue; its output is read after that.
bound=$(awk -v n="$jobs" -v ms="$job_ms" 'BEGIN { printf "%.1f", n / 10 + (ms + 200) / 1000 }')
printf '%-44s %5s %8s %8s %6s %9s %5s %8s\n' "client" "jobs" "seconds" "compute" "tasks" "utilities" "429s" "vs bound"
# stats_row LABEL JOBS SECONDS [-]: one row, the request counts from the server's /stats,
# and the ratio to the bound for that many jobs (not for "-": the one-at-a-time client).
stats_row() {
    curl -s "$BASE_URL/stats" | sed 's/.*"firecrest"://; s/"rate_limits".*//; s/[{}",:]/ /g' | awk -v label="$1" -v jobs="$2" \
        -v s="$3" -v ms="$job_ms" -v no_bound="${4:-}" '{
        for (i = 1; i < NF; i++) v[$i] = $(i + 1)
        bound = jobs / 10 + (ms + 200) / 1000
        versus = no_bound == "" && s > 0 ? sprintf("%.2fx", s / bound) : "-"
        printf "%-44s %5d %8.2f %8d %6d %9d %5d %8s\n", label, jobs, s, v["compute"], v["tasks"], v["utilities"], v["rate_limited"], versus
    }'
}
# firecrest_row LABEL JOBS COMMAND...: a kit client's run, counted afresh.
firecrest_row() {
    label=$1 row_jobs=$2
    shift 2
    # The server counts each user's requests per wall-clock second: a second apart, the
    # last requests of the row before cannot count against this row's first ones.
    sleep 1
    curl -s -X POST "$BASE_URL/stats/reset" >/dev/null
    seconds=$("$@" --jobs "$row_jobs" --url "$BASE_URL" --json 2>/dev/null | json_field seconds)
    case $1 in *firecrest_sync) no_bound=- ;; *) no_bound= ;; esac
    stats_row "$label" "$row_jobs" "${seconds:-0}" $no_bound
}
pyfirecrest_row() {
    label=$1 spacing=$2
    workflow=$(mktemp "${TMPDIR:-/tmp}/evloop-pyfirecrest.XXXXXX")
    cat >"$workflow" <<'PYTHON'
# The asyncio tutorial's workflow (submit, poll_active until no longer active, view
# the output) for N jobs at once, merged GETs, the same spacing as the kit's client.
import asyncio, json, os, sys, tempfile, time
import firecrest
url, jobs, spacing, poll_s = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
script = tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False)
script.write("#!/bin/bash\necho hello\n")
script.close()
async def workflow(client, i):
    job = await client.submit("cluster", script_local_path=script.name)
    while len(await client.poll_active("cluster", [job["jobid"]])) > 0:
        await asyncio.sleep(poll_s)
    await client.view("cluster", job["job_file_out"])
async def main():
    auth = firecrest.ClientCredentialsAuth("kit-client", "kit-secret", url + "/auth/token")
    client = firecrest.v1.AsyncFirecrest(url, authorization=auth)
    client.time_between_calls = {"compute": spacing, "reservations": spacing, "status": spacing / 2,
                                 "storage": spacing, "tasks": spacing, "utilities": spacing / 2}
    client.merge_get_requests = True
    started = time.monotonic()
    await asyncio.gather(*[workflow(client, i) for i in range(jobs)])
    print(json.dumps({"seconds": round(time.monotonic() - started, 3)}))
asyncio.run(main())
os.unlink(script.name)
PYTHON
    sleep 1 # a second apart from the row before, as in firecrest_row
    curl -s -X POST "$BASE_URL/stats/reset" >/dev/null
    seconds=$(env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY PYTHONPATH="$PYFIRECREST_DIR" \
              "${PYFIRECREST_PYTHON:-python3}" "$workflow" "$BASE_URL" "$jobs" "$spacing" 1 2>/dev/null | json_field seconds)
    rm -f "$workflow"
    stats_row "$label" "$jobs" "${seconds:-0}"
}
firecrest_row "firecrest_sync (one job at a time)" 5 bin/firecrest_sync
firecrest_row "firecrest_async" "$jobs" bin/firecrest_async
firecrest_row "firecrest_async --no-merge" "$jobs" bin/firecrest_async --no-merge
firecrest_row "firecrest_async, twice the jobs" $((jobs * 2)) bin/firecrest_async
if [ -n "${PYFIRECREST_DIR:-}" ]; then
    pyfirecrest_row "pyfirecrest AsyncFirecrest, merged, 0.11 s" 0.11
    pyfirecrest_row "pyfirecrest AsyncFirecrest, merged, 0.1 s" 0.1
else
    echo "(PYFIRECREST_DIR names a local export of pyfirecrest v3.6.0: then it gets rows too)"
fi
awk -v n="$jobs" -v ms="$job_ms" -v bound="$bound" 'BEGIN { printf "(bound for %d jobs: %d submissions at 10/s + %.1f s of queue and run = %s s; twice the jobs: %.1f s)\n", n, n, (ms + 200) / 1000, bound, 2 * n / 10 + (ms + 200) / 1000 }'
note_if_busy
