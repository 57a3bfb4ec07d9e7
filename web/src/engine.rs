//! The page's side of the engine worker: starts it once, sends typed
//! [`Request`]s (JSON; a model's files as transferred buffers), and turns
//! the worker's [`Event`]s into changes of the [`AppState`] signals. The
//! page's thread only renders and posts.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use leptos::prelude::*;
use tooltune_worker::EngineWorker;
use tooltune_workspace::protocol::{Event, Request};

use tooltune_workspace::metrics::{EvalRecord, StepRecord};

use crate::recovery;
use crate::state::{Answer, AppState, Cut, Job, ModelStatus, Phase, Training};

/// The engine worker's bootstrap, beside index.html (web/worker.js): it
/// loads the worker's own wasm module (web/worker). Started once the page
/// has rendered: started with the page, its download and compile slowed the
/// page's first render on two cores and brought the model no sooner
/// (docs/FEATURES.md, "Page speed").
pub const WORKER_SCRIPT: &str = "./worker.js";

/// The `localStorage` key that, set to `plain`, makes the engine workers load
/// their module without relaxed SIMD even where the browser has it (for
/// measuring the two against each other; `web/worker.js` picks otherwise).
pub const SIMD_SWITCH: &str = "tooltune.simd";

/// [`WORKER_SCRIPT`], with `?simd=plain` when [`SIMD_SWITCH`] asks for it.
pub fn worker_script() -> String {
    let plain = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(SIMD_SWITCH).ok().flatten())
        .is_some_and(|v| v == "plain");
    if plain {
        format!("{WORKER_SCRIPT}?simd=plain")
    } else {
        WORKER_SCRIPT.to_string()
    }
}

/// A request waiting for the worker to start.
type Queued = (String, Vec<js_sys::Uint8Array>);

thread_local! {
    /// Ids of adapter loads in flight (their failures go to the banner).
    pub static ADAPTER_IDS: RefCell<std::collections::HashSet<u64>> = RefCell::new(Default::default());
    static WORKER: RefCell<Option<Rc<EngineWorker>>> = const { RefCell::new(None) };
    static QUEUE: RefCell<Vec<Queued>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
    /// When each try-it request was sent, what it asked, and whether the
    /// fine-tuned model answers it.
    static SENT: RefCell<HashMap<u64, (f64, String, bool)>> = RefCell::new(HashMap::new());
    /// The model loads started (by the page opening or the user) and not yet
    /// answered; the newest of them is the one that counts.
    static LOADS: RefCell<HashSet<u64>> = RefCell::new(HashSet::new());
    static NEWEST_LOAD: Cell<u64> = const { Cell::new(0) };
}

/// Starts a model load and returns its request id: from now on only this
/// load's answer counts, so a slower earlier one (the built-in model still
/// loading when the user picks files) can neither say "Ready" nor replace
/// the user's choice.
pub fn begin_load() -> u64 {
    let id = next_id();
    LOADS.with(|l| l.borrow_mut().insert(id));
    NEWEST_LOAD.with(|n| n.set(id));
    id
}

/// Whether `load` is still the newest load.
pub fn is_newest(load: u64) -> bool {
    NEWEST_LOAD.with(|n| n.get() == load)
}

/// Sends a [`Request::LoadModel`], unless a newer load started meanwhile.
pub fn send_load(state: AppState, request: &Request, buffers: Vec<js_sys::Uint8Array>) {
    if let Request::LoadModel { id, .. } = request
        && !is_newest(*id)
    {
        return;
    }
    crate::evaluator::keep_model(request, &buffers);
    send(state, request, buffers);
}

/// Whether `id` is a model load's (taking it off the list), and the newest.
fn answered_load(id: u64) -> Option<bool> {
    LOADS
        .with(|l| l.borrow_mut().remove(&id))
        .then(|| is_newest(id))
}

