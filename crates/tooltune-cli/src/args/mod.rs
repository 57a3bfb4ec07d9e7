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
    /// Pretrain the built-in base model from random weights on the synthetic corpus.
    Pretrain(PretrainArgs),
    /// Write synthetic tool-calling conversations (the pretraining corpus) as JSONL.
    Corpus(CorpusArgs),
    /// Write the built-in model out as a Hugging Face folder.
    Builtin(BuiltinArgs),
    /// Convert a GGUF file (llama.cpp, Ollama, LM Studio) into a Hugging Face folder.
    Import(ImportArgs),
    /// Unpack a playground share link or `.tooltune.json` file: its catalogue and
    /// data as files, and the `tooltune train` command that trains as the page does.
    Workspace(WorkspaceArgs),
}

#[derive(Debug, Args)]
pub struct WorkspaceArgs {
    /// The page's share link (the whole URL, or its `#w=…` fragment), a
    /// `.tooltune.json` file (the page's Export), a file holding a link, or `-`
    /// for standard input.
    pub source: String,
    /// Folder to write tools.json, train.jsonl and test.jsonl into.
    #[arg(long)]
    pub out_dir: PathBuf,
    /// The run folder the printed `tooltune train` command writes.
    #[arg(long, default_value = "run")]
    pub run: PathBuf,
    /// Print {"files", "rows", "skipped", "model", "command"} as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The .gguf file (Llama architecture; F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K tensors),
    /// or its http(s) URL (fetched once into the cache, as `--model URL`).
    pub file: PathBuf,
    /// Folder to write config.json, model.safetensors, tokenizer.json and tokenizer_config.json into.
    #[arg(long)]
    pub out: PathBuf,
    /// How weights are stored: f16 (half the size) or f32 (the dequantised values exactly).
    #[arg(long, default_value = "f16", value_parser = ["f16", "f32"])]
    pub dtype: String,
}

