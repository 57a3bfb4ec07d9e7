//! PEFT's `lora_dropout` on top of Burn's weight reparameterisation.
//!
//! PEFT computes `x W + b + s * dropout(x) A B`. Burn's `LoraAdapter` folds
//! the adapter into the weight (`W + Δ`, `Δ = s * A B`), so the dropped path
//! is written as a correction: `x (W + Δ) + b - (x - dropout(x)) Δ`, which
//! has the same value and the same gradients (`Δ` sees only `dropout(x)`).
//! Dropout acts only on an autodiff device (training); after `valid()` the
//! projection is the plain reparameterised linear layer. Masks come from the
//! backend's generator, seeded by the trainer.

use burn::nn::Linear;
use burn::tensor::module::linear;
use burn::tensor::{Distribution, Tensor};

use crate::llama::LlamaForCausalLM;

/// `linear(x)` with dropout `p` on the input of the layer's LoRA adapter
/// (when it has one and the tensor is on an autodiff device).
pub fn project<const D: usize>(layer: &Linear, x: Tensor<D>, p: f64) -> Tensor<D> {
    let adapter = match layer.weight.adapter() {
        Some(a) if p > 0.0 && x.device().is_autodiff() => a,
        _ => return layer.forward(x),
    };
    let keep = 1.0 - p;
    let mask = x.random_like(Distribution::Bernoulli(keep));
    let dropped = x.clone() - x.clone() * mask.div_scalar(keep);
    layer.forward(x) - linear(dropped, adapter.delta(), None)
}

/// Sets the adapter-input dropout of every attention and MLP block.
pub fn set_lora_dropout(mut model: LlamaForCausalLM, p: f64) -> LlamaForCausalLM {
    for layer in &mut model.model.layers {
        layer.self_attn.lora_dropout = p;
        layer.mlp.lora_dropout = p;
    }
    model
}
