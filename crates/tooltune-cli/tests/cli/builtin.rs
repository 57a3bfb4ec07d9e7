//! The built-in model: `builtin --out` writes the shipped folder, `--model
//! builtin` works in every model command, and a short `pretrain` run is
//! seed-deterministic and resumable.

use super::{s, text, tmp, tooltune};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn datasets() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../datasets")
}

/// The first `n` lines of `file`, written to a temporary file `name`.
fn first_lines(file: &Path, n: usize, name: &str) -> PathBuf {
    let out = tmp(name);
    let lines: Vec<String> = std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .take(n)
        .map(String::from)
        .collect();
    std::fs::write(&out, lines.join("\n") + "\n").unwrap();
    out
}

/// A JSON file's contents.
fn json_file(path: impl AsRef<Path>) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn pretrain(out: &Path, seed: &str, steps: &str, resume: bool) -> std::process::Output {
    pretrain_with(out, seed, steps, resume, &[])
}

fn pretrain_with(
    out: &Path,
    seed: &str,
    steps: &str,
    resume: bool,
    extra: &[&str],
) -> std::process::Output {
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
        "512",
    ];
    if resume {
        args.push("--resume");
    }
    args.extend_from_slice(extra);
    tooltune(&args)
}

/// The run was refused as bad input (exit 2), naming `what`.
fn assert_refused(o: &std::process::Output, what: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", text(o));
    assert!(text(o).contains(what), "{}", text(o));
}

