#!/usr/bin/env bash
# README command 2: every test. Format, clippy (warnings denied) for the server
# and the browser bundle, unit and integration tests on SQLite and PostgreSQL,
# end-to-end tests in Debian's Chromium with axe-core. Idempotent; installs
# what is missing (including Chromium, through apt).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/setup.sh
source "$ROOT/scripts/setup.sh"
cd "$ROOT"

step "Chromium with its French locale, and ClamAV (Debian packages)"
# chromium-l10n holds the French locale: without it a date field reads
# mm/dd/yyyy in the screenshots whatever the page's language.
# ClamAV's daemon is started by the attachment tests themselves, on a
# signature database of their own (no internet, no freshclam).
if [ ! -x /usr/bin/chromium ] || [ ! -f /usr/lib/chromium/locales/fr.pak ] || [ ! -x /usr/sbin/clamd ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
    chromium chromium-l10n fonts-liberation clamav-daemon
fi
/usr/bin/chromium --version
/usr/sbin/clamd --version

step "moto (an S3 server from PyPI, for the attachment storage test)"
if ! python3 -c "import moto.server" 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check "moto[server,s3]==5.2.1"
fi
python3 -c "import moto; print('moto', moto.__version__)"

step "PyJWT (an independent JWT library, to verify the published keys)"
if ! python3 -c "import jwt, cryptography" 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check "PyJWT[crypto]==2.10.1"
fi
python3 -c "import jwt; print('PyJWT', jwt.__version__)"

step "schemathesis (PyPI): the OpenAPI contract test; its PyYAML and jsonschema check scripts/contract.py's output"
SCHEMATHESIS_VERSION="4.32.5"
if ! st --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
st --version
python3 scripts/contract.py --check

step "PostgreSQL"
export GUICHET_TEST_POSTGRES_URL="${GUICHET_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if [ "${CI:-}" = "true" ]; then
  export GUICHET_REQUIRE_POSTGRES=1
  echo "CI=true: the PostgreSQL tests must run on $GUICHET_TEST_POSTGRES_URL"
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy, server (ssr) — warnings denied"
cargo clippy --features ssr --all-targets -- -D warnings

step "clippy, browser bundle (hydrate, wasm32) — warnings denied"
cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings

step "unit and integration tests (SQLite and PostgreSQL)"
cargo test --features ssr

step "end-to-end tests (debug build, Chromium, axe-core)"
cargo leptos build --split
target/debug/guichet precompress
rm -rf end2end/.data
npx playwright test -c end2end
