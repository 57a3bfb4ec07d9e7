//! A training run folder: `run.json` (everything needed to reload the run),
//! the adapter in PEFT's format (`adapter_config.json`,
//! `adapter_model.safetensors`) or, for a full fine-tune, `model.safetensors`,
//! and `metrics.jsonl`.

use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tooltune_core::Catalogue;
use tooltune_core::error::Location;
use tooltune_core::parse::Mode;
use tooltune_engine::train::{TrainConfig, Tuning};
use tooltune_engine::{ChatTemplate, LlamaForCausalLM, Tokenizer};

use crate::{io, model};

/// `run.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    /// tooltune version that wrote the run.
    pub tooltune_version: String,
    /// The base model folder (absolute).
    pub model: PathBuf,
    /// Training data file.
    pub train_data: PathBuf,
    /// Evaluation data file, if any.
    pub eval_data: Option<PathBuf>,
    /// Backend used.
    pub backend: String,
    /// The tool catalogue the run routes to (OpenAI tools), if known.
    pub tools: Option<Value>,
    /// Whether the training lines carried `tools` (so prompts render them).
    pub tools_in_prompt: bool,
    /// The system prompt of the training data (used by `route`).
    pub system: Option<String>,
    /// Whether answers are router JSON (`json`) or chat (`chat`).
    pub output_mode: String,
    /// Training hyper-parameters.
    pub config: TrainConfig,
    /// Training examples and steps done.
    pub examples: usize,
    /// Optimiser steps completed.
    pub steps: usize,
    /// Loss of the last step.
    pub final_loss: Option<f32>,
    /// Why training stopped early, if it did.
    pub stopped: Option<String>,
}

impl RunInfo {
    /// How outputs are parsed.
    pub fn mode(&self) -> Mode {
        if self.output_mode == "json" {
            Mode::Json
        } else {
            Mode::Chat
        }
    }

    /// The run's catalogue, compiled.
    pub fn catalogue(&self, dir: &Path) -> Result<Option<Arc<Catalogue>>> {
        self.tools
            .as_ref()
            .map(|t| {
                let at = Location {
                    source: dir.join("run.json").display().to_string(),
                    line: None,
                };
                Catalogue::from_value(&at, t)
                    .map(Arc::new)
                    .map_err(Into::into)
            })
            .transpose()
    }
}

/// A run loaded for generation.
pub struct Run {
    /// `run.json`.
    pub info: RunInfo,
    /// The fine-tuned model.
    pub model: LlamaForCausalLM,
    /// Tokenizer of the base model.
    pub tokenizer: Tokenizer,
    /// Chat template of the base model.
    pub template: ChatTemplate,
    /// Ids ending a turn.
    pub stop: Vec<u32>,
}

/// Reads `run.json` and loads the model with its adapter (or full weights).
pub fn load(dir: &Path) -> Result<Run> {
    let path = dir.join("run.json");
    let info: RunInfo = serde_json::from_slice(&io::read(&path)?)
        .with_context(|| format!("{} is not a tooltune run.json", path.display()))?;
    let device = tooltune_engine::backend_device(&info.backend).map_err(|e| anyhow!(e))?;
    let model = match info.config.tuning {
        Tuning::Full => {
            model::load_model(&info.model, Some(&dir.join("model.safetensors")), &device)?
        }
        Tuning::Lora(_) => {
            model::load_adapter(model::load_model(&info.model, None, &device)?, dir)?
        }
    };
    let text = model::load_text(&info.model)?;
    let stop = tooltune_engine::assistant::stop_ids(&model, &text.tokenizer, &text.template);
    Ok(Run {
        info,
        model,
        tokenizer: text.tokenizer,
        template: text.template,
        stop,
    })
}
