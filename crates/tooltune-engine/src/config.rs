//! Model configuration: [`HfConfig`] mirrors a Hugging Face `config.json`
//! (Llama, Qwen2, Mistral families) and converts into the runtime
//! [`LlamaConfig`] the modules are built from, as candle's
//! `models/llama.rs` does with `LlamaConfig::into_config`.
//!
//! Both spellings of the RoPE settings are read: the legacy Hub one
//! (top-level `rope_theta`, `rope_scaling`, `torch_dtype`) and the
//! transformers 5 one (`rope_parameters.rope_theta`, `dtype`).

use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;

    const LEGACY: &str = r#"{"model_type":"llama","vocab_size":512,"hidden_size":64,
        "intermediate_size":172,"num_hidden_layers":2,"num_attention_heads":4,
        "num_key_value_heads":2,"rms_norm_eps":1e-5,"rope_theta":10000.0,"rope_scaling":null,
        "tie_word_embeddings":true,"torch_dtype":"float32","eos_token_id":2,"bos_token_id":0}"#;

    #[test]
    fn legacy_spelling() {
        let c = LlamaConfig::from_hf_json(LEGACY.as_bytes()).expect("valid config");
        assert_eq!(
            (c.head_dim, c.num_key_value_heads, c.group_size()),
            (16, 2, 2)
        );
        assert_eq!(c.rope_theta, 10_000.0);
        assert!(c.tie_word_embeddings && !c.qkv_bias && !c.o_bias);
        assert_eq!(
            (c.bos_token_id, c.eos_token_ids.clone()),
            (Some(0), vec![2])
        );
    }

    #[test]
    fn transformers5_qwen2_spelling() {
        let json = r#"{"model_type":"qwen2","vocab_size":512,"hidden_size":64,
            "intermediate_size":176,"num_hidden_layers":2,"num_attention_heads":4,
            "num_key_value_heads":2,"rms_norm_eps":1e-6,"dtype":"float32",
            "rope_parameters":{"rope_theta":1000000.0,"rope_type":"default"},
            "eos_token_id":[2,1],"use_sliding_window":false}"#;
        let hf = HfConfig::from_json_bytes(json.as_bytes()).expect("parses");
        assert_eq!(hf.stored_dtype(), Some("float32"));
        let c = hf.into_config().expect("valid config");
        assert_eq!(c.rope_theta, 1e6);
        assert!(c.qkv_bias && !c.o_bias && !c.tie_word_embeddings);
        assert_eq!(c.eos_token_ids, vec![2, 1]);
    }

    #[test]
    fn llama3_scaling() {
        let json = LEGACY.replace(
            r#""rope_scaling":null"#,
            r#""rope_scaling":{"rope_type":"llama3","factor":32.0,"low_freq_factor":1.0,
               "high_freq_factor":4.0,"original_max_position_embeddings":8192}"#,
        );
        let c = LlamaConfig::from_hf_json(json.as_bytes()).expect("valid config");
        assert!(
            matches!(c.rope_scaling, Some(RopeScaling::Llama3 { factor, .. }) if factor == 32.0)
        );
    }

    #[test]
    fn errors_name_the_key() {
        let bad = LEGACY.replace(r#""num_key_value_heads":2"#, r#""num_key_value_heads":3"#);
        let err = LlamaConfig::from_hf_json(bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("config.json") && err.contains("num_key_value_heads"),
            "{err}"
        );
        let bad = LEGACY.replace(r#""vocab_size":512"#, r#""vocab_size":"many""#);
        let err = LlamaConfig::from_hf_json(bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("vocab_size"), "{err}");
        let bad = LEGACY.replace(
            r#""rope_scaling":null"#,
            r#""rope_scaling":{"type":"yarn","factor":2.0}"#,
        );
        let err = LlamaConfig::from_hf_json(bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rope_scaling.rope_type") && err.contains("yarn"),
            "{err}"
        );
    }
}
