#!/usr/bin/env bash
# The whole benchmark report in one command, on both backends:
#
#   bash scripts/bench.sh [--quick] [--with-ci]
#
# 1. the machine's limits in this run (examples/bench_limits.rs): an axum
#    "hello" endpoint's requests/s, SQLite's and PostgreSQL's commit rates;
# 2. autosave (200 then 2,000 editors), the dashboard over 100,000 requests with the
#    event fan-out to 1,000 streams, the token API, on SQLite then PostgreSQL;
# 3. the WASM bundle's size and an incremental rebuild (with --with-ci, a
#    clean clone's `.ci/run` too: 15 minutes more);
# 4. `scripts/bench_report.py` writes the figures, each beside its target and
#    the limit it is bounded by, between the report markers of
#    docs/BENCHMARKS.md.
#
# --quick: 10,000 requests, 20 s of paced autosave, 3 s phases: to try the
# script, not for the report (the report says it was a quick run).
# PostgreSQL: GUICHET_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test.
# Everything it writes besides the report: target/bench/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
quick=0
with_ci=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --with-ci) with_ci=1 ;;
    *) sed -n '2,22p' "$0"; exit 2 ;;
  esac
done
# shellcheck source=scripts/setup.sh
source scripts/setup.sh
set +e +o pipefail
set -u

# wrk: the load generator in a separate process (Debian's package).
if ! command -v wrk >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk)) >/dev/null 2>&1
  fi
fi

out="$ROOT/target/bench"
mkdir -p "$out"
figures="$out/figures.txt"
log="$out/bench.log"
: >"$figures"
: >"$log"
started="$(date -u +%Y-%m-%dT%H:%MZ)"

run() {
  echo "== $*" | tee -a "$log"
  "$@" 2>&1 | tee -a "$log" | grep --line-buffered '^FIGURE ' >>"$figures"
  local rc="${PIPESTATUS[0]}"
  if [ "$rc" != 0 ]; then
    echo "FIGURE failed.$(basename "$1") 1" >>"$figures"
    echo "!! $* exited with $rc (see $log)" | tee -a "$log"
  fi
}

if [ "$quick" = 1 ]; then
  requests=10000; paced=20; seconds=3; streams=1000
else
  requests=100000; paced=60; seconds=10; streams=10000
fi

echo "Building the benchmarks (release)…"
cargo build --release --features ssr --examples >>"$log" 2>&1 || { echo "build failed, see $log"; exit 1; }
bin="$ROOT/target/release/examples"

run "$bin/bench_limits" 5
run "$bin/bench_connections" "$streams"
for backend in sqlite postgres; do
  # 200 editors, then 2,000: the closed loop must not fall between them.
  run "$bin/bench_autosave" "$backend" 200 "$paced"
  run "$bin/bench_autosave" "$backend" 2000 "$paced"
  run "$bin/bench_dashboard" "$backend" "$requests" 0
  # The live streams on a small data set: the server's memory is theirs.
  run "$bin/bench_dashboard" "$backend" 1000 "$streams"
  run "$bin/bench_api" "$backend" 1000 "$seconds" 64
done
run bash scripts/bench-build.sh wasm-size
run bash scripts/bench-build.sh incremental
if [ "$with_ci" = 1 ]; then
  run bash scripts/bench-build.sh ci
fi

machine="$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
versions="$(rustc --version | cut -d' ' -f1-2); $(grep -m1 '^INFO sqlite_version' "$log" | cut -d' ' -f3-); $(grep -m1 '^INFO postgres_version' "$log" | cut -d' ' -f3- | cut -d',' -f1); wrk $(command -v wrk >/dev/null && echo present || echo absent)"
python3 scripts/bench_report.py "$figures" docs/BENCHMARKS.md \
  --started "$started" --machine "$machine" --versions "$versions" --quick "$quick"
echo "Report written in docs/BENCHMARKS.md (figures: $figures, log: $log)."