#[derive(Debug, Args)]
pub struct BuiltinArgs {
    /// Folder to write config.json, model.safetensors, tokenizer.json and tokenizer_config.json into.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct PretrainArgs {
    /// Seed of the corpus, the tokenizer and the initial weights.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output folder (model/, checkpoint, loss.jsonl).
    #[arg(long)]
    pub out: PathBuf,
    /// Continue from the folder's last checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Optimiser steps in all.
    #[arg(long, default_value_t = 3000, value_parser = at_least_one())]
    pub steps: usize,
    /// Examples per step.
    #[arg(long, default_value_t = 16, value_parser = at_least_one())]
    pub batch_size: usize,
    /// Peak learning rate (linear warmup, cosine decay to 0).
    #[arg(long, default_value_t = 2e-3, value_parser = learning_rate)]
    pub lr: f64,
    /// Warmup steps.
    #[arg(long, default_value_t = 100)]
    pub warmup_steps: usize,
    /// AdamW weight decay.
    #[arg(long, default_value_t = 0.01, value_parser = share)]
    pub weight_decay: f64,
    /// Longest example in tokens (longer ones are cut; one left with no
    /// trained token is skipped).
    #[arg(long, default_value_t = 512, value_parser = at_least_two())]
    pub max_seq_len: usize,
    /// Steps between checkpoints.
    #[arg(long, default_value_t = 50, value_parser = at_least_one())]
    pub checkpoint_every: usize,
    /// Examples the tokenizer is trained on.
    #[arg(long, default_value_t = 8000, value_parser = at_least_one())]
    pub tokenizer_examples: usize,
    /// WordNet glosses (ordinary English definitions, seeded sample) the
    /// tokenizer is trained on beside the corpus examples, so everyday words
    /// the corpus rarely says stay whole tokens. 0: none (the shipped base
    /// used 40,000: scripts/pretrain-builtin.sh).
    #[arg(long, default_value_t = 0)]
    pub tokenizer_glosses: usize,
    /// Text files of ordinary English (e.g. Debian's `fortunes`) the
    /// tokenizer is trained on beside the corpus examples, whole; repeatable.
    #[arg(long)]
    pub tokenizer_text: Vec<PathBuf>,
    /// Vocabulary size (special and added tokens included); unset: the
    /// shape's (4,096 for builtin).
    #[arg(long, value_parser = clap::value_parser!(u64).range(300..=65536))]
    pub vocab: Option<u64>,
    /// Decoder layers; unset: the shape's (4 for builtin). The copy circuit
    /// is written into layers 0 and 1 whatever the depth.
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..=32))]
    pub layers: Option<u64>,
    /// Digits per token piece before BPE: 1 splits every digit (the bases
    /// before the shipped one); 3 (the shipped base, scripts/pretrain-builtin.sh)
    /// cuts a run of digits into groups of up to three from the left
    /// (`59898` → `598` `98`), so IDs and dates repeat fewer token pairs for
    /// the copy circuit to confuse.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=6))]
    pub digit_group: u64,
    /// Where each catalogue line of the template puts the tool's
    /// description: `name-first` (`- f(x: string): Does it.`, the shipped
    /// base) or `description-first` (`- Does it. f(x: string)`, so the
    /// name's tokens can see the description; an experiment, MODEL.md).
    #[arg(long, default_value = "name-first", value_parser = ["name-first", "description-first"])]
    pub catalogue: String,
    #[command(flatten)]
    pub corpus: CorpusMix,
    /// Model shape: builtin, or test (tiny, for tests).
    #[arg(long, default_value = "builtin")]
    pub shape: String,
    /// Which tokens the loss is on: `assistant` (calls, answers, declines:
    /// the fine-tuning mask) or `all` (every token, prompts and catalogues
    /// included: more signal per example for in-context copying).
    #[arg(long, default_value = "assistant", value_parser = ["assistant", "all"])]
    pub loss: String,
    /// Induction-drill rows added to each step's batch (random tokens said
    /// twice, the repeat trained), an experiment to teach copying from the
    /// context (see MODEL.md); 0 reproduces the shipped base.
    #[arg(long, default_value_t = 0)]
    pub drill_rows: usize,
    /// Initial weights: `copy-circuit` writes a hand-built induction (copy)
    /// circuit into layers 0 and 1 that matches the last two tokens
    /// (MODEL.md); `copy-circuit-3` matches the last three; `copy-route`
    /// adds a routing circuit in layers 0-3 that reads a tool's name from
    /// the catalogue line whose words the request repeats (an experiment);
    /// `random` draws them all.
    #[arg(long, default_value = "copy-circuit", value_parser = ["copy-circuit", "copy-circuit-3", "copy-route", "random"])]
    pub init: String,
    /// Rows of ordinary English added to each step's batch, trained on every
    /// token: windows of the texts the tokenizer was trained on beside the
    /// corpus (--tokenizer-glosses, --tokenizer-text), so the model reads the
    /// tokens they gave it (MODEL.md); 0: none (the shipped base used 1:
    /// scripts/pretrain-builtin.sh).
    #[arg(long, default_value_t = 0)]
    pub english_rows: usize,
    /// Longest half of a drill row, in tokens (the shortest is a quarter).
    #[arg(long, default_value_t = 96)]
    pub drill_len: usize,
    /// Compute backend: cpu or wgpu.
    #[arg(long, default_value = "cpu")]
    pub backend: String,
    /// Corpus examples per catalogue: each run of GROUP examples shares one
    /// catalogue and system prompt, and trains as one micro-batch whose
    /// prompt runs once for all its rows. 1 (every example its own
    /// catalogue) reproduces the shipped base.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub group: u64,
    /// A model whose input embeddings lend our tokens their meanings (a
    /// folder, a .gguf file or `smollm2`): each token's embedding of the same
    /// text, reduced to --embed-dims principal components, is written into
    /// residual dimensions the copy circuit leaves free (MODEL.md). Unset
    /// (the shipped base): none.
    #[arg(long)]
    pub embed_from: Option<PathBuf>,
    /// Dimensions of the borrowed meanings.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=512))]
    pub embed_dims: u64,
    /// Mean norm of a token's borrowed vector (the identity block's is
    /// about 11 in the built-in shape).
    #[arg(long, default_value_t = 8.0)]
    pub embed_norm: f64,
}

#[derive(Debug, Args)]
pub struct CorpusArgs {
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Number of examples.
    #[arg(long, default_value_t = 1000)]
    pub n: usize,
    /// Output JSONL file.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub corpus: CorpusMix,
}

/// What the corpus generator reads and how it mixes its examples: the same
/// flags for `tooltune corpus` and `tooltune pretrain`, so a pretraining
/// run's stream can be written out and read.
#[derive(Debug, Args)]
pub struct CorpusMix {
    /// WordNet's folder (Debian's wordnet-base).
    #[arg(long, default_value = "/usr/share/wordnet")]
    pub wordnet: PathBuf,
    /// Use the small built-in synonym table instead of WordNet.
    #[arg(long)]
    pub no_wordnet: bool,
    /// Share of catalogues drawn from the invented domains (WordNet nouns
    /// with parameter names and enum values of their own; MODEL.md), 0 to 1.
    #[arg(long, default_value_t = tooltune_corpus::INVENTED_SHARE, value_parser = share)]
    pub invented: f64,
    /// Share of quoted and word argument values (titles, notes, queries)
    /// drawn from WordNet's English instead of the domains' small pools, so
    /// the model learns to copy any word, 0 to 1. 0 (the shipped base):
    /// pools only.
    #[arg(long, default_value_t = 0.0, value_parser = share)]
    pub english_values: f64,
    /// Share of requests for a catalogue tool that also say a value only
    /// another tool of the catalogue takes, which the call leaves out, so the
    /// schema, not the request's words, decides the arguments; 0 to 1. 0
    /// (the shipped base): none.
    #[arg(long, default_value_t = 0.0, value_parser = share)]
    pub distractors: f64,
    /// Verb synonyms from the WordNet sense each tool's head verb has in the
    /// corpus's tools (a table, MODEL.md), instead of the first two senses
    /// of the verb and the noun ("salary the bill" for "pay the bill"). Off:
    /// the shipped base's stream.
    #[arg(long)]
    pub verb_senses: bool,
    /// Share of requests that say their verb as a synonym of the tool's
    /// head verb, 0 to 1 (0.12: the shipped base's).
    #[arg(long, default_value_t = tooltune_corpus::phrasing::SYNONYM_SHARE, value_parser = share)]
    pub synonym_share: f64,
}

