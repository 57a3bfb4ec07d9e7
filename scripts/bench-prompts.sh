#!/usr/bin/env bash
# LoRA training on real tool-calling prompts: the engine with the shared prefix run once per
# batch, the engine unshared, and PyTorch + PEFT, on exactly the same masked rows.
#
#   scripts/bench-prompts.sh [--model DIR] [--data FILE.jsonl] [--threads N] [--steps N] [--rounds R]
#
# Defaults: SmolLM2-135M-Instruct (bash scripts/setup.sh smollm2), datasets/support/train.jsonl,
# 2 threads, batch 8, 1 warm-up + 4 timed steps, 2 rounds. Each round runs the engine's
# benchmark (crates/tooltune-engine/examples/bench_prompts.rs: shared, then unshared, one process)
# and then the peer (scripts/peer/bench_prompts.py, torch threads N) on the rows the engine wrote,
# recording the 1-minute load average before each. Prints tokens/s per round and the medians'
# ratios; raw JSON lines go to target/bench/prompts-<date>.jsonl, each naming the CPU.
# The peer's Python needs torch, transformers and peft: PEER_PYTHON (default: /tmp/peer-venv's,
# made by scripts/bench-engine.sh from ../shared/peer/requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

model="$HOME/.cache/tooltune/smollm2" data=datasets/support/train.jsonl threads=2 steps=4 rounds=2
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift ;;
    --data) data="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --steps) steps="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench-prompts.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
python="${PEER_PYTHON:-/tmp/peer-venv/bin/python}"
[ -f "$model/config.json" ] || { echo "bench-prompts.sh: no model at $model (bash scripts/setup.sh smollm2)" >&2; exit 1; }
"$python" -c "import torch, transformers, peft" 2>/dev/null \
  || { echo "bench-prompts.sh: $python lacks torch/transformers/peft (set PEER_PYTHON)" >&2; exit 1; }

cargo build --release --example bench_prompts >&2
bin="${CARGO_TARGET_DIR:-target}/release/examples/bench_prompts"
mkdir -p target/bench
out="target/bench/prompts-$(date +%Y%m%d-%H%M%S).jsonl"
rows=$(mktemp --suffix=.jsonl)
trap 'rm -f "$rows"' EXIT
load() { cut -d' ' -f1 /proc/loadavg; }
for r in $(seq 1 "$rounds"); do
  l=$(load)
  RAYON_NUM_THREADS="$threads" "$bin" --model "$model" --data "$data" --steps "$steps" --rounds 1 \
    --rows-out "$rows" | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); d['load']=$l; d['round']=$r; print(json.dumps(d))" >> "$out"
  l=$(load)
  "$python" scripts/peer/bench_prompts.py --model "$model" --rows "$rows" --steps "$steps" --threads "$threads" 2>/dev/null \
    | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); d['load']=$l; d['round']=$r; print(json.dumps(d))" >> "$out"
done
python3 - "$out" <<'PY'
import json, statistics, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
eng = [l for l in lines if l["engine"].startswith("tooltune")]
peer = [l for l in lines if not l["engine"].startswith("tooltune")]
print(f"CPU: {eng[0]['cpu']}, {eng[0]['threads']} threads, batch {eng[0]['batch']}, "
      f"{eng[0]['steps']} timed steps, shared prefix {eng[0]['shared_prefix_per_step']} tokens of "
      f"{[round(t / eng[0]['batch']) for t in eng[0]['tokens_per_step']]} per row")
print("round | load | engine shared | engine unshared | PyTorch+PEFT | shared/PEFT | unshared/PEFT")
for e, p in zip(eng, peer):
    s, u, t = e["shared_tokens_per_s"], e["unshared_tokens_per_s"], p["tokens_per_s"]
    print(f"{e['round']} | {e['load']}/{p['load']} | {s} | {u} | {t} | {s / t:.2f} | {u / t:.2f}")
m = lambda xs: statistics.median(xs)
s, u = m([e["shared_tokens_per_s"] for e in eng]), m([e["unshared_tokens_per_s"] for e in eng])
t = m([p["tokens_per_s"] for p in peer])
print(f"median | | {s} | {u} | {t} | {s / t:.2f} | {u / t:.2f}")
print(f"first losses: engine {eng[0]['first_loss_shared']:.6f} (shared) {eng[0]['first_loss_unshared']:.6f} "
      f"(unshared), PyTorch {peer[0]['first_loss']:.6f}")
PY
echo "raw: $out"
