//! A Llama-architecture GGUF seen as a Hugging Face `LlamaForCausalLM`
//! checkpoint: `config.json` from the `llama.*` metadata, and every tensor
//! under its Hugging Face name with llama.cpp's Q/K row permutation undone.
//!
//! The permutation is `LlamaModel.permute` in llama.cpp's
//! `convert_hf_to_gguf.py`: rows of q_proj (per attention head) and k_proj
//! (per key/value head) are reordered from the rotate-half layout Hugging Face
//! uses to the interleaved pairs llama.cpp's RoPE expects. transformers'
//! GGUF loader (`integrations/ggml.py`) reverses it the same way.

mod config;

pub use config::llama_config;

use crate::error::{GgufError, Result};
use crate::file::Gguf;
use crate::tensor::TensorInfo;

/// One tensor in Hugging Face form.
#[derive(Debug, Clone, PartialEq)]
pub struct HfTensor {
    /// The Hugging Face name, e.g. `model.layers.0.self_attn.q_proj.weight`.
    pub name: String,
    /// Row-major shape, e.g. `[out_features, in_features]`.
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<f32>,
}

/// How one llama.cpp per-layer tensor maps: its GGUF suffix, the Hugging Face
/// suffix, and whether rows need un-permuting (and by which head count).
const LAYER_TABLE: &[(&str, &str, Permute)] = &[
    ("attn_norm", "input_layernorm", Permute::No),
    ("ffn_norm", "post_attention_layernorm", Permute::No),
    // Rows are per-head interleaved by convert_hf_to_gguf: undo with n_head.
    ("attn_q", "self_attn.q_proj", Permute::Heads),
    // The same, with n_head_kv.
    ("attn_k", "self_attn.k_proj", Permute::KvHeads),
    ("attn_v", "self_attn.v_proj", Permute::No),
    ("attn_output", "self_attn.o_proj", Permute::No),
    ("ffn_gate", "mlp.gate_proj", Permute::No),
    ("ffn_up", "mlp.up_proj", Permute::No),
    ("ffn_down", "mlp.down_proj", Permute::No),
];

/// Whole-model tensors.
const GLOBAL_TABLE: &[(&str, &str)] = &[
    ("token_embd.weight", "model.embed_tokens.weight"),
    ("output_norm.weight", "model.norm.weight"),
    ("output.weight", "lm_head.weight"),
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Permute {
    No,
    Heads,
    KvHeads,
}

/// The head counts and sizes the mapping needs, read from `llama.*`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Dims {
    pub(crate) n_head: u64,
    pub(crate) n_head_kv: u64,
}

pub(crate) fn check_llama(g: &Gguf<'_>) -> Result<()> {
    let arch = g.architecture()?;
    if arch != "llama" {
        return Err(GgufError::UnsupportedArchitecture {
            architecture: arch.into(),
        });
    }
    Ok(())
}

pub(crate) fn dims(g: &Gguf<'_>) -> Result<Dims> {
    let n_head = g.get_u64("llama.attention.head_count")?;
    let n_head_kv = match g.get("llama.attention.head_count_kv") {
        Some(_) => g.get_u64("llama.attention.head_count_kv")?,
        None => n_head,
    };
    if n_head == 0 || n_head_kv == 0 {
        return Err(GgufError::WrongKeyType {
            key: "llama.attention.head_count".into(),
            expected: "positive head counts".into(),
            found: format!("{n_head} heads, {n_head_kv} key/value heads"),
        });
    }
    Ok(Dims { n_head, n_head_kv })
}

/// The Hugging Face name of a llama.cpp tensor, and how to un-permute it.
fn hf_name(name: &str) -> Result<(String, Permute)> {
    if let Some((_, hf)) = GLOBAL_TABLE.iter().find(|(gguf, _)| *gguf == name) {
        return Ok(((*hf).to_owned(), Permute::No));
    }
    let unmapped = |reason: &str| GgufError::UnmappedTensor {
        name: name.into(),
        reason: reason.into(),
    };
    let rest = name
        .strip_prefix("blk.")
        .ok_or_else(|| unmapped("not a known whole-model tensor"))?;
    let (layer, rest) = rest
        .split_once('.')
        .ok_or_else(|| unmapped("no layer part"))?;
    let layer: u64 = layer
        .parse()
        .map_err(|_| unmapped("layer is not a number"))?;
    let (part, kind) = rest
        .rsplit_once('.')
        .ok_or_else(|| unmapped("no .weight/.bias"))?;
    if kind != "weight" && kind != "bias" {
        return Err(unmapped("not a .weight or .bias"));
    }
    let (_, hf, permute) = LAYER_TABLE
        .iter()
        .find(|(gguf, _, _)| *gguf == part)
        .ok_or_else(|| unmapped("unknown layer tensor"))?;
    Ok((format!("model.layers.{layer}.{hf}.{kind}"), *permute))
}

