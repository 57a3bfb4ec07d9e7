"""How many words of the example test requests the built-in tokenizer keeps whole.

Usage: python3 scripts/peer/vocab_coverage.py [tokenizer.json]
(needs Python's `tokenizers`; default: the shipped built-in tokenizer).

For each example dataset it collects the distinct alphabetic words of the
user messages in test.jsonl (lower-cased, punctuation stripped) and counts
those that encode to a single token; it prints the split ones with their
pieces. A word in pieces carries no meaning of its own at the embedding, so
this bounds what word meanings (learnt or borrowed, MODEL.md) can do.
"""
import json
import re
import sys
from pathlib import Path

from tokenizers import Tokenizer

root = Path(__file__).resolve().parents[2]


def request_words(name):
    """The distinct lower-cased alphabetic words of a dataset's test requests."""
    words = set()
    for line in open(root / "datasets" / name / "test.jsonl"):
        for m in json.loads(line)["messages"]:
            if m["role"] == "user":
                words.update(w.lower() for w in re.findall(r"[A-Za-z]+", m["content"]))
    return words


def report(tok):
    """Prints, per example dataset, the words `tok` keeps whole and the split ones."""
    for name in ["support", "library", "vet"]:
        pieces = {w: tok.encode(w).tokens for w in sorted(request_words(name))}
        whole = [w for w, p in pieces.items() if len(p) == 1]
        print(f"{name}: {len(whole)} of {len(pieces)} words are one token")
        print("  split:", ", ".join(f"{w}={'|'.join(p)}" for w, p in pieces.items() if len(p) > 1))


if __name__ == "__main__":
    default = root / "crates/tooltune-engine/builtin/tokenizer.json"
    report(Tokenizer.from_file(str(sys.argv[1] if len(sys.argv) > 1 else default)))
