#!/usr/bin/env bash
# The built-in model's default fine-tune: how long it takes and what it scores.
#
#   scripts/bench-builtin.sh [--threads N] [--seeds "0 1 2"] [--model DIR|smollm2]
#       [--flags "TRAIN FLAGS"] [--call-threshold P] [--no-300] [--no-zero-shot]
#
# --model DIR measures a candidate base instead (a `tooltune pretrain` run's
# model/ folder), fine-tuned with the built-in model's defaults spelled out
# (--full --lr 2e-3 --label-smoothing 0.1, 10 epochs up to 120 rows, fewer
# above: what `--model builtin` picks by itself), and adds its zero-shot
# scores (--no-zero-shot skips them). --flags replaces those defaults with
# other `tooltune train` flags, e.g. SmolLM2's recipe:
#   --model smollm2 --flags "--full --lr 1e-4 --batch-size 16 --epochs 5"
# --call-threshold P scores each run a second time with
# `eval --call-threshold P` (rows named RUN@P). --no-300 skips the 300-row
# runs.
#
# For each example dataset (support, library, vet; 200 training rows each) and
# each seed, it runs `tooltune train --model builtin --data datasets/D/train.jsonl`
# with the built-in model's defaults (no other flag but --seed), then
# `tooltune eval --run RUN --data datasets/D/test.jsonl --json`. Then, for the
# issue's "≤ 60 s for ≤ 300 examples", one default run (seed 0) per dataset on
# 300 training rows (`N_TRAIN=300 python3 datasets/make.py`, the same
# generator; its test split is the shipped one). It prints a table (seconds,
# epochs, steps, valid, tool-name, argument-match, call accuracy, false call)
# and the mean per dataset, and
# appends JSON lines naming the CPU model, the threads and the 1-minute load
# average to target/bench/builtin-<date>.jsonl. Each run's report (`eval
# --json`) is kept as RUN/eval.json, and the end sorts their failures
# (scripts/failure-kinds.py). Each run is also scored on the example's dev
# split (datasets/D/dev.jsonl: rows RUN/dev, means "D/dev"), the one to
# choose bases and recipes by. Release build of tooltune-cli.
set -euo pipefail
cd "$(dirname "$0")/.."

threads=2 seeds="0 1 2" model=builtin rows300=1 zero_shot=1 flags= threshold=
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift ;;
    --seeds) seeds="$2"; shift ;;
    --model) model="$2"; shift ;;
    --flags) flags="$2"; shift ;;
    --call-threshold) threshold="$2"; shift ;;
    --no-300) rows300=0 ;;
    --no-zero-shot) zero_shot=0 ;;
    -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

source scripts/bench-common.sh builtin
echo "CPU: $cpu; $threads threads; model $model" >&2

# run NAME TRAIN [TEST] [SEED]: one default fine-tune (and its evaluation), one JSON line.
run() {
  local name=$1 train=$2 test=${3:-} seed=${4:-0} dir="$work/$1"
  rm -rf "$dir"
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  local t0; t0=$(date +%s.%N)
  local defaults=()
  if [ -n "$flags" ]; then
    read -r -a defaults <<< "$flags"
  elif [ "$model" != builtin ]; then
    # The built-in model's defaults, which another folder does not get by itself
    # (epochs: TrainSettings::builtin_epochs, about 1,200 example passes, at most 10).
    local rows; rows=$(grep -c . "$train")
    defaults=(--full --lr 2e-3 --label-smoothing 0.1 --epochs $(( (1200 + rows - 1) / rows > 10 ? 10 : (1200 + rows - 1) / rows )))
  fi
  RAYON_NUM_THREADS=$threads "$bin" train --model "$model" --data "$train" --out "$dir" --seed "$seed" "${defaults[@]}" 2>/dev/null
  local t1; t1=$(date +%s.%N)
  local metrics='{}'
  if [ -n "$test" ]; then
    metrics=$(RAYON_NUM_THREADS=$threads "$bin" eval --run "$dir" --data "$test" --json 2>/dev/null)
    printf '%s\n' "$metrics" > "$dir/eval.json"
  fi
  line "$name" "$metrics"
  if [ -n "$test" ] && [ -n "$threshold" ]; then
    metrics=$(RAYON_NUM_THREADS=$threads "$bin" eval --run "$dir" --data "$test" --json \
      --call-threshold "$threshold" 2>/dev/null)
    line "$name@$threshold" "$metrics"
  fi
  # The dev split beside the test file (datasets/D/dev.jsonl), for choosing
  # between bases and recipes without the test split.
  local dev=${test%test.jsonl}dev.jsonl
  if [ -n "$test" ] && [ -f "$dev" ]; then
    metrics=$(RAYON_NUM_THREADS=$threads "$bin" eval --run "$dir" --data "$dev" --json 2>/dev/null)
    printf '%s\n' "$metrics" > "$dir/eval-dev.json"
    line "$name/dev" "$metrics"
  fi
}

