"""Sorts the failures of `tooltune eval --json` reports into finer kinds, the
counts MODEL.md quotes ("digit loop", "extra argument", ...).

Usage: python3 scripts/failure-kinds.py REPORT.json [REPORT.json ...]
(each made by `tooltune eval --run RUN --data TEST.jsonl --json > REPORT.json`)

Kinds, first match wins: false call, missed call, wrong tool (the report's
own kinds); digit loop (a digit pair said three times running, or a run of
six equal digits in an unclosed call); digits wrong (a value that differs from
the gold one in its digits only); wrong value; extra argument (a key the
schema does not have); bad value type (type, range or enum); unknown tool;
missing argument; broken output (anything else: JSON that does not parse, an
unclosed block).
"""
import json
import re
import sys
from collections import Counter


def kind(failure):
    reason, output = failure["reason"], failure["output"]
    if failure["kind"] == "false_tool_call":
        return "false call"
    if failure["kind"] == "missed_call":
        return "missed call"
    if failure["kind"] == "wrong_tool":
        return "wrong tool"
    if re.search(r"(\d\d)\1\1", output) or ("unclosed" in reason and re.search(r"(\d)\1{5}", output)):
        return "digit loop"
    if failure["kind"] == "wrong_arguments":
        m = re.search(r'got "([^"]*)", expected "([^"]*)"', reason)
        if m and re.sub(r"\d", "", m.group(1)) == re.sub(r"\d", "", m.group(2)):
            return "digits wrong"
        return "wrong value"
    if "Additional properties" in reason:
        return "extra argument"
    if any(s in reason for s in ("not of type", "maximum", "minimum", "not one of")):
        return "bad value type"
    if "unknown tool" in reason:
        return "unknown tool"
    if "required property" in reason:
        return "missing argument"
    return "broken output"


def main(paths):
    total = Counter()
    for path in paths:
        with open(path) as f:
            counts = Counter(kind(x) for x in json.load(f)["failures"])
        total += counts
        print(path, dict(sorted(counts.items())))
    print("all", dict(sorted(total.items())))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
