#!/bin/sh
# ensure-deps.sh - install the Debian packages the kit needs, and only those missing.
#
#   scripts/ensure-deps.sh              what building, the demo and the exercises need
#   scripts/ensure-deps.sh --test       also what `make test` adds (chromium, headless)
#   scripts/ensure-deps.sh --pictures   also what `make pictures` adds (gnuplot)
#   scripts/ensure-deps.sh --all        all of these, and the benchmark tools (wrk, ab, curl)
#
# Cheap when everything is there (one dpkg-query), so `make demo` and `make test`
# run it every time: on a fresh Debian machine they just work.
set -eu

packages="make gcc pkg-config libcurl4-openssl-dev libuv1-dev libcivetweb-dev libcjson-dev libcriterion-dev libssl-dev"
# The dashboard's test opens the page in a real browser, headless: a big package,
# so only `make test` asks for it, not a student's first `make demo`.
test_packages="chromium"
bench_packages="wrk apache2-utils curl"
picture_packages="gnuplot-nox"
case "${1:-}" in
    --all) packages="$packages $test_packages $bench_packages $picture_packages" ;;
    --test) packages="$packages $test_packages" ;;
    --bench) packages="$packages $bench_packages" ;;
    --pictures) packages="$packages $picture_packages" ;;
    "") ;;
    *) echo "usage: $0 [--test | --bench | --pictures | --all]" >&2; exit 2 ;;
esac

missing=""
for package in $packages; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $package"
    fi
done
[ -z "$missing" ] && exit 0

echo "Installing missing Debian packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "error: need root (or sudo) to run: apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update -qq
# shellcheck disable=SC2086  # the list is meant to split into words
$as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
