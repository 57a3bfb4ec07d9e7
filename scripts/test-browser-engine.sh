#!/usr/bin/env bash
# The engine's browser tests: tooltune-engine built for wasm32 and run by
# wasm-bindgen-test-runner in headless Chromium (crates/tooltune-engine-browser),
# on the CPU fallback (burn-flex) and on WebGPU (SwiftShader without a GPU),
# in a dedicated worker while the page's event loop is watched (it must stay
# free), and the CPU fallback also on the page itself.
# Sets up what it needs, idempotently: wasm32 target, wasm-bindgen CLI,
# chromium and chromedriver.
#   scripts/test-browser-engine.sh          CPU fallback and WebGPU
#   scripts/test-browser-engine.sh --cpu    CPU fallback only (smaller build)
# The default build selects the web app too (-p tooltune-web
# -p tooltune-web-worker) in the release profile: the dependencies' features then unify as the web build's do, and
# this reuses the web app's compiled Burn, cubecl and wgpu (seconds, not a
# second 5-minute compile of them).
set -euo pipefail
cd "$(dirname "$0")/.."

build=(--release -p tooltune-web -p tooltune-web-worker -p tooltune-engine-browser)
case "${1:-}" in
  "") ;;
  --cpu) build=(-p tooltune-engine-browser) ;;
  *) echo "test-browser-engine.sh: unknown argument '$1' (expected: --cpu)" >&2; exit 2 ;;
esac

bash scripts/setup.sh web browser
if ! command -v chromedriver >/dev/null; then
  echo "setup: installing Debian's chromium-driver"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium-driver >/dev/null
fi

export CARGO_TERM_COLOR=never
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export WASM_BINDGEN_TEST_TIMEOUT=180
# The workspace's one target dir unless CARGO_TARGET_DIR says otherwise (wasm
# artifacts land under <target>/wasm32-unknown-unknown).
# Without debug info the test module is ~10x smaller and loads in seconds.
export CARGO_PROFILE_TEST_DEBUG=false CARGO_PROFILE_DEV_DEBUG=false
start=$(date +%s)

cargo test -j "${JOBS:-2}" --target wasm32-unknown-unknown "${build[@]}" --test browser -- --nocapture

echo "test-browser-engine.sh: browser tests passed in $(( $(date +%s) - start ))s"
