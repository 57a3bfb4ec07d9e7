#!/usr/bin/env bash
# Sets up and runs every test: native unit + integration tests, and the wasm build
# of the web app (proof that the core stays wasm-clean).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CARGO_TERM_COLOR=never
start=$(date +%s)
cargo test --release
cargo build --release -p tooltune-web --target wasm32-unknown-unknown
echo "test.sh: all tests passed in $(( $(date +%s) - start ))s"
