//! `tooltune corpus --seed S --n N --out FILE`: the pretraining corpus's
//! first N distinct examples as OpenAI chat JSONL.

use anyhow::Result;
use std::process::ExitCode;
use tooltune_corpus::Generator;

use super::pretrain::lexicon;
use crate::args::CorpusArgs;
use crate::io;

pub fn run(a: CorpusArgs) -> Result<ExitCode> {
    let wordnet = (!a.no_wordnet).then_some(a.wordnet.as_path());
    let generator = Generator::new(a.seed, lexicon(wordnet)?)
        .invented_share(a.invented)
        .english_values(a.english_values)
        .distractors(a.distractors);
    io::write(&a.out, &generator.jsonl(a.n))?;
    eprintln!("wrote {} examples to {}", a.n, a.out.display());
    Ok(ExitCode::SUCCESS)
}
