#!/usr/bin/env python3
"""PyTorch + PEFT peer of crates/tooltune-engine/examples/bench_prompts.rs: LoRA
training throughput on real tool-calling rows, exactly the tokens the engine
trains (its --rows-out file: each row's input_ids and which tokens are trained).

Workload, as the engine's: the model folder loaded by transformers in float32,
PEFT LoRA r 16, alpha 32, dropout 0 on q_proj, v_proj (--target-modules); AdamW lr 2e-4 (weight
decay 0.01, eps 1e-8) on the adapters; the rows in file order, --batch per step,
padded on the right with an attention mask, labels -100 on untrained tokens;
--warmup untimed steps, then --steps timed ones. tokens_per_s counts each row's
tokens but the last (the engine's count: the inputs of next-token prediction).
Prints one JSON line.

  python scripts/peer/bench_prompts.py --model DIR --rows rows.jsonl --threads 2
"""
import argparse
import json
import platform
import statistics
import time


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--rows", required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--target-modules", default="q_proj,v_proj")
    a = ap.parse_args()

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    rows = [json.loads(l) for l in open(a.rows)]
    need = (a.warmup + a.steps) * a.batch
    if len(rows) < need:
        raise SystemExit(f"{a.rows}: {len(rows)} rows, {need} needed")
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32)
    config = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=a.target_modules.split(","),
                        task_type="CAUSAL_LM")
    model = get_peft_model(model, config)
    model.train()
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4,
                              weight_decay=0.01, eps=1e-8)
    pad = model.config.pad_token_id if model.config.pad_token_id is not None else 0
    times, counted, losses = [], 0, []
    for step in range(a.warmup + a.steps):
        chunk = rows[step * a.batch:(step + 1) * a.batch]
        width = max(len(r["input_ids"]) for r in chunk)
        ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        labels = torch.full((len(chunk), width), -100, dtype=torch.long)
        for i, r in enumerate(chunk):
            n = len(r["input_ids"])
            ids[i, :n] = torch.tensor(r["input_ids"])
            mask[i, :n] = 1
            for t, trained in enumerate(r["trained"]):
                if trained:
                    labels[i, t] = r["input_ids"][t]
        t0 = time.perf_counter()
        out = model(input_ids=ids, attention_mask=mask, labels=labels)
        out.loss.backward()
        optim.step()
        optim.zero_grad(set_to_none=True)
        dt = time.perf_counter() - t0
        losses.append(out.loss.item())
        if step >= a.warmup:
            times.append(dt)
            counted += sum(len(r["input_ids"]) - 1 for r in chunk)
    print(json.dumps({
        "engine": f"pytorch {torch.__version__} + peft", "cpu": cpu_model(), "threads": a.threads,
        "target_modules": a.target_modules.split(","), "batch": a.batch, "steps": a.steps, "warmup": a.warmup,
        "tokens_per_s": round(counted / sum(times), 2),
        "step_ms_median": round(1e3 * statistics.median(times), 2),
        "first_loss": losses[0],
    }))


if __name__ == "__main__":
    main()
