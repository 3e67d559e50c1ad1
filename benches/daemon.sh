#!/usr/bin/env bash
# Daemon figures: cold start (a command that has to start the daemon), a warm round trip
# (the daemon already runs), and the idle daemon's resident memory.
#
#   bash benches/daemon.sh            # builds the release binary first
#
# Needs hyperfine (Debian: apt-get install hyperfine). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "error: hyperfine is missing: apt-get install hyperfine" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ses-dev/target}"
cargo build --release --locked -q
SES="$CARGO_TARGET_DIR/release/ses"
H=$(mktemp -d /tmp/ses-bench.XXXXXX)/home
trap '"$SES" --home "$H" daemon stop >/dev/null 2>&1 || true; rm -rf "$(dirname "$H")"' EXIT
"$SES" --home "$H" id >/dev/null   # creates the key once, outside the timings
out=$(mktemp)
hyperfine -N --warmup 3 --runs 50 --export-markdown "$out" \
  --prepare "$SES --home $H daemon stop" -n "cold: start daemon + ses id" "$SES --home $H id" >/dev/null
hyperfine -N --warmup 3 --runs 200 --export-markdown "$out.warm" \
  -n "warm: ses id (daemon running)" "$SES --home $H id" >/dev/null
tail -n +3 "$out.warm" >> "$out"
cat "$out"
"$SES" --home "$H" id >/dev/null
pid=$("$SES" --home "$H" daemon status --json | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
sleep 1
echo
echo "idle daemon: $(grep -E 'VmRSS' /proc/"$pid"/status | tr -s ' ') (pid $pid, $(nproc) cores)"
