#!/usr/bin/env bash
# Builds the web app into dist/: two wasm modules (size-tuned profile), the
# page's (web) and the engine worker's (web/worker), each with its
# wasm-bindgen glue, the worker's also without relaxed SIMD, + index.html and
# the worker's bootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${PROFILE:-wasm-release}"
cargo build -p tooltune-web -p tooltune-web-worker --target wasm32-unknown-unknown --profile "$profile"
rm -rf dist && mkdir -p dist
# The size-tuned build people download drops the function-name section:
# 26 % of the wasm, 1.1 MB of 5.0 MB gzip (scripts/wasm-size.py, 2 December).
# Test builds keep it, so a panic's stack names its functions.
strip=()
if [ "$profile" = wasm-release ]; then strip=(--remove-name-section); fi
out="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/$profile"
wasm-bindgen --target web --no-typescript "${strip[@]}" --out-name tooltune_web --out-dir dist "$out/tooltune-web.wasm"
wasm-bindgen --target web --no-typescript "${strip[@]}" --out-name tooltune_web_worker --out-dir dist \
  "$out/tooltune_web_worker.wasm"
# The worker's matrix kernels use relaxed SIMD (vendor/README.md); browsers
# without it get the same module with plain multiply-adds, which web/worker.js
# loads when the browser refuses relaxed SIMD.
cargo build --release -p tooltune-wasm-lower
"${CARGO_TARGET_DIR:-target}/release/tooltune-wasm-lower" dist/tooltune_web_worker_bg.wasm \
  dist/tooltune_web_worker_plain_bg.wasm
cp index.html web/worker.js dist/
# The example datasets, one click away in the dataset panel.
for d in datasets/*/; do
  mkdir -p "dist/$d"
  cp "$d"tools.json "$d"train.jsonl "$d"test.jsonl "dist/$d"
done
# The built-in model, served beside the page under builtin/ (the model panel
# loads it from there on start): a Hugging Face folder named by
# $BUILTIN_MODEL, by default the engine's crates/tooltune-engine/builtin.
# Without it the page says it is missing and loads models from files or URLs.
builtin="${BUILTIN_MODEL:-crates/tooltune-engine/builtin}"
if [ -f "$builtin/config.json" ]; then
  mkdir -p dist/builtin
  for f in config.json model.safetensors tokenizer.json tokenizer_config.json; do
    if [ -f "$builtin/$f" ]; then cp "$builtin/$f" dist/builtin/; fi
  done
fi
echo "build-web: dist/ ready ($(du -sh dist | cut -f1))"
