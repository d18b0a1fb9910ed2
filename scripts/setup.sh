#!/usr/bin/env bash
# Installs what Guichet needs to build, idempotently: the pinned Rust toolchain
# and wasm target, cargo-leptos, the wasm-bindgen CLI matching Cargo.lock, the
# npm packages (DSFR, binaryen's wasm-opt, Playwright), and copies the DSFR into
# public/dsfr. Sourced by scripts/run.sh and scripts/test.sh.
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

step "npm packages (DSFR, binaryen, Playwright, axe-core)"
# The DSFR's preinstall script checks the licence acceptance in .dsfr.yml.
NPM_STAMP="$(cat package.json package-lock.json .dsfr.yml | sha256sum | cut -d' ' -f1)"
if [ "$(cat node_modules/.guichet-stamp 2>/dev/null)" != "$NPM_STAMP" ]; then
  npm ci --no-fund --no-audit
  echo "$NPM_STAMP" > node_modules/.guichet-stamp
fi
wasm-opt --version

step "DSFR copied into public/dsfr"
DSFR="node_modules/@gouvfr/dsfr/dist"
rm -rf public/dsfr
mkdir -p public/dsfr/utility/icons
cp "$DSFR/dsfr.min.css" "$DSFR/dsfr.module.min.js" "$DSFR/dsfr.nomodule.min.js" public/dsfr/
cp -r "$DSFR/fonts" "$DSFR/icons" "$DSFR/favicon" "$DSFR/artwork" public/dsfr/
cp "$DSFR/utility/icons/icons.min.css" public/dsfr/utility/icons/
du -sh public/dsfr
