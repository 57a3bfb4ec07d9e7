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
//! per adapted projection (~6 % of a step's multiply-adds, q,v adapters) and a
//! decoded token skips the `Δ` product (16x the projection's own cost at
//! r=16). Dropout acts only on an autodiff device (training).
//!
//! Dropout masks are drawn on the host from a seed that each forward pass
//! carries ([`seed_lora_dropout`]; the training step derives it from the
//! run's seed, the step and the micro-batch), one mask per batch row by the
//! row's place in its micro-batch, not from the backend's one shared
//! generator: shards of a data-parallel step then draw their masks
//! concurrently and reproducibly, and a row gets the same mask however the
//! micro-batch is split (any thread count, any backend).

use burn::nn::Linear;
use burn::tensor::module::linear;
use burn::tensor::{Tensor, TensorData};

use crate::llama::LlamaForCausalLM;
use crate::train::batch::SplitMix64;

/// The row whose masks a batch's shared prefix gets (run once for all the
/// batch's rows, see `train::batch`): one no real row has, the same
/// however the batch is split into shards.
pub const SHARED_PREFIX_ROW: u64 = u64::MAX / 2;

/// The dropout of one projection's adapter input in one forward pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dropout {
    /// Probability of zeroing an element.
    pub p: f64,
    /// Seed of the masks; each batch row's mask has its own child seed.
    pub seed: u64,
    /// Index of the input's first batch row in its micro-batch: a row's
    /// mask depends on its place in the micro-batch, not on how the
    /// micro-batch was split into shards.
    pub first_row: u64,
}

impl Dropout {
    /// Dropout `p` for projection `index` of a block whose forward pass
    /// has seed `block_seed` and starts at row `first_row`.
    pub fn new(p: f64, block_seed: u64, first_row: u64, index: u64) -> Self {
        Self {
            p,
            seed: derive_seed(block_seed, index),
            first_row,
        }
    }

    /// No dropout.
    pub const NONE: Self = Self {
        p: 0.0,
        seed: 0,
        first_row: 0,
    };

    /// `x * mask / (1 - p)`, the mask's elements kept with probability
    /// `1 - p` (in steps of 2^-16), drawn on the host, batch row `b` (the
    /// first dimension) from seed `derive_seed(seed, first_row + b)`.
    fn apply<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let keep = 1.0 - self.p;
        let threshold = (keep * 65536.0).round() as u64;
        let scale = (1.0 / keep) as f32;
        let shape = x.dims();
        let rows = if D > 1 { shape[0] } else { 1 };
        let per_row = x.shape().num_elements() / rows.max(1);
        let mut values = Vec::with_capacity(rows * per_row);
        for b in 0..rows {
            let mut rng = SplitMix64::new(derive_seed(self.seed, self.first_row + b as u64));
            let end = values.len() + per_row;
            while values.len() < end {
                let bits = rng.next_u64();
                let take = (end - values.len()).min(4);
                values.extend((0..take).map(|k| {
                    if (bits >> (16 * k)) & 0xFFFF < threshold {
                        scale
                    } else {
                        0.0
                    }
                }));
            }
        }
        x.clone() * Tensor::from_data(TensorData::new(values, shape), &x.device())
    }
}

/// A child seed of `parent`, one per `index` (SplitMix64 of their mix).
pub fn derive_seed(parent: u64, index: u64) -> u64 {
    SplitMix64::new(parent ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64()
}

/// `layer(x)`, with the layer's LoRA adapter (if any) applied unmerged and
/// `dropout` on the adapter's input while training. Leading dimensions are
/// folded into rows: one `[rows, d_in] @ [d_in, d_out]` product instead of
/// a batched one that packs the weight again for every batch entry (~+2 %
/// tiny training throughput, measured under load).
pub fn project<const D: usize>(layer: &Linear, x: Tensor<D>, dropout: Dropout) -> Tensor<D> {
    let dims = x.dims();
    let d_in = dims[D - 1];
    let rows = x.shape().num_elements() / d_in;
    let flat = |t: Tensor<D>| t.reshape([rows, d_in]);
    let out = match layer.weight.adapter() {
        None => layer.forward(flat(x)),
        Some(adapter) => {
            let dropped = if dropout.p > 0.0 && x.device().is_autodiff() {
                dropout.apply(x.clone())
            } else {
                x.clone()
            };
            let bias = layer.bias.as_ref().map(|b| b.val());
            let base = linear(flat(x), layer.weight.base(), bias);
            let low = linear(flat(dropped), adapter.a.val(), None);
            base + linear(low, adapter.b.val(), None).mul_scalar(adapter.scale)
        }
    };
    let mut out_dims = dims;
    out_dims[D - 1] = out.dims()[1];
    out.reshape(out_dims)
}

/// Sets the adapter-input dropout of every attention and MLP block.
pub fn set_lora_dropout(mut model: LlamaForCausalLM, p: f64) -> LlamaForCausalLM {
    for layer in &mut model.model.layers {
        layer.self_attn.lora_dropout = p;
        layer.mlp.lora_dropout = p;
    }
    model
}

/// Whether any block applies LoRA dropout.
pub fn has_lora_dropout(model: &LlamaForCausalLM) -> bool {
    model
        .model
        .layers
        .iter()
        .any(|l| l.self_attn.lora_dropout > 0.0 || l.mlp.lora_dropout > 0.0)
}

/// Gives the next forward pass's dropout masks the seed `seed` (each block
/// its own child of it), for an input whose first row is row `first_row` of
/// its micro-batch.
pub fn seed_lora_dropout(
    mut model: LlamaForCausalLM,
    seed: u64,
    first_row: u64,
) -> LlamaForCausalLM {
    for (i, layer) in model.model.layers.iter_mut().enumerate() {
        layer.self_attn.dropout_seed = derive_seed(seed, 2 * i as u64);
        layer.mlp.dropout_seed = derive_seed(seed, 2 * i as u64 + 1);
        layer.self_attn.dropout_first_row = first_row;
        layer.mlp.dropout_first_row = first_row;
    }
    model
}
