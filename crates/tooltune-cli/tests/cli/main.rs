//! End-to-end tests of the `tooltune` binary: exit codes, outputs, and bad input
//! that must give a clear error (file, line, what) and never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod builtin;
mod engine;
mod gguf;
mod train;
mod url;
mod workspace;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn tooltune(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tooltune"))
        .args(args)
        .output()
        .expect("run tooltune")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tooltune-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn lint_exit_codes() {
    let clean = fixtures().join("support/train.jsonl");
    let o = tooltune(&["lint", s(&clean)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("0 error(s), 0 warning(s)"));
    let bad = tmp("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n",
    )
    .unwrap();
    let o = tooltune(&["lint", s(&bad), "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["problems"][0]["code"], "not_ending_on_assistant");
    assert_eq!(report["problems"][0]["line"], 1);
    // Warnings alone exit 0.
    let o = tooltune(&["lint", s(&clean), "--min-examples", "100"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("warning[too_few_examples]"));
}

#[test]
fn eval_bfcl_gold_fed_back_scores_one() {
    let dir = fixtures().join("bfcl");
    let answers = dir.join("possible_answer/BFCL_v4_simple_python.json");
    let preds = tmp("bfcl-pred.jsonl");
    let mut out = String::new();
    for line in std::fs::read_to_string(&answers).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let call = v["ground_truth"][0]
            .as_object()
            .unwrap()
            .iter()
            .next()
            .unwrap();
        let args = tooltune_core::dataset::first_values(call.1.as_object().unwrap());
        let hermes = format!(
            "<tool_call>{}</tool_call>",
            serde_json::json!({"name": call.0, "arguments": args})
        );
        out.push_str(&serde_json::json!({"id": v["id"], "output": hermes}).to_string());
        out.push('\n');
    }
    std::fs::write(&preds, out).unwrap();
    let gold = dir.join("BFCL_v4_simple_python.json");
    let o = tooltune(&[
        "eval",
        "--gold",
        s(&gold),
        "--answers",
        s(&answers),
        "--predictions",
        s(&preds),
        "--match",
        "bfcl",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["n"], 400);
    // simple_python_307's first acceptable value (venue: true) breaks its own schema.
    assert_eq!(r["counts"]["valid"], 399, "{}", r["failures"]);
    assert_eq!(r["failures"][0]["id"], "simple_python_307");
    assert_eq!(r["argument_match_accuracy"], 1.0);
    assert_eq!(r["false_tool_call_rate"], 0.0);
    for key in [
        "valid_tool_call_rate",
        "tool_name_accuracy",
        "per_tool",
        "confusion",
        "failures",
        "missed_call_rate",
    ] {
        assert!(r.get(key).is_some(), "{key}");
    }
}

#[test]
fn convert_and_split_round_trip() {
    let data = fixtures().join("support/train.jsonl");
    let bfcl = tmp("support.bfcl.json");
    let o = tooltune(&[
        "convert",
        "--from",
        "openai",
        "--to",
        "bfcl",
        s(&data),
        s(&bfcl),
    ]);
    // The support data has multi-step conversations, which BFCL cannot hold: a clear error, nothing written.
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("train.jsonl:5: cannot convert"),
        "{}",
        text(&o)
    );
    assert!(!bfcl.exists());
    let router = tmp("router-gold.jsonl");
    let q = fixtures().join("bfcl/BFCL_v4_simple_python.json");
    let a = fixtures().join("bfcl/possible_answer/BFCL_v4_simple_python.json");
    let o = tooltune(&[
        "convert",
        "--from",
        "bfcl",
        "--to",
        "router-gold",
        "--answers",
        s(&a),
        s(&q),
        s(&router),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(&router).unwrap().lines().count(),
        400
    );
    let out_dir = tmp("split");
    let o = tooltune(&[
        "split",
        s(&data),
        "--test",
        "0.25",
        "--seed",
        "9",
        "--out-dir",
        s(&out_dir),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let train = std::fs::read_to_string(out_dir.join("train.train.jsonl")).unwrap();
    let test = std::fs::read_to_string(out_dir.join("train.test.jsonl")).unwrap();
    assert_eq!(train.lines().count() + test.lines().count(), 40);
    let original = std::fs::read_to_string(&data).unwrap();
    assert!(
        test.lines().all(|l| original.lines().any(|o| o == l)),
        "lines are copied verbatim"
    );
}

/// Every kind of bad input: non-zero exit, the file and line named, no panic.
#[test]
fn bad_input_never_panics() {
    let big = format!(
        "{{\"messages\": [{{\"role\": \"user\", \"content\": \"{}\"}}]}}",
        "a".repeat(12 * 1024 * 1024)
    );
    let deep = format!("{{\"messages\": {}{}}}", "[".repeat(5000), "]".repeat(5000));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "malformed",
            b"{\"messages\": [\n".to_vec(),
            "invalid JSON: EOF while parsing",
        ),
        (
            "wrong-type",
            br#"{"messages": {"role": "user"}}"#.to_vec(),
            "messages: invalid type: map",
        ),
        (
            "role",
            br#"{"messages": [{"role": "robot", "content": "x"}]}"#.to_vec(),
            "messages[0].role: unknown variant `robot`",
        ),
        ("big", big.into_bytes(), "line is 12582"),
        (
            "utf8",
            b"{\"messages\": [{\"role\": \"user\", \"content\": \"\xff\"}]}".to_vec(),
            "not valid UTF-8",
        ),
        ("deep", deep.into_bytes(), "invalid JSON: nested too deeply"),
    ];
    for (name, bytes, needle) in cases {
        let path = tmp(&format!("{name}.jsonl"));
        std::fs::write(&path, bytes).unwrap();
        let preds = tmp("empty-pred.jsonl");
        std::fs::write(&preds, "").unwrap();
        for args in [
            vec!["lint", s(&path)],
            vec![
                "eval",
                "--gold",
                s(&path),
                "--predictions",
                s(&preds),
                "--gold-format",
                "openai",
            ],
            vec![
                "convert",
                "--from",
                "openai",
                "--to",
                "router",
                s(&path),
                s(&tmp("out.jsonl")),
            ],
            vec![
                "eval",
                "--gold",
                s(&fixtures().join("support/train.jsonl")),
                "--predictions",
                s(&path),
            ],
            // The format told from the first line, which must then be read.
            vec!["eval", "--gold", s(&path), "--predictions", s(&preds)],
            vec![
                "train",
                "--model",
                "builtin",
                "--data",
                s(&path),
                "--out",
                s(&tmp("never-written")),
            ],
        ] {
            let o = tooltune(&args);
            let t = text(&o);
            assert_ne!(o.status.code(), Some(0), "{args:?}");
            assert!(!t.contains("panicked"), "{args:?}: {t}");
            assert!(
                t.contains(&format!("{name}.jsonl:1: ")),
                "{args:?}: the file and line are named in {t}"
            );
            let as_predictions = args[0] == "eval" && args[4] == s(&path);
            if !as_predictions {
                assert!(t.contains(needle), "{args:?}: expected {needle:?} in {t}");
            }
        }
    }
    // A first line of no known format says what it has and what is needed.
    let other = tmp("other.jsonl");
    std::fs::write(&other, "{\"input\": \"hi\", \"output\": \"hello\"}\n").unwrap();
    let o = tooltune(&[
        "train",
        "--model",
        "builtin",
        "--data",
        s(&other),
        "--out",
        s(&tmp("x")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("other.jsonl:1: $: cannot tell the dataset's format from its first line (keys `input`, `output`)"),
        "{}",
        text(&o)
    );
    let o = tooltune(&["eval", "--gold", s(&other), "--predictions", s(&other)]);
    assert!(
        text(&o).contains("(or name it with --gold-format)"),
        "{}",
        text(&o)
    );
    // A folder that is not a model's says which file it lacks.
    let empty = tmp("empty-folder");
    std::fs::create_dir_all(&empty).unwrap();
    let o = tooltune(&["route", "--model", s(&empty), "hello"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("empty-folder is not a model folder: it has no tokenizer.json"),
        "{}",
        text(&o)
    );
    let o = tooltune(&["lint", "/no/such/file.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("cannot read /no/such/file.jsonl"));
    let o = tooltune(&[
        "eval",
        "--gold",
        "x",
        "--predictions",
        "y",
        "--match",
        "fuzzy",
    ]);
    assert!(
        text(&o).contains("unknown match mode \"fuzzy\""),
        "{}",
        text(&o)
    );
    let o = tooltune(&["split", "x", "--test", "1.5"]);
    assert!(
        text(&o).contains("--test must be in [0, 1)"),
        "{}",
        text(&o)
    );
}

#[test]
fn bfcl_question_missing_from_answers_is_an_error_unless_flagged() {
    let dir = tmp("missing-answer");
    std::fs::create_dir_all(&dir).unwrap();
    let q = dir.join("simple.json");
    let a = dir.join("answers.json");
    let p = dir.join("pred.jsonl");
    std::fs::write(&q, r#"{"id": "simple_9", "question": [[{"role": "user", "content": "x"}]], "function": [{"name": "f", "parameters": {"type": "dict", "properties": {}}}]}"#).unwrap();
    std::fs::write(&a, r#"{"id": "simple_1", "ground_truth": [{"f": {}}]}"#).unwrap();
    std::fs::write(&p, r#"{"id": "simple_9", "output": "No tool fits."}"#).unwrap();
    let args = [
        "eval",
        "--gold",
        s(&q),
        "--answers",
        s(&a),
        "--predictions",
        s(&p),
        "--json",
    ];
    let o = tooltune(&args);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("simple.json:1") && text(&o).contains("not in the possible-answer file")
    );
    let mut flagged = args.to_vec();
    flagged.push("--missing-answer-is-no-call");
    let o = tooltune(&flagged);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["tool_name_accuracy"], 1.0);
    assert_eq!(r["counts"]["gold_no_tool"], 1);
}
