//! Export a training run: `metrics.jsonl` (the lines `tooltune train`
//! writes) and `metrics.csv` from the page, and — from the worker — the
//! adapter in PEFT's format (`adapter_config.json`,
//! `adapter_model.safetensors`), or a full fine-tune's `model.safetensors`,
//! and `run.json`, with the run's
//! `train.jsonl` and `test.jsonl`: put the files in one folder and
//! `tooltune eval --run FOLDER --data FOLDER/test.jsonl` scores it natively,
//! `tooltune route --run FOLDER "..."` routes with it, and PEFT loads the
//! adapter.

use leptos::prelude::*;
use tooltune_workspace::metrics::{csv, jsonl};
use tooltune_workspace::protocol::{ExportedFile, Request};

use crate::engine;
use crate::files;
use crate::state::{AppState, Notice, Phase, use_app};

fn lines(values: &[serde_json::Value]) -> String {
    values.iter().map(|v| v.to_string() + "\n").collect()
}

/// Downloads the worker's files of the run and the page's own.
pub fn save_run(state: AppState, worker_files: Vec<ExportedFile>) {
    let t = state.training.get_untracked();
    let mut failed = Vec::new();
    for f in &worker_files {
        match f.bytes() {
            Some(bytes) => {
                if let Err(e) = files::download_bytes(&f.name, &bytes) {
                    failed.push(format!("{}: {e}", f.name));
                }
            }
            None => failed.push(format!("{}: damaged in transfer", f.name)),
        }
    }
    let own = [
        ("train.jsonl", lines(&t.train_lines)),
        ("test.jsonl", lines(&t.test_lines)),
        ("metrics.jsonl", jsonl(&t.steps, &t.evals)),
    ];
    for (name, text) in own {
        if let Err(e) = files::download(name, &text, "application/jsonl") {
            failed.push(format!("{name}: {e}"));
        }
    }
    if !failed.is_empty() {
        state.notice.set(Some(Notice {
            error: true,
            text: format!(
                "Some files of the run were not saved: {}",
                failed.join("; ")
            ),
        }));
    }
}

/// The export buttons.
#[component]
pub fn TrainExport() -> impl IntoView {
    let state = use_app();
    let finished = move || {
        state
            .training
            .with(|t| t.phase == Phase::Done && !t.steps.is_empty())
    };
    let has_metrics = move || {
        state
            .training
            .with(|t| !t.evals.is_empty() || !t.steps.is_empty())
    };
    let save_metrics = move |_| {
        let t = state.training.get_untracked();
        let result = files::download(
            "metrics.jsonl",
            &jsonl(&t.steps, &t.evals),
            "application/jsonl",
        )
        .and_then(|()| files::download("metrics.csv", &csv(&t.evals), "text/csv"));
        if let Err(e) = result {
            state.notice.set(Some(Notice {
                error: true,
                text: format!("The metrics were not saved: {e}"),
            }));
        }
    };
    let save_run = move |_| {
        engine::send(
            state,
            &Request::ExportRun {
                id: engine::next_id(),
            },
            Vec::new(),
        );
    };
    view! {
        <div class="buttons" role="group" aria-label="Export">
            <button type="button" on:click=save_metrics disabled=move || !has_metrics()>
                "Download metrics (JSONL + CSV)"
            </button>
            <button type="button" on:click=save_run disabled=move || !finished()>
                "Download the run (weights, run.json, data)"
            </button>
        </div>
    }
}
