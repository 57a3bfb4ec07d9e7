//! `tooltune corpus --seed S --n N --out FILE`: the pretraining corpus's
//! first N distinct examples as OpenAI chat JSONL.

use anyhow::Result;
use std::process::ExitCode;

use super::pretrain::generator;
use crate::args::CorpusArgs;
use crate::io;

pub fn run(a: CorpusArgs) -> Result<ExitCode> {
    let generator = generator(a.seed, &a.corpus)?;
    io::write(&a.out, &generator.jsonl(a.n))?;
    eprintln!("wrote {} examples to {}", a.n, a.out.display());
    Ok(ExitCode::SUCCESS)
}
