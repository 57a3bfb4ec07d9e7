#!/usr/bin/env bash
# Engine throughput vs the PyTorch + PEFT peer, back to back, same threads.
#
#   scripts/bench-engine.sh [tiny|smol135|all] [--threads N] [--steps N] [--smol-steps N] [--rounds R] [--mode train|infer|both]
#
# For each shape and mode (train, infer), R times (default 1), it runs one right after the other:
#   1. the Rust benchmark (crates/tooltune-engine/examples/bench.rs) with RAYON_NUM_THREADS=N,
#   2. ../shared/peer/bench_lora.py with torch threads N (OpenMP's default spin-waiting),
#   3. the same with OMP_WAIT_POLICY=PASSIVE (with 2 cores and any other busy job,
#      spin-waiting makes torch several times slower; both are reported),
# records the 1-minute load average before each run, and prints a table with the ratios
# Rust ÷ PyTorch per round (and their median over rounds, since load on a shared 2-core
# machine changes from one minute to the next). Raw JSON lines go to target/bench/<date>.jsonl;
# each names the CPU model and, for the engine, the matmul instruction set it ran (`isa`).
#
# The benchmark builds in the workspace's target/ (override with CARGO_TARGET_DIR) with the
# workspace's feature set (`cargo build --release --example bench` from the root, no `-p`), so
# it reuses the test build's Burn instead of compiling Burn a second time. ENGINE_FEATURES,
# when set, builds the engine alone with exactly those features instead (for example
# ENGINE_FEATURES=cpu CARGO_TARGET_DIR=target-avx2 forces gemm's AVX2 kernels; see docs/SPEED.md).
# RUST_BIN=path runs that prebuilt benchmark binary instead of building one.
#
# The peer lives outside the repository (../shared/peer, relative to the repository root).
# This benchmark uses it; the test suite does not. Its Python venv is /tmp/peer-venv
# (override with PEER_VENV); when missing it is created from ../shared/peer/requirements.txt
# (needs network, ~2 GB for torch).
set -euo pipefail
cd "$(dirname "$0")/.."

shapes=all threads=2 steps=10 smol_steps=5 rounds=1 modes="train infer"
while [ $# -gt 0 ]; do
  case "$1" in
    tiny|smol135|all) shapes="$1" ;;
    --threads) threads="$2"; shift ;;
    --steps) steps="$2"; shift ;;
    --smol-steps) smol_steps="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --mode) case "$2" in both) modes="train infer" ;; train|infer) modes="$2" ;;
              *) echo "--mode: train, infer or both" >&2; exit 2 ;; esac; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ "$shapes" = all ] && shapes="tiny smol135"

peer_dir=../shared/peer
venv="${PEER_VENV:-/tmp/peer-venv}"
if [ ! -f "$peer_dir/bench_lora.py" ]; then
  echo "error: $peer_dir/bench_lora.py not found (the shared folder must sit beside the repository)" >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import torch, transformers, peft' 2>/dev/null; then
  echo "setting up the PyTorch peer venv in $venv from $peer_dir/requirements.txt (one time, a few minutes)..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$peer_dir/requirements.txt"
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
rust_bin="${RUST_BIN:-$CARGO_TARGET_DIR/release/examples/bench}"
if [ -z "${RUST_BIN:-}" ]; then
  echo "building the Rust benchmark (release) in $CARGO_TARGET_DIR..." >&2
  if [ -n "${ENGINE_FEATURES:-}" ]; then
    cargo build --release -q -j 2 -p tooltune-engine --example bench --no-default-features --features "$ENGINE_FEATURES"
  else
    cargo build --release -q -j 2 --example bench
  fi
fi

out_dir="$CARGO_TARGET_DIR/bench"
mkdir -p "$out_dir"
log="$out_dir/$(date +%Y%m%d-%H%M%S).jsonl"
load() { cut -d' ' -f1 /proc/loadavg; }
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "cpu: ${cpu:-unknown}" >&2

