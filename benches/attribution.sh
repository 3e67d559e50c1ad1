#!/usr/bin/env bash
# Attribution figures on one repository, every peer in the same run:
#   cold (empty home) vs git-fame, warm, after a one-file commit, after a daemon restart,
#   the daemon's peak memory, and line parity with `git blame`.
#
#   bash benches/attribution.sh REPO
#
# REPO is any git repository (e.g. a clone of ripgrep); a scratch clone of it gets the
# one-file commits. Needs hyperfine and git-fame (pip install git-fame).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(realpath "${1:?usage: benches/attribution.sh REPO}")
command -v hyperfine >/dev/null || { echo "error: hyperfine is missing: apt-get install hyperfine" >&2; exit 1; }
FAME=$(command -v git-fame || echo "$HOME/.cache/ses-dev/venv/bin/git-fame")
[ -x "$FAME" ] || { echo "error: git-fame is missing: pip install git-fame" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ses-dev/target}"
cargo build --release --locked -q
SES="$CARGO_TARGET_DIR/release/ses"
W=$(mktemp -d /var/tmp/ses-attr.XXXXXX)
trap 'for h in cold warm upd; do "$SES" --home "$W/$h" daemon stop >/dev/null 2>&1 || true; done; rm -rf "$W"' EXIT
echo "## $(git -C "$REPO" rev-list --count HEAD) commits, $(git -C "$REPO" ls-files | wc -l) files"
hyperfine -N --runs 5 \
  --prepare "bash -c '$SES --home $W/cold daemon stop >/dev/null 2>&1; rm -rf $W/cold'" \
  -n "ses attribute (cold)" "$SES --home $W/cold attribute $REPO" \
  -n "git-fame" "$FAME --silent-progress $REPO" 2>&1 | grep -E "Time|±|faster|^Benchmark"
"$SES" --home "$W/warm" attribute "$REPO" >/dev/null
hyperfine -N --warmup 2 --runs 20 -n "ses attribute (warm)" "$SES --home $W/warm attribute $REPO" 2>&1 | grep -E "Time|^Benchmark"
hyperfine -N --runs 5 --prepare "$SES --home $W/warm daemon stop" \
  -n "ses attribute (after a daemon restart)" "$SES --home $W/warm attribute $REPO" 2>&1 | grep -E "Time|^Benchmark"
git clone -q "$REPO" "$W/clone"
git -C "$W/clone" config user.name Bench; git -C "$W/clone" config user.email bench@example.com
"$SES" --home "$W/upd" attribute "$W/clone" >/dev/null
file=$(git -C "$W/clone" ls-files | head -1)
hyperfine -N --runs 10 \
  --prepare "bash -c 'echo line\$RANDOM >> $W/clone/$file && git -C $W/clone commit -qam one-file'" \
  -n "ses attribute (after a one-file commit)" "$SES --home $W/upd attribute $W/clone" 2>&1 | grep -E "Time|^Benchmark"
pid=$("$SES" --home "$W/warm" daemon status --json | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
echo "daemon peak RSS with the index loaded: $(grep VmHWM /proc/"$pid"/status | tr -s ' ')"
python3 benches/blame_parity.py "$REPO" --ses "$SES" | head -1
