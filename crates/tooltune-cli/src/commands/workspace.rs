//! `tooltune workspace LINK|FILE --out-dir DIR`: a playground share link (or
//! the page's `.tooltune.json` export) unpacked into the files the CLI reads
//! (`tools.json`, `train.jsonl`, `test.jsonl`: the page's own split,
//! `tooltune_workspace::training::training_data`) and the `tooltune train`
//! command whose settings are the page's for that workspace (the worker's
//! `config` in `web/worker/src/train.rs`: the same learning rate, epochs for
//! the row count, batch, seed, method, label smoothing, evaluation points,
//! decoding), so a demo shared from the page is reproduced, or run bigger,
//! from a script.

use anyhow::{Context, Result, bail};
use serde_json::json;
use std::path::Path;
use std::process::ExitCode;
use tooltune_core::Catalogue;
use tooltune_workspace::training::training_data;
use tooltune_workspace::{ModelRef, OutputStyle, TrainMethod, Workspace, share};

use crate::args::WorkspaceArgs;
use crate::io;

/// Reads the workspace a share link, a link's fragment, a `.tooltune.json`
/// file, a file holding a link, or standard input (`-`) gives.
fn read(source: &str) -> Result<Workspace> {
    let path = Path::new(source);
    let (what, text) = if source == "-" || path.is_file() {
        let bytes = io::read(path)?;
        let text = String::from_utf8(bytes)
            .with_context(|| format!("{} is not UTF-8 text", io::name(path)))?;
        (io::name(path), text)
    } else {
        ("the share link".to_string(), source.to_string())
    };
    let text = text.trim();
    if text.starts_with('{') {
        return Workspace::from_json(text).with_context(|| format!("in {what}"));
    }
    match share::decode(text).with_context(|| format!("in {what}"))? {
        Some(ws) => Ok(ws),
        None => bail!(
            "{what} holds no workspace: a share link ends in #w=… (the page's Share panel), \
             and a .tooltune.json file is a JSON object (the page's Export)"
        ),
    }
}

/// Quotes an argument for a POSIX shell where it needs it.
fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The `tooltune train` arguments that train on `dir`'s files with the
/// page's settings for `ws` and `rows` training rows.
fn train_command(
    ws: &Workspace,
    model: &str,
    dir: &Path,
    run: &Path,
    rows: usize,
    held_out: bool,
) -> Vec<String> {
    let s = &ws.train;
    let file = |name: &str| dir.join(name).display().to_string();
    let mut args: Vec<String> = vec!["tooltune".into(), "train".into()];
    let mut push = |flag: &str, value: String| {
        args.push(flag.into());
        if !value.is_empty() {
            args.push(value);
        }
    };
    push("--model", model.into());
    push("--data", file("train.jsonl"));
    if held_out {
        push("--eval", file("test.jsonl"));
    }
    if ws.output_style == OutputStyle::Router {
        push("--tools", file("tools.json"));
    }
    push("--out", run.display().to_string());
    match s.method {
        TrainMethod::Full => push("--full", String::new()),
        TrainMethod::Lora => {
            push("--lora", String::new());
            push("--lora-r", s.lora_r.to_string());
            push("--lora-alpha", s.lora_alpha.to_string());
            push("--lora-dropout", s.lora_dropout.to_string());
            push("--target-modules", s.target_modules.join(","));
        }
    }
    let epochs = s.epochs_for(rows);
    push("--lr", s.lr.to_string());
    push("--epochs", epochs.to_string());
    push("--batch-size", s.batch_size.to_string());
    push("--label-smoothing", s.label_smoothing.to_string());
    push("--seed", ws.seed.to_string());
    // The page cuts over-long rows rather than stopping.
    push("--truncate", String::new());
    if held_out {
        push("--eval-every-epochs", s.eval_epochs_for(epochs).to_string());
        if s.constrain {
            push("--constrain", String::new());
        }
        if let Some(p) = s.call_threshold {
            push("--call-threshold", p.to_string());
        }
    }
    args
}

pub fn run(a: WorkspaceArgs) -> Result<ExitCode> {
    let ws = read(&a.source)?;
    let tools_path = a.out_dir.join("tools.json");
    // The catalogue as typed goes out first: a broken one is kept to fix.
    io::write(&tools_path, &ws.catalogue)?;
    let catalogue = Catalogue::from_bytes(&io::name(&tools_path), ws.catalogue.as_bytes())
        .context("the workspace's catalogue does not read (written as typed, to fix)")?;
    let data = training_data(&ws, Some(&catalogue));
    for (row, why) in &data.skipped {
        eprintln!("left out: row {row}: {why}");
    }
    if data.train.is_empty() {
        bail!(
            "the workspace has no row to train on ({} rows, {} left out)",
            ws.dataset.len(),
            data.skipped.len()
        );
    }
    let jsonl = |lines: &[serde_json::Value]| -> String {
        lines.iter().map(|l| format!("{l}\n")).collect()
    };
    let train_path = a.out_dir.join("train.jsonl");
    io::write(&train_path, &jsonl(&data.train))?;
    let test_path = a.out_dir.join("test.jsonl");
    let held_out = !data.test.is_empty();
    if held_out {
        io::write(&test_path, &jsonl(&data.test))?;
    } else if test_path.exists() {
        std::fs::remove_file(&test_path)
            .with_context(|| format!("cannot remove the stale {}", test_path.display()))?;
    }
    let (model, note) = match &ws.model {
        ModelRef::Builtin => ("builtin".to_string(), None),
        ModelRef::Url { url } => (url.clone(), None),
        ModelRef::Local { name } => (
            "MODEL".to_string(),
            Some(format!(
                "the workspace names a model picked from disk ({name}), which a link does not \
                 carry: put its folder or .gguf file in place of MODEL"
            )),
        ),
    };
    let command = train_command(&ws, &model, &a.out_dir, &a.run, data.train.len(), held_out);
    if a.json {
        let out = json!({
            "files": {
                "tools": tools_path,
                "train": train_path,
                "test": held_out.then_some(&test_path),
            },
            "rows": {"train": data.train.len(), "test": data.test.len()},
            "skipped": data.skipped.iter().map(|(row, why)| json!({"row": row, "why": why})).collect::<Vec<_>>(),
            "model": ws.model,
            "note": note,
            "command": command,
        });
        io::print(&format!("{out:#}\n"))?;
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "wrote {} ({} tools), {} ({} rows){}",
        tools_path.display(),
        catalogue.len(),
        train_path.display(),
        data.train.len(),
        if held_out {
            format!(
                ", {} ({} held-out rows)",
                test_path.display(),
                data.test.len()
            )
        } else {
            String::new()
        }
    );
    if let Some(note) = &note {
        eprintln!("note: {note}");
    }
    eprintln!("to train as the page does:");
    let line: Vec<String> = command.iter().map(|a| quote(a)).collect();
    io::print(&format!("{}\n", line.join(" ")))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_for_the_shell() {
        assert_eq!(quote("runs/a-1.jsonl"), "runs/a-1.jsonl");
        assert_eq!(quote("https://h/m/"), "https://h/m/");
        assert_eq!(quote("my runs"), "'my runs'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
