#!/usr/bin/env bash
# Runs every SES test: formatting, lints, Rust unit and integration tests, and the
# end-to-end suites that drive the real binary with real clients.
#
# It installs what the tests need first (Debian packages, a Python venv), idempotently, and
# keeps every cache outside the clone so a second run is fast and a fresh machine works:
#   SES_DEV_CACHE (default ~/.cache/ses-dev): cargo target dir, Python venv, pip cache.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${SES_DEV_CACHE:-$HOME/.cache/ses-dev}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$CACHE/pip}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p "$CACHE"

step() { printf '\n==> %s\n' "$*"; }

# Debian packages the end-to-end tests use: setpriv (util-linux) runs a client as another
# user; git builds fixture repositories; neovim is Neovim 0.7.2, the oldest version the
# Neovim plugin supports (0.12 comes from PyPI, in the venv).
apt_needed=(util-linux git neovim)
missing=()
for pkg in "${apt_needed[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

step "Python venv for the end-to-end tests"
VENV="$CACHE/venv"
if ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha256"
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$VENV/bin/pip" install -q -r tests/requirements.txt
  echo "$want" > "$stamp"
fi

# The Zed extension is built for WebAssembly (editors/zed, its own Cargo workspace).
if ! rustup target list --installed | grep -qx wasm32-wasip1; then
  step "rustup target add wasm32-wasip1 (the Zed extension)"
  rustup target add wasm32-wasip1
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

step "cargo build (the binary the end-to-end tests run)"
cargo build --workspace --locked

step "the Zed extension: fmt, clippy, tests, wasm32-wasip1 build"
export SES_ZED_TARGET="$CACHE/target-zed"
(
  cd editors/zed
  export CARGO_TARGET_DIR="$SES_ZED_TARGET"
  cargo fmt -- --check
  cargo clippy --locked --all-targets --target wasm32-wasip1 -- -D warnings
  cargo test --locked
  cargo build --locked --release --target wasm32-wasip1
)

step "end-to-end tests (pytest)"
export SES_BIN="$CARGO_TARGET_DIR/debug/ses"
"$VENV/bin/pytest" -c tests/pytest.ini tests
