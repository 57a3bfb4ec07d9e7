//! LoRA projections computed as PEFT does, with its `lora_dropout`.
//!
//! Burn's `LoraAdapter` folds the adapter into the weight on every
//! `Param::val` (`W + Δ`, `Δ = s * A B`): a `[d_in, r] @ [r, d_out]` product
//! per call, and under autodiff the backward of `x (W + Δ)` computes the full
//! `[d_in, d_out]` weight gradient before reducing it to `A`'s and `B`'s.
//! PEFT keeps the factors apart: `x W + b + s * (dropout(x) A) B`, where the
//! frozen `W` needs no weight gradient and the low-rank path costs
//! `r (d_in + d_out)` per row. [`project`] computes that form (same value,
//! same gradients), so a LoRA training step skips one `d_in x d_out` matmul
//! per adapted projection (about 6 % of a step for q,v adapters) and a
//! decoded token skips the `Δ` product (16x the projection's own cost at
//! r=16). Dropout acts only on an autodiff device (training); masks come
//! from the backend's generator, seeded by the trainer.

use burn::nn::Linear;
use burn::tensor::module::linear;
use burn::tensor::{Distribution, Tensor};

use crate::llama::LlamaForCausalLM;

/// `layer(x)`, with the layer's LoRA adapter (if any) applied unmerged and
/// dropout `p` on the adapter's input while training.
pub fn project<const D: usize>(layer: &Linear, x: Tensor<D>, p: f64) -> Tensor<D> {
    let Some(adapter) = layer.weight.adapter() else {
        return layer.forward(x);
    };
    let bias = layer.bias.as_ref().map(|b| b.val());
    let base = linear(x.clone(), layer.weight.base(), bias);
    let x = if p > 0.0 && x.device().is_autodiff() {
        let keep = 1.0 - p;
        let mask = x.random_like(Distribution::Bernoulli(keep));
        x * mask.div_scalar(keep)
    } else {
        x
    };
    let low = linear(x, adapter.a.val(), None);
    base + linear(low, adapter.b.val(), None).mul_scalar(adapter.scale)
}

/// Sets the adapter-input dropout of every attention and MLP block.
pub fn set_lora_dropout(mut model: LlamaForCausalLM, p: f64) -> LlamaForCausalLM {
    for layer in &mut model.model.layers {
        layer.self_attn.lora_dropout = p;
        layer.mlp.lora_dropout = p;
    }
    model
}
