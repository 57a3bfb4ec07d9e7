//! The messages between the page and its engine worker, as candle's
//! `candle-wasm-examples/llama2-c/src/worker.rs` does with its message
//! enums: the page sends [`Request`]s, the worker answers with [`Event`]s.
//! Both are serde enums, sent as JSON; a model's files travel beside a
//! [`Request::LoadModel`] as byte buffers (in `files` order), not in the
//! JSON, and so do a run's weights ([`Request::Evaluate`],
//! [`Event::Checkpoint`]). Training streams its progress as events, one per step and one
//! per evaluation.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use tooltune_core::prompt::PromptContext;

use crate::workspace::{OutputStyle, TrainSettings};

/// The Cache API store that holds a training run's last checkpoint, written
/// by the engine worker and read by the page after a reload.
pub const CHECKPOINT_CACHE: &str = "tooltune-run-v1";
/// The key of that checkpoint's file in [`CHECKPOINT_CACHE`].
pub const CHECKPOINT_URL: &str = "/tooltune-run/adapter_model.safetensors";
/// The checkpoint before it: the worker stores a new one before the page
/// hears of it, so a worker lost in between leaves the page's record one
/// checkpoint behind the newest, and the page goes on from this one.
pub const PREVIOUS_CHECKPOINT_URL: &str = "/tooltune-run/previous.safetensors";
/// The stored checkpoint's header that names its step, so that the page
/// never resumes a run's charts at one step with another step's weights.
pub const CHECKPOINT_STEP_HEADER: &str = "x-tooltune-step";

