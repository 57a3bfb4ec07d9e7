//! `tooltune catalogue TOOLS.json`.

use crate::args::CatalogueArgs;
use crate::io;
use std::fmt::Write as _;
use std::process::ExitCode;

pub fn run(a: CatalogueArgs) -> anyhow::Result<ExitCode> {
    let catalogue = io::catalogue(&a.tools)?;
    if a.normalised {
        io::print(&(serde_json::to_string_pretty(&catalogue.to_openai())? + "\n"))?;
    } else {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: {} tool(s), all valid",
            io::name(&a.tools),
            catalogue.len()
        );
        for t in catalogue.tools() {
            let n = t
                .parameters
                .get("properties")
                .and_then(|p| p.as_object())
                .map_or(0, |p| p.len());
            let _ = writeln!(out, "  {} ({n} parameter(s))", t.name);
        }
        io::print(&out)?;
    }
    Ok(ExitCode::SUCCESS)
}
