//! `tooltune split DATA --test 0.2 --seed S`: writes the chosen lines verbatim.

use crate::args::SplitArgs;
use crate::io;
use anyhow::bail;
use serde_json::json;
use std::fmt::Write as _;
use std::process::ExitCode;
use tooltune_core::dataset::{self, Format, split};

pub fn run(a: SplitArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..1.0).contains(&a.test) {
        bail!("--test must be in [0, 1), got {}", a.test);
    }
    let bytes = io::read(&a.data)?;
    let format = dataset::detect(&bytes).unwrap_or(Format::OpenAi);
    if format == Format::Bfcl {
        bail!(
            "{}: split BFCL files after converting them (tooltune convert --from bfcl --to openai)",
            io::name(&a.data)
        );
    }
    let name = io::name(&a.data);
    let mut examples = Vec::new();
    for row in dataset::read(format, &name, &bytes, None)? {
        examples.push(row?);
    }
    // Keep every byte the user wrote: output the original lines, not re-serialised ones.
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let text_of = |i: usize| {
        let n = examples[i].at.line.unwrap_or(1) - 1;
        String::from_utf8_lossy(lines[n].strip_suffix(b"\r").unwrap_or(lines[n])).into_owned()
    };
    let result = split::split(&examples, a.test, a.seed);
    let stem = a
        .data
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data".into());
    let dir = a
        .out_dir
        .clone()
        .unwrap_or_else(|| a.data.parent().map(|p| p.to_path_buf()).unwrap_or_default());
    let train_path = dir.join(format!("{stem}.train.jsonl"));
    let test_path = dir.join(format!("{stem}.test.jsonl"));
    let join = |idx: &[usize]| idx.iter().map(|&i| text_of(i) + "\n").collect::<String>();
    io::write(&train_path, &join(&result.train))?;
    io::write(&test_path, &join(&result.test))?;
    let line = |i: usize| examples[i].at.line.unwrap_or(0);
    if a.json {
        let report = json!({
            "train": {"path": io::name(&train_path), "examples": result.train.len()},
            "test": {"path": io::name(&test_path), "examples": result.test.len()},
            "duplicates_dropped": result.duplicates.iter().map(|&(d, k)| json!({"line": line(d), "duplicate_of": line(k)})).collect::<Vec<_>>(),
            "near_duplicates": result.near_duplicates.iter().map(|&(t, r)| json!({"test_line": line(t), "train_line": line(r)})).collect::<Vec<_>>(),
            "strata": result.strata.iter().map(|(k, (tr, te))| (k.clone(), json!({"train": tr, "test": te}))).collect::<serde_json::Map<_, _>>(),
        });
        io::print(&(serde_json::to_string_pretty(&report)? + "\n"))?;
    } else {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "train {} -> {}",
            result.train.len(),
            io::name(&train_path)
        );
        let _ = writeln!(
            out,
            "test  {} -> {}",
            result.test.len(),
            io::name(&test_path)
        );
        let _ = writeln!(out, "exact duplicates dropped: {}", result.duplicates.len());
        for &(d, k) in result.duplicates.iter().take(10) {
            let _ = writeln!(out, "  line {} = line {}", line(d), line(k));
        }
        let _ = writeln!(
            out,
            "near-duplicates across the split: {}",
            result.near_duplicates.len()
        );
        for &(t, r) in result.near_duplicates.iter().take(10) {
            let _ = writeln!(out, "  test line {} ~ train line {}", line(t), line(r));
        }
        let _ = writeln!(out, "strata (train/test):");
        for (label, (tr, te)) in &result.strata {
            let _ = writeln!(out, "  {label}: {tr}/{te}");
        }
        io::print(&out)?;
    }
    Ok(ExitCode::SUCCESS)
}