# line NAME METRICS: the JSON line of one scored run (uses run's locals).
line() {
  python3 - "$1" "$seed" "$t0" "$t1" "$load" "$cpu" "$threads" "$dir/run.json" "$2" "$model" "$flags" <<'EOF' | tee -a "$out"
import json, sys
name, seed, t0, t1, load, cpu, threads, run, metrics, model, flags = sys.argv[1:]
r = json.load(open(run))
m = json.loads(metrics)
keys = ["valid_tool_call_rate", "tool_name_accuracy", "argument_match_accuracy", "call_accuracy", "false_tool_call_rate"]
print(json.dumps({"bench": "builtin-finetune", "model": model, "flags": flags, "run": name, "seed": int(seed), "cpu": cpu,
                  "threads": int(threads), "load_1m": float(load), "examples": r["examples"],
                  "epochs": r["config"]["epochs"], "steps": r["steps"],
                  "seconds": round(float(t1) - float(t0), 1), **{k: m[k] for k in keys if k in m}}))
EOF
}

if [ "$model" != builtin ] && [ "$zero_shot" = 1 ]; then
  for d in support library vet; do
    RAYON_NUM_THREADS=$threads "$bin" eval --model "$model" --data "datasets/$d/test.jsonl" --json 2>/dev/null \
      | python3 -c "import json, sys; m = json.load(sys.stdin); print('zero-shot $d', ' '.join(f'{m[k]:.3f}' for k in ['valid_tool_call_rate', 'tool_name_accuracy', 'argument_match_accuracy', 'call_accuracy', 'false_tool_call_rate']))" >&2
  done
fi
for d in support library vet; do
  for s in $seeds; do
    run "$d-$s" "datasets/$d/train.jsonl" "datasets/$d/test.jsonl" "$s"
  done
done
if [ "$rows300" = 1 ]; then
  N_TRAIN=300 OUT="$work/n300" python3 datasets/make.py >/dev/null
  for d in support library vet; do
    run "$d-300rows" "$work/n300/$d/train.jsonl" "datasets/$d/test.jsonl" 0
  done
fi

python3 - "$out" "$model" "$flags" <<'EOF'
import json, re, sys, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if r.get("model", "builtin") == sys.argv[2] and r.get("flags", "") == sys.argv[3]]
keys = ["valid_tool_call_rate", "tool_name_accuracy", "argument_match_accuracy", "call_accuracy", "false_tool_call_rate"]
last = {}  # the latest line of each run (the file gathers a day's runs)
for r in rows:
    last[r["run"]] = r
print(f"\n{'run':<20}{'rows':>5}{'ep':>4}{'steps':>6}{'s':>7}  valid  tool   arg    call   false")
for r in last.values():
    print(f"{r['run']:<20}{r['examples']:>5}{r['epochs']:>4}{r['steps']:>6}{r['seconds']:>7}  "
          + "  ".join(f"{r[k]:.3f}" if k in r else "  -  " for k in keys))
groups = {}  # (dataset, "/dev" or "", "@P" or "") -> runs of seeds 0, 1, ... (not the 300-row ones)
for n, r in last.items():
    m = re.fullmatch(r"(support|library|vet)-\d+(/dev)?(@.*)?", n)
    if m:
        groups.setdefault((m[1], m[2] or "", m[3] or ""), []).append(r)
for split in ["", "/dev"]:
    for d in ["support", "library", "vet"]:
        for (gd, gs, at), rs in sorted(groups.items()):
            if gd == d and gs == split:
                label = d + split + at
                print(f"mean {label:<16}" + " " * 22 + "  ".join(f"{st.mean(r[k] for r in rs):.3f}" for k in keys))
EOF
reports=()
for d in support library vet; do
  for s in $seeds; do
    [ -s "$work/$d-$s/eval.json" ] && reports+=("$work/$d-$s/eval.json")
  done
done
if [ ${#reports[@]} -gt 0 ]; then
  echo
  echo "failures by kind (scripts/failure-kinds.py):"
  python3 scripts/failure-kinds.py "${reports[@]}"
fi
