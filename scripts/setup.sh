#!/usr/bin/env bash
# Installs what Guichet needs to build, idempotently: the pinned Rust toolchain
# and wasm target, cargo-leptos, the wasm-bindgen CLI matching Cargo.lock, the
# npm packages (DSFR, PurgeCSS, binaryen's wasm-opt, Playwright), then builds
# the stylesheet from the DSFR rules the pages use (scripts/dsfr.mjs). Sourced
# by scripts/run.sh and scripts/test.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LEPTOS_VERSION="0.3.11"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$ROOT/node_modules/.bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# cargo-leptos sets this when it builds; setting it for every cargo command keeps
# `cargo test` and `cargo leptos build` from rebuilding leptos for each other.
export LEPTOS_OUTPUT_NAME=guichet

step() { printf '\n==> %s\n' "$*"; }

step "Rust toolchain (rust-toolchain.toml)"
rustup toolchain install
rustc --version

step "cargo-leptos $CARGO_LEPTOS_VERSION"
if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi
cargo leptos --version

WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
step "wasm-bindgen CLI $WASM_BINDGEN_VERSION (the version in Cargo.lock)"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  # --locked fails for this crate: one of its locked dependencies was yanked.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
wasm-bindgen --version

step "npm packages (DSFR, PurgeCSS, binaryen, Playwright, axe-core)"
# The DSFR's preinstall script checks the licence acceptance in .dsfr.yml.
NPM_STAMP="$(cat package.json package-lock.json .dsfr.yml | sha256sum | cut -d' ' -f1)"
if [ "$(cat node_modules/.guichet-stamp 2>/dev/null)" != "$NPM_STAMP" ]; then
  npm ci --no-fund --no-audit
  echo "$NPM_STAMP" > node_modules/.guichet-stamp
fi
wasm-opt --version

step "DSFR: the rules the pages use (style/build/guichet.css) and their files (public/dsfr)"
node scripts/dsfr.mjs
