//! `tooltune eval --gold GOLD --predictions PRED.jsonl [...]`, or with
//! `--run RUN_DIR --data TEST.jsonl` (see `eval_run`).

use crate::args::EvalArgs;
use crate::io;
use anyhow::{anyhow, bail};
use std::process::ExitCode;
use tooltune_core::dataset::{self, Format};
use tooltune_core::eval::{self, CatalogueCache, MatchMode};

pub fn run(a: EvalArgs) -> anyhow::Result<ExitCode> {
    if let (Some(run), Some(data)) = (&a.run, &a.data) {
        return super::eval_run::run(run, data, &a);
    }
    if let (Some(model), Some(data)) = (&a.model, &a.data) {
        return super::eval_run::run_base(model, data, &a);
    }
    if a.data.is_some() {
        bail!("--data needs --run or --model");
    }
    if a.constrain {
        bail!("--constrain goes with --run or --model (it changes how answers are generated)");
    }
    let (Some(gold_path), Some(pred_path)) = (&a.gold, &a.predictions) else {
        bail!("give --gold and --predictions, or --run and --data");
    };
    let mode: MatchMode = a.match_mode.parse()?;
    let gold_name = io::name(gold_path);
    let gold = io::read(gold_path)?;
    let format = match &a.gold_format {
        Some(f) => f.parse()?,
        None => dataset::detect_at(&gold_name, &gold)
            .map_err(|e| anyhow!("{e} (or name it with --gold-format)"))?,
    };
    if format == Format::Bfcl && a.answers.is_none() && !gold_name.contains("relevance") {
        bail!("{gold_name}: a BFCL question file needs its possible answers (--answers)");
    }
    let answers = a.answers.as_deref().map(io::read).transpose()?;
    let answers_name = a.answers.as_deref().map(io::name).unwrap_or_default();
    let options = dataset::ReadOptions {
        missing_answer_is_no_call: a.missing_answer_is_no_call,
    };
    let rows = dataset::read_with(
        format,
        &gold_name,
        &gold,
        answers.as_deref().map(|b| (answers_name.as_str(), b)),
        options,
    )?;
    let mut examples = Vec::with_capacity(rows.len());
    for row in rows {
        examples.push(row?);
    }
    let tools = a.tools.as_deref().map(io::catalogue).transpose()?;
    let items = eval::items(&examples, tools.as_ref(), &mut CatalogueCache::default())?;
    let predictions = eval::read_predictions(&io::name(pred_path), &io::read(pred_path)?)?;
    let report = eval::evaluate(&items, &predictions, mode)?;
    if a.json {
        io::print(&(serde_json::to_string_pretty(&report)? + "\n"))?;
    } else {
        io::print(&report.to_text(a.show_failures))?;
    }
    Ok(ExitCode::SUCCESS)
}
