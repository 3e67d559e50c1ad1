#!/usr/bin/env bash
# Installs what the VS Code extension's tests need, idempotently, with every cache outside
# the clone (called by scripts/test-all.sh; safe to run alone):
#   * Debian packages: Chromium and Xvfb for Playwright, the headers code-server's native
#     modules build against, ripgrep (code-server's install would download it from GitHub);
#   * code-server 4.100.3 (VS Code 1.100.3, the newest that runs on Node 20) in
#     $SES_DEV_CACHE/code-server-4.100.3;
#   * the extension's npm dependencies (npm ci, npm cache in $SES_DEV_CACHE/npm).
# Prints nothing but progress; exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${SES_DEV_CACHE:-$HOME/.cache/ses-dev}"
export npm_config_cache="${npm_config_cache:-$CACHE/npm}"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
mkdir -p "$CACHE"

apt_needed=(chromium xvfb fonts-dejavu-core libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev
  pkg-config ripgrep)
missing=()
for pkg in "${apt_needed[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

CODE_SERVER_VERSION=4.100.3
CS="$CACHE/code-server-$CODE_SERVER_VERSION"
if [ ! -x "$CS/node_modules/.bin/code-server" ] || [ ! -f "$CS/.installed" ]; then
  echo "installing code-server $CODE_SERVER_VERSION into $CS"
  rm -rf "$CS"
  mkdir -p "$CS/tmp"
  # @vscode/ripgrep's postinstall downloads ripgrep from GitHub unless its cache (under
  # TMPDIR) already holds the archive: seed it with Debian's rg.
  rgcache="$CS/tmp/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$rgcache"
  d=$(mktemp -d)
  cp /usr/bin/rg "$d/rg"
  tar czf "$rgcache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$d" rg
  rm -rf "$d"
  echo '{"name": "ses-code-server", "private": true}' > "$CS/package.json"
  # nodedir=/usr builds native modules against this machine's Node headers (no download);
  # yes=true lets node-pty's postinstall run `npx node-gyp`.
  (cd "$CS" && TMPDIR="$CS/tmp" npm_config_nodedir=/usr npm_config_unsafe_perm=true \
    npm_config_yes=true npm install --no-save "code-server@$CODE_SERVER_VERSION" \
    --foreground-scripts --loglevel=error >"$CS/install.log" 2>&1) || {
    tail -40 "$CS/install.log" >&2
    echo "error: installing code-server failed; the whole log is $CS/install.log" >&2
    exit 1
  }
  touch "$CS/.installed"
fi

# The extension's own dependencies (esbuild, vsce, playwright-core, the language client).
ext=editors/vscode
stamp="$ext/node_modules/.package-lock.sha256"
want=$(sha256sum "$ext/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "npm ci in $ext"
  (cd "$ext" && npm ci --loglevel=error)
  echo "$want" > "$stamp"
fi