# run LABEL LOADVAR -- COMMAND...: runs it, appends its JSON line (with the label and
# load average) to the log, and prints the line.
run() {
  local label="$1"; shift
  local l; l="$(load)"
  local line
  if ! line="$("$@" 2>/dev/null | grep '^{' | tail -n 1)" || [ -z "$line" ]; then
    line='{"error": "run failed"}'
  fi
  line="$(printf '%s' "$line" | "$venv/bin/python" -c \
    'import json,sys; d=json.loads(sys.stdin.read()); d["who"]=sys.argv[1]; d["loadavg_1m_before"]=float(sys.argv[2]); d.setdefault("cpu", sys.argv[3]); print(json.dumps(d))' \
    "$label" "$l" "$cpu")"
  echo "$line" >>"$log"
  echo "$line" >&2
}

for shape in $shapes; do
  n=$steps; [ "$shape" = smol135 ] && n=$smol_steps
  for mode in $modes; do
   for _ in $(seq "$rounds"); do
    extra=(--steps "$n"); [ "$mode" = infer ] && extra=(--infer)
    run "rust" env RAYON_NUM_THREADS="$threads" "$rust_bin" --model "$shape" "${extra[@]}"
    run "torch" env -u OMP_WAIT_POLICY "$venv/bin/python" "$peer_dir/bench_lora.py" \
      --model "$shape" --threads "$threads" "${extra[@]}"
    run "torch-passive" env OMP_WAIT_POLICY=PASSIVE "$venv/bin/python" "$peer_dir/bench_lora.py" \
      --model "$shape" --threads "$threads" "${extra[@]}"
   done
  done
done

"$venv/bin/python" - "$log" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def ratio(a, b):
    return a / b if a and b else None
fmt = lambda x: f"{x:6.2f}" if x else "     -"
print(f"\n{'shape':8} {'mode':6} {'metric':20} {'rust':>8} {'torch':>8} {'ratio':>6} {'torch-P':>8} {'ratio':>6}  thr  load before r/t/tP")
groups = {}
for i in range(0, len(rows) - 2, 3):
    r, t, p = rows[i:i + 3]
    metrics = ["tokens_per_s"] + (["decode_tokens_per_s"] if r.get("mode") == "infer" else [])
    for m in metrics:
        rv, tv, pv = r.get(m), t.get(m), p.get(m)
        key = (r.get("model", t.get("model", "?")), r.get("mode", "?"), m)
        groups.setdefault(key, []).append((ratio(rv, tv), ratio(rv, pv)))
        print(f"{key[0]:8} {key[1]:6} {m:20} {rv or 0:8.1f} {tv or 0:8.1f} {fmt(ratio(rv, tv))} "
              f"{pv or 0:8.1f} {fmt(ratio(rv, pv))}  {r.get('threads', '?'):>3}  "
              f"{r['loadavg_1m_before']}/{t['loadavg_1m_before']}/{p['loadavg_1m_before']}")
med = lambda xs: statistics.median([x for x in xs if x]) if any(xs) else None
if any(len(v) > 1 for v in groups.values()):
    print("\nmedians over rounds: rust, torch, torch-PASSIVE tok/s; ratios rust / torch, rust / torch-PASSIVE; load before:")
    for (shape, mode, m), v in groups.items():
        vals = [rows[i:i + 3] for i in range(0, len(rows) - 2, 3)
                if rows[i].get("model", rows[i + 1].get("model")) == shape and rows[i].get("mode", "?") == mode]
        r, t, p = ([x[j].get(m) for x in vals] for j in range(3))
        loads = [x[j]["loadavg_1m_before"] for x in vals for j in range(3)]
        print(f"{shape:8} {mode:6} {m:20} {med(r) or 0:8.1f} {med(t) or 0:8.1f} {med(p) or 0:8.1f} "
              f"{fmt(med([a for a, _ in v]))} {fmt(med([b for _, b in v]))}  ({len(v)} rounds, load {min(loads)}-{max(loads)})")
engines = {(x.get("cpu"), x.get("isa")) for x in rows if x.get("who") == "rust"}
for cpu, isa in sorted(engines, key=str):
    print(f"\ncpu: {cpu}; engine matmul isa: {isa}")
print(f"\nraw: {sys.argv[1]}")
PY
