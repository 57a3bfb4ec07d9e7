//! The wgpu backend: the fixtures' logits and greedy tokens equal
//! transformers' and PEFT's there too, and LoRA training follows the CPU
//! backend's loss curve. Without a GPU these run on Mesa's lavapipe (Vulkan
//! on the CPU; `scripts/setup.sh vulkan`), which is slow, so the fixtures
//! and step counts are the smallest that still test something.
//!
//! Compiled when the engine has the `wgpu` feature: the workspace's test
//! build has it through tooltune-cli's default features; alone, run
//! `cargo nextest run -p tooltune-engine --features wgpu wgpu::`.

use tooltune_engine::burn::tensor::Device;
use tooltune_engine::decode::{GenerateConfig, generate};
use tooltune_engine::lora::load_peft_adapter;

use crate::common::{LOGITS_TOL, device, expected, load_model_on, max_logit_error, read};
use crate::train::{config, losses_on};

/// The process's wgpu device; a machine without an adapter fails here,
/// with the driver hint of [`tooltune_engine::backend_device`].
fn wgpu() -> Device {
    tooltune_engine::backend_device("wgpu").unwrap_or_else(|e| panic!("{e}"))
}

/// Llama with GQA: logits within 1e-4 of transformers on the inference and
/// autodiff paths, and the same greedy tokens with and without the cache.
#[test]
fn wgpu_llama_gqa_matches_transformers() {
    crate::parity::check_on("llama-gqa", &wgpu());
}

/// The PEFT LoRA fixture, unmerged: logits and greedy tokens equal PEFT's.
#[test]
fn wgpu_lora_adapter_matches_peft() {
    let dir = "llama-gqa-lora";
    let (model, _) = load_peft_adapter(
        load_model_on("llama-gqa", &wgpu()),
        &read(dir, "adapter_config.json"),
        &read(dir, "adapter_model.safetensors"),
    )
    .expect("adapter loads");
    let exp = expected(dir);
    let worst = max_logit_error(&model, &exp);
    eprintln!("{dir} (wgpu): max |logits - PEFT| = {worst:.3e}");
    assert!(worst < LOGITS_TOL, "max abs error {worst}");
    for p in &exp.prompts {
        let out =
            generate(&model, &p.input_ids, &GenerateConfig::greedy(8), &mut ()).expect("generate");
        assert_eq!(out.tokens, p.greedy_new_ids);
    }
}

/// Four LoRA steps (two epochs of two batches) lower the loss, and each
/// step's loss is the CPU backend's (tolerance: float summation order,
/// compounded over the steps' updates).
#[test]
fn wgpu_lora_training_follows_the_cpu_curve() {
    let cfg = config(7);
    let gpu = losses_on(7, &cfg, &wgpu());
    let cpu = losses_on(7, &cfg, &device());
    eprintln!("wgpu {gpu:?}\ncpu  {cpu:?}");
    assert_eq!(gpu.len(), 4);
    assert!(gpu[3] < gpu[0] - 0.1, "{gpu:?}");
    for (g, c) in gpu.iter().zip(&cpu) {
        assert!((g - c).abs() < 1e-4, "wgpu {gpu:?} vs cpu {cpu:?}");
    }
}
