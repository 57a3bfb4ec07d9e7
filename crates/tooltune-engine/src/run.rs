//! `run.json`: everything needed to reload a training run — the base model,
//! every hyper-parameter, the catalogue, the system prompt and the output
//! style — written by `tooltune train` and by the page's run export, read
//! by `tooltune eval --run` and `tooltune route`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tooltune_core::parse::Mode;
use tooltune_core::prompt::PromptContext;

use crate::train::TrainConfig;

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
    /// Whether the evaluations in `metrics.jsonl` decoded within the
    /// catalogue (`--constrain`, the page's "Constrain answers to the
    /// catalogue"); absent in runs written before it: false.
    #[serde(default)]
    pub constrained_eval: bool,
    /// The call threshold of those evaluations (`--call-threshold`, the
    /// page's "Call threshold"); absent or `null`: greedy.
    #[serde(default)]
    pub call_threshold: Option<f32>,
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

    /// What every prompt of this run is built from (`route`, `eval --run`,
    /// evaluation during training): the training data's system prompt and
    /// catalogue, rendered when the training lines carried `tools`.
    pub fn prompt_context(&self) -> PromptContext {
        PromptContext {
            system: self.system.clone(),
            tools: self.tools.clone(),
            tools_in_prompt: self.tools_in_prompt,
        }
    }
}