/// What the page asks of the engine worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Request {
    /// Load a Hugging Face model: `config.json`, `model.safetensors`,
    /// `tokenizer.json` and optionally `tokenizer_config.json`, whose bytes
    /// are attached in the order of `files`. Answered by
    /// [`Event::ModelLoaded`] (after [`Event::Progress`]) or [`Event::Failed`].
    /// A load that a newer one overtakes while it waits (for the WebGPU
    /// adapter) is answered by nothing: the newer load decides the model.
    LoadModel {
        /// Echoed in the answer.
        #[serde(default)]
        id: u64,
        /// Shown to the user (folder name, URL, "built-in").
        name: String,
        /// Where the model came from, as a run trained on it records its
        /// base (`run.json`'s `model`, which `tooltune` reads back): the
        /// folder's or GGUF file's URL. None: `name` (`builtin` for the
        /// built-in model).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
        /// File names of the attached buffers.
        files: Vec<String>,
        /// Where the model runs.
        #[serde(default)]
        backend: BackendChoice,
    },
    /// Render one example with the model's chat template, tokenise it and
    /// mark the trained tokens. Answered by [`Event::Masked`].
    Mask {
        /// Echoed in the answer.
        id: u64,
        /// One chat line (`{"messages": [...], "tools": [...]}`).
        example: Value,
    },
    /// Generate the model's answer to one request, greedily. Answered by
    /// [`Event::Routed`], then (tool-call style with a catalogue)
    /// [`Event::RouteChoices`].
    Route {
        /// Echoed in the answer.
        id: u64,
        /// System prompt and catalogue, as [`Workspace::prompt_context`]
        /// decides them (the CLI's runs decide them the same way).
        ///
        /// [`Workspace::prompt_context`]: crate::Workspace::prompt_context
        context: PromptContext,
        /// The user's request.
        request: String,
        /// How the answer is written (for the record; parsing is the page's).
        output_style: OutputStyle,
        /// Token budget of the answer.
        max_new_tokens: usize,
        /// Answer with the fine-tuned model (once training has made one)
        /// instead of the base.
        #[serde(default)]
        tuned: bool,
        /// Decode within the catalogue of `context` (its names and
        /// schemas), as `tooltune route --constrain`.
        #[serde(default)]
        constrain: bool,
        /// The call-or-answer decision ([`TrainSettings::call_threshold`]).
        #[serde(default)]
        call_threshold: Option<f64>,
    },
    /// Fine-tune the loaded model with LoRA on `train` and evaluate on
    /// `test` before training (the baseline) and after each epoch. Answered
    /// by [`Event::TrainStarted`], then [`Event::TrainStep`] per optimiser
    /// step and [`Event::Evaluated`] per evaluation, and [`Event::TrainDone`].
    Train {
        /// Echoed in every event of the run.
        id: u64,
        /// Hyper-parameters.
        settings: TrainSettings,
        /// Seeds adapters, shuffling and dropout.
        seed: u64,
        /// Training lines (OpenAI chat JSON, as exported).
        train: Vec<Value>,
        /// Held-out lines, scored with the four metrics.
        test: Vec<Value>,
        /// How prompts are built (as try-it builds them).
        context: PromptContext,
        /// How answers are written and parsed.
        output_style: OutputStyle,
        /// Go on from a checkpoint instead of fresh adapters: the run's
        /// adapter after this many steps (`adapter_model.safetensors`,
        /// attached as a buffer). The baseline is not scored again.
        #[serde(default)]
        resume_step: Option<usize>,
        /// Another worker scores the held-out lines ([`Request::Evaluate`]):
        /// this one only trains, asking for each evaluation with
        /// [`Event::EvalDue`] (and a checkpoint of that step), so training
        /// goes on while the other worker evaluates.
        #[serde(default)]
        eval_elsewhere: bool,
        /// Each step split between this worker and others linked to it
        /// (data parallelism, `tooltune_engine::train::part`): which part
        /// this worker trains. Part 0 reports the run; the others only
        /// train, and answer nothing unless they fail.
        #[serde(default)]
        split: Option<Split>,
    },
    /// The worker linked to this one for a split run is gone: the run
    /// waiting on it fails with `reason`.
    LinkLost {
        /// Why, for the user.
        reason: String,
    },
    /// Score `test` with the loaded model, or with a run's checkpoint of
    /// `step` steps (attached as one buffer, as [`Event::Checkpoint`] sends
    /// it; none for the base, step 0), as a run's evaluation. Answered by
    /// [`Event::Evaluated`] for run `id`, or [`Event::Failed`].
    Evaluate {
        /// The run's id, echoed.
        id: u64,
        /// The steps the checkpoint has taken.
        step: usize,
        /// The run's settings (LoRA or every weight, and the adapter's shape).
        settings: TrainSettings,
        /// The run's seed.
        seed: u64,
        /// Held-out lines.
        test: Vec<Value>,
        /// How prompts are built.
        context: PromptContext,
    },
    /// Stop the run `id` after its current step; the adapter so far is kept.
    StopTraining {
        /// The run's id.
        id: u64,
    },
    /// Pause (`paused: true`) or resume the run `id` between steps.
    /// Answered by [`Event::TrainPaused`].
    PauseTraining {
        /// The run's id.
        id: u64,
        /// Pause, or resume.
        paused: bool,
    },
    /// Attach a PEFT LoRA adapter (`adapter_config.json`,
    /// `adapter_model.safetensors`, attached as buffers in that order) to
    /// the loaded model: it becomes the fine-tuned model try-it compares
    /// with the base. Answered by [`Event::AdapterLoaded`].
    LoadAdapter {
        /// Echoed in the answer.
        id: u64,
        /// Shown to the user.
        name: String,
    },
    /// A full fine-tune's `model.safetensors` (attached as one buffer) for
    /// the loaded model's architecture: it becomes the fine-tuned model.
    /// Answered by [`Event::AdapterLoaded`].
    LoadWeights {
        /// Echoed in the answer.
        id: u64,
        /// Shown to the user.
        name: String,
    },
    /// A training run's checkpoint (attached as one buffer: the adapter's
    /// `adapter_model.safetensors`, or a full fine-tune's
    /// `model.safetensors`), restored after a reload: `settings` say which,
    /// and give the adapter's config. Answered by [`Event::AdapterLoaded`].
    LoadCheckpoint {
        /// Echoed in the answer.
        id: u64,
        /// Shown to the user.
        name: String,
        /// The run's settings.
        settings: TrainSettings,
    },
    /// The last run's files: the adapter in PEFT's format (or a full
    /// fine-tune's `model.safetensors`) and `run.json`.
    /// Answered by [`Event::RunExported`].
    ExportRun {
        /// Echoed in the answer.
        id: u64,
    },
}

/// A worker's part of a training run whose steps are split between
/// workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    /// This worker's part, 0-based; part 0 reports the run.
    pub part: usize,
    /// How many workers split each step.
    pub parts: usize,
    /// The link session of this request (fresh for each split request, a
    /// resumed run's included): the workers' messages carry it, so a part
    /// left waiting from an earlier request never takes this one's.
    pub session: u64,
}

