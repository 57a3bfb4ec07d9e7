//! Arguments of the model commands: train, generate, route, mask.

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ModelArgs {
    /// A Hugging Face model folder: config.json, model.safetensors (or sharded),
    /// tokenizer.json, and tokenizer_config.json (its chat_template; built-in ChatML otherwise);
    /// a .gguf file; an http(s) URL of either (fetched once into ~/.cache/tooltune/models);
    /// `builtin`, tooltune's own tiny tool-calling model; or `smollm2`.
    #[arg(long)]
    pub model: PathBuf,
    /// Compute backend: cpu, or wgpu (a GPU through Vulkan, Metal or DirectX 12;
    /// without a GPU, a CPU Vulkan driver such as Mesa's lavapipe).
    #[arg(long, default_value = "cpu")]
    pub backend: String,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Training data (openai or router chat JSONL).
    #[arg(long)]
    pub data: PathBuf,
    /// Evaluation data: the four metrics are logged at each evaluation point.
    #[arg(long)]
    pub eval: Option<PathBuf>,
    /// With --eval: decode the evaluations' answers within each line's
    /// catalogue (as `eval --constrain`).
    #[arg(long, requires = "eval")]
    pub constrain: bool,
    /// With --eval: the call-or-answer decision of the evaluations' answers.
    #[arg(long, default_value = "greedy", value_parser = super::call_threshold, long_help = super::CALL_THRESHOLD_HELP)]
    pub call_threshold: super::CallThreshold,
    /// Run folder to write: adapter (PEFT) or model, run.json, metrics.jsonl.
    #[arg(long)]
    pub out: PathBuf,
    /// A tool catalogue for lines without `tools` (router data); stored in the run.
    #[arg(long)]
    pub tools: Option<PathBuf>,
    /// Peak learning rate [default: 2e-4, the lesson's; with --model builtin: 2e-3].
    #[arg(long)]
    pub lr: Option<f64>,
    /// Passes over the data [default: 3; with --model builtin: 10, fewer above
    /// 120 examples so that a run is about 1,200 example passes].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Examples per micro-batch.
    #[arg(long, default_value_t = 8)]
    pub batch_size: usize,
    /// Micro-batches per optimiser step.
    #[arg(long, default_value_t = 1)]
    pub grad_accum: usize,
    /// Longest example in tokens; longer ones are an error unless --truncate.
    /// At most the model's context [default: 1024, or the model's context
    /// when shorter].
    #[arg(long, value_parser = super::at_least_two())]
    pub max_seq_len: Option<usize>,
    /// Cut examples longer than --max-seq-len instead of stopping.
    #[arg(long)]
    pub truncate: bool,
    /// Activation memory a training step may keep, in GiB (estimated from the
    /// model's shape and the rows' lengths): a larger micro-batch runs in row
    /// groups, one after another, with the same loss and gradients. 0: no
    /// limit. Default: half the memory available when training starts.
    #[arg(long, value_parser = super::gib)]
    pub activation_memory: Option<f64>,
    /// Fraction of steps with a linear learning-rate warmup (then cosine decay).
    #[arg(long, default_value_t = 0.03)]
    pub warmup_ratio: f64,
    /// AdamW weight decay.
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f64,
    /// Label smoothing of the loss, in [0, 1) (0: none). Default: 0.1 with
    /// `--model builtin`, 0 otherwise.
    #[arg(long)]
    pub label_smoothing: Option<f64>,
    /// LoRA rank.
    #[arg(long, default_value_t = 16)]
    pub lora_r: usize,
    /// LoRA alpha (scale = alpha / r).
    #[arg(long, default_value_t = 32.0)]
    pub lora_alpha: f64,
    /// Dropout on the LoRA adapters' input while training.
    #[arg(long, default_value_t = 0.05)]
    pub lora_dropout: f64,
    /// LoRA target projections, comma-separated (q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj)
    /// [default: q_proj,v_proj, the lesson's; with --model builtin: all seven].
    #[arg(long, value_delimiter = ',')]
    pub target_modules: Option<Vec<String>>,
    /// Train every weight instead of a LoRA adapter (the default with --model builtin).
    #[arg(long)]
    pub full: bool,
    /// Train a LoRA adapter (the default, except with --model builtin).
    #[arg(long, conflicts_with = "full")]
    pub lora: bool,
    /// Seed for shuffling and adapter initialisation.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Evaluate every N optimiser steps (default: see --eval-every-epochs).
    #[arg(long, conflicts_with = "eval_every_epochs")]
    pub eval_every: Option<usize>,
    /// Evaluate at the end of every N-th epoch, and after the last step
    /// (default: every epoch up to 5 epochs, then every ceil(epochs / 5)-th,
    /// as the page does).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub eval_every_epochs: Option<u64>,
    /// The most tokens generated per answer during evaluation.
    #[arg(long, default_value_t = 128, value_parser = super::at_least_one())]
    pub max_new_tokens: usize,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// A PEFT adapter folder (adapter_config.json + adapter_model.safetensors).
    #[arg(long)]
    pub adapter: Option<PathBuf>,
    /// Prompt text, tokenized as written (no chat template).
    #[arg(
        long,
        conflicts_with = "prompt_ids",
        required_unless_present = "prompt_ids"
    )]
    pub prompt: Option<String>,
    /// Prompt token ids, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub prompt_ids: Option<Vec<u32>>,
    /// The most tokens to generate.
    #[arg(long, default_value_t = 64, value_parser = super::at_least_one())]
    pub max_new_tokens: usize,
    /// Do not stop at end-of-sequence tokens.
    #[arg(long)]
    pub ignore_eos: bool,
    /// Print {"new_ids": [...], "text": "..."}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("answerer").required(true).args(["run", "model"]))]
