#!/usr/bin/env bash
# A CPU profile of the autosave path under load, as a flame graph:
#
#   bash scripts/profile-autosave.sh [sqlite|postgres] [editors] [label]
#
# Runs the release `bench_autosave` (editors signed in, 5 s paced, then the
# 10 s closed loop) and samples the whole machine with `perf` (cpu-clock,
# DWARF call stacks, 199 Hz) for 8 s in the middle of the closed loop, so the
# load generator, the server and PostgreSQL's own processes are all in the
# picture. Folds the stacks with `inferno` (crates.io) and writes
# docs/profiles/autosave-<backend>-<editors>-<label>.svg, plus the folded
# stacks under target/bench/, and prints each part's share and machine time
# per save (scripts/profile_parts.py).
# Needs: perf (Debian's linux-perf), inferno (`cargo install inferno`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
backend="${1:-sqlite}"
editors="${2:-2000}"
label="${3:-now}"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
command -v perf >/dev/null || { apt-get install -y -qq linux-perf >/dev/null; }
command -v inferno-flamegraph >/dev/null || cargo install inferno --locked --version 0.12.8
LEPTOS_OUTPUT_NAME=guichet cargo build --release --features ssr --example bench_autosave
out="$ROOT/target/bench"
mkdir -p "$out" docs/profiles
log="$out/profile-$backend-$editors.log"
data="$out/profile-$backend-$editors.data"
target/release/examples/bench_autosave "$backend" "$editors" 5 >"$log" 2>&1 &
bench=$!
until grep -q '^paced' "$log"; do
  kill -0 "$bench" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.2
done
sleep 1
perf record -a -F 199 -e cpu-clock --call-graph dwarf,16384 -o "$data" -- sleep 8 >/dev/null 2>&1
wait "$bench"
grep -v '^FIGURE' "$log"
folded="$out/profile-$backend-$editors-$label.folded"
perf script --no-inline -i "$data" 2>/dev/null | inferno-collapse-perf --all >"$folded"
svg="docs/profiles/autosave-$backend-$editors-$label.svg"
inferno-flamegraph --title "Autosave, $backend, $editors editors, closed loop ($label)" \
  --width 1400 --minwidth 0.2 <"$folded" >"$svg"
rm -f "$data"
echo "flame graph: $svg"
rate="$(awk '/^FIGURE autosave\..*\.closed_saves_per_s/ { print $3 }' "$log")"
python3 scripts/profile_parts.py "$folded" "$rate"
