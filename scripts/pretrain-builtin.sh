#!/usr/bin/env bash
# Pretrains the shipped built-in base from scratch: the exact `tooltune
# pretrain` command of crates/tooltune-engine/builtin/ (MODEL.md,
# "Pretraining"), with WordNet and Debian's fortunes as its English.
#
#   scripts/pretrain-builtin.sh [--out DIR] [--seed S] [--steps N] [--english-rows N] [--digit-group N] [--resume] [other pretrain flags]
#
# DIR defaults to target/pretrain/builtin; seed 0, 7,500 steps and digit
# groups of 3 give the shipped recipe (two rayon threads, 78 minutes on a
# 2-core Zen 4 at commit af609b4, which made the shipped weights, with ten
# minutes of builds beside it; about 70 alone; an estimated 110 on a
# 2-core Xeon, not measured). --steps 5000 gives the base shipped before
# 7 December (MODEL.md, "Reproducing and checking").
# Resumable: run it again with --resume after a stop. --steps N makes a
# shorter run of the same recipe (a short run shortens its warmup too, so
# its losses part from the shipped run's from step 3; to check a build
# against loss.jsonl, stop a full run after a few steps instead). Other
# flags go to `tooltune pretrain` as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/pretrain/builtin seed=0 steps=7500 english=1 digits=3
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="${2:?--out needs a folder}"; shift ;;
    --seed) seed="${2:?--seed needs a number}"; shift ;;
    --steps) steps="${2:?--steps needs a number}"; shift ;;
    --english-rows) english="${2:?--english-rows needs a number}"; shift ;;
    --digit-group) digits="${2:?--digit-group needs a number}"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) args+=("$1") ;;
  esac
  shift
done
bash scripts/setup.sh corpus >&2
source scripts/tooltune-bin.sh
fortunes=/usr/share/games/fortunes
texts=()
for f in fortunes literature wisdom people education food pets work science \
    platitudes kids love computers miscellaneous; do
  texts+=(--tokenizer-text "$fortunes/$f")
done
RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-2}" exec "$bin" pretrain --seed "$seed" --out "$out" \
  --steps "$steps" --batch-size 8 --warmup-steps 100 \
  --vocab 8192 --tokenizer-glosses 40000 --english-rows "$english" --digit-group "$digits" \
  "${texts[@]}" "${args[@]}"
