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

use crate::common::device;
use crate::lora::{check_matches_peft, with_fixture_adapter_on};
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
    let (model, _) = with_fixture_adapter_on(&wgpu());
    check_matches_peft(&model, "wgpu");
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
