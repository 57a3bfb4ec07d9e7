"""Reads a Chrome CPU profile of the page's thread (tests/e2e/profile-train.mjs):
its busy time, and its longest bursts of work (samples with no idle gap over
2 ms between them) with the functions that took most of each: our Rust
functions, the Cache API, Playwright's own DOM queries, the garbage collector.
Usage: python3 scripts/page-profile.py PROFILE.json [BURSTS]"""
import collections
import json
import sys

KEYS = ("tooltune_web::", "Cache::put", "Uint8Array::new", "querySelectorAll", "garbage")


def main(path, count):
    p = json.load(open(path))
    nodes = {n["id"]: n for n in p["nodes"]}
    parent = {c: n["id"] for n in p["nodes"] for c in n.get("children", [])}

    def name(k):
        return nodes[k]["callFrame"]["functionName"] or "(anonymous)"

    def label(k):
        frames = []
        while k is not None:
            frames.append(name(k))
            k = parent.get(k)
        return next((f for f in frames if any(x in f for x in KEYS)), frames[0])

    busy, bursts, cur, t = 0, [], None, p["startTime"]
    for s, dt in zip(p["samples"], p["timeDeltas"]):
        t += dt
        if name(s) == "(idle)":
            if cur and t - cur["end"] > 2000:
                bursts.append(cur)
                cur = None
            continue
        busy += dt
        cur = cur or {"start": t, "end": t, "samples": []}
        cur["end"] = t
        cur["samples"].append((s, dt))
    if cur:
        bursts.append(cur)
    print(f"busy {busy / 1000:.0f} ms of {(t - p['startTime']) / 1e6:.1f} s")
    bursts.sort(key=lambda b: -sum(dt for _, dt in b["samples"]))
    for b in bursts[:count]:
        took = collections.Counter()
        for s, dt in b["samples"]:
            took[label(s)[:80]] += dt
        top = "; ".join(f"{k} {v / 1000:.0f}" for k, v in took.most_common(4))
        print(f"at {(b['start'] - p['startTime']) / 1e6:6.2f} s, "
              f"{sum(dt for _, dt in b['samples']) / 1000:5.1f} ms busy: {top}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 8)
