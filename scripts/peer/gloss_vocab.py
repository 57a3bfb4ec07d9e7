"""Would a 4,096-token BPE of ordinary English keep the test requests' words whole?

Usage: python3 scripts/peer/gloss_vocab.py [N_GLOSSES [VOCAB]]
(needs Python's `tokenizers` and WordNet in /usr/share/wordnet, which
`bash scripts/setup.sh corpus` installs).

Trains a byte-level BPE of VOCAB (default 4,096) tokens with the built-in tokenizer's
pre-tokenizer (digits one by one, spaces isolated) on N_GLOSSES (default
40,000) WordNet glosses, shuffled with seed 0, and counts, as
vocab_coverage.py does, the test requests' words it keeps as one token.
"""
import random
import sys

from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from vocab_coverage import report

n = int(sys.argv[1]) if len(sys.argv) > 1 else 40000
vocab = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
glosses = []
for pos in ["noun", "verb", "adj", "adv"]:
    for line in open(f"/usr/share/wordnet/data.{pos}", encoding="latin-1"):
        if not line.startswith("  ") and "|" in line:
            glosses.append(line.split("|", 1)[1].strip())
random.seed(0)
random.shuffle(glosses)
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.Sequence([
    pre_tokenizers.Digits(individual_digits=True),
    pre_tokenizers.Split(" ", "isolated"),
    pre_tokenizers.ByteLevel(add_prefix_space=False),
])
trainer = trainers.BpeTrainer(
    vocab_size=vocab,
    initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
)
tok.train_from_iterator(glosses[:n], trainer)
report(tok)