pub struct RouteArgs {
    /// A training run folder (from `tooltune train`).
    #[arg(long)]
    pub run: Option<PathBuf>,
    /// A bare model instead of a run (a folder, a .gguf file, the URL of
    /// either, `builtin` or `smollm2`): it answers zero-shot, as the page's try-it box does before
    /// any training.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// With --model: the catalogue shown in the prompt (OpenAI tools, bare
    /// functions or BFCL functions); the call is validated against it.
    #[arg(long)]
    pub tools: Option<PathBuf>,
    /// With --model: the system prompt.
    #[arg(long)]
    pub system: Option<String>,
    /// With --model: the output style, as the page's: `tool-calls` (the
    /// catalogue in the prompt, the template's tool calls or prose) or `router`
    /// (no catalogue in the prompt, one router JSON object as the answer).
    #[arg(long, default_value = "tool-calls", value_parser = ["tool-calls", "router"])]
    pub style: String,
    /// With --model: compute backend, cpu or wgpu (a run uses the one in its run.json).
    #[arg(long, default_value = "cpu")]
    pub backend: String,
    /// The request to route.
    pub request: String,
    /// The most tokens to generate.
    #[arg(long, default_value_t = 128, value_parser = super::at_least_one())]
    pub max_new_tokens: usize,
    /// Print {"output", "new_ids", "prompt_tokens", "verdict", "routed"} as JSON
    /// (the raw output and its token ids too, whatever the verdict), and
    /// "choices" (tool-call style with a catalogue): the probability of no
    /// call (one minus a call's first token) and each tool's share of the
    /// rest, by its call's likelihood; without --json they go to stderr as
    /// one "call probabilities:" line.
    #[arg(long)]
    pub json: bool,
    /// Decode within the catalogue: only its tool names and arguments its schemas
    /// accept (prose stays the no-tool answer).
    #[arg(long)]
    pub constrain: bool,
    /// The call-or-answer decision.
    #[arg(long, default_value = "greedy", value_parser = super::call_threshold, long_help = super::CALL_THRESHOLD_HELP)]
    pub call_threshold: super::CallThreshold,
}

#[derive(Debug, Args)]
pub struct MaskArgs {
    /// The dataset (openai or router chat JSONL).
    pub data: PathBuf,
    /// Model whose tokenizer and chat template are used: a folder, a .gguf file, the URL
    /// of either, `builtin` or `smollm2`.
    #[arg(long)]
    pub model: PathBuf,
    /// Show only the first N examples.
    #[arg(long)]
    pub limit: Option<usize>,
}
