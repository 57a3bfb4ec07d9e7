#!/usr/bin/env bash
# A training step's activation memory under --activation-memory: one full fine-tune step on
# rows that share no prefix (each with a catalogue of its own, from `tooltune corpus`), run
# with no limit and under smaller budgets, side by side: peak resident memory, step time and
# loss (the same loss is the point: the budget only changes how many passes a step takes).
#
#   scripts/bench-memory.sh [--model DIR|smollm2] [--rows N] [--budgets "0 6 3"] [--threads N]
#
# Defaults: SmolLM2-135M-Instruct (bash scripts/setup.sh smollm2), 6 rows in one batch,
# budgets 0 (no limit), 6 and 3 GiB, 2 threads. Prints one line per budget, naming the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

model=smollm2 rows=6 budgets="0 6 3" threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift ;;
    --rows) rows="$2"; shift ;;
    --budgets) budgets="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "bench-memory.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
command -v /usr/bin/time >/dev/null || { echo "bench-memory.sh: needs GNU time (/usr/bin/time)" >&2; exit 2; }

source scripts/tooltune-bin.sh
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Rows with catalogues of their own: the corpus, its small built-in synonym table (no WordNet).
"$bin" corpus --seed 3 --n "$rows" --no-wordnet --out "$work/rows.jsonl" >/dev/null
echo "CPU: $cpu; $rows rows of $model in one batch, $threads threads, one full fine-tune step"
for gib in $budgets; do
  out="$work/run-$gib"
  RAYON_NUM_THREADS="$threads" /usr/bin/time -f "%M" -o "$work/rss" "$bin" train --model "$model" \
    --data "$work/rows.jsonl" --out "$out" --full --lr 1e-4 --batch-size "$rows" --epochs 1 \
    --max-seq-len 2048 --activation-memory "$gib" 2>"$work/log"
  python3 - "$gib" "$(cat "$work/rss")" "$out/metrics.jsonl" <<'EOF'
import json, sys
gib, rss_kb, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
step = next(json.loads(l) for l in open(path) if '"step"' in l)
label = "no limit" if float(gib) == 0 else f"{gib} GiB"
print(f"budget {label:>8}: peak RSS {rss_kb / 2**20:5.2f} GiB, step {step['elapsed_s']:6.1f} s, loss {step['loss']:.6f}")
EOF
done
