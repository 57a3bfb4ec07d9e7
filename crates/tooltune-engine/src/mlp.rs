//! The gated feed-forward block of Llama-family models: SwiGLU
//! (Shazeer 2020, "GLU Variants Improve Transformer"), HF transformers
//! `LlamaMLP`.

use crate::lora::{Dropout, project};
use burn::config::Config;
use burn::module::{Initializer, Module};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::silu;
use burn::tensor::{Device, Tensor};

/// Configuration of an [`Mlp`].
#[derive(Config, Debug)]
pub struct MlpConfig {
    /// Model width.
    pub d_model: usize,
    /// Hidden width.
    pub d_ff: usize,
    /// Bias on the three projections.
    #[config(default = false)]
    pub bias: bool,
    /// Standard deviation of the random initial weights.
    #[config(default = 0.02)]
    pub init_std: f64,
}

impl MlpConfig {
    /// A randomly initialised MLP.
    pub fn init(&self, device: &Device) -> Mlp {
        let linear = |d_in: usize, d_out: usize| {
            LinearConfig::new(d_in, d_out)
                .with_bias(self.bias)
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: self.init_std,
                })
                .init(device)
        };
        Mlp {
            gate_proj: linear(self.d_model, self.d_ff),
            up_proj: linear(self.d_model, self.d_ff),
            down_proj: linear(self.d_ff, self.d_model),
            lora_dropout: 0.0,
            dropout_seed: 0,
            dropout_first_row: 0,
        }
    }
}

/// `down_proj(silu(gate_proj(x)) * up_proj(x))`.
///
/// # Shapes
/// - input: `[..., d_model]`
/// - output: `[..., d_model]`
#[derive(Module, Debug)]
pub struct Mlp {
    /// Gate projection, `d_model -> d_ff`.
    pub gate_proj: Linear,
    /// Up projection, `d_model -> d_ff`.
    pub up_proj: Linear,
    /// Down projection, `d_ff -> d_model`.
    pub down_proj: Linear,
    /// Dropout on LoRA adapters' input while training (see `lora::dropout`).
    pub lora_dropout: f64,
    /// Seed of this forward pass's dropout masks (see `lora::seed_lora_dropout`).
    pub dropout_seed: u64,
    /// The input's first row in its micro-batch (see `lora::seed_lora_dropout`).
    pub dropout_first_row: u64,
}

impl Mlp {
    /// Applies the block.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        self.forward_from_row(x, self.dropout_first_row)
    }

    /// Applies the block to rows whose LoRA dropout masks are those of rows
    /// `first_row..` of the micro-batch.
    pub fn forward_from_row<const D: usize>(&self, x: Tensor<D>, first_row: u64) -> Tensor<D> {
        let drop = |i: u64| Dropout::new(self.lora_dropout, self.dropout_seed, first_row, i);
        let gate = silu(project(&self.gate_proj, x.clone(), drop(0)));
        let up = project(&self.up_proj, x, drop(1));
        project(&self.down_proj, gate.mul(up), drop(2))
    }
}
