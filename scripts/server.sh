# server.sh - start and stop a kit server from a script (sourced by demo.sh, bench.sh,
# pictures.sh).
#
# The server prints one line when ready, "listening on http://127.0.0.1:PORT".
# We read it through a FIFO: `read` blocks until the line is there, so there is
# no guessing with sleep, and --port 0 means no clash with a server already on 8080.

# start_server ARGS...: sets SERVER_PID and BASE_URL.
start_server() {
    server_fifo=$(mktemp -u "${TMPDIR:-/tmp}/evloop-server.XXXXXX")
    mkfifo "$server_fifo"
    bin/server --port 0 --quiet "$@" >"$server_fifo" &
    SERVER_PID=$!
    exec 3<"$server_fifo"
    rm -f "$server_fifo"
    if ! IFS= read -r ready_line <&3; then
        echo "error: bin/server did not start" >&2
        exit 1
    fi
    BASE_URL=${ready_line#listening on }
}

stop_server() {
    if [ -n "${SERVER_PID:-}" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
        exec 3<&-
    fi
}

# json_field NAME: the number NAME in the one-line JSON object on stdin.
json_field() {
    sed -n "s/.*\"$1\": *\([0-9.eE+-]*\).*/\1/p"
}

# read_delay_ms TARGET VALUE: sets delay_ms to VALUE (200 when empty) if it is whole
# milliseconds; otherwise says so in the form `make TARGET DELAY=...` and exits 2.
read_delay_ms() {
    delay_ms=${2:-200}
    case "$delay_ms" in
        *[!0-9]*)
            echo "$1: DELAY is how long each call waits, in whole milliseconds (make $1 DELAY=500), not '$delay_ms'" >&2
            exit 2 ;;
    esac
}
