"""Plots a pretraining run's loss curve (loss.jsonl from `tooltune pretrain`)
as a PNG: per-step loss and its 50-step moving average against steps.

Usage: python3 scripts/plot-loss.py RUN_DIR/loss.jsonl docs/builtin-loss.png
(The title names the threads recorded in RUN_DIR/pretrain.json.)
Needs matplotlib (pip install matplotlib).
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
steps = [r["step"] for r in rows]
loss = [r["loss"] for r in rows]
k = 50
avg = [sum(loss[max(0, i - k + 1):i + 1]) / (i + 1 - max(0, i - k + 1)) for i in range(len(loss))]
fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
ax.plot(steps, loss, color="#9ecae1", linewidth=0.7, label="loss per step")
ax.plot(steps, avg, color="#08519c", linewidth=1.8, label=f"{k}-step mean")
ax.set_yscale("log")
ax.set_xlabel("optimiser step")
settings = os.path.join(os.path.dirname(sys.argv[1]), "pretrain.json")
recorded = json.load(open(settings)) if os.path.exists(settings) else {}
english = " and English rows" if recorded.get("english_rows") else ""
ax.set_ylabel(f"cross-entropy on assistant tokens{english}")
hours = rows[-1]["elapsed_s"] / 3600
threads = recorded.get("rayon_num_threads")
on = f" on {threads} CPU threads" if threads else ""
ax.set_title(f"tooltune built-in model pretraining: {len(rows)} steps, {hours:.2f} h{on}")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[2])
print(f"wrote {sys.argv[2]}: last loss {loss[-1]:.4f}, mean of last {k} {avg[-1]:.4f}")
