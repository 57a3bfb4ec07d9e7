//! `config.json` as Hugging Face writes it, and its conversion into
//! [`LlamaConfig`].

use serde::Deserialize;

use super::{LlamaConfig, RopeScaling};
use crate::error::{EngineError, Result, parse_json};

const FILE: &str = "config.json";

/// `config.json` as Hugging Face writes it; unknown keys are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct HfConfig {
    /// `llama`, `qwen2`, `mistral`, ...
    pub model_type: Option<String>,
    /// Vocabulary size (rows of `embed_tokens`).
    pub vocab_size: usize,
    /// Model width.
    pub hidden_size: usize,
    /// MLP width.
    pub intermediate_size: usize,
    /// Number of decoder layers.
    pub num_hidden_layers: usize,
    /// Number of query heads.
    pub num_attention_heads: usize,
    /// Number of key/value heads (GQA); defaults to the query heads.
    pub num_key_value_heads: Option<usize>,
    /// Per-head width; defaults to `hidden_size / num_attention_heads`.
    pub head_dim: Option<usize>,
    /// RMSNorm epsilon.
    pub rms_norm_eps: Option<f64>,
    /// Legacy spelling of the RoPE base.
    pub rope_theta: Option<f64>,
    /// Legacy spelling of the RoPE scaling settings.
    pub rope_scaling: Option<RopeParameters>,
    /// transformers 5 spelling: RoPE base and scaling in one object.
    pub rope_parameters: Option<RopeParameters>,
    /// Whether `lm_head` reuses `embed_tokens`.
    pub tie_word_embeddings: Option<bool>,
    /// Llama: bias on q/k/v/o projections.
    pub attention_bias: Option<bool>,
    /// Llama: bias on the MLP projections.
    pub mlp_bias: Option<bool>,
    /// Longest context the model was trained for.
    pub max_position_embeddings: Option<usize>,
    /// Activation of the MLP gate; only `silu` is supported.
    pub hidden_act: Option<String>,
    /// Qwen2/Mistral sliding-window attention switch; must be off.
    pub use_sliding_window: Option<bool>,
    /// Beginning-of-sequence id(s).
    pub bos_token_id: Option<TokenIds>,
    /// End-of-sequence id(s).
    pub eos_token_id: Option<TokenIds>,
    /// Legacy spelling of the stored dtype.
    pub torch_dtype: Option<String>,
    /// transformers 5 spelling of the stored dtype.
    pub dtype: Option<String>,
}

/// RoPE settings: `rope_scaling` (legacy) or `rope_parameters` (transformers 5).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RopeParameters {
    /// `default`, `linear`, `llama3`, ...
    pub rope_type: Option<String>,
    /// Older spelling of `rope_type`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The RoPE base (transformers 5 keeps it here).
    pub rope_theta: Option<f64>,
    /// Scaling factor (`linear`, `llama3`).
    pub factor: Option<f64>,
    /// Llama 3: low-frequency factor.
    pub low_freq_factor: Option<f64>,
    /// Llama 3: high-frequency factor.
    pub high_freq_factor: Option<f64>,
    /// Llama 3: context length the base model was trained for.
    pub original_max_position_embeddings: Option<usize>,
}

/// A token id or a list of them (`eos_token_id` may be either).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TokenIds {
    /// A single id.
    One(u32),
    /// Several ids.
    Many(Vec<u32>),
}

impl TokenIds {
    fn into_vec(self) -> Vec<u32> {
        match self {
            TokenIds::One(id) => vec![id],
            TokenIds::Many(ids) => ids,
        }
    }
}

