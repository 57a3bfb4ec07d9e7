//! `tooltune route --run RUN_DIR "request"`: generate the routed call for one
//! request and print it, validated against the run's catalogue — the same
//! "parse, validate, show" step as the page's try-it box
//! (`tooltune_workspace::verdict`).

use anyhow::{Result, bail};
use serde_json::{Value, json};
use std::process::ExitCode;
use tooltune_engine::assistant::complete;
use tooltune_workspace::verdict::{Verdict, verdict};

use crate::args::RouteArgs;
use crate::{io, run_dir};

pub fn run(a: RouteArgs) -> Result<ExitCode> {
    if a.request.trim().is_empty() {
        bail!("the request is empty");
    }
    let run = run_dir::load(&a.run)?;
    let catalogue = run_dir::run_catalogue(&run.info, &a.run)?;
    let prompt = run.request_prompt(&a.request)?;
    let (_, output) = complete(
        &run.model,
        &run.tokenizer,
        &prompt,
        &run.stop,
        a.max_new_tokens,
    )?;
    let calls = match verdict(&output, catalogue.as_deref(), run.info.mode()) {
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
            eprintln!("note: the run has no tool catalogue, so the call was not validated");
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
