#!/usr/bin/env bash
# README command 1: builds Guichet (release) and serves it on the embedded
# SQLite default at http://127.0.0.1:3000. Idempotent; installs what is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/setup.sh
source "$ROOT/scripts/setup.sh"
cd "$ROOT"

step "Release build (server + WASM bundle)"
cargo leptos build --release

step "Guichet on http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000} (Ctrl+C to stop)"
exec "$ROOT/target/release/guichet" serve
