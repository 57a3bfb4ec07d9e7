//! Command-line arguments.

mod model;

pub use model::{GenerateArgs, MaskArgs, RouteArgs, TrainArgs};

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
    /// With --run: answers decoded together (one forward pass per step for the batch).
    #[arg(long, default_value_t = tooltune_engine::assistant::DEFAULT_BATCH_SIZE, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub batch_size: usize,
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