/// Pairs of (GGUF name, Hugging Face name) for every tensor, in file order.
pub fn hf_names(g: &Gguf<'_>) -> Result<Vec<(String, String)>> {
    check_llama(g)?;
    g.tensors()
        .iter()
        .map(|t| Ok((t.name.clone(), hf_name(&t.name)?.0)))
        .collect()
}

/// Every tensor in Hugging Face form, dequantised to f32 and un-permuted,
/// one at a time (so peak memory is one tensor beyond what the caller keeps).
pub fn hf_tensors<'g>(g: &'g Gguf<'_>) -> Result<impl Iterator<Item = Result<HfTensor>> + 'g> {
    check_llama(g)?;
    let d = dims(g)?;
    Ok(g.tensors().iter().map(move |t| hf_tensor_of(g, t, d)))
}

/// One tensor in Hugging Face form, by its GGUF name.
pub fn hf_tensor(g: &Gguf<'_>, gguf_name: &str) -> Result<HfTensor> {
    check_llama(g)?;
    let t = g.tensor(gguf_name).ok_or_else(|| GgufError::NoSuchTensor {
        name: gguf_name.into(),
    })?;
    hf_tensor_of(g, t, dims(g)?)
}

fn hf_tensor_of(g: &Gguf<'_>, t: &TensorInfo, d: Dims) -> Result<HfTensor> {
    let (name, permute) = hf_name(&t.name)?;
    let shape = t.shape();
    let mut data = g.dequantize_info(t)?;
    let heads = match permute {
        Permute::No => None,
        Permute::Heads => Some(d.n_head),
        Permute::KvHeads => Some(d.n_head_kv),
    };
    if let Some(heads) = heads {
        data = unpermute_rows(&t.name, &data, &shape, heads)?;
    }
    Ok(HfTensor { name, shape, data })
}

/// Reverses `convert_hf_to_gguf.py`'s `LlamaModel.permute`, which is
/// `w.reshape(heads, 2, rows / heads / 2, *rest).swapaxes(1, 2)`:
/// GGUF row `h * hd + 2 * i + t` is Hugging Face row `h * hd + t * hd / 2 + i`
/// (`hd = rows / heads`, `t` in 0..2, `i` in 0..hd / 2).
pub fn unpermute_rows(name: &str, data: &[f32], shape: &[usize], heads: u64) -> Result<Vec<f32>> {
    let rows = shape.first().copied().unwrap_or(0);
    let heads = usize::try_from(heads).unwrap_or(usize::MAX);
    if heads == 0 || rows % heads != 0 || (rows / heads) % 2 != 0 {
        return Err(GgufError::InvalidTensor {
            name: name.into(),
            reason: format!("{rows} rows cannot be split into {heads} heads of an even size"),
        });
    }
    let row_len = data.len().checked_div(rows).unwrap_or(0);
    let hd = rows / heads;
    let half = hd / 2;
    let mut out = vec![0f32; data.len()];
    for h in 0..heads {
        for i in 0..half {
            for t in 0..2 {
                let src = (h * hd + 2 * i + t) * row_len;
                let dst = (h * hd + t * half + i) * row_len;
                out[dst..dst + row_len].copy_from_slice(&data[src..src + row_len]);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `LlamaModel.permute` written out, applied and then undone.
    #[test]
    fn unpermute_inverts_convert_hf_to_gguf_permute() {
        let (heads, hd, cols) = (3usize, 4usize, 2usize);
        let rows = heads * hd;
        let hf: Vec<f32> = (0..rows * cols).map(|v| v as f32).collect();
        // permute: reshape(heads, 2, hd/2, cols).swapaxes(1, 2)
        let mut gguf = vec![0f32; hf.len()];
        for h in 0..heads {
            for i in 0..hd / 2 {
                for t in 0..2 {
                    let src = (h * hd + t * (hd / 2) + i) * cols;
                    let dst = (h * hd + i * 2 + t) * cols;
                    gguf[dst..dst + cols].copy_from_slice(&hf[src..src + cols]);
                }
            }
        }
        assert_ne!(gguf, hf);
        let back = unpermute_rows("t", &gguf, &[rows, cols], heads as u64).unwrap();
        assert_eq!(back, hf);
    }

    #[test]
    fn names_map_and_unknown_names_are_refused() {
        assert_eq!(
            hf_name("blk.12.attn_k.weight").unwrap(),
            (
                "model.layers.12.self_attn.k_proj.weight".into(),
                Permute::KvHeads
            )
        );
        assert_eq!(hf_name("output.weight").unwrap().0, "lm_head.weight");
        assert!(matches!(
            hf_name("blk.x.attn_k.weight"),
            Err(GgufError::UnmappedTensor { .. })
        ));
        assert!(matches!(
            hf_name("rope_freqs.weight"),
            Err(GgufError::UnmappedTensor { .. })
        ));
    }
}
