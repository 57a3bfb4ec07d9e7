#!/usr/bin/env bash
# Builds the web app into dist/: wasm (size-tuned profile) + wasm-bindgen glue + index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${PROFILE:-wasm-release}"
cargo build -p tooltune-web --target wasm32-unknown-unknown --profile "$profile"
rm -rf dist && mkdir -p dist
wasm-bindgen --target web --no-typescript --out-name tooltune_web --out-dir dist \
  "target/wasm32-unknown-unknown/$profile/tooltune-web.wasm"
cp index.html dist/
echo "build-web: dist/ ready ($(du -sh dist | cut -f1))"
