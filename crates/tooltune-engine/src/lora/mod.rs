//! LoRA adapters (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large
//! Language Models") in Hugging Face PEFT's file format, on top of Burn's
//! built-in LoRA reparameterisation (`LoraAdapter`: `W + scale * a @ b`).
//!
//! PEFT stores, per target module, `lora_A.weight` `[r, in]` and
//! `lora_B.weight` `[out, r]` with `W_eff = W + scale * B @ A` and
//! `scale = lora_alpha / r` (or `lora_alpha / sqrt(r)` with `use_rslora`).
//! Burn's `Linear` keeps `[in, out]`, so Burn's `a = A^T`, `b = B^T`.
//! Burn's `Lora` reparameteriser only creates *fresh* factors with
//! `scale = alpha / rank`; loading given factors uses the same
//! `LoraAdapter` through a small `Reparameterizer` (in `peft.rs`), so
//! training, saving and merging treat loaded and fresh adapters alike.

mod dropout;
mod peft;
mod settings;

use burn::module::{Module, ParamGroup};
use burn::nn::Linear;

use crate::error::Result;
use crate::llama::LlamaForCausalLM;

pub use dropout::{
    Dropout, SHARED_PREFIX_ROW, derive_seed, has_lora_dropout, project, seed_lora_dropout,
    set_lora_dropout,
};
pub use peft::{load_peft_adapter, save_peft_adapter, save_peft_adapter_async};
pub use settings::{LoraSettings, parse_peft_config};

/// The projections a LoRA adapter may target, in checkpoint naming.
pub const PROJECTIONS: [&str; 7] = tooltune_core::LORA_PROJECTIONS;

/// Attaches fresh trainable adapters (Burn's `Lora`: `a ~ N(0, 1/r)`,
/// `b = 0`, so the output is unchanged at first) to the targeted projections
/// of every layer, freezing all other parameters.
pub fn add_lora(model: LlamaForCausalLM, settings: &LoraSettings) -> Result<LlamaForCausalLM> {
    settings.check()?;
    let paths: Vec<String> = projections(&model)
        .into_iter()
        .filter(|(path, _)| {
            settings
                .target_modules
                .iter()
                .any(|t| path.ends_with(&format!(".{t}")))
        })
        .map(|(path, _)| format!("{path}.weight"))
        .collect();
    // Burn scales by alpha / rank; pick its alpha so the scale is PEFT's.
    let burn_alpha = settings.scale() * settings.r as f64;
    let lora = burn::module::Lora::new(settings.r, burn_alpha)
        .set_param_group(ParamGroup::from_paths(paths));
    Ok(model.apply_lora(lora))
}

/// Every projection of the model with its module path
/// (`model.layers.N.self_attn.q_proj`, ...).
pub fn projections(model: &LlamaForCausalLM) -> Vec<(String, &Linear)> {
    let mut out = Vec::new();
    for (i, layer) in model.model.layers.iter().enumerate() {
        let a = &layer.self_attn;
        let m = &layer.mlp;
        let named = [
            ("self_attn.q_proj", &a.q_proj),
            ("self_attn.k_proj", &a.k_proj),
            ("self_attn.v_proj", &a.v_proj),
            ("self_attn.o_proj", &a.o_proj),
            ("mlp.gate_proj", &m.gate_proj),
            ("mlp.up_proj", &m.up_proj),
            ("mlp.down_proj", &m.down_proj),
        ];
        out.extend(
            named
                .into_iter()
                .map(|(n, l)| (format!("model.layers.{i}.{n}"), l)),
        );
    }
    out
}

/// Folds every adapter into its base weight (`W + scale * B @ A`) and drops
/// the adapters; PEFT's `merge_and_unload`.
pub fn merge_lora(model: LlamaForCausalLM) -> LlamaForCausalLM {
    model.materialize()
}