/// A count that must be at least 1 (steps, examples, tokens to generate).
pub(crate) fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
}

pub(crate) fn at_least_two() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(2..)
}

/// A learning rate: a number in (0, 1].
fn learning_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 1.0 => Ok(x),
        _ => Err(format!("`{s}` is not a learning rate in (0, 1]")),
    }
}

/// An amount of memory in GiB: a number, 0 or more.
fn gib(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x >= 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!(
            "`{s}` is not an amount of GiB (a number, 0 or more)"
        )),
    }
}

/// A share: a number from 0 to 1.
fn share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!("`{s}` is not a number from 0 to 1")),
    }
}

/// `--call-threshold`: the probability a call's opening token needs for an
/// answer to be a call ([`tooltune_engine::decode::CallDecision`]), or
/// `greedy` (the likeliest single token decides, as plain greedy decoding).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallThreshold(pub Option<f32>);

pub fn call_threshold(s: &str) -> Result<CallThreshold, String> {
    if s == "greedy" {
        return Ok(CallThreshold(None));
    }
    match s.parse::<f32>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(CallThreshold(Some(x))),
        _ => Err(format!(
            "`{s}` is neither a probability between 0 and 1 (exclusive) nor `greedy`"
        )),
    }
}

/// The help text of `--call-threshold`, the same for every command.
pub const CALL_THRESHOLD_HELP: &str = "A probability P: an answer is a tool call only when the call's opening token has probability P or more, prose otherwise (0.5: the likelier of the two; higher: fewer false calls, more missed ones). `greedy` (the default): the likeliest single first token decides, as plain greedy decoding, which leans to calls (a prose answer's probability is spread over many first words)";

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
    /// BFCL: read a question missing from the answers file as a no-call gold
    /// (otherwise an error; irrelevance files, named so, always are).
    #[arg(long)]
    pub missing_answer_is_no_call: bool,
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
    #[arg(long, required_unless_present_any = ["run", "model"], conflicts_with_all = ["run", "model", "data"])]
    pub gold: Option<PathBuf>,
    /// Prediction JSONL: {"id": ..., "output": "raw model text"}.
    #[arg(long, required_unless_present_any = ["run", "model"], conflicts_with_all = ["run", "model", "data"])]
    pub predictions: Option<PathBuf>,
    /// A training run folder (from `tooltune train`): generate answers with it and score them.
    #[arg(long, requires = "data")]
    pub run: Option<PathBuf>,
    /// A model (a folder, a .gguf file, the URL of either, `builtin` or `smollm2`):
    /// generate answers with the bare model (zero-shot,
    /// the catalogue in the prompt) and score them. Conflicts with --run.
    #[arg(long, requires = "data", conflicts_with = "run")]
    pub model: Option<PathBuf>,
    /// With --model: compute backend, cpu or wgpu.
    #[arg(long, default_value = "cpu")]
    pub backend: String,
    /// With --run or --model: the gold data to generate for (openai, router or router-gold JSONL).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// With --run: the most tokens generated per answer.
    #[arg(long, default_value_t = 128, value_parser = at_least_one())]
    pub max_new_tokens: usize,
    /// With --run or --model: decode each answer within its catalogue (tool names and
    /// argument schemas; prose stays the no-tool answer), as llama.cpp grammars and
    /// OpenAI's strict tools do. Off by default: the metrics then measure the model alone.
    #[arg(long)]
    pub constrain: bool,
    /// With --run or --model: the call-or-answer decision.
    #[arg(long, default_value = "greedy", value_parser = call_threshold, long_help = CALL_THRESHOLD_HELP)]
    pub call_threshold: CallThreshold,
    /// With --run: answers decoded together (one forward pass per step for the batch).
    #[arg(long, default_value_t = tooltune_engine::assistant::DEFAULT_BATCH_SIZE, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub batch_size: usize,
    /// BFCL possible-answer file for a BFCL gold.
    #[arg(long)]
    pub answers: Option<PathBuf>,
    /// BFCL: read a question missing from the answers file as a no-call gold
    /// (otherwise an error; irrelevance files, named so, always are).
    #[arg(long)]
    pub missing_answer_is_no_call: bool,
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
    /// Failing examples shown in the text report. With --run or --model, each
    /// failing tool-call answer shown (in --json, every one) also gets the model's
    /// probability of each call and of no call after its prompt, as `route` prints it.
    #[arg(long, default_value_t = 20)]
    pub show_failures: usize,
}
