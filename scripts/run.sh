#!/usr/bin/env bash
# README command 1: builds Guichet (release) and serves it on the embedded
# SQLite default at http://127.0.0.1:3000. Idempotent; installs what is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/setup.sh
source "$ROOT/scripts/setup.sh"
cd "$ROOT"

step "Release build (server + WASM bundle)"
cargo leptos build --release --split
step "Static files compressed once (brotli 11, gzip 9)"
"$ROOT/target/release/guichet" precompress

# Development mode unless told otherwise: without SMTP_URL, emails are
# written to data/mails and shown on /dev/mails.
export LEPTOS_ENV="${LEPTOS_ENV:-DEV}"
step "Guichet on http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000} (Ctrl+C to stop)"
if [ "$LEPTOS_ENV" = "DEV" ] && [ -z "${SMTP_URL:-}" ]; then
  echo "Courriels envoyés : http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000}/dev/mails"
fi
exec "$ROOT/target/release/guichet" serve
