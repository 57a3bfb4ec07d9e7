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
    LlamaForCausalLM::from_hf_bytes(
        &read(dir, "config.json"),
        &read(dir, "model.safetensors"),
        &device(),
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
