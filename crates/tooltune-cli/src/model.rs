//! Loading a Hugging Face model folder (and adapters, and training runs)
//! from disk into the engine, which itself only takes bytes.

use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::path::Path;
use tooltune_engine::burn::tensor::Device;
use tooltune_engine::{
    ChatTemplate, LlamaConfig, LlamaForCausalLM, SafetensorsWeights, Tokenizer, builtin,
};

use crate::io;

/// The text side of a model folder: tokenizer and chat template.
pub struct Text {
    /// `tokenizer.json`.
    pub tokenizer: Tokenizer,
    /// `tokenizer_config.json`'s template, or the built-in one.
    pub template: ChatTemplate,
}

/// Whether `dir` names the built-in model (`builtin`).
pub fn is_builtin(dir: &Path) -> bool {
    dir.as_os_str() == builtin::NAME
}

/// Reads `tokenizer.json` and (if present) `tokenizer_config.json`; `builtin`
/// gives the built-in model's.
pub fn load_text(dir: &Path) -> Result<Text> {
    if is_builtin(dir) {
        return Ok(Text {
            tokenizer: builtin::tokenizer()?,
            template: builtin::template()?,
        });
    }
    check_dir(dir)?;
    let tokenizer = Tokenizer::from_bytes(&io::read(&dir.join("tokenizer.json"))?)
        .with_context(|| format!("in model folder {}", dir.display()))?;
    let config_path = dir.join("tokenizer_config.json");
    let template = if config_path.exists() {
        ChatTemplate::from_tokenizer_config(&io::read(&config_path)?)
            .with_context(|| format!("in {}", config_path.display()))?
    } else {
        ChatTemplate::builtin()
    };
    Ok(Text {
        tokenizer,
        template,
    })
}

/// Loads `config.json` with `model.safetensors`, or a sharded checkpoint
/// (`model.safetensors.index.json` and its shards); `weights` overrides the
/// weights file (a full fine-tune's output). `builtin` is the built-in model.
pub fn load_model(dir: &Path, weights: Option<&Path>, device: &Device) -> Result<LlamaForCausalLM> {
    if is_builtin(dir) {
        return Ok(match weights {
            None => builtin::model(device)?,
            Some(w) => {
                let config = LlamaConfig::from_hf_json(builtin::CONFIG_JSON)?;
                let bytes = io::read(w)?;
                let st = SafetensorsWeights::from_named_bytes(&io::name(w), &bytes)?;
                LlamaForCausalLM::from_safetensors(&config, &st, device)?
            }
        });
    }
    check_dir(dir)?;
    let config = LlamaConfig::from_hf_json(&io::read(&dir.join("config.json"))?)
        .with_context(|| format!("in model folder {}", dir.display()))?;
    let single = weights
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join("model.safetensors"));
    let index = dir.join("model.safetensors.index.json");
    let model = if weights.is_some() || single.exists() || !index.exists() {
        let bytes = io::read(&single)?;
        let w = SafetensorsWeights::from_named_bytes(&io::name(&single), &bytes)?;
        LlamaForCausalLM::from_safetensors(&config, &w, device)?
    } else {
        let index_bytes = io::read(&index)?;
        let map: serde_json::Value = serde_json::from_slice(&index_bytes)
            .with_context(|| format!("{} is not JSON", index.display()))?;
        let mut shards = HashMap::new();
        if let Some(files) = map["weight_map"].as_object() {
            for file in files.values().filter_map(|v| v.as_str()) {
                if !shards.contains_key(file) {
                    shards.insert(file.to_string(), io::read(&dir.join(file))?);
                }
            }
        }
        let w = SafetensorsWeights::from_sharded(&index_bytes, &shards)?;
        LlamaForCausalLM::from_safetensors(&config, &w, device)?
    };
    Ok(model)
}

/// Applies the PEFT adapter in `dir` to `model`.
pub fn load_adapter(model: LlamaForCausalLM, dir: &Path) -> Result<LlamaForCausalLM> {
    let config = io::read(&dir.join("adapter_config.json"))?;
    let weights = io::read(&dir.join("adapter_model.safetensors"))?;
    let (model, _) = tooltune_engine::lora::load_peft_adapter(model, &config, &weights)
        .with_context(|| format!("in adapter folder {}", dir.display()))?;
    Ok(model)
}

fn check_dir(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        bail!("model folder {} does not exist", dir.display());
    }
    Ok(())
}