/// Starts the worker and the loop that applies its events to `state`.
pub fn start(state: AppState) {
    wasm_bindgen_futures::spawn_local(async move {
        let worker = match EngineWorker::start(&worker_script()).await {
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
            match worker.recv_with_buffers().await {
                Ok((text, buffers)) => match serde_json::from_str::<Event>(&text) {
                    Ok(Event::Checkpoint { id, step, kept, .. }) => {
                        checkpoint(state, id, step, kept, buffers.into_iter().next());
                    }
                    Ok(event) => apply(state, event),
                    Err(e) => log(&format!("unreadable engine event: {e}")),
                },
                Err(e) => {
                    let message = tooltune_workspace::memory::worker_death(&e.to_string());
                    WORKER.with(|w| *w.borrow_mut() = None);
                    drop(worker);
                    if recovery::worker_died(state, &message) {
                        return;
                    }
                    state.model.set(ModelStatus::Failed(message.clone()));
                    state.answer.set(Job::Failed(message.clone()));
                    state.training.update(|t| {
                        if t.busy() {
                            t.phase = Phase::Failed(message.clone());
                        }
                    });
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
    // A run stopped while it still waits for the peer never begins.
    if let Request::StopTraining { id } = request
        && crate::peer::drop_held(*id)
    {
        apply(
            state,
            Event::TrainDone {
                id: *id,
                steps: 0,
                stopped: true,
                error: None,
            },
        );
        return;
    }
    let mut request = request.clone();
    crate::evaluator::offload(state, &mut request);
    if crate::peer::take(state, &request, &buffers) {
        return;
    }
    send_text(
        state,
        serde_json::to_string(&request).unwrap_or_default(),
        buffers,
    );
}

/// Sends a request already written out (see [`send`]) to the worker.
pub fn send_text(state: AppState, text: String, buffers: Vec<js_sys::Uint8Array>) {
    match WORKER.with(|w| w.borrow().clone()) {
        Some(worker) => post(&worker, &text, &buffers, state),
        None => QUEUE.with(|q| q.borrow_mut().push((text, buffers))),
    }
}

/// Links the worker and `peer` by a channel of their own (see
/// [`crate::peer`]).
pub fn link_with(peer: &EngineWorker) -> Result<(), String> {
    let worker = WORKER
        .with(|w| w.borrow().clone())
        .ok_or("the engine worker is not running")?;
    worker.link(peer).map_err(|e| e.to_string())
}

fn post(worker: &EngineWorker, text: &str, buffers: &[js_sys::Uint8Array], state: AppState) {
    if let Err(e) = worker.send_with_buffers(text, buffers) {
        state.model.set(ModelStatus::Failed(e.to_string()));
    }
}

pub fn apply(state: AppState, event: Event) {
    match event {
        Event::Progress { stage } => state.model.set(ModelStatus::Loading(stage)),
        Event::ModelLoaded { id, .. } if answered_load(id) == Some(false) => {}
        Event::ModelLoaded { info, .. } => {
            // A new base: the worker has dropped the fine-tuned model (a run
            // waiting to go on after a restart keeps its charts).
            if !recovery::resuming(state, &info.name) {
                state.training.set(Training::default());
            }
            state.tuned.set(None);
            state.tuned_answer.set(Job::Idle);
            let name = info.name.clone();
            state.model.set(ModelStatus::Ready(info));
            recovery::model_loaded(state, &name);
        }
        // Handled where its buffer arrives (see `checkpoint`).
        Event::Checkpoint { .. } => {}
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
                id,
                engine_ms: ms,
                total_ms: now_ms() - sent,
                choices: None,
            }));
        }
        Event::RouteChoices { id, choices } => {
            // The answer it belongs to, unless a newer one took its place.
            for slot in [state.answer, state.tuned_answer] {
                slot.update(|job| {
                    if let Job::Done(a) = job
                        && a.id == id
                    {
                        a.choices = Some(choices.clone());
                    }
                });
            }
        }
        Event::Failed { id: None, message } => state.model.set(ModelStatus::Failed(message)),
        Event::Failed {
            id: Some(id),
            message,
        } => {
            if let Some(newest) = answered_load(id) {
                if newest {
                    state.model.set(ModelStatus::Failed(message));
                }
            } else if let Some((_, _, tuned)) = SENT.with(|s| s.borrow_mut().remove(&id)) {
                let slot = if tuned {
                    state.tuned_answer
                } else {
                    state.answer
                };
                slot.set(Job::Failed(message));
            } else if state.training.with_untracked(|t| t.id == id && t.busy()) {
                crate::peer::run_ended(id);
                if !(crate::peer::lost_run(id) && recovery::peer_lost(state, &message)) {
                    state.training.update(|t| t.phase = Phase::Failed(message));
                }
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
            max_seq_len,
            cut_rows,
            longest_cut,
            held_out_beyond,
        } => training(state, id, |t| {
            t.phase = Phase::Running;
            t.total_steps = total_steps;
            t.examples = examples;
            t.trained_tokens = trained_tokens;
            t.test_items = test_items;
            t.backend = backend;
            t.cut = (cut_rows > 0).then_some(Cut {
                rows: cut_rows,
                longest: longest_cut,
                limit: max_seq_len,
            });
            t.held_out_beyond = held_out_beyond;
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
            recovery::persist(t);
        }),
        Event::RunExported { files, .. } => {
            crate::components::save_run(state, files);
        }
        Event::EvalDue { id, step } => crate::evaluator::evaluate(state, id, step),
        ref done @ Event::TrainDone { .. } if crate::evaluator::hold_done(done) => {}
        Event::TrainDone {
            id,
            steps,
            stopped,
            error,
        } => {
            crate::peer::run_ended(id);
            training(state, id, |t| {
                t.phase = Phase::Done;
                t.stopped = stopped;
                t.error = error;
                recovery::persist(t);
            });
            if steps > 0 {
                let method = match state.training.with_untracked(|t| t.settings.method) {
                    tooltune_workspace::TrainMethod::Lora => "LoRA",
                    tooltune_workspace::TrainMethod::Full => "full fine-tune",
                };
                state
                    .tuned
                    .set(Some(format!("{method} trained here ({steps} steps)")));
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
        Event::AdapterLoaded {
            name,
            summary,
            full,
            ..
        } => {
            state.tuned.set(Some(format!("{name}: {summary}")));
            state.tuned_answer.set(Job::Idle);
            let what = if full { "Weights" } else { "Adapter" };
            state.notice.set(Some(crate::state::Notice {
                error: false,
                text: format!(
                    "{what} loaded ({summary}): try it now answers with the base and the fine-tuned model."
                ),
            }));
        }
    }
}

/// A run's checkpoint of `step`, which the worker has stored in the Cache
/// API for a reload (unless `kept` says why not); its bytes, transferred
/// from the worker, go to the evaluator when it scores the run. Only the
/// current run's count: a late checkpoint of an earlier run is dropped.
fn checkpoint(
    state: AppState,
    id: u64,
    step: usize,
    kept: Option<String>,
    bytes: Option<js_sys::Uint8Array>,
) {
    if !state.training.with_untracked(|t| t.id == id) {
        return;
    }
    if let Some(bytes) = bytes {
        crate::evaluator::checkpoint(id, step, bytes);
    }
    let kept = match kept {
        Some(e) => Err(e),
        None => {
            state.training.update(|t| t.checkpoint_step = Some(step));
            state.training.with_untracked(crate::run_store::save)
        }
    };
    if let Err(e) = kept {
        recovery::keep_failed(state, &e);
    }
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
