//! Command-line arguments.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// tooltune: teach and prototype tool-calling fine-tunes of small language models.
#[derive(Debug, Parser)]
#[command(name = "tooltune", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a tool catalogue (OpenAI tools, bare functions or BFCL functions).
    Catalogue(CatalogueArgs),
    /// Lint a chat fine-tuning dataset (exit 0 clean, 1 on errors; warnings alone: 0).
    Lint(LintArgs),
    /// Convert a dataset between formats: openai, router, router-gold, bfcl.
    Convert(ConvertArgs),
    /// Split a dataset into train and test, stratified by tool.
    Split(SplitArgs),
    /// Score raw model outputs (--gold, --predictions) or a trained run (--run, --data)
    /// against gold data with the four metrics.
    Eval(EvalArgs),
    /// Fine-tune a model (LoRA or full) on assistant tokens only.
    Train(TrainArgs),
    /// Print a model's raw greedy continuation of a prompt.
    Generate(GenerateArgs),
    /// Route one request with a trained run and print the validated call.
    Route(RouteArgs),
    /// Show each example's tokens with the trained ones marked.
    Mask(MaskArgs),
}

#[derive(Debug, Args)]
pub struct CatalogueArgs {
    /// The catalogue JSON file.
    pub tools: PathBuf,
    /// Print the normalised catalogue as an OpenAI tools array.
    #[arg(long)]
    pub normalised: bool,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// The dataset (JSONL).
    pub data: PathBuf,
    /// A catalogue that overrides the lines' own `tools`.
    #[arg(long)]
    pub tools: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Warn about tools called in fewer examples than this.
    #[arg(long, default_value_t = 5)]
    pub min_examples: usize,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Input format: openai, router, router-gold or bfcl.
    #[arg(long)]
    pub from: String,
    /// Output format: openai, router, router-gold or bfcl.
    #[arg(long)]
    pub to: String,
    /// Input file.
    pub input: PathBuf,
    /// Output file.
    pub output: PathBuf,
    /// With --from bfcl: the possible-answer file.
    #[arg(long)]
    pub answers: Option<PathBuf>,
    /// With --to bfcl: where to write the possible-answer file
    /// (default: possible_answer/<output name> beside the output).
    #[arg(long)]
    pub answers_out: Option<PathBuf>,
    /// With --from router-gold: a catalogue to attach to every row as `tools`.
    #[arg(long)]
    pub tools: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SplitArgs {
    /// The dataset (JSONL, any format but BFCL).
    pub data: PathBuf,
    /// Fraction of each stratum that goes to test.
    #[arg(long, default_value_t = 0.2)]
    pub test: f64,
    /// Shuffle seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output folder (default: beside the input). Writes <stem>.train.jsonl and <stem>.test.jsonl.
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Gold data: openai, router, router-gold, or a BFCL question file (with --answers).
    #[arg(long, required_unless_present = "run", conflicts_with_all = ["run", "data"])]
    pub gold: Option<PathBuf>,
    /// Prediction JSONL: {"id": ..., "output": "raw model text"}.
    #[arg(long, required_unless_present = "run", conflicts_with_all = ["run", "data"])]
    pub predictions: Option<PathBuf>,
    /// A training run folder (from `tooltune train`): generate answers with it and score them.
    #[arg(long, requires = "data")]
    pub run: Option<PathBuf>,
    /// With --run: the gold data to generate for (openai, router or router-gold JSONL).
    #[arg(long, requires = "run")]
    pub data: Option<PathBuf>,
    /// With --run: the most tokens generated per answer.
    #[arg(long, default_value_t = 128)]
    pub max_new_tokens: usize,
    /// BFCL possible-answer file for a BFCL gold.
    #[arg(long)]
    pub answers: Option<PathBuf>,
    /// The gold's format (default: detected from the first line).
    #[arg(long)]
    pub gold_format: Option<String>,
    /// A catalogue for gold rows without `tools` (router gold), overriding the rows' own.
    #[arg(long)]
    pub tools: Option<PathBuf>,
    /// Argument matching: exact or bfcl.
    #[arg(long = "match", default_value = "exact")]
    pub match_mode: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Failing examples shown in the text report.
    #[arg(long, default_value_t = 20)]
    pub show_failures: usize,
}

#[derive(Debug, Args)]
pub struct ModelArgs {
    /// A Hugging Face model folder: config.json, model.safetensors (or sharded),
    /// tokenizer.json, and tokenizer_config.json (its chat_template; built-in ChatML otherwise).
    #[arg(long)]
    pub model: PathBuf,
    /// Compute backend: cpu or wgpu.
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
    /// Run folder to write: adapter (PEFT) or model, run.json, metrics.jsonl.
    #[arg(long)]
    pub out: PathBuf,
    /// A tool catalogue for lines without `tools` (router data); stored in the run.
    #[arg(long)]
    pub tools: Option<PathBuf>,
    /// Peak learning rate.
    #[arg(long, default_value_t = 2e-4)]
    pub lr: f64,
    /// Passes over the data.
    #[arg(long, default_value_t = 3)]
    pub epochs: usize,
    /// Examples per micro-batch.
    #[arg(long, default_value_t = 8)]
    pub batch_size: usize,
    /// Micro-batches per optimiser step.
    #[arg(long, default_value_t = 1)]
    pub grad_accum: usize,
    /// Longest example in tokens; longer ones are an error unless --truncate.
    #[arg(long, default_value_t = 1024)]
    pub max_seq_len: usize,
    /// Cut examples longer than --max-seq-len instead of stopping.
    #[arg(long)]
    pub truncate: bool,
    /// Fraction of steps with a linear learning-rate warmup (then cosine decay).
    #[arg(long, default_value_t = 0.03)]
    pub warmup_ratio: f64,
    /// AdamW weight decay.
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f64,
    /// LoRA rank.
    #[arg(long, default_value_t = 16)]
    pub lora_r: usize,
    /// LoRA alpha (scale = alpha / r).
    #[arg(long, default_value_t = 32.0)]
    pub lora_alpha: f64,
    /// Dropout on the LoRA adapters' input while training.
    #[arg(long, default_value_t = 0.05)]
    pub lora_dropout: f64,
    /// LoRA target projections, comma-separated (q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj).
    #[arg(long, default_value = "q_proj,v_proj", value_delimiter = ',')]
    pub target_modules: Vec<String>,
    /// Train every weight instead of a LoRA adapter.
    #[arg(long)]
    pub full: bool,
    /// Seed for shuffling and adapter initialisation.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Evaluate every N optimiser steps (default: at the end of each epoch).
    #[arg(long)]
    pub eval_every: Option<usize>,
    /// The most tokens generated per answer during evaluation.
    #[arg(long, default_value_t = 128)]
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
    #[arg(long, default_value_t = 64)]
    pub max_new_tokens: usize,
    /// Do not stop at end-of-sequence tokens.
    #[arg(long)]
    pub ignore_eos: bool,
    /// Print {"new_ids": [...], "text": "..."}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RouteArgs {
    /// A training run folder (from `tooltune train`).
    #[arg(long)]
    pub run: PathBuf,
    /// The request to route.
    pub request: String,
    /// The most tokens to generate.
    #[arg(long, default_value_t = 128)]
    pub max_new_tokens: usize,
}

#[derive(Debug, Args)]
pub struct MaskArgs {
    /// The dataset (openai or router chat JSONL).
    pub data: PathBuf,
    /// Model folder whose tokenizer.json and tokenizer_config.json are used.
    #[arg(long)]
    pub model: PathBuf,
    /// Show only the first N examples.
    #[arg(long)]
    pub limit: Option<usize>,
}
