# Sourced by the scripts that run the CLI (bench-common.sh,
# pretrain-builtin.sh): sets CARGO_TARGET_DIR (default ./target) and `bin`,
# the tooltune binary: TOOLTUNE_BIN=PATH if set (e.g. while another build
# holds the target directory), else the release build of tooltune-cli.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
if [ -n "${TOOLTUNE_BIN:-}" ]; then
  bin="$TOOLTUNE_BIN"
else
  cargo build --release -q -p tooltune-cli
  bin="$CARGO_TARGET_DIR/release/tooltune"
fi
