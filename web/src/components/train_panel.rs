//! Train: the method (LoRA adapters or a full fine-tune) and its settings
//! ([`super::train_settings`], kept in the workspace, so a share link
//! carries them), start and stop, progress with tokens/s and ETA, and the run's
//! charts ([`super::train_charts`]). The rows are split as `tooltune split`
//! splits them (`tooltune_workspace::training`); the worker trains with the
//! engine's own loop and scores the held-out rows before training and after
//! each epoch.

use leptos::prelude::*;
use tooltune_workspace::protocol::Request;
use tooltune_workspace::training::training_data;

use crate::components::{LossChart, MetricsView, TrainExport, TrainSettingsForm};
use crate::engine;
use crate::state::{ModelStatus, Notice, Phase, Training, use_app};

/// The Train panel.
#[component]
pub fn TrainPanel() -> impl IntoView {
    let state = use_app();
    let ready = move || matches!(state.model.get(), ModelStatus::Ready(_));
    let busy = move || state.training.with(|t| t.busy());
    let start = move |_| {
        if busy() || !ready() {
            return;
        }
        let catalogue = state.last_valid.get_untracked();
        let (data, context, settings, seed, output_style) = state.ws.with_untracked(|w| {
            let tools = catalogue
                .as_ref()
                .map(|c| serde_json::Value::Array(c.to_openai()));
            (
                training_data(w, catalogue.as_deref()),
                w.prompt_context(tools),
                w.train.clone(),
                w.seed,
                w.output_style,
            )
        });
        let model = match state.model.get_untracked() {
            ModelStatus::Ready(info) => info.name,
            _ => return,
        };
        let id = engine::next_id();
        state.training.set(Training {
            id,
            phase: Phase::Starting,
            skipped: data.skipped.clone(),
            train_lines: data.train.clone(),
            test_lines: data.test.clone(),
            model,
            settings: settings.clone(),
            seed,
            context: context.clone(),
            output_style,
            ..Training::default()
        });
        state.tuned_answer.set(crate::state::Job::Idle);
        engine::send(
            state,
            &Request::Train {
                id,
                settings,
                seed,
                train: data.train,
                test: data.test,
                context,
                output_style,
                resume_step: None,
                eval_elsewhere: false,
                split: None,
            },
            Vec::new(),
        );
    };
    // After a reload: go on from the stored checkpoint.
    let resume_run = move |_| crate::recovery::resume(state);
    let interrupted = move || state.training.with(|t| t.phase == Phase::Interrupted);
    let stop = move |_| {
        let id = state.training.with_untracked(|t| t.id);
        state.training.update(|t| {
            if t.busy() {
                t.phase = Phase::Stopping;
            }
        });
        engine::send(state, &Request::StopTraining { id }, Vec::new());
    };
    let paused = move || state.training.with(|t| t.phase == Phase::Paused);
    let pause = move |_| {
        let (id, now) = state
            .training
            .with_untracked(|t| (t.id, t.phase == Phase::Paused));
        engine::send(
            state,
            &Request::PauseTraining { id, paused: !now },
            Vec::new(),
        );
    };
    let import_adapter = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(list) = input.files() else { return };
        let picked: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
        let find = |name: &str| picked.iter().find(|f| f.name() == name).cloned();
        let (Some(config), Some(weights)) = (
            find("adapter_config.json"),
            find("adapter_model.safetensors"),
        ) else {
            state.notice.set(Some(Notice {
                error: true,
                text: "An adapter is two files: pick adapter_config.json and adapter_model.safetensors together.".into(),
            }));
            return;
        };
        let files = vec![
            ("adapter_config.json".to_string(), config.size(), config),
            (
                "adapter_model.safetensors".to_string(),
                weights.size(),
                weights,
            ),
        ];
        wasm_bindgen_futures::spawn_local(async move {
            match crate::files::read_files(&files).await {
                Ok(bytes) => {
                    let id = engine::next_id();
                    engine::ADAPTER_IDS.with(|a| a.borrow_mut().insert(id));
                    engine::send(
                        state,
                        &Request::LoadAdapter {
                            id,
                            name: "imported adapter".into(),
                        },
                        bytes,
                    );
                }
                Err(e) => state.notice.set(Some(Notice {
                    error: true,
                    text: e,
                })),
            }
        });
    };
    let status = move || {
        let t = state.training.read();
        let last = t.steps.last().copied();
        let progress = last.map(|s| {
            let left = t.total_steps.saturating_sub(s.step) as f64;
            let eta = s.elapsed_s / s.step.max(1) as f64 * left;
            format!(
                "step {}/{} · epoch {} · loss {:.4} · {:.0} tokens/s · ETA {:.0} s",
                s.step, t.total_steps, s.epoch, s.loss, s.tokens_per_sec, eta
            )
        });
        let line = match &t.phase {
            Phase::Idle => "Not trained yet.".to_string(),
            Phase::Starting => "Preparing: masking the rows, scoring the base model…".into(),
            Phase::Running => progress.unwrap_or_else(|| "Scoring the base model…".into()),
            Phase::Stopping => "Stopping after this step…".into(),
            Phase::Paused => format!(
                "Paused at {}",
                progress.unwrap_or_else(|| "the start".into())
            ),
            Phase::Done => {
                let how = if t.stopped { "Stopped" } else { "Done" };
                format!(
                    "{how}: {} step(s). {}",
                    t.steps.len(),
                    progress.unwrap_or_default()
                )
            }
            Phase::Failed(e) => format!("Training failed: {e}"),
            Phase::Interrupted => format!(
                "Interrupted at step {} of {}: that step's weights are kept (after a reload, \
                 as the fine-tuned model). Resume training goes on from it.",
                t.checkpoint_step.unwrap_or(0),
                t.total_steps
            ),
        };
        let about = (t.total_steps > 0).then(|| {
            let scored = if t.eval_worker {
                "; held-out rows scored by a second worker (CPU) while this one trains"
            } else {
                ""
            };
            let split = if t.train_workers > 1 {
                "; each step split between two engine workers (one core each)"
            } else {
                ""
            };
            let constrained = if t.settings.constrain {
                "; answers constrained to the catalogue (the valid rate is the decoder's, not the model's)"
            } else {
                ""
            };
            let decision = t
                .settings
                .call_threshold
                .map(|p| format!("; a tool called only at probability {p} or more"))
                .unwrap_or_default();
            // A conversation row scores each of its assistant turns.
            let answers = if t.test_items == t.test_lines.len() {
                String::new()
            } else {
                format!(" ({} answers scored: every assistant turn of a conversation)", t.test_items)
            };
            format!(
                "{} training rows ({} trained tokens), {} held-out rows{answers}; {}{split}{scored}{constrained}{decision}",
                t.examples,
                t.trained_tokens,
                t.test_lines.len(),
                t.backend
            )
        });
        let error = t.error.clone().map(|e| {
            view! { <p class="error" role="alert">{format!("{e}: the last good weights are kept.")}</p> }
        });
        let cut = t.cut.as_ref().map(|c| {
            let text = format!(
                "{} training row(s) longer than the run's limit of {} tokens (1024, or the model's \
                 context when shorter) were cut to it, the longest from {}: their ends are not \
                 learnt. A shorter system prompt or catalogue makes room.",
                c.rows, c.limit, c.longest
            );
            view! { <p class="warn" data-testid="train-cut">{text}</p> }
        });
        let beyond = t.held_out_beyond.clone().map(|note| {
            view! { <p class="warn" data-testid="held-out-beyond">{format!("Beyond the model's context: {note}.")}</p> }
        });
        let skipped = (!t.skipped.is_empty()).then(|| {
            let rows: Vec<String> = t.skipped.iter().map(|(r, why)| format!("row {r}: {why}")).collect();
            view! { <p class="warn" data-testid="train-skipped">{format!("Left out: {}", rows.join("; "))}</p> }
        });
        let class = if matches!(t.phase, Phase::Failed(_)) {
            "error"
        } else {
            ""
        };
        view! {
            <p role="status" class=class data-testid="train-status">{line}</p>
            {about.map(|a| view! { <p class="hint" data-testid="train-about">{a}</p> })}
            {error}
            {skipped}
            {cut}
            {beyond}
        }
    };
    view! {
        <section class="panel" aria-labelledby="train-title" data-panel="train">
            <h2 id="train-title">"Train"</h2>
            <TrainSettingsForm busy=Signal::derive(busy) />
            <div class="buttons">
                <button type="button" on:click=start disabled=move || busy() || !ready()>"Train"</button>
                <button type="button" on:click=pause disabled=move || !state.training.with(|t| matches!(t.phase, Phase::Running | Phase::Paused))>
                    {move || if paused() { "Resume" } else { "Pause" }}
                </button>
                <button type="button" on:click=stop disabled=move || !busy()>"Stop"</button>
                <Show when=interrupted>
                    <button type="button" on:click=resume_run disabled=move || !ready()>"Resume training"</button>
                </Show>
            </div>
            <label class="file">
                "Import a PEFT adapter (adapter_config.json + adapter_model.safetensors)"
                <input type="file" multiple on:change=import_adapter disabled=move || !ready() || busy() />
            </label>
            {status}
            <LossChart />
            <MetricsView />
            <TrainExport />
        </section>
    }
}
