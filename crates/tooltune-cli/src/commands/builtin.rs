//! `tooltune builtin --out DIR`: the built-in model as a Hugging Face folder
//! for other tools (transformers loads it with `from_pretrained(DIR)`).

use anyhow::{Context, Result};
use std::process::ExitCode;
use tooltune_engine::builtin;

use crate::args::BuiltinArgs;
use crate::io;

pub fn run(a: BuiltinArgs) -> Result<ExitCode> {
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    for (name, bytes) in builtin::FILES {
        io::write_bytes(&a.out.join(name), bytes)?;
    }
    eprintln!("wrote the built-in model to {}", a.out.display());
    Ok(ExitCode::SUCCESS)
}
