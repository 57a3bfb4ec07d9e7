# Sourced by the CLI benchmarks (bench-builtin.sh, bench-pretrain.sh):
# builds tooltune-cli (release; TOOLTUNE_BIN=PATH uses that binary instead,
# e.g. while another build holds the target directory) and sets
#   bin   the tooltune binary
#   work  $CARGO_TARGET_DIR/bench/<name>-runs, for the runs' folders
#   out   $CARGO_TARGET_DIR/bench/<name>-<date>.jsonl, where results are appended
#   cpu   the CPU's model name, which every figure names
# Usage: source scripts/bench-common.sh NAME
source scripts/tooltune-bin.sh
work="$CARGO_TARGET_DIR/bench/$1-runs"
out="$CARGO_TARGET_DIR/bench/$1-$(date -u +%F).jsonl"
mkdir -p "$work"
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
