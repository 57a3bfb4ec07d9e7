//! Training hyper-parameters, with the defaults of the tool-use lesson's
//! TRL `SFTConfig` + PEFT `LoraConfig` (lr 2e-4, 3 epochs, batch 8, cosine
//! schedule with 3 % warmup, LoRA r=16, alpha=32, dropout 0.05 on `q_proj`,
//! `v_proj`).

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::lora::{LoraSettings, PROJECTIONS};

/// What is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Tuning {
    /// Fresh LoRA adapters; every base weight is frozen.
    Lora(LoraSettings),
    /// Every weight of the model.
    Full,
}

/// Hyper-parameters of one training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Peak learning rate.
    pub lr: f64,
    /// Passes over the training data.
    pub epochs: usize,
    /// Examples per micro-batch.
    pub batch_size: usize,
    /// Micro-batches per optimiser step.
    pub grad_accum: usize,
    /// Longest tokenized example allowed.
    pub max_seq_len: usize,
    /// Truncate longer examples instead of stopping with an error.
    pub truncate: bool,
    /// Fraction of the optimiser steps spent warming the learning rate up.
    pub warmup_ratio: f64,
    /// AdamW decoupled weight decay (transformers' default: 0).
    pub weight_decay: f64,
    /// Seeds shuffling and adapter initialisation.
    pub seed: u64,
    /// LoRA or full fine-tune.
    pub tuning: Tuning,
    /// Optimiser steps between evaluations; `None`: at the end of every
    /// [`Self::eval_every_epochs`]-th epoch.
    pub eval_every: Option<usize>,
    /// Without `eval_every`, epochs between evaluations (1: after each);
    /// the last step is always evaluated.
    #[serde(default = "one")]
    pub eval_every_epochs: usize,
    /// Token budget of each generated answer during evaluation.
    pub eval_max_new_tokens: usize,
    /// Label smoothing of the loss: the target gets `1 - ε + ε / vocab`,
    /// every other token `ε / vocab` (0: none, transformers' default).
    #[serde(default)]
    pub label_smoothing: f64,
    /// Estimated bytes of activations a step may keep at once
    /// ([`super::memory`]): larger micro-batches run in row groups, one
    /// after another, with the same loss and gradients. `None`: no limit.
    /// How a machine runs the step, not what it learns: a run's record
    /// (`run.json`) leaves it out.
    #[serde(skip)]
    pub activation_budget: Option<u64>,
}

fn one() -> usize {
    1
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            lr: 2e-4,
            epochs: 3,
            batch_size: 8,
            grad_accum: 1,
            max_seq_len: 1024,
            truncate: false,
            warmup_ratio: 0.03,
            weight_decay: 0.0,
            seed: 0,
            tuning: Tuning::Lora(
                LoraSettings::new(16, 32.0, &["q_proj", "v_proj"]).with_dropout(0.05),
            ),
            eval_every: None,
            eval_every_epochs: 1,
            eval_max_new_tokens: 128,
            label_smoothing: 0.0,
            activation_budget: None,
        }
    }
}

impl TrainConfig {
    /// Checks every value, naming the first bad one.
    pub fn check(&self) -> Result<()> {
        let bad = |key: &str, msg: &str| Err(EngineError::config("training", key, msg));
        if !(self.lr > 0.0 && self.lr <= 1.0) {
            return bad("lr", "must be in (0, 1]");
        }
        if self.epochs == 0 {
            return bad("epochs", "must be at least 1");
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1");
        }
        if self.grad_accum == 0 {
            return bad("grad_accum", "must be at least 1");
        }
        if self.max_seq_len < 2 {
            return bad("max_seq_len", "must be at least 2");
        }
        if !(0.0..1.0).contains(&self.warmup_ratio) {
            return bad("warmup_ratio", "must be in [0, 1)");
        }
        if self.weight_decay < 0.0 {
            return bad("weight_decay", "must not be negative");
        }
        if !(0.0..1.0).contains(&self.label_smoothing) {
            return bad("label_smoothing", "must be in [0, 1)");
        }
        if self.eval_every == Some(0) {
            return bad("eval_every", "must be at least 1");
        }
        if self.eval_every_epochs == 0 {
            return bad("eval_every_epochs", "must be at least 1");
        }
        if let Tuning::Lora(l) = &self.tuning {
            if !(0.0..1.0).contains(&l.lora_dropout) {
                return bad("lora_dropout", "must be in [0, 1)");
            }
            if l.r == 0 {
                return bad("lora_r", "must be at least 1");
            }
            if let Some(t) = l
                .target_modules
                .iter()
                .find(|t| !PROJECTIONS.contains(&t.as_str()))
            {
                return bad(
                    "target_modules",
                    &format!("`{t}` is not one of {}", PROJECTIONS.join(", ")),
                );
            }
        }
        Ok(())
    }

    /// Optimiser steps per epoch for `n` examples.
    pub fn steps_per_epoch(&self, n: usize) -> usize {
        n.div_ceil(self.batch_size).div_ceil(self.grad_accum)
    }
}
