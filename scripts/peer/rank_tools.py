#!/usr/bin/env python3
"""An experiment (4 December, docs/model-history.md "Tried since: ranking tool names by
likelihood"): would the bare built-in model pick the right tool more often if
the tool were chosen by the likelihood of its whole name, rather than token by
token as greedy (or constrained) decoding does?

For each test row: the answer is a call if the template's call opening
(`<tool_call>` ...) is the likelier first token (p >= 0.5), and the tool is the
catalogue name with the highest summed log-probability after that opening
(teacher-forced, name and closing quote); otherwise no_tool. Prints the
tool-name accuracy of that rule per dataset, how often the call-or-not
decision alone is right, and how often the best-ranked name is the gold one on
rows whose gold is a call. Runs in the peer venv
(transformers, torch) on an exported folder:

  tooltune builtin --out /tmp/builtin
  python scripts/peer/rank_tools.py /tmp/builtin support library vet
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

torch.set_num_threads(1)
folder = sys.argv[1]
tok = AutoTokenizer.from_pretrained(folder)
model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()


def render(msgs, tools, gen):
    return tok.apply_chat_template(msgs, tools=tools, add_generation_prompt=gen, tokenize=False)


def log_probs(ids):
    with torch.no_grad():
        return torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), -1)


for ds in sys.argv[2:]:
    rows = [json.loads(line) for line in open(f"datasets/{ds}/test.jsonl")]
    right = calls = named = decided = 0
    for r in rows:
        msgs, tools = r["messages"], r["tools"]
        ai = max(i for i, m in enumerate(msgs) if m["role"] == "assistant")
        ctx, answer = msgs[:ai], msgs[ai]
        gold = answer["tool_calls"][0]["function"]["name"] if answer.get("tool_calls") else "no_tool"
        prompt = render(ctx, tools, True)
        # The text between the prompt and a call's name, from the template itself.
        probe = render(ctx + [{"role": "assistant", "tool_calls": [
            {"type": "function", "function": {"name": "XXNAMEXX", "arguments": {}}}]}], tools, False)
        opening = probe[len(prompt):probe.index("XXNAMEXX")]
        ids = tok(prompt, add_special_tokens=False)["input_ids"]
        scores = {}
        for t in tools:
            name = t["function"]["name"]
            full = tok(prompt + opening + name + '"', add_special_tokens=False)["input_ids"]
            assert full[:len(ids)] == ids, "the prompt tokenises the same alone"
            lp = log_probs(full)
            scores[name] = sum(lp[i - 1, full[i]].item() for i in range(len(ids), len(full)))
        first = tok(prompt + opening, add_special_tokens=False)["input_ids"][len(ids)]
        p_call = log_probs(ids)[-1, first].exp().item()
        best = max(scores, key=scores.get)
        chosen = best if p_call >= 0.5 else "no_tool"
        right += chosen == gold
        decided += (p_call >= 0.5) == (gold != "no_tool")
        if gold != "no_tool":
            calls += 1
            named += best == gold
    print(f"{ds}: likelihood-ranked tool-name accuracy {right / len(rows):.3f} ({right}/{len(rows)}); "
          f"call or not right {decided}/{len(rows)}; best-ranked name right on {named}/{calls} gold calls")
