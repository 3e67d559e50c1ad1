#!/usr/bin/env bash
# Content store throughput against the physical limits, in one run on one file:
#   * import: `ses store put FILE` (fsynced) vs `dd if=FILE of=COPY bs=1M conv=fsync`
#   * verified read: `ses store get ID > /dev/null` and `ses store verify` (the one blob)
#     vs `b3sum FILE`, all from the page cache
#
#   bash benches/store.sh [SIZE_MIB]      # default 1024
#
# Needs hyperfine and b3sum (Debian: apt-get install hyperfine b3sum). Prints a table
# and the ratios the issue sets goals for (import >= 0.7x dd, read >= 0.8x b3sum).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in hyperfine b3sum; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing: apt-get install $tool" >&2; exit 1; }
done
MIB="${1:-1024}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ses-dev/target}"
cargo build --release --locked -q
SES="$CARGO_TARGET_DIR/release/ses"
W=$(mktemp -d /var/tmp/ses-bench.XXXXXX)
H="$W/home"
trap '"$SES" --home "$H" daemon stop >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
head -c "$((MIB * 1024 * 1024))" /dev/urandom > "$W/file"
"$SES" --home "$H" id >/dev/null
cid=$("$SES" --home "$H" store put "$W/file")
json="$W/results.json"
hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-json "$json" \
  -n "dd conv=fsync" "dd if=$W/file of=$W/copy bs=1M conv=fsync status=none" \
  -n "ses store put (fsync)" "$SES --home $H store put $W/file" \
  -n "b3sum" "b3sum --no-names $W/file" \
  -n "ses store get (verified)" "bash -c '$SES --home $H store get $cid > /dev/null'" \
  -n "ses store verify" "$SES --home $H store verify" >/dev/null
python3 - "$json" "$MIB" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
mib = int(sys.argv[2])
print(f"| command | mean [s] | stddev [s] | MiB/s |\n|:---|---:|---:|---:|")
for name, x in r.items():
    print(f"| `{name}` | {x['mean']:.3f} | {x['stddev']:.3f} | {mib / x['mean']:.0f} |")
imp = r["dd conv=fsync"]["mean"] / r["ses store put (fsync)"]["mean"]
rd = r["b3sum"]["mean"] / r["ses store get (verified)"]["mean"]
print(f"\nimport: {imp:.2f}x of dd conv=fsync (goal >= 0.7)")
print(f"verified read (get): {rd:.2f}x of b3sum (goal >= 0.8)")
vr = r["b3sum"]["mean"] / r["ses store verify"]["mean"]
print(f"verified read (verify): {vr:.2f}x of b3sum")
PY
