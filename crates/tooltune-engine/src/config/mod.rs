//! Model configuration: [`HfConfig`] mirrors a Hugging Face `config.json`
//! (Llama, Qwen2, Mistral families) and converts into the runtime
//! [`LlamaConfig`] the modules are built from, as candle's
//! `models/llama.rs` does with `LlamaConfig::into_config`.
//!
//! Both spellings of the RoPE settings are read: the legacy Hub one
//! (top-level `rope_theta`, `rope_scaling`, `torch_dtype`) and the
//! transformers 5 one (`rope_parameters.rope_theta`, `dtype`).

mod hf;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::error::Result;

pub use hf::{HfConfig, RopeParameters, TokenIds};

/// Frequency scaling applied to the RoPE inverse frequencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RopeScaling {
    /// Position interpolation: every frequency divided by `factor`.
    Linear {
        /// Divisor of every inverse frequency.
        factor: f64,
    },
    /// Llama 3.x scaling (transformers `_compute_llama3_parameters`).
    Llama3 {
        /// Divisor of the low frequencies.
        factor: f64,
        /// Wavelengths above `original / low_freq_factor` are scaled.
        low_freq_factor: f64,
        /// Wavelengths below `original / high_freq_factor` are kept.
        high_freq_factor: f64,
        /// Context length of the unscaled model.
        original_max_position_embeddings: usize,
    },
}

/// Runtime configuration of a Llama-family decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlamaConfig {
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Model width.
    pub hidden_size: usize,
    /// MLP width.
    pub intermediate_size: usize,
    /// Number of decoder layers.
    pub num_hidden_layers: usize,
    /// Query heads.
    pub num_attention_heads: usize,
    /// Key/value heads (divides `num_attention_heads`).
    pub num_key_value_heads: usize,
    /// Per-head width (even).
    pub head_dim: usize,
    /// RMSNorm epsilon.
    pub rms_norm_eps: f64,
    /// RoPE base.
    pub rope_theta: f64,
    /// Optional RoPE frequency scaling.
    pub rope_scaling: Option<RopeScaling>,
    /// `lm_head` shares `embed_tokens`' weight.
    pub tie_word_embeddings: bool,
    /// Bias on q/k/v projections (Qwen2, Llama `attention_bias`).
    pub qkv_bias: bool,
    /// Bias on the output projection (Llama `attention_bias` only).
    pub o_bias: bool,
    /// Bias on the MLP projections.
    pub mlp_bias: bool,
    /// Longest context the model was trained for.
    pub max_position_embeddings: usize,
    /// Beginning-of-sequence id, if any.
    pub bos_token_id: Option<u32>,
    /// End-of-sequence ids (generation stops at any).
    pub eos_token_ids: Vec<u32>,
}

impl LlamaConfig {
    /// Parses `config.json` bytes straight into the runtime config.
    pub fn from_hf_json(bytes: &[u8]) -> Result<Self> {
        HfConfig::from_json_bytes(bytes)?.into_config()
    }

    /// Query heads served by each key/value head.
    pub fn group_size(&self) -> usize {
        self.num_attention_heads / self.num_key_value_heads
    }
}
