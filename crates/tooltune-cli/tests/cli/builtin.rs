//! The built-in model: `builtin --out` writes the shipped folder, `--model
//! builtin` works in every model command, and a short `pretrain` run is
//! seed-deterministic and resumable.

use super::{s, text, tmp, tooltune};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn datasets() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../datasets")
}

fn pretrain(out: &Path, seed: &str, steps: &str, resume: bool) -> std::process::Output {
    let mut args = vec![
        "pretrain",
        "--shape",
        "test",
        "--no-wordnet",
        "--seed",
        seed,
        "--out",
        s(out),
        "--steps",
        steps,
        "--batch-size",
        "2",
        "--tokenizer-examples",
        "60",
        "--checkpoint-every",
        "2",
        "--warmup-steps",
        "1",
        "--max-seq-len",
        "256",
    ];
    if resume {
        args.push("--resume");
    }
    tooltune(&args)
}

fn losses(dir: &Path) -> Vec<f64> {
    std::fs::read_to_string(dir.join("loss.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["loss"]
                .as_f64()
                .unwrap()
        })
        .collect()
}

#[test]
fn short_pretraining_is_seed_deterministic_and_resumes() {
    let (a, b, c) = (tmp("pre-a"), tmp("pre-b"), tmp("pre-c"));
    for (dir, seed) in [(&a, "5"), (&b, "5"), (&c, "6")] {
        let o = pretrain(dir, seed, "3", false);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    assert_eq!(losses(&a).len(), 3);
    assert_eq!(losses(&a), losses(&b));
    assert_ne!(losses(&a), losses(&c));
    let read = |d: &Path, f: &str| std::fs::read(d.join("model").join(f)).unwrap();
    for f in [
        "model.safetensors",
        "tokenizer.json",
        "config.json",
        "tokenizer_config.json",
    ] {
        assert_eq!(read(&a, f), read(&b, f), "{f}");
    }
    let o = pretrain(&a, "5", "5", true);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("resuming at step 3"), "{}", text(&o));
    assert_eq!(losses(&a).len(), 5);
    let o = pretrain(&a, "7", "6", true);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("--seed 5"), "{}", text(&o));
}

#[test]
fn builtin_writes_the_shipped_folder() {
    let out = tmp("builtin-out");
    let o = tooltune(&["builtin", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let shipped = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tooltune-engine/builtin");
    let mut total = 0;
    for f in [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    ] {
        let bytes = std::fs::read(out.join(f)).unwrap();
        assert_eq!(bytes, std::fs::read(shipped.join(f)).unwrap(), "{f}");
        total += bytes.len();
    }
    assert!(total <= 16 * 1024 * 1024, "{total} bytes");
}

#[test]
fn model_builtin_works_in_every_command() {
    let o = tooltune(&[
        "generate",
        "--model",
        "builtin",
        "--prompt",
        "<|im_start|>user\nhi<|im_end|>\n",
        "--max-new-tokens",
        "4",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!v["new_ids"].as_array().unwrap().is_empty());

    let test = datasets().join("support/test.jsonl");
    let o = tooltune(&["mask", s(&test), "--model", "builtin", "--limit", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("[["), "{}", text(&o));

    let small = tmp("builtin-small.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(&test)
        .unwrap()
        .lines()
        .take(12)
        .map(String::from)
        .collect();
    std::fs::write(&small, lines.join("\n") + "\n").unwrap();
    let o = tooltune(&["eval", "--model", "builtin", "--data", s(&small), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let zero: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(zero["n"], 12);
    // The same keys as `eval --run`; the scores themselves are MODEL.md's.
    for key in [
        "valid_tool_call_rate",
        "tool_name_accuracy",
        "argument_match_accuracy",
        "false_tool_call_rate",
        "call_accuracy",
    ] {
        assert!(zero[key].is_number(), "{key}: {zero}");
    }

    let run = tmp("builtin-run");
    let o = tooltune(&[
        "train",
        "--model",
        "builtin",
        "--data",
        s(&small),
        "--out",
        s(&run),
        "--epochs",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let info: Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["model"], "builtin");
    let o = tooltune(&["eval", "--run", s(&run), "--data", s(&small), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Exit 0 (a validated call) or 1 (the model's answer is invalid) depends on
    // the shipped weights; what is tested here is that `builtin` resolves
    // through run.json (an error would exit 2) and the model answered.
    let o = tooltune(&["route", "--run", s(&run), "Where is my order ORD-4321?"]);
    assert_ne!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!o.stdout.is_empty(), "{}", text(&o));
}

#[test]
fn shipped_datasets_are_lint_clean() {
    for d in ["support", "library", "vet"] {
        for split in ["train", "test"] {
            let f = datasets().join(d).join(format!("{split}.jsonl"));
            let o = tooltune(&["lint", s(&f), "--min-examples", "1"]);
            assert_eq!(o.status.code(), Some(0), "{d}/{split}: {}", text(&o));
            assert!(
                text(&o).contains("0 error(s), 0 warning(s)"),
                "{d}/{split}: {}",
                text(&o)
            );
        }
    }
}
