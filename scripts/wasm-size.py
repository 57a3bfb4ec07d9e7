#!/usr/bin/env python3
"""What takes the space in a .wasm file: code bytes per crate, from the
function bodies of the code section and their names in the `name` custom
section (rustc writes it and wasm-bindgen keeps it), plus data and the
other sections. Names are grouped by their first path segment
(`burn_flex::ops::...` -> burn_flex; `<T as serde::Deserialize>::...` ->
the trait's crate when the type's is unknown).

    python3 scripts/wasm-size.py target/wasm32-unknown-unknown/wasm-release/tooltune-web.wasm [--top 20]

(cargo's output: the size-tuned dist/ file has no names left to read)
"""
import argparse
import re
import sys
from collections import Counter


def leb(buf, i):
    result = shift = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def sections(buf):
    if buf[:4] != b"\0asm":
        sys.exit("not a wasm file")
    i = 8
    while i < len(buf):
        sid = buf[i]
        size, j = leb(buf, i + 1)
        yield sid, buf[j:j + size], j + size - i
        i = j + size


def name_of(payload):
    n, i = leb(payload, 0)
    return payload[i:i + n].decode("utf-8", "replace"), i + n


def function_names(payload):
    names = {}
    i = 0
    while i < len(payload):
        kind = payload[i]
        size, j = leb(payload, i + 1)
        if kind == 1:
            count, k = leb(payload, j)
            for _ in range(count):
                idx, k = leb(payload, k)
                n, k = leb(payload, k)
                names[idx] = payload[k:k + n].decode("utf-8", "replace")
                k += n
        i = j + size
    return names


def imported_functions(payload):
    count, i = leb(payload, 0)
    funcs = 0
    for _ in range(count):
        for _ in range(2):
            n, i = leb(payload, i)
            i += n
        kind = payload[i]
        i += 1
        if kind == 0:
            funcs += 1
            _, i = leb(payload, i)
        elif kind == 1:
            i += 1
            flags, i = leb(payload, i)
            _, i = leb(payload, i)
            if flags & 1:
                _, i = leb(payload, i)
        elif kind == 2:
            flags, i = leb(payload, i)
            _, i = leb(payload, i)
            if flags & 1:
                _, i = leb(payload, i)
        elif kind == 3:
            i += 2
    return funcs


SECTION = {0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
           6: "global", 7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "datacount"}


def crate_of(name):
    """The crate a function name belongs to: the path's first segment, the
    implementing type's for `<T as Trait>::f` (the trait's when the type is
    a bare generic parameter)."""
    name = re.sub(r"\[[0-9a-f]{16}\]", "", name)
    m = re.match(r"_ZN(\d+)", name)
    if m:  # legacy mangling, as cargo's own output has it
        start = m.end()
        seg = name[start:start + int(m.group(1))]
        seg = seg.replace("_$LT$", "<").replace("$LT$", "<").replace("$u20$", " ")
        seg = seg.replace("..", "::").replace("$RF$", "&")
        name = seg if "::" in seg else seg + "::"
    path = r"[&\s(\[]*(?:dyn |mut |const )*([A-Za-z_][A-Za-z0-9_]*)::"
    m = re.match(r"<(.+?) as ([A-Za-z_][A-Za-z0-9_]*)::", name)
    if m:
        inner = re.match(path, m.group(1))
        return inner.group(1) if inner else m.group(2)
    m = re.match(r"<?" + path, name)
    if m:
        return m.group(1)
    return "(unnamed)" if not name else name.split("::")[0][:24]


# Crates reported together.
FAMILIES = [
    ("Burn + CubeCL (WebGPU kernels, CPU backend)", ("burn", "cubecl", "cubek", "pliron", "wgpu", "naga", "gemm", "rustc_apfloat", "combine")),
    ("tokenizers + regex", ("tokenizers", "regex", "fancy_regex", "aho_corasick", "onig", "unicode_normalization", "esaxx", "spm_precompiled", "monostate")),
    ("jsonschema (+ its regex, email, uri)", ("jsonschema", "referencing", "fluent_uri", "email_address", "idna", "icu", "fraction", "num_cmp", "bytecount", "uuid_simd")),
    ("minijinja", ("minijinja",)),
    ("Leptos", ("leptos", "tachys", "reactive", "any_spawner", "either_of", "throw_error", "or_poisoned", "hydration_context", "server_fn", "oco_ref")),
    ("Rust std (core, alloc, std, hashbrown)", ("core", "alloc", "std", "hashbrown", "compiler_builtins", "dlmalloc")),
    ("serde, serde_json", ("serde",)),
    ("tooltune", ("tooltune",)),
    ("wasm-bindgen, js-sys, web-sys", ("wasm_bindgen", "js_sys", "web_sys")),
]


def family(crate):
    for name, prefixes in FAMILIES:
        if crate.startswith(prefixes):
            return name
    return "other"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("wasm")
    ap.add_argument("--top", type=int, default=20)
    a = ap.parse_args()
    buf = open(a.wasm, "rb").read()
    total = len(buf)
    parts = Counter()
    bodies = []
    names = {}
    imports = 0
    for sid, payload, size in sections(buf):
        if sid == 0:
            cname, _ = name_of(payload)
            parts[f"custom:{cname}"] += size
            if cname == "name":
                _, off = name_of(payload)
                names = function_names(payload[off:])
        elif sid == 2:
            imports = imported_functions(payload)
            parts["import"] += size
        elif sid == 10:
            count, i = leb(payload, 0)
            for _ in range(count):
                n, j = leb(payload, i)
                bodies.append(n + (j - i))
                i = j + n
        else:
            parts[SECTION.get(sid, str(sid))] += size
    code = sum(bodies)
    if not names:
        sys.exit(f"{a.wasm}: no function names (wasm-bindgen --remove-name-section drops them): "
                 "read cargo's own output instead, e.g. "
                 "target/wasm32-unknown-unknown/wasm-release/tooltune-web.wasm")
    by_crate = Counter()
    for k, n in enumerate(bodies):
        by_crate[crate_of(names.get(imports + k, ""))] += n
    print(f"{a.wasm}: {total / 1e6:.2f} MB; code {code / 1e6:.2f} MB ({100 * code / total:.0f} %), "
          f"{len(bodies)} functions, {len(names)} named")
    for part, n in parts.most_common():
        print(f"  {part:<28} {n / 1e6:7.2f} MB  {100 * n / total:5.1f} %")
    print("code by crate:")
    for crate, n in by_crate.most_common(a.top):
        print(f"  {crate:<28} {n / 1e6:7.2f} MB  {100 * n / total:5.1f} %")
    rest = code - sum(n for _, n in by_crate.most_common(a.top))
    print(f"  {'(other crates)':<28} {rest / 1e6:7.2f} MB  {100 * rest / total:5.1f} %")
    fams = Counter()
    for crate, n in by_crate.items():
        fams[family(crate)] += n
    print("code by family:")
    for fam, n in fams.most_common():
        print(f"  {fam:<46} {n / 1e6:7.2f} MB  {100 * n / code:5.1f} % of code")


if __name__ == "__main__":
    main()
