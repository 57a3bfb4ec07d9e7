//! `tooltune workspace`: a share link or `.tooltune.json` unpacks into the
//! page's own split (`training_data`) and a `tooltune train` command whose
//! run has the page's settings (the worker's `config`: learning rate,
//! epochs, batch, seed, method, smoothing, truncation, evaluation points,
//! decoding); bad links and files are clear errors, and a catalogue that
//! does not read is still written out as typed.

use super::{s, text, tmp, tooltune};
use serde_json::Value;
use std::path::Path;
use tooltune_core::Catalogue;
use tooltune_engine::lora::LoraSettings;
use tooltune_engine::run::RunInfo;
use tooltune_engine::train::{TrainConfig, Tuning};
use tooltune_workspace::training::training_data;
use tooltune_workspace::{ModelRef, OutputStyle, TrainMethod, Workspace, share};

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Unpacks `source`, checks the files against the page's split, runs the
/// printed command and returns its run's settings.
fn unpack_and_train(ws: &Workspace, source: &str, name: &str) -> (Vec<String>, RunInfo) {
    let dir = tmp(name);
    let run = tmp(&format!("{name}-run"));
    let o = tooltune(&[
        "workspace",
        source,
        "--out-dir",
        s(&dir),
        "--run",
        s(&run),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let catalogue = Catalogue::from_bytes("t", ws.catalogue.as_bytes()).unwrap();
    let want = training_data(ws, Some(&catalogue));
    assert_eq!(lines(&dir.join("train.jsonl")), want.train);
    assert_eq!(lines(&dir.join("test.jsonl")), want.test);
    assert_eq!(report["rows"]["train"], want.train.len());
    let typed = std::fs::read_to_string(dir.join("tools.json")).unwrap();
    assert_eq!(typed, ws.catalogue);
    let command: Vec<String> = report["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(&command[..2], ["tooltune", "train"]);
    let args: Vec<&str> = command[1..].iter().map(String::as_str).collect();
    let o = tooltune(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let info: RunInfo =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(info.examples, want.train.len());
    (command, info)
}

#[test]
fn a_share_link_trains_with_the_pages_settings() {
    // The page's example workspace (built-in model, full fine-tune), one
    // epoch to keep the test short, seed 3, a call threshold.
    let mut ws = Workspace {
        seed: 3,
        ..Workspace::default()
    };
    ws.train.auto_epochs = false;
    ws.train.epochs = 1;
    ws.train.call_threshold = Some(0.5);
    let link = format!("http://localhost:8080/{}", share::encode(&ws).unwrap());
    let (_, info) = unpack_and_train(&ws, &link, "ws-link");
    let want = TrainConfig {
        lr: ws.train.lr,
        epochs: 1,
        eval_every_epochs: 1,
        batch_size: ws.train.batch_size,
        seed: 3,
        truncate: true,
        tuning: Tuning::Full,
        eval_max_new_tokens: 128,
        label_smoothing: ws.train.label_smoothing,
        ..TrainConfig::default()
    };
    assert_eq!(info.config, want);
    assert_eq!(info.call_threshold, Some(0.5));
    assert_eq!(info.model.to_str(), Some("builtin"));

    // The page's export (.tooltune.json) gives the same files and command.
    let file = tmp("ws.tooltune.json");
    std::fs::write(&file, ws.to_json()).unwrap();
    let o = tooltune(&["workspace", s(&file), "--out-dir", s(&tmp("ws-file"))]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        std::fs::read(tmp("ws-file").join("train.jsonl")).unwrap(),
        std::fs::read(tmp("ws-link").join("train.jsonl")).unwrap()
    );
    let line = String::from_utf8_lossy(&o.stdout);
    assert!(
        line.starts_with("tooltune train --model builtin --data "),
        "{line}"
    );
    assert!(
        line.contains(" --seed 3 --truncate --eval-every-epochs 1 --call-threshold 0.5"),
        "{line}"
    );
}

#[test]
fn a_lora_router_workspace_trains_with_its_settings() {
    let mut ws = Workspace {
        output_style: OutputStyle::Router,
        ..Workspace::default()
    };
    ws.train.method = TrainMethod::Lora;
    ws.train.lora_r = 4;
    ws.train.lora_alpha = 8.0;
    ws.train.target_modules = vec!["q_proj".into(), "o_proj".into()];
    ws.train.auto_epochs = false;
    ws.train.epochs = 1;
    ws.train.constrain = true;
    let fragment = share::encode(&ws).unwrap();
    let (command, info) = unpack_and_train(&ws, &fragment, "ws-lora");
    assert!(command.contains(&"--tools".to_string()), "{command:?}");
    let want = TrainConfig {
        lr: ws.train.lr,
        epochs: 1,
        eval_every_epochs: 1,
        batch_size: ws.train.batch_size,
        seed: 0,
        truncate: true,
        tuning: Tuning::Lora(
            LoraSettings::new(4, 8.0, &["q_proj", "o_proj"]).with_dropout(ws.train.lora_dropout),
        ),
        eval_max_new_tokens: 128,
        label_smoothing: ws.train.label_smoothing,
        ..TrainConfig::default()
    };
    assert_eq!(info.config, want);
    assert!(info.constrained_eval);
    assert_eq!(info.output_mode, "json");
}

#[test]
fn bad_workspaces_are_clear_errors() {
    let out = tmp("ws-bad");
    let run = |source: &str| {
        let o = tooltune(&["workspace", source, "--out-dir", s(&out)]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(!text(&o).contains("panicked"), "{}", text(&o));
        text(&o)
    };
    let msg = run("http://localhost:8080/#w=@@@");
    assert!(msg.contains("the share link is damaged"), "{msg}");
    let msg = run("http://localhost:8080/");
    assert!(msg.contains("the share link holds no workspace"), "{msg}");
    let newer = tmp("newer.tooltune.json");
    std::fs::write(&newer, r#"{"version": 99}"#).unwrap();
    let msg = run(s(&newer));
    assert!(msg.contains(&format!("in {}", newer.display())), "{msg}");
    assert!(msg.contains("99"), "{msg}");

    // A catalogue that does not read: kept as typed, the error says so.
    let ws = Workspace {
        catalogue: "[{\"type\": \"function\", \"function\": {\"name\": ".into(),
        ..Workspace::default()
    };
    let msg = run(&share::encode(&ws).unwrap());
    assert!(msg.contains("catalogue does not read"), "{msg}");
    assert_eq!(
        std::fs::read_to_string(out.join("tools.json")).unwrap(),
        ws.catalogue
    );

    // A model picked from disk is not in the link: the command says where it goes.
    let ws = Workspace {
        model: ModelRef::Local {
            name: "my-model".into(),
        },
        ..Workspace::default()
    };
    let o = tooltune(&[
        "workspace",
        &share::encode(&ws).unwrap(),
        "--out-dir",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("(my-model)"), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("--model MODEL "));
}
