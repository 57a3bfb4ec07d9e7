#!/usr/bin/env bash
# Pretraining throughput of the built-in model's recipe, side by side:
# every example its own catalogue (`--group 1`, the shipped base's recipe)
# against catalogues shared by groups of examples (`--group G`, whose batches
# run the shared prompt once for all their rows).
#
#   scripts/bench-pretrain.sh [--threads N] [--steps N] [--group G] [--rounds R]
#
# Each round runs `tooltune pretrain` for --steps steps (batch 8, the shipped
# recipe otherwise) with --group 1, then with --group G, back to back, so the
# machine's noise falls on both alike. It prints steps/s, examples/s and input
# tokens/s (counted as if every row ran its whole prompt) per run and the
# ratio of examples/s per round, and appends JSON lines naming the CPU, the
# threads and the load average to $CARGO_TARGET_DIR/bench/pretrain-<date>.jsonl.
# Release build of tooltune-cli. WordNet is used when installed (`bash
# scripts/setup.sh corpus`), else the built-in synonym table.
set -euo pipefail
cd "$(dirname "$0")/.."

threads=2 steps=60 group=8 rounds=2
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift ;;
    --steps) steps="$2"; shift ;;
    --group) group="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

source scripts/bench-common.sh pretrain
wordnet=()
[ -f /usr/share/wordnet/data.verb ] || wordnet=(--no-wordnet)
echo "CPU: $cpu; $threads threads; $steps steps of 8 examples per run" >&2

# run G: one pretraining run with --group G; prints examples/s.
run() {
  local g=$1 dir="$work/g$1"
  rm -rf "$dir"
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  RAYON_NUM_THREADS=$threads "$bin" pretrain --seed 0 --out "$dir" --steps "$steps" \
    --batch-size 8 --warmup-steps 10 --group "$g" --checkpoint-every 100000 "${wordnet[@]}" 2>/dev/null
  # The first step (allocation, warm-up) is left out of the rate.
  python3 - "$dir/loss.jsonl" "$g" "$cpu" "$threads" "$load" "$out" <<'EOF'
import json, sys
path, g, cpu, threads, load, out = sys.argv[1:]
rows = [json.loads(l) for l in open(path)]
first, last = rows[0], rows[-1]
secs = last["elapsed_s"] - first["elapsed_s"]
steps = last["step"] - first["step"]
rec = {"group": int(g), "steps": steps, "seconds": round(secs, 1),
       "steps_per_s": round(steps / secs, 3), "examples_per_s": round(8 * steps / secs, 2),
       "input_tokens_per_s": round((last["tokens"] - first["tokens"]) / secs),
       "cpu": cpu, "threads": int(threads), "loadavg_1m": float(load)}
open(out, "a").write(json.dumps(rec) + "\n")
print(f"group {g:>2}: {rec['steps_per_s']:.3f} steps/s, {rec['examples_per_s']:.1f} examples/s, "
      f"{rec['input_tokens_per_s']} input tokens/s (load {load})", file=sys.stderr)
print(rec["examples_per_s"])
EOF
}

for r in $(seq 1 "$rounds"); do
  one=$(run 1)
  many=$(run "$group")
  python3 -c "print(f'round $r: group $group trains {$many / $one:.2f}x the examples per second of group 1')"
done
echo "results appended to $out" >&2