impl HfConfig {
    /// Parses `config.json` bytes.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self> {
        parse_json(FILE, bytes)
    }

    /// Checks the values and converts to the runtime [`LlamaConfig`].
    pub fn into_config(self) -> Result<LlamaConfig> {
        let model_type = self.model_type.as_deref().unwrap_or("llama");
        if !matches!(model_type, "llama" | "qwen2" | "mistral") {
            return Err(EngineError::config(
                FILE,
                "model_type",
                format!("`{model_type}` is not supported (llama, qwen2, mistral)"),
            ));
        }
        if let Some(act) = self.hidden_act.as_deref()
            && act != "silu"
        {
            return Err(EngineError::config(
                FILE,
                "hidden_act",
                format!("`{act}` is not supported (silu)"),
            ));
        }
        if self.use_sliding_window == Some(true) {
            return Err(EngineError::config(
                FILE,
                "use_sliding_window",
                "sliding-window attention is not supported",
            ));
        }
        let heads = self.num_attention_heads;
        let kv_heads = self.num_key_value_heads.unwrap_or(heads);
        if heads == 0 || kv_heads == 0 || !heads.is_multiple_of(kv_heads) {
            return Err(EngineError::config(
                FILE,
                "num_key_value_heads",
                format!("{kv_heads} must be positive and divide num_attention_heads ({heads})"),
            ));
        }
        let head_dim = match self.head_dim {
            Some(d) => d,
            None if self.hidden_size.is_multiple_of(heads) => self.hidden_size / heads,
            None => {
                return Err(EngineError::config(
                    FILE,
                    "hidden_size",
                    "not divisible by num_attention_heads",
                ));
            }
        };
        if head_dim == 0 || head_dim % 2 != 0 {
            return Err(EngineError::config(
                FILE,
                "head_dim",
                format!("{head_dim} must be even and positive"),
            ));
        }
        for (key, v) in [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("intermediate_size", self.intermediate_size),
        ] {
            if v == 0 {
                return Err(EngineError::config(FILE, key, "must be positive"));
            }
        }
        let (rope_theta, rope_scaling) =
            rope(self.rope_theta, self.rope_scaling, self.rope_parameters)?;
        // Qwen2 always has q/k/v bias (and never o_proj bias); Llama says so explicitly.
        let attention_bias = self.attention_bias.unwrap_or(false);
        let qkv_bias = model_type == "qwen2" || attention_bias;
        Ok(LlamaConfig {
            vocab_size: self.vocab_size,
            hidden_size: self.hidden_size,
            intermediate_size: self.intermediate_size,
            num_hidden_layers: self.num_hidden_layers,
            num_attention_heads: heads,
            num_key_value_heads: kv_heads,
            head_dim,
            rms_norm_eps: self.rms_norm_eps.unwrap_or(1e-6),
            rope_theta,
            rope_scaling,
            tie_word_embeddings: self.tie_word_embeddings.unwrap_or(false),
            qkv_bias,
            o_bias: model_type != "qwen2" && attention_bias,
            mlp_bias: self.mlp_bias.unwrap_or(false),
            max_position_embeddings: self.max_position_embeddings.unwrap_or(2048),
            bos_token_id: self
                .bos_token_id
                .and_then(|ids| ids.into_vec().first().copied()),
            eos_token_ids: self
                .eos_token_id
                .map(TokenIds::into_vec)
                .unwrap_or_default(),
        })
    }

    /// The stored dtype named in the file (`dtype` or legacy `torch_dtype`).
    pub fn stored_dtype(&self) -> Option<&str> {
        self.dtype.as_deref().or(self.torch_dtype.as_deref())
    }
}

/// Resolves RoPE base and scaling from either spelling.
fn rope(
    legacy_theta: Option<f64>,
    legacy_scaling: Option<RopeParameters>,
    parameters: Option<RopeParameters>,
) -> Result<(f64, Option<RopeScaling>)> {
    let (key, params) = match (parameters, legacy_scaling) {
        (Some(p), _) => ("rope_parameters", p),
        (None, Some(p)) => ("rope_scaling", p),
        (None, None) => ("rope_scaling", RopeParameters::default()),
    };
    let theta = params.rope_theta.or(legacy_theta).unwrap_or(10_000.0);
    if !(theta.is_finite() && theta > 0.0) {
        return Err(EngineError::config(
            FILE,
            "rope_theta",
            format!("{theta} must be positive"),
        ));
    }
    let kind = params
        .rope_type
        .as_deref()
        .or(params.kind.as_deref())
        .unwrap_or("default");
    let need = |name: &str, v: Option<f64>| {
        v.filter(|x| x.is_finite() && *x > 0.0).ok_or_else(|| {
            EngineError::config(FILE, &format!("{key}.{name}"), "missing or not positive")
        })
    };
    let scaling = match kind {
        "default" => None,
        "linear" => Some(RopeScaling::Linear {
            factor: need("factor", params.factor)?,
        }),
        "llama3" => {
            let original = params.original_max_position_embeddings.ok_or_else(|| {
                EngineError::config(
                    FILE,
                    &format!("{key}.original_max_position_embeddings"),
                    "missing",
                )
            })?;
            let low = need("low_freq_factor", params.low_freq_factor)?;
            let high = need("high_freq_factor", params.high_freq_factor)?;
            if high <= low {
                return Err(EngineError::config(
                    FILE,
                    &format!("{key}.high_freq_factor"),
                    "must exceed low_freq_factor",
                ));
            }
            Some(RopeScaling::Llama3 {
                factor: need("factor", params.factor)?,
                low_freq_factor: low,
                high_freq_factor: high,
                original_max_position_embeddings: original,
            })
        }
        other => {
            return Err(EngineError::config(
                FILE,
                &format!("{key}.rope_type"),
                format!("`{other}` is not supported (default, linear, llama3)"),
            ));
        }
    };
    Ok((theta, scaling))
}
