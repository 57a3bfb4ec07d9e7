//! The page's side of the engine worker: starts it once, sends typed
//! [`Request`]s (JSON; a model's files as transferred buffers), and turns
//! the worker's [`Event`]s into changes of the [`AppState`] signals. The
//! page's thread only renders and posts.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;
use tooltune_engine_browser::EngineWorker;
use tooltune_workspace::protocol::{Event, Request};

use tooltune_workspace::metrics::{EvalRecord, StepRecord};

use crate::state::{Answer, AppState, Job, ModelStatus, Phase, Training};

/// The app's wasm-bindgen glue, beside index.html.
const GLUE: &str = "./tooltune_web.js";

/// A request waiting for the worker to start.
type Queued = (String, Vec<js_sys::Uint8Array>);

thread_local! {
    /// Ids of adapter loads in flight (their failures go to the banner).
    pub static ADAPTER_IDS: RefCell<std::collections::HashSet<u64>> = RefCell::new(Default::default());
    static WORKER: RefCell<Option<Rc<EngineWorker>>> = const { RefCell::new(None) };
    static QUEUE: RefCell<Vec<Queued>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
    /// Whether the stored run was looked at (on the first model load).
    static RESTORED: Cell<bool> = const { Cell::new(false) };
    /// Whether the user was told that runs are not kept.
    static KEEP_WARNED: Cell<bool> = const { Cell::new(false) };
    /// When each try-it request was sent, what it asked, and whether the
    /// fine-tuned model answers it.
    static SENT: RefCell<HashMap<u64, (f64, String, bool)>> = RefCell::new(HashMap::new());
}

/// Starts the worker and the loop that applies its events to `state`.
pub fn start(state: AppState) {
    wasm_bindgen_futures::spawn_local(async move {
        let worker = match EngineWorker::spawn(GLUE, crate::worker::ENTRY).await {
            Ok(w) => Rc::new(w),
            Err(e) => {
                state.model.set(ModelStatus::Failed(e.to_string()));
                return;
            }
        };
        WORKER.with(|w| *w.borrow_mut() = Some(worker.clone()));
        for (text, buffers) in QUEUE.with(|q| std::mem::take(&mut *q.borrow_mut())) {
            post(&worker, &text, &buffers, state);
        }
        loop {
            match worker.recv().await {
                Ok(text) => match serde_json::from_str::<Event>(&text) {
                    Ok(event) => apply(state, event),
                    Err(e) => log(&format!("unreadable engine event: {e}")),
                },
                Err(e) => {
                    let message = e.to_string();
                    state.model.set(ModelStatus::Failed(message.clone()));
                    state.answer.set(Job::Failed(message.clone()));
                    state.training.update(|t| {
                        if t.busy() {
                            t.phase = Phase::Failed(message.clone());
                        }
                    });
                    WORKER.with(|w| *w.borrow_mut() = None);
                    return;
                }
            }
        }
    });
}

/// A fresh request id.
pub fn next_id() -> u64 {
    NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    })
}

/// Sends `request` (and, for a model, its files' bytes) to the worker.
pub fn send(state: AppState, request: &Request, buffers: Vec<js_sys::Uint8Array>) {
    if let Request::Route {
        id, request, tuned, ..
    } = request
    {
        SENT.with(|s| {
            s.borrow_mut()
                .insert(*id, (now_ms(), request.clone(), *tuned))
        });
    }
    let text = serde_json::to_string(request).unwrap_or_default();
    match WORKER.with(|w| w.borrow().clone()) {
        Some(worker) => post(&worker, &text, &buffers, state),
        None => QUEUE.with(|q| q.borrow_mut().push((text, buffers))),
    }
}

fn post(worker: &EngineWorker, text: &str, buffers: &[js_sys::Uint8Array], state: AppState) {
    if let Err(e) = worker.send_with_buffers(text, buffers) {
        state.model.set(ModelStatus::Failed(e.to_string()));
    }
}