/// Where the engine runs a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendChoice {
    /// WebGPU on a hardware adapter, the CPU otherwise (a software WebGPU
    /// adapter such as SwiftShader is slower than the CPU path).
    #[default]
    Auto,
    /// The CPU path (burn-flex in wasm).
    Cpu,
    /// WebGPU, whatever the adapter.
    Webgpu,
}

/// A file the worker hands to the page (bytes as standard base64).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedFile {
    /// File name (`adapter_config.json`, ...).
    pub name: String,
    /// The bytes, base64.
    pub base64: String,
}

impl ExportedFile {
    /// `bytes` named `name`.
    pub fn new(name: &str, bytes: &[u8]) -> Self {
        use base64::Engine;
        Self {
            name: name.into(),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// The bytes (`None` if the base64 is damaged).
    pub fn bytes(&self) -> Option<Vec<u8>> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(&self.base64)
            .ok()
    }
}

/// The four metrics and `call_accuracy` of one evaluation (the core's).
pub use tooltune_core::eval::Metrics;

/// One held-out item the model got wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// The user's request.
    pub request: String,
    /// The gold answer, one line.
    pub gold: String,
    /// What the model wrote.
    pub output: String,
    /// Why it is wrong.
    pub reason: String,
    /// How likely the model found each call and no call after the row's
    /// prompt (tool-call answers only), as Try it shows them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<tooltune_core::choices::ToolChoices>,
}

/// What the engine worker reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A step of a longer job, for a progress line.
    Progress {
        /// What is happening.
        stage: String,
    },
    /// The model is loaded and ready.
    ModelLoaded {
        /// The load request's id.
        #[serde(default)]
        id: u64,
        /// What was loaded.
        info: ModelInfo,
    },
    /// One example's tokens and mask.
    Masked {
        /// The request's id.
        id: u64,
        /// Each token's text and whether it is trained.
        tokens: Vec<MaskToken>,
    },
    /// The model's answer.
    Routed {
        /// The request's id.
        id: u64,
        /// The raw text (end-of-turn token left out).
        output: String,
        /// Tokens in the prompt.
        prompt_tokens: usize,
        /// Tokens generated.
        new_tokens: usize,
        /// Wall time of tokenising and generating, milliseconds.
        ms: f64,
    },
    /// How likely a call to each catalogue tool, or none, was for the
    /// answer of [`Event::Routed`] `id` (tool-call style with a catalogue
    /// only), sent after it.
    RouteChoices {
        /// The request's id.
        id: u64,
        /// The odds.
        choices: tooltune_core::choices::ToolChoices,
    },
    /// Training has begun.
    TrainStarted {
        /// The run's id.
        id: u64,
        /// Optimiser steps of the whole run.
        total_steps: usize,
        /// Training examples, and the tokens training learns from.
        examples: usize,
        /// Trained (assistant) tokens over all training examples.
        trained_tokens: usize,
        /// Held-out items scored at each evaluation.
        test_items: usize,
        /// Backend that trains.
        backend: String,
        /// The longest a training row may be, in tokens: 1024, or the
        /// model's context when shorter.
        #[serde(default)]
        max_seq_len: usize,
        /// Training rows longer than that, cut to it, and the longest's
        /// length before the cut.
        #[serde(default)]
        cut_rows: usize,
        #[serde(default)]
        longest_cut: usize,
        /// Held-out prompts that leave too little of the model's context
        /// for their answers, said in words
        /// ([`crate::context::prompts_beyond_context`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        held_out_beyond: Option<String>,
    },
    /// One optimiser step.
    TrainStep {
        /// The run's id.
        id: u64,
        /// 1-based step.
        step: usize,
        /// 1-based epoch.
        epoch: usize,
        /// Mean loss over the step's trained tokens.
        loss: f32,
        /// Learning rate used.
        lr: f64,
        /// Input tokens per second so far.
        tokens_per_sec: f64,
        /// Seconds spent in training steps so far.
        elapsed_s: f64,
    },
    /// An evaluation on the held-out lines (step 0: before training).
    Evaluated {
        /// The run's id.
        id: u64,
        /// Steps taken when it ran.
        step: usize,
        /// The scores.
        metrics: Metrics,
        /// Confusion counts: gold label → predicted label → count (labels
        /// are tool names, `no_tool`, and `invalid` for predictions).
        confusion: Vec<(String, String, usize)>,
        /// Items the model got wrong (the first few).
        failures: Vec<Failure>,
        /// Seconds the evaluation took.
        seconds: f64,
    },
    /// The run's trained weights after `step` steps, sent every few seconds
    /// of training, at each evaluation and at the end: what the page keeps
    /// so that a reload goes on from there. The worker has already stored
    /// them in the Cache API ([`CHECKPOINT_CACHE`], [`CHECKPOINT_URL`]; a
    /// full fine-tune's are the whole model, and storing them on the page's
    /// thread held it ~70 ms each), unless `kept` says why not. For a run
    /// trained with `eval_elsewhere`, the file's bytes also travel beside
    /// the message as one buffer, for the second worker that scores it.
    Checkpoint {
        /// The run's id.
        id: u64,
        /// Steps taken.
        step: usize,
        /// `adapter_model.safetensors` for LoRA; `model.safetensors` (every
        /// weight) for a full fine-tune.
        file: String,
        /// Why the worker could not store the checkpoint (`None`: stored).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kept: Option<String>,
    },
    /// A run trained with `eval_elsewhere` reached an evaluation point:
    /// `step` 0 before training, else after the [`Event::Checkpoint`] of
    /// that step, sent just before.
    EvalDue {
        /// The run's id.
        id: u64,
        /// Steps taken.
        step: usize,
    },
    /// The run has ended: finished, stopped by the user, or stopped on a
    /// non-finite loss (`error`, keeping the last good adapter).
    TrainDone {
        /// The run's id.
        id: u64,
        /// Steps taken.
        steps: usize,
        /// Whether the user stopped it.
        stopped: bool,
        /// Why training ended early, if it failed.
        error: Option<String>,
    },
    /// The run is paused or running again.
    TrainPaused {
        /// The run's id.
        id: u64,
        /// Whether it is paused now.
        paused: bool,
    },
    /// An adapter is attached, or a full fine-tune's weights loaded (see
    /// [`Request::LoadAdapter`], [`Request::LoadWeights`]).
    AdapterLoaded {
        /// The request's id.
        id: u64,
        /// What was loaded.
        name: String,
        /// LoRA rank, alpha and the adapted modules, in words; or what the
        /// full fine-tune's weights are.
        summary: String,
        /// Every weight (a full fine-tune), not an adapter.
        #[serde(default)]
        full: bool,
    },
    /// The last run's files (see [`Request::ExportRun`]).
    RunExported {
        /// The request's id.
        id: u64,
        /// `adapter_config.json`, `adapter_model.safetensors`, `run.json`.
        files: Vec<ExportedFile>,
    },
    /// A request failed; `id` names it when it had one.
    Failed {
        /// The request's id, if any.
        id: Option<u64>,
        /// What went wrong, for the user.
        message: String,
    },
}

