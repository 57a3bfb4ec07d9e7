#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 300) from the seed corpora.
# cargo-fuzz needs a nightly compiler; RUSTC_BOOTSTRAP=1 lets stable act as one.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${SECONDS_PER_TARGET:-300}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
export RUSTC_BOOTSTRAP=1
for target in parse_output read_dataset catalogue gguf constrain; do
  mkdir -p "corpus/$target"
  echo "== $target for ${seconds}s"
  cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 2>&1 | tail -n 4
done
