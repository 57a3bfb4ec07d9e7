#!/usr/bin/env bash
# Sets up and runs every test: native unit and integration tests (release), the
# web app built for wasm32, and browser tests of the app in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh web browser
export CARGO_TERM_COLOR=never
start=$(date +%s)

cargo test --release

# The same wasm build serves the browser tests (release profile, no size tuning).
PROFILE=release bash scripts/build-web.sh
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory dist >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
(cd tests/e2e && URL="http://127.0.0.1:$port/" node --test)

echo "test.sh: all tests passed in $(( $(date +%s) - start ))s"