fn apply(state: AppState, event: Event) {
    match event {
        Event::Progress { stage } => state.model.set(ModelStatus::Loading(stage)),
        Event::ModelLoaded(info) => {
            // A new base: the worker has dropped the fine-tuned model.
            state.training.set(Training::default());
            state.tuned.set(None);
            state.tuned_answer.set(Job::Idle);
            let name = info.name.clone();
            state.model.set(ModelStatus::Ready(info));
            if !RESTORED.with(|r| r.replace(true)) {
                restore_run(state, &name);
            }
        }
        Event::Checkpoint { id, step, adapter } => {
            if state.training.with_untracked(|t| t.id == id) {
                wasm_bindgen_futures::spawn_local(async move {
                    let Some(bytes) = adapter.bytes() else { return };
                    let kept = crate::run_store::save_adapter(&bytes).await.and_then(|()| {
                        state.training.update(|t| t.checkpoint_step = Some(step));
                        state.training.with_untracked(crate::run_store::save)
                    });
                    if let Err(e) = kept {
                        keep_failed(state, &e);
                    }
                });
            }
        }
        Event::Masked { tokens, .. } => state.mask.set(Job::Done(tokens)),
        Event::Routed {
            id,
            output,
            prompt_tokens,
            new_tokens,
            ms,
        } => {
            let (sent, request, tuned) = SENT.with(|s| s.borrow_mut().remove(&id)).unwrap_or((
                now_ms(),
                String::new(),
                false,
            ));
            let slot = if tuned {
                state.tuned_answer
            } else {
                state.answer
            };
            slot.set(Job::Done(Answer {
                request,
                output,
                prompt_tokens,
                new_tokens,
                engine_ms: ms,
                total_ms: now_ms() - sent,
            }));
        }
        Event::Failed { id: None, message } => state.model.set(ModelStatus::Failed(message)),
        Event::Failed {
            id: Some(id),
            message,
        } => {
            if let Some((_, _, tuned)) = SENT.with(|s| s.borrow_mut().remove(&id)) {
                let slot = if tuned {
                    state.tuned_answer
                } else {
                    state.answer
                };
                slot.set(Job::Failed(message));
            } else if state.training.with_untracked(|t| t.id == id && t.busy()) {
                state.training.update(|t| t.phase = Phase::Failed(message));
            } else if ADAPTER_IDS.with(|a| a.borrow_mut().remove(&id)) {
                state.notice.set(Some(crate::state::Notice {
                    error: true,
                    text: format!("The adapter was not loaded: {message}"),
                }));
            } else {
                state.mask.set(Job::Failed(message));
            }
        }
        Event::TrainStarted {
            id,
            total_steps,
            examples,
            trained_tokens,
            test_items,
            backend,
        } => training(state, id, |t| {
            t.phase = Phase::Running;
            t.total_steps = total_steps;
            t.examples = examples;
            t.trained_tokens = trained_tokens;
            t.test_items = test_items;
            t.backend = backend;
        }),
        Event::TrainStep {
            id,
            step,
            epoch,
            loss,
            lr,
            tokens_per_sec,
            elapsed_s,
        } => training(state, id, |t| {
            let total_steps = t.total_steps;
            t.steps.push(StepRecord {
                step,
                total_steps,
                epoch,
                loss,
                lr,
                tokens_per_sec,
                elapsed_s,
            })
        }),
        Event::Evaluated {
            id,
            step,
            metrics,
            confusion,
            failures,
            seconds,
        } => training(state, id, |t| {
            let at = t.steps.iter().find(|s| s.step == step);
            t.evals.push(EvalRecord {
                step,
                epoch: at.map_or(0, |s| s.epoch),
                loss: at.map(|s| s.loss),
                metrics,
            });
            t.eval_seconds.push(seconds);
            t.confusion = confusion;
            t.failures = failures;
            persist(t);
        }),
        Event::RunExported { files, .. } => {
            crate::components::save_run(state, files);
        }
        Event::TrainDone {
            id,
            steps,
            stopped,
            error,
        } => {
            training(state, id, |t| {
                t.phase = Phase::Done;
                t.stopped = stopped;
                t.error = error;
                persist(t);
            });
            if steps > 0 {
                state
                    .tuned
                    .set(Some(format!("LoRA trained here ({steps} steps)")));
            }
        }
        Event::TrainPaused { id, paused } => training(state, id, |t| {
            if matches!(t.phase, Phase::Running | Phase::Paused) {
                t.phase = if paused {
                    Phase::Paused
                } else {
                    Phase::Running
                };
            }
        }),
        Event::AdapterLoaded { name, summary, .. } => {
            state.tuned.set(Some(format!("{name}: {summary}")));
            state.tuned_answer.set(Job::Idle);
            state.notice.set(Some(crate::state::Notice {
                error: false,
                text: format!(
                    "Adapter loaded ({summary}): try it now answers with the base and the fine-tuned model."
                ),
            }));
        }
    }
}

/// Saves the run for a reload once it has a checkpoint (the record alone
/// is no use without the adapter).
fn persist(t: &Training) {
    if t.checkpoint_step.is_some()
        && let Err(e) = crate::run_store::save(t)
    {
        log(&format!("the run is not kept for a reload: {e}"));
    }
}

/// Says once that the run cannot be kept across a reload.
fn keep_failed(state: AppState, why: &str) {
    if !KEEP_WARNED.with(|w| w.replace(true)) {
        state.notice.set(Some(crate::state::Notice {
            error: true,
            text: format!("This run will not survive a reload: {why}"),
        }));
    }
}

/// After a reload: the stored run of this model, shown as it was, its
/// checkpoint loaded as the fine-tuned model (see [`crate::run_store`]).
fn restore_run(state: AppState, model: &str) {
    let Some(run) = crate::run_store::load().and_then(crate::run_store::restored) else {
        return;
    };
    if run.model != model {
        return;
    }
    let step = run.checkpoint_step.unwrap_or(0);
    let config = match crate::train::config(&run.settings, run.seed).tuning {
        tooltune_engine::train::Tuning::Lora(lora) => lora.to_peft_config_json(Some(model)),
        tooltune_engine::train::Tuning::Full => return,
    };
    state.training.set(run);
    wasm_bindgen_futures::spawn_local(async move {
        match crate::run_store::load_adapter().await {
            Ok(adapter) => {
                let id = next_id();
                ADAPTER_IDS.with(|a| a.borrow_mut().insert(id));
                send(
                    state,
                    &Request::LoadAdapter {
                        id,
                        name: format!("checkpoint of step {step}"),
                    },
                    vec![js_sys::Uint8Array::from(config.as_slice()), adapter],
                );
            }
            Err(e) => state.training.update(|t| {
                t.phase = Phase::Failed(format!("the run's checkpoint could not be restored: {e}"))
            }),
        }
    });
}

/// Applies `f` to the training run when the event is about it (a late
/// event of an earlier run is dropped).
fn training(state: AppState, id: u64, f: impl FnOnce(&mut Training)) {
    if state.training.with_untracked(|t| t.id == id) {
        state.training.update(f);
    }
}

/// Milliseconds since the page started (monotonic).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

fn log(line: &str) {
    leptos::logging::warn!("{line}");
}
