//! `tooltune route --run RUN_DIR "request"`: generate the routed call for one
//! request and print it, validated against the run's catalogue — the same
//! "parse, validate, show" step as the page's try-it box
//! (`tooltune_workspace::verdict`). With `--model M [--tools T] [--system S]`
//! instead of a run, the bare model answers, as try-it does before training.

use anyhow::{Result, bail};
use serde_json::{Value, json};
use std::process::ExitCode;
use std::sync::Arc;
use tooltune_core::Catalogue;
use tooltune_core::constrain::Grammar;
use tooltune_core::parse::Mode;
use tooltune_core::prompt::Prompt;
use tooltune_core::prompt::PromptContext;
use tooltune_engine::assistant::{complete_with, prompt_with_opening};
use tooltune_engine::chat::ChatTemplate;
use tooltune_engine::choices::CallPaths;
use tooltune_engine::decode::{CallDecision, Constrained};
use tooltune_engine::{LlamaForCausalLM, Tokenizer};
use tooltune_workspace::OutputStyle;
use tooltune_workspace::context::beyond_context;
use tooltune_workspace::verdict::{Verdict, verdict};

use crate::args::RouteArgs;
use crate::{io, model, run_dir};

/// What a request is answered with: a model, its text side and the context
/// its prompt is built from.
struct Router {
    model: LlamaForCausalLM,
    tokenizer: Tokenizer,
    prompt: Vec<u32>,
    /// The first token of a call's answer after `prompt`, if the template
    /// writes calls.
    opening: Option<u32>,
    stop: Vec<u32>,
    catalogue: Option<Arc<Catalogue>>,
    mode: Mode,
    /// Each catalogue tool's call after the prompt, scored beside the
    /// answer (tool-call style with a catalogue only).
    paths: Option<CallPaths>,
}

/// The calls whose likelihood is shown: every catalogue tool's, where
/// answers are the template's tool calls.
fn call_paths(
    template: &ChatTemplate,
    tokenizer: &Tokenizer,
    prompt: &Prompt,
    catalogue: Option<&Arc<Catalogue>>,
    mode: Mode,
) -> Result<Option<CallPaths>> {
    let Some(c) = catalogue.filter(|_| mode == Mode::Chat) else {
        return Ok(None);
    };
    Ok(CallPaths::for_catalogue(template, tokenizer, prompt, c)?)
}

