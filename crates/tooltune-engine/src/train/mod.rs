//! Assistant-only supervised fine-tuning (TRL's `SFTTrainer` with
//! `assistant_only_loss`, LoRA per Hu et al. 2021 or a full fine-tune):
//! [`mask`] decides which tokens are trained, [`batch`] pads and shuffles,
//! [`step`] is one explicit forward / masked loss / backward / AdamW step
//! (Burn's `examples/custom-training-loop`), [`schedule`] the warmup + cosine
//! learning rate, and [`trainer`] the loop (a step-at-a-time [`Trainer`],
//! the same natively and in the browser) with evaluation and NaN stop.

pub mod batch;
pub mod config;
pub mod mask;
pub mod memory;
pub mod part;
pub mod schedule;
pub mod step;
pub mod trainer;

use safetensors::Dtype;
use safetensors::tensor::TensorView;

pub use config::{TrainConfig, Tuning};
pub use mask::{MaskedExample, mask_example, show_mask};
pub use trainer::{EvalContext, EvalLog, Observer, StepLog, Trained, Trainer, train};

use crate::chat::ChatTemplate;
use crate::error::{EngineError, Result};
use crate::llama::LlamaForCausalLM;
use crate::lora::{LoraSettings, derive_seed, load_peft_adapter, projections, set_lora_dropout};
use crate::tokenizer::Tokenizer;
use batch::SplitMix64;

/// The id that pads batches: the template's `pad_token`, else its
/// `eos_token`, else 0 (padding is never trained on, so any id works).
pub fn pad_id(template: &ChatTemplate, tokenizer: &Tokenizer) -> u32 {
    ["pad_token", "eos_token"]
        .iter()
        .find_map(|k| template.token(k).and_then(|t| tokenizer.token_id(t)))
        .unwrap_or(0)
}

/// Readies `model` for `tuning`: fresh LoRA adapters drawn from `seed`, or
/// the model as it is for a full fine-tune.
pub fn prepare(model: LlamaForCausalLM, tuning: &Tuning, seed: u64) -> Result<LlamaForCausalLM> {
    match tuning {
        Tuning::Full => Ok(model),
        Tuning::Lora(settings) => {
            let bytes = fresh_adapter(&model, settings, seed)?;
            with_adapter(model, settings, seed, &bytes)
        }
    }
}

/// What a run's checkpoint holds after some steps: the adapter
/// (`adapter_model.safetensors` bytes) for LoRA, every weight
/// (`model.safetensors` bytes, f32) for a full fine-tune. Awaited reads, so
/// it works on WebGPU too.
pub async fn checkpoint_bytes(model: &LlamaForCausalLM, tuning: &Tuning) -> Result<Vec<u8>> {
    match tuning {
        Tuning::Lora(_) => crate::lora::save_peft_adapter_async(model).await,
        Tuning::Full => model.to_safetensors_async().await,
    }
}

/// Readies `base` to go on training from a [`checkpoint_bytes`] checkpoint:
/// the adapter attached for LoRA, the checkpoint's weights for a full
/// fine-tune.
pub fn from_checkpoint(
    base: LlamaForCausalLM,
    tuning: &Tuning,
    seed: u64,
    bytes: &[u8],
) -> Result<LlamaForCausalLM> {
    match tuning {
        Tuning::Lora(settings) => with_adapter(base, settings, seed, bytes),
        Tuning::Full => with_weights(&base, bytes),
    }
}

/// `base`'s architecture with the weights of a `model.safetensors` (bytes),
/// e.g. a full fine-tune's checkpoint or export.
pub fn with_weights(base: &LlamaForCausalLM, bytes: &[u8]) -> Result<LlamaForCausalLM> {
    let weights = crate::weights::SafetensorsWeights::from_named_bytes("model.safetensors", bytes)?;
    LlamaForCausalLM::from_safetensors(&base.config, &weights, &base.device())
}

/// Readies `model` to go on training the adapter `weights`
/// (`adapter_model.safetensors` bytes, e.g. a checkpoint) with `settings`:
/// as [`prepare`], from those factors instead of fresh ones.
pub fn with_adapter(
    model: LlamaForCausalLM,
    settings: &LoraSettings,
    seed: u64,
    weights: &[u8],
) -> Result<LlamaForCausalLM> {
    let config = settings.to_peft_config_json(None);
    let model = load_peft_adapter(model, &config, weights)?.0;
    let mut model = set_lora_dropout(model, settings.lora_dropout);
    model.dropout_seed = derive_seed(seed, 1);
    Ok(model)
}

/// `adapter_model.safetensors` bytes of a fresh adapter, initialised as PEFT
/// does (`A ~ U(-1/sqrt(in), 1/sqrt(in))`, kaiming-uniform with a=sqrt(5);
/// `B = 0`, so the model's output is unchanged) from a seeded host RNG, so a
/// run is reproducible whatever else draws from the backend's generator.
pub fn fresh_adapter(
    model: &LlamaForCausalLM,
    settings: &LoraSettings,
    seed: u64,
) -> Result<Vec<u8>> {
    let mut rng = SplitMix64::new(seed);
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (path, linear) in projections(model) {
        if !settings
            .target_modules
            .iter()
            .any(|t| path.ends_with(&format!(".{t}")))
        {
            continue;
        }
        let [d_in, d_out] = linear.weight.lazy_shape().dims::<2>();
        let bound = 1.0 / (d_in as f64).sqrt();
        let a: Vec<u8> = (0..settings.r * d_in)
            .flat_map(|_| (((rng.next_f64() * 2.0 - 1.0) * bound) as f32).to_le_bytes())
            .collect();
        let b = vec![0u8; d_out * settings.r * 4];
        let key = format!("base_model.model.{path}");
        tensors.push((format!("{key}.lora_A.weight"), vec![settings.r, d_in], a));
        tensors.push((format!("{key}.lora_B.weight"), vec![d_out, settings.r], b));
    }
    let mut views = Vec::with_capacity(tensors.len());
    for (key, shape, bytes) in &tensors {
        let view = TensorView::new(Dtype::F32, shape.clone(), bytes).map_err(|e| {
            EngineError::Safetensors {
                file: "fresh adapter".into(),
                message: e.to_string(),
            }
        })?;
        views.push((key.clone(), view));
    }
    safetensors::serialize(views, None).map_err(|e| EngineError::Safetensors {
        file: "fresh adapter".into(),
        message: e.to_string(),
    })
}
