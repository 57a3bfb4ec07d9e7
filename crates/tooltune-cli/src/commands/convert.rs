//! `tooltune convert --from FORMAT --to FORMAT IN OUT`.

use crate::args::ConvertArgs;
use crate::io;
use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::ExitCode;
use tooltune_core::dataset::{self, Format};

pub fn run(a: ConvertArgs) -> anyhow::Result<ExitCode> {
    let from: Format = a.from.parse()?;
    let to: Format = a.to.parse()?;
    let bytes = io::read(&a.input)?;
    let answers = a.answers.as_deref().map(io::read).transpose()?;
    let answers_name = a.answers.as_deref().map(io::name).unwrap_or_default();
    let options = dataset::ReadOptions {
        missing_answer_is_no_call: a.missing_answer_is_no_call,
    };
    let rows = dataset::read_with(
        from,
        &io::name(&a.input),
        &bytes,
        answers.as_deref().map(|b| (answers_name.as_str(), b)),
        options,
    )?;
    let mut examples = Vec::with_capacity(rows.len());
    let mut bad = Vec::new();
    for row in rows {
        match row {
            Ok(ex) => examples.push(ex),
            Err(e) => bad.push(e.to_string()),
        }
    }
    if !bad.is_empty() {
        let shown = bad
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ");
        bail!(
            "{} line(s) of {} cannot be read; nothing written:\n  {shown}",
            bad.len(),
            io::name(&a.input)
        );
    }
    if let Some(path) = &a.tools {
        let catalogue = io::catalogue(path)?;
        for ex in &mut examples {
            ex.conversation
                .tools
                .get_or_insert_with(|| serde_json::Value::Array(catalogue.to_openai()));
        }
    }
    let written = dataset::write(to, &examples).context("nothing written")?;
    io::write(&a.output, &written.main)?;
    let mut msg = format!(
        "wrote {} example(s) to {}",
        examples.len(),
        io::name(&a.output)
    );
    if let Some(answers) = written.answers {
        let path = a
            .answers_out
            .clone()
            .unwrap_or_else(|| default_answers_path(&a.output));
        io::write(&path, &answers)?;
        msg.push_str(&format!(" and possible answers to {}", io::name(&path)));
    }
    eprintln!("{msg}");
    Ok(ExitCode::SUCCESS)
}

fn default_answers_path(output: &std::path::Path) -> PathBuf {
    let dir = output.parent().unwrap_or(std::path::Path::new("."));
    dir.join("possible_answer")
        .join(output.file_name().unwrap_or_default())
}
