# Token-level lexical tool choice: how well would a perfect "request token
# appears in the tool's catalogue line" vote pick tools on the test sets?
# (docs/model-history.md, "How far a matching head could go".)
#
#   tooltune corpus --seed 0 --n 2000 --out /tmp/corpus.jsonl
#   python3 scripts/peer/lexical_choice.py /tmp/corpus.jsonl
#
# Needs the `tokenizers` Python package. The corpus gives the request tokens'
# frequencies (the K most frequent are left out of the vote).
import json, re, sys, collections
from tokenizers import Tokenizer
tok = Tokenizer.from_file('crates/tooltune-engine/builtin/tokenizer.json')
# token frequencies over the corpus sample, to find stopword tokens
freq = collections.Counter()
for l in open(sys.argv[1]):
    d = json.loads(l)
    for m in d['messages']:
        if m['role'] == 'user': freq.update(tok.encode(m['content']).ids)
def line(t):
    f = t['function']
    props = f.get('parameters', {}).get('properties', {})
    return f['name'] + '(' + ', '.join(props) + '): ' + f.get('description', '')
for K in [0, 20, 50, 100, 200]:
    stop = {i for i, _ in freq.most_common(K)}
    res = []
    for ds in ['support', 'library', 'vet']:
        right = n = 0
        for l in open(f'datasets/{ds}/test.jsonl'):
            d = json.loads(l)
            a = d['messages'][-1]
            if not a.get('tool_calls'): continue
            gold = a['tool_calls'][0]['function']['name']
            req = ' '.join(m['content'] for m in d['messages'] if m['role'] == 'user')
            rq = set(tok.encode(req).ids) - stop
            scores = {}
            for t in d['tools']:
                ids = set(tok.encode(' ' + line(t)).ids)
                scores[t['function']['name']] = len(rq & ids)
            best = max(scores.values())
            winners = [k for k, v in scores.items() if v == best]
            right += (gold in winners) / len(winners)
            n += 1
        res.append(f'{ds} {right:.1f}/{n}')
    print('stop', K, *res)
