//! `config.json` (`LlamaForCausalLM`) from a GGUF's `llama.*` metadata.

use serde_json::{Value as Json, json};

use super::{Dims, check_llama, dims};
use crate::error::{GgufError, Result};
use crate::file::Gguf;
use crate::value::Value;

/// A float as config.json would write it: an f32 value becomes the f64 of its
/// shortest decimal text (1e-5 stored as f32 gives 1e-5, not
/// 9.999999747378752e-6), so the JSON reads like the original checkpoint's.
fn float(g: &Gguf<'_>, key: &str) -> Result<f64> {
    match g.require(key)? {
        Value::F32(v) => Ok(v.to_string().parse().unwrap_or(f64::from(*v))),
        _ => g.get_f64(key),
    }
}

fn positive(g: &Gguf<'_>, key: &str) -> Result<u64> {
    match g.get_u64(key)? {
        0 => Err(GgufError::WrongKeyType {
            key: key.into(),
            expected: "a positive integer".into(),
            found: "0".into(),
        }),
        v => Ok(v),
    }
}

/// Builds a Hugging Face `config.json` (`LlamaForCausalLM`) from the `llama.*`
/// metadata. Refuses other architectures by name, and Llama 3.1-style rope
/// scaling stored as a `rope_freqs.weight` tensor (not mapped yet).
pub fn llama_config(g: &Gguf<'_>) -> Result<Json> {
    check_llama(g)?;
    let Dims { n_head, n_head_kv } = dims(g)?;
    let hidden = positive(g, "llama.embedding_length")?;
    let head_dim = match g.get("llama.attention.key_length") {
        Some(_) => g.get_u64("llama.attention.key_length")?,
        None => hidden / n_head,
    };
    let vocab_size = match g.get("llama.vocab_size") {
        Some(_) => g.get_u64("llama.vocab_size")?,
        None => match g.tensor("token_embd.weight") {
            Some(t) if t.dims.len() == 2 => t.dims[1],
            _ => g.get_array("tokenizer.ggml.tokens")?.len() as u64,
        },
    };
    if g.tensor("rope_freqs.weight").is_some() {
        return Err(GgufError::UnmappedTensor {
            name: "rope_freqs.weight".into(),
            reason: "Llama 3.1 rope scaling is not supported by this reader".into(),
        });
    }
    let rope_scaling = match g.get("llama.rope.scaling.type") {
        None => Json::Null,
        Some(_) => match g.get_str("llama.rope.scaling.type")? {
            "none" => Json::Null,
            "linear" => json!({
                "type": "linear",
                "factor": float(g, "llama.rope.scaling.factor")?,
            }),
            other => {
                return Err(GgufError::WrongKeyType {
                    key: "llama.rope.scaling.type".into(),
                    expected: "\"none\" or \"linear\"".into(),
                    found: format!("\"{other}\""),
                });
            }
        },
    };
    let optional_id = |key: &str| -> Result<Json> {
        Ok(match g.get(key) {
            Some(_) => json!(g.get_u64(key)?),
            None => Json::Null,
        })
    };
    let rope_theta = match g.get("llama.rope.freq_base") {
        Some(_) => float(g, "llama.rope.freq_base")?,
        None => 10_000.0,
    };
    Ok(json!({
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_act": "silu",
        "hidden_size": hidden,
        "intermediate_size": positive(g, "llama.feed_forward_length")?,
        "num_hidden_layers": positive(g, "llama.block_count")?,
        "num_attention_heads": n_head,
        "num_key_value_heads": n_head_kv,
        "head_dim": head_dim,
        "rms_norm_eps": float(g, "llama.attention.layer_norm_rms_epsilon")?,
        "rope_theta": rope_theta,
        "rope_scaling": rope_scaling,
        "max_position_embeddings": positive(g, "llama.context_length")?,
        "vocab_size": vocab_size,
        "tie_word_embeddings": g.tensor("output.weight").is_none(),
        "bos_token_id": optional_id("tokenizer.ggml.bos_token_id")?,
        "eos_token_id": optional_id("tokenizer.ggml.eos_token_id")?,
        "pad_token_id": optional_id("tokenizer.ggml.padding_token_id")?,
        "attention_bias": g.tensor("blk.0.attn_q.bias").is_some(),
        "mlp_bias": false,
        "initializer_range": 0.02,
        "pretraining_tp": 1,
        "use_cache": true,
        "torch_dtype": "float32",
    }))
}