pub fn run(a: RouteArgs) -> Result<ExitCode> {
    if a.request.trim().is_empty() {
        bail!("the request is empty");
    }
    let r = match (&a.run, &a.model) {
        (Some(_), _)
            if a.tools.is_some()
                || a.system.is_some()
                || a.style != "tool-calls"
                || a.backend != "cpu" =>
        {
            bail!("--tools, --system, --style and --backend go with --model: a run has its own")
        }
        (Some(dir), _) => from_run(dir, &a.request)?,
        (None, Some(m)) => from_model(m, &a)?,
        (None, None) => bail!("give --run RUN_DIR or --model MODEL"),
    };
    let decision = a
        .call_threshold
        .0
        .zip(r.opening)
        .map(|(t, opening)| CallDecision::new(opening, t));
    let constrained = match (&r.catalogue, a.constrain) {
        (Some(c), true) => Some(Constrained::new(
            Grammar::new(c.clone(), r.mode, true),
            r.tokenizer.token_bytes(),
            &r.stop,
        )),
        (None, true) => bail!("--constrain needs a catalogue (--tools, or a run that has one)"),
        (_, false) => None,
    };
    let mut processor = (decision, constrained);
    let (new_ids, output, prefill) = complete_with(
        &r.model,
        &r.tokenizer,
        &r.prompt,
        &r.stop,
        a.max_new_tokens,
        &mut processor,
    )?;
    let checked = verdict(&output, r.catalogue.as_deref(), r.mode);
    let context = r.model.config.max_position_embeddings;
    if let Some(note) = beyond_context(r.prompt.len(), new_ids.len(), context) {
        eprintln!("warning: {note}");
    }
    let choices = (r.paths.as_ref())
        .map(|p| p.score(&r.model, prefill.as_ref()))
        .transpose()?;
    if let (Some(c), false) = (&choices, a.json) {
        eprintln!("call probabilities: {}", c.summary());
    }
    if a.json {
        let mut report = serde_json::to_value(&checked)?;
        if let Value::Object(map) = &mut report {
            map.insert("output".into(), json!(output));
            map.insert("new_ids".into(), json!(new_ids));
            map.insert("prompt_tokens".into(), json!(r.prompt.len()));
            if let Some(c) = &choices {
                map.insert("choices".into(), serde_json::to_value(c)?);
            }
        }
        io::print(&(report.to_string() + "\n"))?;
        let invalid = matches!(checked, Verdict::Invalid { .. });
        return Ok(if invalid {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    print_verdict(checked, output)
}

fn from_run(dir: &std::path::Path, request: &str) -> Result<Router> {
    let run = run_dir::load(dir)?;
    let catalogue = run_dir::run_catalogue(&run.info, dir)?;
    let (prompt, opening) = run.request_prompt(request)?;
    let mode = run.info.mode();
    let paths = call_paths(
        &run.template,
        &run.tokenizer,
        &run.info.prompt_context().request(request),
        catalogue.as_ref(),
        mode,
    )?;
    Ok(Router {
        model: run.model,
        tokenizer: run.tokenizer,
        prompt,
        opening,
        stop: run.stop,
        catalogue,
        mode,
        paths,
    })
}

/// A bare model, prompted as the page's try-it box prompts it in `--style`.
fn from_model(dir: &std::path::Path, a: &RouteArgs) -> Result<Router> {
    let style = if a.style == "router" {
        OutputStyle::Router
    } else {
        OutputStyle::ToolCalls
    };
    let catalogue = a.tools.as_deref().map(io::catalogue).transpose()?;
    let context = PromptContext {
        system: a.system.clone().filter(|s| !s.trim().is_empty()),
        tools: catalogue.as_ref().map(|c| Value::Array(c.to_openai())),
        tools_in_prompt: style.tools_in_prompt(),
    };
    let model::Bare { model, text, stop } = model::load_bare(dir, &a.backend)?;
    let request = context.request(&a.request);
    let (prompt, opening) = prompt_with_opening(&text.template, &text.tokenizer, &request)?;
    let paths = call_paths(
        &text.template,
        &text.tokenizer,
        &request,
        catalogue.as_ref(),
        style.mode(),
    )?;
    Ok(Router {
        model,
        tokenizer: text.tokenizer,
        prompt,
        opening,
        stop,
        catalogue,
        mode: style.mode(),
        paths,
    })
}

/// The routed call (or calls) as one JSON line; an invalid output is printed
/// raw with the reason on stderr, and exit code 1.
fn print_verdict(checked: Verdict, output: String) -> Result<ExitCode> {
    let calls = match checked {
        Verdict::Invalid { reason } => {
            eprintln!("invalid output: {reason}");
            io::print(&(output + "\n"))?;
            return Ok(ExitCode::from(1));
        }
        Verdict::NoTool { reason } => {
            let routed = json!({"tool": "no_tool", "reason": reason});
            io::print(&(routed.to_string() + "\n"))?;
            return Ok(ExitCode::SUCCESS);
        }
        Verdict::Unchecked { calls } => {
            eprintln!("note: no tool catalogue, so the call was not validated");
            calls
        }
        Verdict::Call { calls } => calls,
    };
    let routed = match <[Value; 1]>::try_from(calls) {
        Ok([one]) => one,
        Err(many) => Value::Array(many),
    };
    io::print(&(routed.to_string() + "\n"))?;
    Ok(ExitCode::SUCCESS)
}
