# Sourced by every script: one place for paths, pinned versions and the RUSTFLAGS pitfall.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
E2E_DIR="$ROOT/www/e2e"
export PATH="$E2E_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never
# A RUSTFLAGS / CARGO_ENCODED_RUSTFLAGS variable, even empty, replaces .cargo/config.toml's
# rustflags and with them --cfg=web_sys_unstable_apis: Web Serial would vanish from web-sys.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
TRUNK_VERSION=0.21.14
# lock_version CRATE: the version of CRATE that Cargo.lock pins.
lock_version() { grep -A1 "^name = \"$1\"\$" "$ROOT/Cargo.lock" | sed -n 's/^version = "\(.*\)"$/\1/p'; }
WASM_BINDGEN_VERSION=$(lock_version wasm-bindgen)
export TRUNK_VERSION WASM_BINDGEN_VERSION
# Playwright must never fetch a browser; the tests use Debian's chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
# The browser test runs take several seconds each; the runner default (20 s) is too tight on 2 cores.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"
