//! `tooltune eval --run RUN_DIR --data TEST.jsonl [--json]`: generate every
//! answer with the run's model and score them with the same evaluator (and
//! report keys) as `eval --gold --predictions`. With `--model DIR|builtin`
//! instead of `--run`, the bare model answers (zero-shot). Each failing
//! row shown gets the odds of each call (tool-call answers; as `route`
//! prints them).

use anyhow::Result;
use serde_json::Value;
use std::path::Path;
use std::process::ExitCode;
use tooltune_core::eval::MatchMode;
use tooltune_core::prompt::PromptContext;
use tooltune_engine::LlamaForCausalLM;
use tooltune_engine::assistant::{EvalSet, evaluate};
use tooltune_engine::choices::score_failures;
use tooltune_workspace::context::prompts_beyond_context;

use crate::args::EvalArgs;
use crate::{io, model, run_dir};

pub fn run(run: &Path, data: &Path, a: &EvalArgs) -> Result<ExitCode> {
    let mode: MatchMode = a.match_mode.parse()?;
    let loaded = run_dir::load(run)?;
    let examples = io::examples(data)?;
    let tools = a.tools.as_deref().map(io::catalogue).transpose()?;
    let set = loaded
        .eval_set(&examples, tools)?
        .constrained(a.constrain)
        .deciding(a.call_threshold.0);
    warn_past_context(&set, &loaded.model, a.max_new_tokens);
    let (mut report, _) = evaluate(
        &loaded.model,
        &loaded.tokenizer,
        &loaded.stop,
        &set,
        a.max_new_tokens,
        mode,
        a.batch_size,
    )?;
    let (model, template, tokenizer) = (&loaded.model, &loaded.template, &loaded.tokenizer);
    score_failures(model, template, tokenizer, &set, &mut report, shown(a))?;
    print_report(&report, a)
}

/// Zero-shot: the bare model of `dir` (or `builtin`) answers `data`, whose
/// lines carry their catalogues (or `--tools` gives one).
pub fn run_base(dir: &Path, data: &Path, a: &EvalArgs) -> Result<ExitCode> {
    let mode: MatchMode = a.match_mode.parse()?;
    let model::Bare {
        model: base,
        text,
        stop,
    } = model::load_bare(dir, &a.backend)?;
    let examples = io::examples(data)?;
    let tools = a.tools.as_deref().map(io::catalogue).transpose()?;
    // Each line's own system prompt and catalogue (or `--tools`).
    let context = PromptContext {
        tools: tools.as_ref().map(|c| Value::Array(c.to_openai())),
        ..PromptContext::as_given()
    };
    let set = EvalSet::new(
        &examples,
        tools.as_ref(),
        &context,
        &text.template,
        &text.tokenizer,
    )?
    .constrained(a.constrain)
    .deciding(a.call_threshold.0);
    warn_past_context(&set, &base, a.max_new_tokens);
    let (mut report, _) = evaluate(
        &base,
        &text.tokenizer,
        &stop,
        &set,
        a.max_new_tokens,
        mode,
        a.batch_size,
    )?;
    score_failures(
        &base,
        &text.template,
        &text.tokenizer,
        &set,
        &mut report,
        shown(a),
    )?;
    print_report(&report, a)
}

/// Says (on stderr, before generating) when prompts leave too little of
/// the model's context for their answers (`eval`, and `train --eval`).
pub(crate) fn warn_past_context(set: &EvalSet, model: &LlamaForCausalLM, max_new_tokens: usize) {
    let lengths: Vec<usize> = set.prompts.iter().map(Vec::len).collect();
    let context = model.config.max_position_embeddings;
    if let Some(note) = prompts_beyond_context(&lengths, max_new_tokens, context) {
        eprintln!("warning: {note}");
    }
}

/// The failures the report shows, which get the odds of each call: all of
/// them in JSON, `--show-failures` in text.
fn shown(a: &EvalArgs) -> usize {
    if a.json { usize::MAX } else { a.show_failures }
}

/// The report as JSON (`--json`) or text, as `eval --gold` prints it.
fn print_report(report: &tooltune_core::eval::Report, a: &EvalArgs) -> Result<ExitCode> {
    if a.json {
        io::print(&(serde_json::to_string_pretty(report)? + "\n"))?;
    } else {
        io::print(&report.to_text(a.show_failures))?;
    }
    Ok(ExitCode::SUCCESS)
}
