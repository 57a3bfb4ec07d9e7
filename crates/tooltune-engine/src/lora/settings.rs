//! LoRA hyper-parameters and PEFT's `adapter_config.json`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::PROJECTIONS;
use crate::error::{EngineError, Result, parse_json};

const CONFIG_FILE: &str = "adapter_config.json";

/// The LoRA hyper-parameters that define an adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoraSettings {
    /// Rank.
    pub r: usize,
    /// Scaling numerator.
    pub lora_alpha: f64,
    /// Scale by `alpha / sqrt(r)` instead of `alpha / r` (Kalajdzievski 2023).
    pub use_rslora: bool,
    /// Targeted projections, e.g. `["q_proj", "v_proj"]`.
    pub target_modules: Vec<String>,
    /// Dropout on the adapter's input while training (PEFT's `lora_dropout`).
    #[serde(default)]
    pub lora_dropout: f64,
}

impl LoraSettings {
    /// `r`, `alpha`, targets; `alpha / r` scaling.
    pub fn new(r: usize, lora_alpha: f64, target_modules: &[&str]) -> Self {
        Self {
            r,
            lora_alpha,
            use_rslora: false,
            target_modules: target_modules.iter().map(|s| s.to_string()).collect(),
            lora_dropout: 0.0,
        }
    }

    /// Sets the adapter-input dropout used while training.
    pub fn with_dropout(mut self, p: f64) -> Self {
        self.lora_dropout = p;
        self
    }

    /// The factor applied to `B @ A`.
    pub fn scale(&self) -> f64 {
        if self.use_rslora {
            self.lora_alpha / (self.r as f64).sqrt()
        } else {
            self.lora_alpha / self.r as f64
        }
    }

    pub(super) fn check(&self) -> Result<()> {
        if self.r == 0 {
            return Err(adapter_err(CONFIG_FILE, "`r` must be positive"));
        }
        if !(0.0..1.0).contains(&self.lora_dropout) {
            return Err(adapter_err(CONFIG_FILE, "`lora_dropout` must be in [0, 1)"));
        }
        if self.target_modules.is_empty() {
            return Err(adapter_err(CONFIG_FILE, "`target_modules` is empty"));
        }
        match self
            .target_modules
            .iter()
            .find(|t| !PROJECTIONS.contains(&t.as_str()))
        {
            Some(t) => Err(adapter_err(
                CONFIG_FILE,
                format!("target module `{t}` is not one of {PROJECTIONS:?}"),
            )),
            None => Ok(()),
        }
    }

    /// `adapter_config.json` as PEFT writes it, loadable by
    /// `PeftModel.from_pretrained`.
    pub fn to_peft_config_json(&self, base_model_name_or_path: Option<&str>) -> Vec<u8> {
        let json = serde_json::json!({
            "peft_type": "LORA",
            "task_type": "CAUSAL_LM",
            "base_model_name_or_path": base_model_name_or_path,
            "r": self.r,
            "lora_alpha": self.lora_alpha,
            "use_rslora": self.use_rslora,
            "target_modules": self.target_modules,
            "lora_dropout": self.lora_dropout,
            "bias": "none",
            "fan_in_fan_out": false,
            "use_dora": false,
            "inference_mode": true,
            "init_lora_weights": true,
            "modules_to_save": null,
            "rank_pattern": {},
            "alpha_pattern": {},
        });
        let mut bytes = serde_json::to_vec_pretty(&json).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

/// `adapter_config.json`: the subset of PEFT's `LoraConfig` that matters here.
#[derive(Debug, Deserialize)]
struct PeftConfigJson {
    peft_type: Option<String>,
    r: usize,
    lora_alpha: f64,
    #[serde(default)]
    use_rslora: bool,
    #[serde(default)]
    use_dora: bool,
    bias: Option<String>,
    #[serde(default)]
    lora_dropout: f64,
    target_modules: Option<TargetModules>,
    rank_pattern: Option<HashMap<String, serde_json::Value>>,
    alpha_pattern: Option<HashMap<String, serde_json::Value>>,
    modules_to_save: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TargetModules {
    List(Vec<String>),
    One(String),
}

/// Parses and checks PEFT's `adapter_config.json`.
pub fn parse_peft_config(bytes: &[u8]) -> Result<LoraSettings> {
    let c: PeftConfigJson = parse_json(CONFIG_FILE, bytes)?;
    let unsupported =
        |what: &str| Err(adapter_err(CONFIG_FILE, format!("{what} is not supported")));
    if c.peft_type.as_deref().is_some_and(|t| t != "LORA") {
        return unsupported("peft_type other than LORA");
    }
    if c.use_dora {
        return unsupported("use_dora");
    }
    if c.bias.as_deref().is_some_and(|b| b != "none") {
        return unsupported("bias other than \"none\"");
    }
    if c.rank_pattern.is_some_and(|p| !p.is_empty())
        || c.alpha_pattern.is_some_and(|p| !p.is_empty())
    {
        return unsupported("rank_pattern / alpha_pattern");
    }
    if c.modules_to_save.is_some_and(|m| !m.is_empty()) {
        return unsupported("modules_to_save");
    }
    let target_modules = match c.target_modules {
        Some(TargetModules::List(list)) => list,
        Some(TargetModules::One(s)) if s == "all-linear" => {
            PROJECTIONS.iter().map(|s| s.to_string()).collect()
        }
        Some(TargetModules::One(s)) => return unsupported(&format!("target_modules regex `{s}`")),
        None => return Err(adapter_err(CONFIG_FILE, "`target_modules` is missing")),
    };
    let settings = LoraSettings {
        r: c.r,
        lora_alpha: c.lora_alpha,
        use_rslora: c.use_rslora,
        target_modules,
        lora_dropout: c.lora_dropout,
    };
    settings.check()?;
    Ok(settings)
}

pub(super) fn adapter_err(file: &str, message: impl Into<String>) -> EngineError {
    EngineError::Adapter {
        file: file.into(),
        message: message.into(),
    }
}