/// A loaded model, as the model panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// What was loaded.
    pub name: String,
    /// `model_type` of `config.json` (llama, qwen2, ...).
    pub architecture: String,
    /// Parameter count.
    pub parameters: u64,
    /// The checkpoint's stored dtype (f32, bf16, ...); compute is f32.
    pub dtype: String,
    /// Longest context (`max_position_embeddings`).
    pub context_length: usize,
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Decoder layers.
    pub layers: usize,
    /// Which backend runs it (e.g. "CPU (burn-flex, wasm)").
    pub backend: String,
    /// Where the chat template comes from.
    pub template: String,
    /// Time to parse and load, milliseconds.
    pub load_ms: f64,
}

/// One token of a masked example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskToken {
    /// The token's text in the rendering.
    pub text: String,
    /// Whether the loss is taken on it.
    pub trained: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_as_tagged_json() {
        let r = Request::Route {
            id: 3,
            context: PromptContext::default(),
            request: "where is ORD-1?".into(),
            output_style: OutputStyle::Router,
            max_new_tokens: 64,
            tuned: false,
            constrain: false,
            call_threshold: Some(0.5),
        };
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.starts_with(r#"{"kind":"route","id":3"#), "{text}");
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), r);
        let e = Event::Failed {
            id: None,
            message: "x".into(),
        };
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(text, r#"{"kind":"failed","id":null,"message":"x"}"#);
        assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), e);
        let f = ExportedFile::new("a.bin", &[0, 255, 7]);
        assert_eq!(f.bytes(), Some(vec![0, 255, 7]));
    }
}
