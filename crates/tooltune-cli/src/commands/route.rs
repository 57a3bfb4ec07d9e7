//! `tooltune route --run RUN_DIR "request"`: generate the routed call for one
//! request and print it, validated against the run's catalogue.

use anyhow::{Result, bail};
use serde_json::{Value, json};
use std::process::ExitCode;
use tooltune_core::Target;
use tooltune_core::parse::{Parsed, parse_output};
use tooltune_engine::assistant::complete;

use crate::args::RouteArgs;
use crate::{io, run_dir};

pub fn run(a: RouteArgs) -> Result<ExitCode> {
    if a.request.trim().is_empty() {
        bail!("the request is empty");
    }
    let run = run_dir::load(&a.run)?;
    let catalogue = run.info.catalogue(&a.run)?;
    let prompt = run.request_prompt(&a.request)?;
    let (_, output) = complete(
        &run.model,
        &run.tokenizer,
        &prompt,
        &run.stop,
        a.max_new_tokens,
    )?;
    let invalid = |why: String| -> Result<ExitCode> {
        eprintln!("invalid output: {why}");
        io::print(&(output.clone() + "\n"))?;
        Ok(ExitCode::from(1))
    };
    let target = match parse_output(&output, run.info.mode()) {
        Parsed::Invalid(why) => return invalid(why.to_string()),
        Parsed::Target(t) => t,
    };
    let routed: Value = match target {
        Target::NoTool { reason } => json!({"tool": "no_tool", "reason": reason}),
        Target::Calls(calls) => {
            let mut out = Vec::new();
            for c in &calls {
                if let Some(Err(e)) = catalogue.as_ref().map(|cat| cat.check_call(c)) {
                    return invalid(e.to_string());
                }
                out.push(json!({"tool": c.name, "arguments": c.arguments}));
            }
            if out.len() == 1 {
                out.remove(0)
            } else {
                Value::Array(out)
            }
        }
    };
    if catalogue.is_none() {
        eprintln!("note: the run has no tool catalogue, so the call was not validated");
    }
    io::print(&(routed.to_string() + "\n"))?;
    Ok(ExitCode::SUCCESS)
}
