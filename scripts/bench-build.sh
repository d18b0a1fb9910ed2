#!/usr/bin/env bash
# Build and CI measurements for docs/BENCHMARKS.md. Each subcommand prints its
# figures; nothing here is part of the test suite.
#
#   bash scripts/bench-build.sh first-run [--fresh-tools]
#        clean clone, `bash scripts/run.sh` until /healthz answers; with
#        --fresh-tools also with an empty CARGO_HOME (cargo-leptos and
#        wasm-bindgen built from scratch, crates downloaded again)
#   bash scripts/bench-build.sh incremental
#        one-line change in a component, then `cargo leptos build --split` (dev)
#   bash scripts/bench-build.sh wasm-size
#        release bundle (--split): the main module raw and brotli -11, and each
#        module loaded on demand with the shared chunks it needs, brotli -11
#   bash scripts/bench-build.sh test-build
#        `cargo test --no-run` after a one-line change in the crate (a db
#        module), then after one in the tests' shared helpers
#   bash scripts/bench-build.sh ci
#        clean clone, `CI=true bash .ci/run`
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
export LEPTOS_OUTPUT_NAME=guichet

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b - a }'; }

fresh_clone() {
  local dir
  dir="$(mktemp -d /tmp/guichet-bench.XXXXXX)"
  git clone -q "$ROOT" "$dir/main"
  # CI runs with ../shared beside the clone.
  if [ -d "$ROOT/../shared" ]; then ln -s "$(cd "$ROOT/../shared" && pwd)" "$dir/shared"; fi
  echo "$dir/main"
}

case "${1:-}" in
  first-run)
    clone="$(fresh_clone)"
    envs=()
    if [ "${2:-}" = "--fresh-tools" ]; then
      fresh_home="$(mktemp -d /tmp/guichet-cargo-home.XXXXXX)"
      mkdir -p "$fresh_home/bin"
      # Only rustup's proxies are kept from the usual CARGO_HOME/bin: every
      # tool installed with `cargo install` is absent, as on a new machine.
      for proxy in rustup cargo rustc rustdoc rustfmt cargo-fmt cargo-clippy clippy-driver; do
        ln -s "$HOME/.cargo/bin/$proxy" "$fresh_home/bin/$proxy"
      done
      envs+=("CARGO_HOME=$fresh_home")
      envs+=("PATH=$fresh_home/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
      envs+=("RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}")
    fi
    port=3999
    log="$clone/../first-run.log"
    start="$(now)"
    ( cd "$clone" && env "${envs[@]}" LEPTOS_SITE_ADDR="127.0.0.1:$port" bash scripts/run.sh >"$log" 2>&1 ) &
    pid=$!
    until curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
      if ! kill -0 "$pid" 2>/dev/null; then echo "run.sh stopped early, see $log"; exit 1; fi
      sleep 2
    done
    end="$(now)"
    echo "first-run (${2:-tools already installed}): $(secs "$start" "$end") s until /healthz answered (log: $log)"
    pkill -TERM -f "$clone/target/release/guichet" || true
    wait "$pid" || true
    ;;
  incremental)
    cargo leptos build --split >/dev/null 2>&1
    file=src/ui/home.rs
    cp "$file" /tmp/guichet-bench-home.rs
    trap 'cp /tmp/guichet-bench-home.rs "$ROOT/src/ui/home.rs"' EXIT
    sed -i 's/"Les demandes en chiffres"/"Les demandes en chiffres !"/' "$file"
    start="$(now)"
    cargo leptos build --split >/dev/null 2>&1
    end="$(now)"
    echo "incremental dev rebuild (server + WASM) after a one-line change: $(secs "$start" "$end") s"
    echo "FIGURE build.incremental_s $(secs "$start" "$end")"
    ;;
  test-build)
    cargo test --features ssr --no-run >/dev/null 2>&1
    for file in src/server/db/requests.rs tests/common/mod.rs; do
      cp "$file" /tmp/guichet-bench-touched.rs
      echo "// bench-build" >> "$file"
      start="$(now)"
      cargo test --features ssr --no-run >/dev/null 2>&1
      end="$(now)"
      cp /tmp/guichet-bench-touched.rs "$file"
      echo "test build after a one-line change in $file: $(secs "$start" "$end") s"
      echo "FIGURE build.test_build_$(basename "$(dirname "$file")")_s $(secs "$start" "$end")"
    done
    cargo test --features ssr --no-run >/dev/null 2>&1
    ;;
  wasm-size)
    cargo leptos build --release --split >/dev/null 2>&1
    node -e '
      const z = require("zlib"), fs = require("fs"), dir = "target/site/pkg/";
      const files = fs.readdirSync(dir);
      const find = (re) => files.find((f) => re.test(f));
      const br = (f) => z.brotliCompressSync(fs.readFileSync(dir + f), { params: { [z.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
      const kb = (n) => (n / 1024).toFixed(1);
      const main = find(/^guichet\..*\.wasm$/), js = find(/^guichet\..*\.js$/);
      const raw = fs.statSync(dir + main).size, mainBr = br(main);
      console.log(`main wasm: raw ${kb(raw)} KiB, brotli ${kb(mainBr)} KiB; js glue brotli ${kb(br(js))} KiB`);
      console.log(`FIGURE build.wasm_brotli_kib ${kb(mainBr)}`);
      console.log(`FIGURE build.wasm_raw_kib ${kb(raw)}`);
      // Each module loaded on demand: its own file plus the shared chunks it needs.
      const manifest = JSON.parse(fs.readFileSync(dir + find(/^__wasm_split_manifest\..*\.json$/)));
      let all = mainBr;
      for (const f of files) if (f.endsWith(".wasm") && f !== main) all += br(f);
      console.log(`FIGURE build.wasm_all_brotli_kib ${kb(all)}`);
      for (const [name, deps] of Object.entries(manifest)) {
        const page = name.replace(/^__/, "").replace(/_view_view_.*$/, "");
        // Its dependencies, by their hashed names, itself included.
        let size = 0;
        for (const d of deps) size += br(d + ".wasm");
        console.log(`FIGURE build.wasm_lazy_${page}_brotli_kib ${kb(size)}`);
        console.log(`FIGURE build.wasm_lazy_${page}_files ${deps.length}`);
      }
    '
    ;;
  ci)
    clone="$(fresh_clone)"
    start="$(now)"
    ( cd "$clone" && CI=true bash .ci/run >"$clone/../ci.log" 2>&1 )
    end="$(now)"
    echo "clean-clone .ci/run: $(secs "$start" "$end") s (log: $clone/../ci.log)"
    echo "FIGURE build.ci_s $(secs "$start" "$end")"
    ;;
  *)
    sed -n '2,14p' "$0"
    exit 2
    ;;
esac
