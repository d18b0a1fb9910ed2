#!/usr/bin/env bash
# Page-load benchmark of docs/BENCHMARKS.md: Lighthouse 12 (mobile, simulated
# slow 4G) on the release build, public and signed-in pages, with the bytes of
# a repeat visit and the size of the main module. About 5 minutes after a build.
#
#   bash scripts/bench-lighthouse.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/setup.sh
source "$ROOT/scripts/setup.sh"
cd "$ROOT"

LIGHTHOUSE_VERSION="12.8.2"
step "Lighthouse $LIGHTHOUSE_VERSION (npm, in target/lighthouse; Debian's Chromium)"
if ! target/lighthouse/node_modules/.bin/lighthouse --version 2>/dev/null | grep -qx "$LIGHTHOUSE_VERSION"; then
  mkdir -p target/lighthouse
  npm install --prefix target/lighthouse --no-save --no-fund --no-audit "lighthouse@$LIGHTHOUSE_VERSION"
fi

step "Release build, precompressed"
cargo leptos build --release --split
target/release/guichet precompress

PORT="${BENCH_PORT:-3400}"
DATA="$(mktemp -d)"
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT
export GUICHET_DATA_DIR="$DATA" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD
step "Demo data and server on $LEPTOS_SITE_ADDR"
target/release/guichet demo >/dev/null
target/release/guichet serve >"$DATA/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
  curl -fs "http://$LEPTOS_SITE_ADDR/healthz" >/dev/null && break
  sleep 0.2
done

step "Main module"
for f in target/site/pkg/guichet.*.wasm; do
  printf '%s: %s KiB, %s KiB with brotli 11, %s KiB with gzip 9\n' "$(basename "$f")" \
    $(( $(stat -c%s "$f") / 1024 )) $(( $(stat -c%s "$f.br") / 1024 )) $(( $(stat -c%s "$f.gz") / 1024 ))
done

step "Lighthouse and repeat visits"
node scripts/bench_lighthouse.js "http://$LEPTOS_SITE_ADDR" target/lighthouse/reports