/// One key of each logged step of a pretraining run's `loss.jsonl`.
fn logged(dir: &Path, key: &str) -> Vec<Value> {
    std::fs::read_to_string(dir.join("loss.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()[key].clone())
        .collect()
}

fn losses(dir: &Path) -> Vec<f64> {
    logged(dir, "loss")
        .iter()
        .map(|v| v.as_f64().unwrap())
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
fn induction_drills_are_seeded_and_trained() {
    let (plain, a, b) = (tmp("drill-plain"), tmp("drill-a"), tmp("drill-b"));
    let drills = ["--drill-rows", "1", "--drill-len", "12"];
    assert_eq!(pretrain(&plain, "5", "2", false).status.code(), Some(0));
    for dir in [&a, &b] {
        let o = pretrain_with(dir, "5", "2", false, &drills);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    assert_eq!(losses(&a), losses(&b));
    assert_ne!(losses(&a), losses(&plain), "the drill rows are trained");
    let settings: Value = json_file(a.join("pretrain.json"));
    assert_eq!(settings["drill_rows"], 1);
}

#[test]
fn grouped_pretraining_is_seeded_and_group_one_is_the_plain_run() {
    let (plain, one, a, b) = (
        tmp("group-plain"),
        tmp("group-one"),
        tmp("group-a"),
        tmp("group-b"),
    );
    assert_eq!(pretrain(&plain, "5", "2", false).status.code(), Some(0));
    let o = pretrain_with(&one, "5", "2", false, &["--group", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(losses(&one), losses(&plain));
    for dir in [&a, &b] {
        let o = pretrain_with(dir, "5", "2", false, &["--group", "2"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    assert_eq!(losses(&a), losses(&b));
    assert_ne!(losses(&a), losses(&plain), "other examples are trained");
    let settings: Value = json_file(a.join("pretrain.json"));
    assert_eq!(settings["group"], 2);
    let o = pretrain_with(&tmp("group-zero"), "5", "2", false, &["--group", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--group"), "{}", text(&o));
}

/// `--embed-from` lends the donor's embeddings to step 0 only: seeded, a
/// run unlike the plain one, recorded in pretrain.json; a donor that is not
/// there is refused with its name.
#[test]
fn borrowed_embeddings_are_seeded_and_recorded() {
    let donor = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/hf/llama-gqa");
    let (plain, a, b) = (tmp("donor-plain"), tmp("donor-a"), tmp("donor-b"));
    assert_eq!(pretrain(&plain, "5", "2", false).status.code(), Some(0));
    for dir in [&a, &b] {
        let o = pretrain_with(
            dir,
            "5",
            "2",
            false,
            &["--embed-from", s(&donor), "--embed-dims", "4"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(text(&o).contains("took their meaning from"), "{}", text(&o));
    }
    assert_eq!(losses(&a), losses(&b));
    assert_ne!(losses(&a), losses(&plain), "the embeddings differ");
    let settings: Value = json_file(a.join("pretrain.json"));
    assert_eq!(settings["embed_dims"], 4);
    assert!(
        settings["embed_from"]
            .as_str()
            .unwrap()
            .ends_with("llama-gqa")
    );
    let missing = tmp("donor-missing-folder");
    let o = pretrain_with(
        &tmp("donor-missing"),
        "5",
        "2",
        false,
        &["--embed-from", s(&missing)],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--embed-from"), "{}", text(&o));
    // The test shape has 7 free dimensions.
    let o = pretrain_with(
        &tmp("donor-wide"),
        "5",
        "2",
        false,
        &["--embed-from", s(&donor), "--embed-dims", "12"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--embed-dims 12"), "{}", text(&o));
    assert!(text(&o).contains("7 free dimensions"), "{}", text(&o));
}

/// The vocabulary of a tokenizer.json (`model.vocab`'s keys).
fn vocabulary(dir: &Path) -> Vec<String> {
    let tok: Value = json_file(dir.join("model/tokenizer.json"));
    tok["model"]["vocab"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn layers_set_the_depth_and_a_resume_keeps_it() {
    let out = tmp("layers-3");
    let o = pretrain_with(&out, "0", "1", false, &["--layers", "3"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let config: Value = json_file(out.join("model/config.json"));
    assert_eq!(config["num_hidden_layers"], 3);
    let weights = std::fs::read(out.join("model/model.safetensors")).unwrap();
    // The safetensors header: its length (u64, little-endian), then JSON.
    let len = u64::from_le_bytes(weights[..8].try_into().unwrap()) as usize;
    let header: Value = serde_json::from_slice(&weights[8..8 + len]).unwrap();
    let attentions = header
        .as_object()
        .unwrap()
        .keys()
        .filter(|n| n.ends_with("self_attn.q_proj.weight"))
        .count();
    assert_eq!(attentions, 3, "one attention per layer");
    let settings: Value = json_file(out.join("pretrain.json"));
    assert_eq!(settings["layers"], 3);
    assert_refused(&pretrain(&out, "0", "2", true), "--layers");
    let o = pretrain_with(&out, "0", "2", true, &["--layers", "3"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = pretrain_with(&tmp("layers-1"), "0", "1", false, &["--layers", "1"]);
    assert_refused(&o, "--layers");
}

#[test]
fn digit_group_reaches_the_tokenizer() {
    let out = tmp("digit-group-3");
    let o = pretrain_with(&out, "0", "1", false, &["--digit-group", "3"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let settings: Value = json_file(out.join("pretrain.json"));
    assert_eq!(settings["digit_group"], 3);
    let tokenizer = std::fs::read_to_string(out.join("model/tokenizer.json")).unwrap();
    assert!(tokenizer.contains("[0-9]{1,3}"), "the digits' split");
    // A resume keeps the run's tokenizer, so it must name the same groups.
    assert_refused(&pretrain(&out, "0", "2", true), "--digit-group 3");
    let o = pretrain_with(&out, "0", "2", true, &["--digit-group", "3"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let settings: Value = json_file(out.join("pretrain.json"));
    assert_eq!(settings["digit_group"], 3);
    let o = pretrain_with(
        &tmp("digit-group-0"),
        "0",
        "1",
        false,
        &["--digit-group", "0"],
    );
    assert_refused(&o, "--digit-group");
}

#[test]
fn catalogue_order_reaches_the_template_and_a_resume_keeps_it() {
    let out = tmp("catalogue-description-first");
    let flag = ["--catalogue", "description-first"];
    let o = pretrain_with(&out, "0", "1", false, &flag);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let settings: Value = json_file(out.join("pretrain.json"));
    assert_eq!(settings["catalogue"], "description-first");
    let config: Value = json_file(out.join("model/tokenizer_config.json"));
    let template = config["chat_template"].as_str().unwrap();
    assert!(
        template.contains("{{ f.description + ' ' }}{% endif %}{{ f.name + '(' }}"),
        "{template}"
    );
    // The run's model was trained on that order, so a resume must name it.
    assert_refused(
        &pretrain(&out, "0", "2", true),
        "--catalogue description-first",
    );
    let o = pretrain_with(&out, "0", "2", true, &flag);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = pretrain_with(
        &tmp("catalogue-bad"),
        "0",
        "1",
        false,
        &["--catalogue", "last"],
    );
    assert_refused(&o, "--catalogue");
}

#[test]
fn tokenizer_text_and_vocab_size_shape_the_tokenizer() {
    let english = tmp("tokenizer-text").with_extension("txt");
    std::fs::write(&english, "the zorblaxian quokka said hello\n".repeat(300)).unwrap();
    let (plain, wide) = (tmp("tok-plain"), tmp("tok-wide"));
    assert_eq!(pretrain(&plain, "0", "1", false).status.code(), Some(0));
    let o = pretrain_with(
        &wide,
        "0",
        "1",
        false,
        &["--vocab", "600", "--tokenizer-text", s(&english)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (plain_vocab, wide_vocab) = (vocabulary(&plain), vocabulary(&wide));
    assert!(!plain_vocab.iter().any(|t| t == "zorblaxian"));
    assert!(wide_vocab.iter().any(|t| t == "zorblaxian"), "kept whole");
    let settings: Value = json_file(wide.join("pretrain.json"));
    assert_eq!(settings["vocab_size"], 600);
    assert_eq!(settings["tokenizer_text"][0], s(&english));
    let config: Value = json_file(wide.join("model/config.json"));
    assert_eq!(config["vocab_size"], 600);
    let o = pretrain(&wide, "0", "2", true);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--vocab"), "{}", text(&o));
    let o = pretrain_with(&wide, "0", "2", true, &["--vocab", "600"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let missing = tmp("no-such-text.txt");
    let o = pretrain_with(
        &tmp("tok-missing"),
        "0",
        "1",
        false,
        &["--tokenizer-text", s(&missing)],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no-such-text.txt"), "{}", text(&o));
    assert!(
        !text(&o).contains("training the tokenizer"),
        "fails at once"
    );
    let o = pretrain_with(
        &tmp("tok-glosses"),
        "0",
        "1",
        false,
        &["--tokenizer-glosses", "10"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--no-wordnet"), "{}", text(&o));
}

/// Trained tokens of each logged step.
fn trained_tokens(dir: &Path) -> Vec<u64> {
    logged(dir, "trained_tokens")
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

#[test]
fn english_rows_are_seeded_recorded_and_resume() {
    let english = tmp("english-rows").with_extension("txt");
    std::fs::write(
        &english,
        "the quick brown fox jumps over the lazy dog\n".repeat(200),
    )
    .unwrap();
    let english_text = ["--tokenizer-text", s(&english)];
    let (plain, one, again) = (tmp("en-plain"), tmp("en-one"), tmp("en-again"));
    assert_eq!(
        pretrain_with(&plain, "0", "2", false, &english_text)
            .status
            .code(),
        Some(0)
    );
    let rows = [&english_text[..], &["--english-rows", "1"]].concat();
    let o = pretrain_with(&one, "0", "2", false, &rows);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("English rows drawn from"), "{}", text(&o));
    assert_eq!(
        pretrain_with(&again, "0", "2", false, &rows).status.code(),
        Some(0)
    );
    assert_eq!(losses(&one), losses(&again), "seeded");
    assert_ne!(losses(&one), losses(&plain));
    // One row of 128 tokens, all trained but the first.
    let extra: Vec<u64> = trained_tokens(&one)
        .iter()
        .zip(trained_tokens(&plain))
        .map(|(a, b)| a - b)
        .collect();
    assert_eq!(extra, [127, 127]);
    let settings: Value = json_file(one.join("pretrain.json"));
    assert_eq!(settings["english_rows"], 1);
    let o = pretrain_with(&one, "0", "3", true, &rows);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(trained_tokens(&one).len(), 3);
    let o = pretrain_with(&tmp("en-none"), "0", "1", false, &["--english-rows", "1"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--tokenizer-text"), "{}", text(&o));
}

/// `--english-values` and `--distractors` change the corpus `corpus` writes
/// and `pretrain` trains on (seeded), are recorded, and are range-checked.
#[test]
fn corpus_shares_change_the_corpus_and_are_recorded() {
    let corpus = |name: &str, extra: &[&str]| {
        let out = tmp(name).with_extension("jsonl");
        let args = [
            &[
                "corpus",
                "--no-wordnet",
                "--seed",
                "2",
                "--n",
                "200",
                "--out",
                s(&out),
            ][..],
            extra,
        ]
        .concat();
        let o = tooltune(&args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        std::fs::read_to_string(out).unwrap()
    };
    let pools = corpus("ev-pools", &[]);
    let plain = tmp("shares-pre-plain");
    assert_eq!(pretrain(&plain, "0", "1", false).status.code(), Some(0));
    for (flag, key) in [
        ("--english-values", "english_values"),
        ("--distractors", "distractors"),
        ("--synonym-share", "synonym_share"),
    ] {
        let changed = corpus(&format!("{key}-1"), &[flag, "1"]);
        assert_eq!(changed, corpus(&format!("{key}-again"), &[flag, "1"]));
        assert_ne!(pools, changed, "{flag}");
        let o = tooltune(&["corpus", "--n", "1", "--out", "x.jsonl", flag, "1.5"]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(flag), "{}", text(&o));
        if flag == "--english-values" {
            // The built-in lexicon's head words (ferry, glacier, ...) appear as values.
            assert!(!pools.contains("Glacier") && !pools.contains("glacier"));
            assert!(
                changed.contains("lacier"),
                "no English value in 200 examples"
            );
        }

        let with = tmp(&format!("{key}-pre"));
        let o = pretrain_with(&with, "0", "1", false, &[flag, "1"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert_ne!(losses(&plain), losses(&with), "{flag}");
        let settings: Value = json_file(with.join("pretrain.json"));
        assert_eq!(settings[key], 1.0);
    }
    // Verb senses read WordNet's verb files: refused without them, by name.
    let o = tooltune(&[
        "corpus",
        "--n",
        "1",
        "--out",
        "x.jsonl",
        "--verb-senses",
        "--no-wordnet",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--verb-senses"), "{}", text(&o));
}

/// Settings under which pretraining would train nothing, or divide by zero,
/// are refused with the flag named; nothing panics.
#[test]
fn pretraining_refuses_settings_that_train_nothing() {
    let out = tmp("refused");
    for (flag, value) in [
        ("--steps", "0"),
        ("--batch-size", "0"),
        ("--checkpoint-every", "0"),
        ("--tokenizer-examples", "0"),
        ("--lr", "0"),
        ("--weight-decay", "2"),
        ("--max-seq-len", "1"),
    ] {
        let o = tooltune(&[
            "pretrain",
            "--shape",
            "test",
            "--no-wordnet",
            "--out",
            s(&out),
            flag,
            value,
        ]);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {}", text(&o));
        assert!(text(&o).contains(flag), "{flag} {value}: {}", text(&o));
    }
    // Every example cut to 8 tokens keeps no trained token.
    let o = tooltune(&[
        "pretrain",
        "--shape",
        "test",
        "--no-wordnet",
        "--out",
        s(&tmp("refused-short")),
        "--steps",
        "1",
        "--tokenizer-examples",
        "60",
        "--max-seq-len",
        "8",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--max-seq-len 8"), "{}", text(&o));
    // One example cannot fill a 4,096-token vocabulary.
    let o = tooltune(&[
        "pretrain",
        "--shape",
        "test",
        "--no-wordnet",
        "--out",
        s(&tmp("refused-vocab")),
        "--steps",
        "1",
        "--tokenizer-examples",
        "1",
        "--vocab",
        "4096",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--tokenizer-examples"), "{}", text(&o));
    let tools = datasets().join("support/tools.json");
    let o = tooltune(&[
        "route",
        "--model",
        "builtin",
        "--tools",
        s(&tools),
        "--max-new-tokens",
        "0",
        "Where is ORD-1?",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--max-new-tokens"), "{}", text(&o));
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

    let small = first_lines(&test, 12, "builtin-small.jsonl");
    // Zero-shot: batched decoding answers exactly as one prompt at a time.
    let eval_small = |more: &[&str]| {
        let mut args = vec!["eval", "--model", "builtin", "--data", s(&small)];
        args.extend(more);
        let o = tooltune(&args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        o
    };
    let zero_shot = |batch: &str| {
        let o = eval_small(&["--batch-size", batch, "--json"]);
        serde_json::from_slice::<Value>(&o.stdout).unwrap()
    };
    let zero = zero_shot("8");
    assert_eq!(zero["n"], 12);
    assert_eq!(zero, zero_shot("1"));
    // Every failing row carries the odds of each call (the rows answer in
    // tool calls), summing to one; the text report shows them under the
    // failures it lists.
    let failures = zero["failures"].as_array().unwrap();
    assert!(
        failures.len() >= 2,
        "the bare model fails some rows: {zero}"
    );
    for f in failures {
        let c = &f["choices"];
        let tools = c["tools"].as_array().unwrap_or_else(|| panic!("{f}"));
        let total = c["no_call"].as_f64().unwrap()
            + tools
                .iter()
                .map(|t| t["probability"].as_f64().unwrap())
                .sum::<f64>();
        assert!((total - 1.0).abs() < 1e-6, "{f}");
    }
    let o = eval_small(&["--show-failures", "1"]);
    let report = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        report.matches("    call probabilities: ").count(),
        1,
        "{report}"
    );

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
    let info: Value = json_file(run.join("run.json"));
    assert_eq!(info["model"], "builtin");
    // The built-in model's defaults, as the page's Train panel has them.
    assert_eq!(info["config"]["label_smoothing"], 0.1);

    // `route` agrees with `eval --run` on the same request: exit 0 with the
    // call exactly when the evaluator finds the output valid, exit 1 with
    // the raw output otherwise (which one depends on the shipped weights).
    let request = "Where is my order ORD-4321?";
    let one = tmp("builtin-one.jsonl");
    let line = serde_json::json!({
        "messages": [
            {"role": "user", "content": request},
            {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                "function": {"name": "track_order", "arguments": "{\"order_id\": \"ORD-4321\"}"}}]},
        ],
    });
    std::fs::write(&one, line.to_string() + "\n").unwrap();
    let o = tooltune(&["eval", "--run", s(&run), "--data", s(&one), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["n"], 1);
    let valid = report["valid_tool_call_rate"] == 1.0;
    let o = tooltune(&["route", "--run", s(&run), request]);
    eprintln!("route: {} (eval says valid: {valid})", text(&o));
    let said = String::from_utf8_lossy(&o.stderr);
    let line = said
        .lines()
        .find(|l| l.starts_with("call probabilities: "))
        .unwrap_or_else(|| panic!("{}", text(&o)));
    for name in ["track_order", "request_refund", "escalate", "no call"] {
        assert!(line.contains(name), "{line}");
    }
    if valid {
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let routed: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(routed["tool"].is_string(), "{routed}");
    } else {
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(text(&o).contains("invalid output"), "{}", text(&o));
    }
}

#[test]
fn shipped_datasets_are_lint_clean() {
    for d in ["support", "library", "vet"] {
        for split in ["train", "test", "dev"] {
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

/// The user requests of one shipped split.
fn requests(dataset: &str, split: &str) -> std::collections::HashSet<String> {
    let f = datasets().join(dataset).join(format!("{split}.jsonl"));
    std::fs::read_to_string(&f)
        .unwrap()
        .lines()
        .map(|line| {
            let row: Value = serde_json::from_str(line).unwrap();
            let messages = row["messages"].as_array().unwrap();
            let user = messages.iter().find(|m| m["role"] == "user").unwrap();
            user["content"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn dev_split_asks_nothing_the_training_or_test_split_asks() {
    // The dev split chooses bases and recipes; it must not repeat a
    // request of the split the model learns from or the one it is judged on.
    for d in ["support", "library", "vet"] {
        let dev = requests(d, "dev");
        assert!(dev.len() > 40, "{d}: {} distinct dev requests", dev.len());
        for split in ["train", "test"] {
            let other = requests(d, split);
            let shared: Vec<_> = dev.intersection(&other).collect();
            assert!(shared.is_empty(), "{d}: dev and {split} share {shared:?}");
        }
    }
}

#[test]
fn route_with_a_bare_model_answers_as_zero_shot_eval_does() {
    // The same request, system prompt and catalogue through `eval --model`
    // (one gold line) and `route --model`: route's verdict is valid exactly
    // when the evaluator's is, and its JSON carries the raw output and ids.
    let tools = datasets().join("support/tools.json");
    let system = "You route customer-support requests to tools. If no tool fits, answer directly.";
    let request = "Where is my order ORD-4321?";
    let catalogue: Value = json_file(&tools);
    let line = serde_json::json!({
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": request},
            {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                "function": {"name": "track_order", "arguments": "{\"order_id\": \"ORD-4321\"}"}}]},
        ],
        "tools": catalogue,
    });
    let one = tmp("route-bare-one.jsonl");
    std::fs::write(&one, line.to_string() + "\n").unwrap();
    let o = tooltune(&["eval", "--model", "builtin", "--data", s(&one), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let valid = report["valid_tool_call_rate"] == 1.0;
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("model's context"),
        "{}",
        text(&o)
    );

    let args = [
        "route",
        "--model",
        "builtin",
        "--tools",
        s(&tools),
        "--system",
        system,
        "--json",
        request,
    ];
    let o = tooltune(&args);
    let routed: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    eprintln!("route --model: {routed} (eval says valid: {valid})");
    assert_eq!(routed["verdict"] != "invalid", valid, "{routed}");
    assert_eq!(
        o.status.code(),
        Some(if valid { 0 } else { 1 }),
        "{}",
        text(&o)
    );
    assert!(routed["output"].is_string(), "{routed}");
    let ids = routed["new_ids"].as_array().unwrap();
    assert!(!ids.is_empty() && ids.len() <= 128, "{routed}");
    assert!(routed["prompt_tokens"].as_u64().unwrap() > 0, "{routed}");
    // How likely each call was: the catalogue's tools and no call share all
    // the probability, and a call's first token likelier than even is the
    // one greedy decoding took.
    let choices = &routed["choices"];
    let shares: Vec<(&str, f64)> = choices["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("{routed}"))
        .iter()
        .map(|t| {
            (
                t["tool"].as_str().unwrap(),
                t["probability"].as_f64().unwrap(),
            )
        })
        .collect();
    let names: Vec<&str> = shares.iter().map(|t| t.0).collect();
    assert_eq!(names, ["track_order", "request_refund", "escalate"]);
    let no_call = choices["no_call"].as_f64().unwrap();
    let total = no_call + shares.iter().map(|t| t.1).sum::<f64>();
    assert!((total - 1.0).abs() < 1e-6, "{choices}");
    let output = routed["output"].as_str().unwrap();
    if no_call < 0.5 {
        assert!(output.starts_with("<tool_call>"), "{routed}");
    }

    // Router style: the catalogue is not in the prompt (it only validates).
    let mut router = args.to_vec();
    router.splice(7..7, ["--style", "router"]);
    let o = tooltune(&router);
    let short: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert!(
        short.get("choices").is_none(),
        "router answers are not tool calls: {short}"
    );
    assert!(
        short["prompt_tokens"].as_u64() < routed["prompt_tokens"].as_u64(),
        "{short}"
    );
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("model's context"),
        "{}",
        text(&o)
    );

    // A system prompt past the model's 1,024 positions: an answer, and a warning.
    let long = "Route every request to the right tool. ".repeat(150);
    let mut past = args.to_vec();
    past[6] = long.as_str();
    let o = tooltune(&past);
    let answer: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert!(answer["prompt_tokens"].as_u64().unwrap() > 1024, "{answer}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("more than the model's context of 1024"),
        "{}",
        text(&o)
    );
    // The same system prompt through `eval`: scored, after a warning.
    let mut past_line = line.clone();
    past_line["messages"][0]["content"] = Value::from(long.as_str());
    let past_file = tmp("route-bare-past.jsonl");
    std::fs::write(&past_file, past_line.to_string() + "\n").unwrap();
    let o = tooltune(&[
        "eval",
        "--model",
        "builtin",
        "--data",
        s(&past_file),
        "--json",
        "--max-new-tokens",
        "8",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["n"], 1, "{report}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(
            "warning: 1 of 1 held-out prompts leave fewer than 8 positions for the answer within \
             the model's context of 1024 (the longest prompt: "
        ),
        "{}",
        text(&o)
    );
    // And through `train --eval`, before its first step.
    let run = tmp("route-bare-past-run");
    let o = tooltune(&[
        "train",
        "--model",
        "builtin",
        "--data",
        s(&one),
        "--eval",
        s(&past_file),
        "--out",
        s(&run),
        "--epochs",
        "1",
        "--max-new-tokens",
        "8",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(
            "warning: 1 of 1 held-out prompts leave fewer than 8 positions for the answer"
        ),
        "{}",
        text(&o)
    );

    // Neither a run nor a model, or a catalogue without a model: clear errors.
    let o = tooltune(&["route", request]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--run") && text(&o).contains("--model"),
        "{}",
        text(&o)
    );
    let o = tooltune(&["route", "--run", "x", "--tools", s(&tools), request]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("--model"), "{}", text(&o));
}

/// `tooltune eval --model builtin --data DATA --json EXTRA...`'s report.
fn eval_builtin(data: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec!["eval", "--model", "builtin", "--data", s(data), "--json"];
    args.extend_from_slice(extra);
    let o = tooltune(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)))
}

#[test]
fn constrained_decoding_keeps_answers_valid() {
    // Zero-shot on a catalogue the model never saw: decoded within each
    // line's catalogue and schemas, at least as many answers are valid as
    // free decoding gives, and every answer left invalid ran out of tokens
    // (an unclosed block), never broke the grammar.
    let small = first_lines(
        &datasets().join("vet/test.jsonl"),
        12,
        "constrain-vet.jsonl",
    );
    let eval = |extra: &[&str]| eval_builtin(&small, extra);
    let free = eval(&[]);
    let constrained = eval(&["--constrain"]);
    eprintln!(
        "valid: free {} constrained {}",
        free["valid_tool_call_rate"], constrained["valid_tool_call_rate"]
    );
    assert!(
        constrained["valid_tool_call_rate"].as_f64() >= free["valid_tool_call_rate"].as_f64(),
        "{constrained}"
    );
    for f in constrained["failures"].as_array().unwrap() {
        if f["kind"] == "invalid" {
            assert!(f["reason"].as_str().unwrap().contains("unclosed"), "{f}");
        }
    }

    // train --eval --constrain: the run says its evaluations were
    // constrained, and they score as eval --constrain does.
    let run = tmp("constrain-run");
    let o = tooltune(&[
        "train",
        "--model",
        "builtin",
        "--data",
        s(&small),
        "--eval",
        s(&small),
        "--out",
        s(&run),
        "--epochs",
        "1",
        "--constrain",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let info: Value = json_file(run.join("run.json"));
    assert_eq!(info["constrained_eval"], true);
    assert_eq!(info["call_threshold"], Value::Null);
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let last: Value = metrics
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .rfind(|v| v["type"] == "eval")
        .unwrap_or_else(|| panic!("no evaluation in {metrics}"));
    let o = tooltune(&[
        "eval",
        "--run",
        s(&run),
        "--data",
        s(&small),
        "--json",
        "--constrain",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let again: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        last["valid_tool_call_rate"], again["valid_tool_call_rate"],
        "{last}"
    );
    let o = tooltune(&[
        "train",
        "--model",
        "builtin",
        "--data",
        s(&small),
        "--out",
        s(&run),
        "--constrain",
    ]);
    assert!(
        !o.status.success(),
        "--constrain without --eval: {}",
        text(&o)
    );

    // route: the answer is valid or unfinished; without a catalogue, or
    // with a gold file, --constrain is a clear error.
    let tools = datasets().join("vet/tools.json");
    let request = "Book a checkup for Biscuit next Tuesday at 10am";
    let o = tooltune(&[
        "route",
        "--model",
        "builtin",
        "--tools",
        s(&tools),
        "--constrain",
        "--json",
        request,
    ]);
    let routed: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    eprintln!("route --constrain: {routed}");
    if routed["verdict"] == "invalid" {
        assert!(
            routed["reason"].to_string().contains("unclosed"),
            "{routed}"
        );
    }
    let o = tooltune(&["route", "--model", "builtin", "--constrain", request]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("--constrain needs a catalogue"),
        "{}",
        text(&o)
    );
    let o = tooltune(&[
        "eval",
        "--gold",
        s(&small),
        "--predictions",
        s(&small),
        "--constrain",
    ]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("--constrain"), "{}", text(&o));
}

#[test]
fn the_call_threshold_decides_call_or_prose() {
    // eval --call-threshold near 1: every answer is prose (every gold call
    // missed); near 0: every answer is a call (no prose at all). route
    // takes the same flag, and a value out of range is a clear error.
    let small = first_lines(
        &datasets().join("support/test.jsonl"),
        10,
        "threshold-support.jsonl",
    );
    let eval = |threshold: &str| {
        eval_builtin(
            &small,
            &["--max-new-tokens", "32", "--call-threshold", threshold],
        )
    };
    let never = eval("0.999999");
    let n = never["n"].as_f64().unwrap();
    let calls = never["counts"]["gold_calls"].as_f64().unwrap_or(0.0);
    assert!(calls > 0.0, "{never}");
    assert_eq!(
        never["missed_call_rate"].as_f64().unwrap() * n,
        calls,
        "{never}"
    );
    let always = eval("0.000001");
    assert_eq!(always["missed_call_rate"], 0.0, "{always}");
    let o = tooltune(&[
        "route",
        "--model",
        "builtin",
        "--tools",
        s(&datasets().join("support/tools.json")),
        "--json",
        "--call-threshold",
        "0.999999",
        "Where is my order ORD-4417?",
    ]);
    let routed: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert!(
        !routed["output"]
            .as_str()
            .unwrap()
            .starts_with("<tool_call>"),
        "{routed}"
    );
    let o = tooltune(&[
        "eval",
        "--model",
        "builtin",
        "--data",
        s(&small),
        "--call-threshold",
        "1.5",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("1.5") && text(&o).contains("greedy"),
        "{}",
        text(&o)
    );
}

#[test]
fn the_routing_circuit_is_refused_where_the_shape_has_no_room() {
    let o = pretrain_with(
        &tmp("route-test-shape"),
        "0",
        "1",
        false,
        &["--init", "copy-route"],
    );
    assert_refused(&o, "routing circuit");
}
