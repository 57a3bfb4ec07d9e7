//! `tooltune lint DATA.jsonl [--tools TOOLS.json] [--json]`.

use crate::args::LintArgs;
use crate::io;
use std::process::ExitCode;
use tooltune_core::lint::{Options, lint};

pub fn run(a: LintArgs) -> anyhow::Result<ExitCode> {
    let tools = a.tools.as_deref().map(io::catalogue).transpose()?;
    let bytes = io::read(&a.data)?;
    let options = Options {
        min_examples_per_tool: a.min_examples,
        ..Options::default()
    };
    let report = lint(&io::name(&a.data), &bytes, tools, &options);
    if a.json {
        io::print(&(serde_json::to_string_pretty(&report)? + "\n"))?;
    } else {
        io::print(&report.to_text())?;
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
