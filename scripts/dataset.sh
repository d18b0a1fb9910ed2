#!/usr/bin/env bash
# The instructors' data set, written into a database (examples/dataset.rs):
#
#   bash scripts/dataset.sh <database-url> [requests]    (default 1,000,000)
#
# e.g. sqlite://target/bench/million.db?mode=rwc or
# postgres://postgres@127.0.0.1:5432/guichet_million (created beforehand).
# bench_dashboard seeds its own scratch database with the same code.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ $# -ge 1 ] || { sed -n '2,9p' "$0"; exit 2; }
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH" LEPTOS_OUTPUT_NAME=guichet
cargo build --release --features ssr --example dataset
exec target/release/examples/dataset "$@"
