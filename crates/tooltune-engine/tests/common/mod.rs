//! Shared helpers: fixture paths, `expected.json`, model loading, and the
//! logits comparison used by every parity test.

use std::path::PathBuf;

use serde::Deserialize;
use tooltune_engine::{LlamaForCausalLM, burn::tensor::Device};

/// Tolerance on logits, from the fixtures' `suggested_tolerance`.
pub const LOGITS_TOL: f32 = 1e-4;

/// `tests/fixtures/hf/<name>` at the workspace root.
pub fn fixture_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/hf")
        .join(name)
}

/// `tests/fixtures/templates` at the workspace root.
pub fn templates_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/templates")
}

/// The bytes of `tests/fixtures/hf/<dir>/<file>`.
pub fn read(dir: &str, file: &str) -> Vec<u8> {
    let path = fixture_dir(dir).join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// One prompt of `expected.json`.
#[derive(Deserialize)]
pub struct ExpectedPrompt {
    pub input_ids: Vec<u32>,
    pub logits: Vec<Vec<f32>>,
    pub greedy_new_ids: Vec<u32>,
}

/// `expected.json` (only the fields the tests use).
#[derive(Deserialize)]
pub struct Expected {
    pub prompts: Vec<ExpectedPrompt>,
}

/// Parses `tests/fixtures/hf/<dir>/expected.json`.
pub fn expected(dir: &str) -> Expected {
    serde_json::from_slice(&read(dir, "expected.json")).expect("expected.json parses")
}

/// The CPU device the tests run on.
pub fn device() -> Device {
    tooltune_engine::default_device()
}

/// Loads a model folder (`config.json` + `model.safetensors`).
pub fn load_model(dir: &str) -> LlamaForCausalLM {
    load_model_on(dir, &device())
}

/// [`load_model`] on another device.
pub fn load_model_on(dir: &str, device: &Device) -> LlamaForCausalLM {
    LlamaForCausalLM::from_hf_bytes(
        &read(dir, "config.json"),
        &read(dir, "model.safetensors"),
        device,
    )
    .expect("fixture model loads")
}

/// Largest |got - want| over every prompt, position and vocabulary entry;
/// panics if shapes differ.
pub fn max_logit_error(model: &LlamaForCausalLM, expected: &Expected) -> f32 {
    let mut worst = 0.0f32;
    for p in &expected.prompts {
        let got = model.logits(&p.input_ids).expect("forward");
        assert_eq!(got.len(), p.logits.len(), "positions");
        for (g, w) in got.iter().zip(&p.logits) {
            assert_eq!(g.len(), w.len(), "vocab");
            for (a, b) in g.iter().zip(w) {
                worst = worst.max((a - b).abs());
            }
        }
    }
    worst
}

/// Largest |a - b| between two logits tables of equal shape.
pub fn max_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    assert_eq!(a.len(), b.len(), "positions");
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| {
            assert_eq!(x.len(), y.len(), "vocab");
            x.iter().zip(y).map(|(p, q)| (p - q).abs())
        })
        .fold(0.0, f32::max)
}

/// Every tensor of a safetensors buffer as (key, dtype, shape, bytes), sorted by key.
pub fn tensors_of(bytes: &[u8]) -> Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)> {
    let st = safetensors::SafeTensors::deserialize(bytes).expect("valid safetensors");
    let mut out: Vec<_> = st
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                v.dtype(),
                v.shape().to_vec(),
                v.data().to_vec(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Serialises (key, dtype, shape, bytes) tensors into a safetensors buffer.
pub fn to_safetensors(tensors: &[(String, safetensors::Dtype, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
    let views = tensors.iter().map(|(k, d, s, b)| {
        (
            k.clone(),
            safetensors::tensor::TensorView::new(*d, s.clone(), b).expect("view"),
        )
    });
    safetensors::serialize(views, None).expect("serialize")
}

/// The tokenizer of a fixture folder.
pub fn tokenizer(dir: &str) -> tooltune_engine::Tokenizer {
    tooltune_engine::Tokenizer::from_bytes(&read(dir, "tokenizer.json")).expect("tokenizer loads")
}

/// Reads OpenAI-chat JSONL (one example per line) named `t.jsonl`.
pub fn read_jsonl(jsonl: &str) -> Vec<tooltune_core::dataset::Example> {
    let rows = tooltune_core::dataset::read(
        tooltune_core::dataset::Format::OpenAi,
        "t.jsonl",
        jsonl.as_bytes(),
        None,
    )
    .expect("reads");
    rows.into_iter().map(|r| r.expect("valid line")).collect()
}

/// One example written over several lines (joined into one JSONL line).
pub fn example(json: &str) -> tooltune_core::dataset::Example {
    read_jsonl(&json.replace('\n', " ")).remove(0)
}
