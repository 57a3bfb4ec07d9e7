//! A training run folder: `run.json` (everything needed to reload the run),
//! the adapter in PEFT's format (`adapter_config.json`,
//! `adapter_model.safetensors`) or, for a full fine-tune, `model.safetensors`,
//! and `metrics.jsonl`.

use anyhow::{Context, Result, anyhow};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tooltune_core::Catalogue;
use tooltune_core::dataset::Example;
use tooltune_core::error::Location;
use tooltune_engine::assistant::{EvalSet, prompt_with_opening};
use tooltune_engine::run::RunInfo;
use tooltune_engine::train::Tuning;
use tooltune_engine::{ChatTemplate, LlamaForCausalLM, Tokenizer};

use crate::{io, model};

/// The run's catalogue, compiled (errors name `dir/run.json`).
pub fn run_catalogue(info: &RunInfo, dir: &Path) -> Result<Option<Arc<Catalogue>>> {
    info.tools
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

/// A run loaded for generation.
pub struct Run {
    /// The run's folder.
    pub dir: PathBuf,
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

impl Run {
    /// The prompt ids of one request, as `route` sends it, and the first
    /// token of a call's answer after them (the call-or-answer decision).
    pub fn request_prompt(&self, request: &str) -> Result<(Vec<u32>, Option<u32>)> {
        let prompt = self.info.prompt_context().request(request);
        Ok(prompt_with_opening(
            &self.template,
            &self.tokenizer,
            &prompt,
        )?)
    }

    /// Every assistant turn of `examples` with its prompt, as `eval --run`
    /// scores them: items are checked against `tools` when given, else
    /// against the run's catalogue where a line carries none.
    pub fn eval_set(&self, examples: &[Example], tools: Option<Arc<Catalogue>>) -> Result<EvalSet> {
        let tools = match tools {
            Some(t) => Some(t),
            None if examples.iter().any(|e| e.conversation.tools.is_none()) => {
                run_catalogue(&self.info, &self.dir)?
            }
            None => None,
        };
        let context = self.info.prompt_context();
        Ok(EvalSet::new(
            examples,
            tools.as_ref(),
            &context,
            &self.template,
            &self.tokenizer,
        )?)
    }
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
        dir: dir.to_path_buf(),
        info,
        model,
        tokenizer: text.tokenizer,
        template: text.template,
        stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tooltune_core::dataset::{self, Format};
    use tooltune_engine::train::{TrainConfig, mask_example};

    const TOOLS: &str = r#"[{"type": "function", "function": {"name": "track_order",
        "description": "Where an order is.", "parameters": {"type": "object",
        "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}}]"#;

    /// A run of the built-in model whose training data had `system` and,
    /// when `tools_in_prompt`, `tools` on every line.
    fn builtin_run(tools_in_prompt: bool) -> Run {
        let dir = Path::new(tooltune_engine::builtin::NAME);
        let text = model::load_text(dir).expect("text");
        let device = tooltune_engine::backend_device("cpu").expect("cpu");
        let model = model::load_model(dir, None, &device).expect("model");
        let stop = tooltune_engine::assistant::stop_ids(&model, &text.tokenizer, &text.template);
        let info = RunInfo {
            tooltune_version: "test".into(),
            model: dir.into(),
            train_data: "train.jsonl".into(),
            eval_data: None,
            backend: "cpu".into(),
            tools: Some(serde_json::from_str(TOOLS).expect("tools")),
            tools_in_prompt,
            system: Some("You route support requests.".into()),
            output_mode: "chat".into(),
            config: TrainConfig::default(),
            examples: 1,
            steps: 0,
            final_loss: None,
            stopped: None,
            constrained_eval: false,
            call_threshold: None,
        };
        Run {
            dir: "test-run".into(),
            info,
            model,
            tokenizer: text.tokenizer,
            template: text.template,
            stop,
        }
    }

    fn example(line: &str) -> Example {
        let rows =
            dataset::read(Format::OpenAi, "test.jsonl", line.as_bytes(), None).expect("reads");
        rows.into_iter()
            .next()
            .expect("one line")
            .expect("a good line")
    }

    /// `route` (`request_prompt`) and `eval --run` (`eval_set`) give the same
    /// tokens for the same request, whether the test line carries the run's
    /// system prompt and catalogue itself or leaves them to the run; and
    /// training renders that same prompt before the answer it learns.
    #[test]
    fn route_eval_and_training_share_one_prompt() {
        for tools_in_prompt in [true, false] {
            let run = builtin_run(tools_in_prompt);
            let (routed, _) = run.request_prompt("Where is ORD-7?").expect("route prompt");
            let bare = example(
                r#"{"messages": [{"role": "user", "content": "Where is ORD-7?"}, {"role": "assistant", "content": "Let me check."}]}"#,
            );
            let compact: serde_json::Value = serde_json::from_str(TOOLS).expect("tools");
            let tools = if tools_in_prompt {
                format!(r#", "tools": {compact}"#)
            } else {
                String::new()
            };
            let full = example(&format!(
                r#"{{"messages": [{{"role": "system", "content": "You route support requests."}}, {{"role": "user", "content": "Where is ORD-7?"}}, {{"role": "assistant", "content": "Let me check."}}]{tools}}}"#
            ));
            let set = run.eval_set(&[bare, full.clone()], None).expect("eval set");
            assert_eq!(set.prompts[0], routed, "tools_in_prompt={tools_in_prompt}");
            assert_eq!(set.prompts[1], routed, "tools_in_prompt={tools_in_prompt}");
            let trained = mask_example(&run.template, &run.tokenizer, &full).expect("masks");
            assert_eq!(&trained.ids[..routed.len()], &routed[..]);
            assert!(!trained.trained[routed.len() - 1] && trained.trained[routed.len()]);
            let text = run.tokenizer.decode(&routed).expect("decodes");
            assert!(text.contains("You route support requests."), "{text}");
            assert_eq!(text.contains("track_order"), tools_in_prompt, "{text}");
        }
    }
}
