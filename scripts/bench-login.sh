#!/usr/bin/env bash
# Times POST /api/auth/login on a throwaway SQLite server (debug build, argon2
# optimised). Usage: bash scripts/bench-login.sh [calls]   (calls <= 9: the
# rate limit allows 10 attempts per minute per address, one is used to set
# the password).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/setup.sh
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
cargo build --features ssr --bin guichet 2>/dev/null
CALLS="${1:-9}"
PORT=3998
DATA="$(mktemp -d)"
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$DATA"' EXIT
GUICHET_DATA_DIR="$DATA" LEPTOS_ENV=PROD LEPTOS_SITE_ADDR="127.0.0.1:$PORT" RUST_LOG=warn \
  target/debug/guichet serve >/dev/null 2>&1 &
PID=$!
for _ in $(seq 1 60); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 1; done
out=$(GUICHET_DATA_DIR="$DATA" RUST_LOG=warn target/debug/guichet admin create-admin --email bench@beta.gouv.fr)
token=$(echo "$out" | grep -o 'jeton=[A-Za-z0-9_-]*' | cut -d= -f2)
H=(-H "Origin: http://127.0.0.1:$PORT" -H 'Accept: application/json')
PASS='cheval+agrafe+batterie+correcte'
curl -sf -o /dev/null "${H[@]}" --data "token=$token&password=$PASS" "http://127.0.0.1:$PORT/api/auth/choose_password"
for _ in $(seq 1 "$CALLS"); do
  curl -s -o /dev/null -w "login %{http_code} %{time_total}s\n" "${H[@]}" \
    --data "email=bench%40beta.gouv.fr&password=$PASS" "http://127.0.0.1:$PORT/api/auth/login"
done
curl -s -o /dev/null -w "after the limit: %{http_code} %{time_total}s\n" "${H[@]}" \
  --data "email=bench%40beta.gouv.fr&password=$PASS" "http://127.0.0.1:$PORT/api/auth/login"
