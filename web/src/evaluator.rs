//! The evaluator: a second engine worker that scores a run's checkpoints on
//! the held-out rows while the first worker goes on training, so a run no
//! longer stops for each evaluation (the default built-in run spends about
//! a fifth of its time in them, docs/FEATURES.md "Train in the page").
//!
//! It is used when the model is small enough to load twice
//! ([`MODEL_LIMIT_BYTES`]) and the browser has [`MIN_CORES`] cores or more;
//! `localStorage["tooltune.eval_worker"]` ([`SWITCH`]) set to `on` or `off`
//! overrides the core count. On two cores it is off by default: both cores
//! then run a worker, and the page's own tasks, stretched by the contention,
//! blocked its event loop for 109–158 ms (against 71–86 ms without it) on
//! the support example, past the 100 ms the page keeps to.
//!
//! The page keeps a copy of a small model's files; the evaluator is started
//! at the first run that uses it and loads that copy on the CPU path. A run
//! sent with `eval_elsewhere` asks for each evaluation with
//! [`Event::EvalDue`] (after the [`Event::Checkpoint`] of that step); this
//! module sends the evaluator a [`Request::Evaluate`] with those weights,
//! and the answer is applied as the run's evaluation. The run's end
//! ([`Event::TrainDone`]) is held back until its last evaluation is in, so
//! "Done" still means every metric is there.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use js_sys::Uint8Array;
use leptos::prelude::*;
use serde_json::Value;
use tooltune_core::prompt::PromptContext;
use tooltune_worker::EngineWorker;
use tooltune_workspace::TrainSettings;
use tooltune_workspace::protocol::{BackendChoice, Event, Request};

use crate::state::{AppState, Notice};

/// The largest model (all its files) loaded a second time for evaluation.
pub const MODEL_LIMIT_BYTES: u32 = 64 << 20;

/// The `localStorage` key that, set to `on` or `off`, decides whether the
/// evaluator is used, whatever the core count.
pub const SWITCH: &str = "tooltune.eval_worker";

/// Cores (`navigator.hardwareConcurrency`) from which the evaluator is used
/// by default: the main thread and two workers each get one.
pub const MIN_CORES: f64 = 3.0;

/// The evaluator's `self.name` (the training worker's is `tooltune-engine`).
pub const WORKER_NAME: &str = "tooltune-evaluator";

/// What a run's evaluations need.
struct Offloaded {
    settings: TrainSettings,
    seed: u64,
    test: Vec<Value>,
    context: PromptContext,
}

thread_local! {
    static WORKER: RefCell<Option<Rc<EngineWorker>>> = const { RefCell::new(None) };
    static STARTING: Cell<bool> = const { Cell::new(false) };
    /// The evaluator failed: runs evaluate where they train from now on.
    static BROKEN: Cell<bool> = const { Cell::new(false) };
    /// The newest model's load request (on the CPU path) and a copy of its
    /// files, when it is small enough.
    static MODEL: RefCell<Option<(Request, Vec<Uint8Array>)>> = const { RefCell::new(None) };
    /// The load id of the model the evaluator was asked to load, and of the
    /// one it has loaded.
    static ASKED: Cell<u64> = const { Cell::new(0) };
    static LOADED: Cell<u64> = const { Cell::new(0) };
    /// Evaluations waiting for the evaluator's model.
    /// Messages waiting for the evaluator: (text, buffers, is a model load).
    static QUEUE: RefCell<Vec<(String, Vec<Uint8Array>, bool)>> = const { RefCell::new(Vec::new()) };
    static RUNS: RefCell<HashMap<u64, Offloaded>> = RefCell::new(HashMap::new());
    /// Evaluations sent and not answered: (run, step).
    static PENDING: RefCell<HashSet<(u64, usize)>> = RefCell::new(HashSet::new());
    /// A run's end, held until its evaluations are in.
    static DONE: RefCell<Option<Event>> = const { RefCell::new(None) };
    /// The last checkpoint of an offloaded run: (run, step, bytes).
    static CHECKPOINT: RefCell<Option<(u64, usize, Uint8Array)>> = const { RefCell::new(None) };
}

/// Keeps a copy of a model's files for the evaluator (before `buffers` are
/// handed to the first worker), or forgets the last one when this model is
/// too big to load twice.
pub fn keep_model(request: &Request, buffers: &[Uint8Array]) {
    let total: u32 = buffers.iter().map(Uint8Array::byte_length).sum();
    let kept = match request {
        Request::LoadModel {
            id,
            name,
            source,
            files,
            ..
        } if total <= MODEL_LIMIT_BYTES => Some((
            Request::LoadModel {
                id: *id,
                name: name.clone(),
                source: source.clone(),
                files: files.clone(),
                backend: BackendChoice::Cpu,
            },
            buffers.iter().map(|b| Uint8Array::new(b)).collect(),
        )),
        _ => None,
    };
    MODEL.with(|m| *m.borrow_mut() = kept);
}

/// A copy of the newest model's load request (on the CPU path) and files,
/// when it is small enough to load twice (for [`crate::peer`]).
pub fn kept_model() -> Option<(Request, Vec<Uint8Array>)> {
    MODEL.with(|m| {
        m.borrow()
            .as_ref()
            .map(|(r, b)| (r.clone(), b.iter().map(|x| Uint8Array::new(x)).collect()))
    })
}

/// Readies the evaluator for a run about to be sent, and marks the run
/// `eval_elsewhere`, when the model can be loaded twice and the evaluator
/// is wanted (see the module's notes); otherwise the run evaluates where it
/// trains.
pub fn offload(state: AppState, request: &mut Request) {
    let Request::Train {
        id,
        settings,
        seed,
        test,
        context,
        eval_elsewhere,
        ..
    } = request
    else {
        return;
    };
    let wanted = crate::storage::switch_or_cores(SWITCH, MIN_CORES);
    let Some(load) = MODEL.with(|m| m.borrow().as_ref().map(|(r, b)| (r.clone(), b.clone())))
    else {
        return;
    };
    if !wanted || test.is_empty() || BROKEN.with(Cell::get) {
        return;
    }
    let Request::LoadModel { id: load_id, .. } = &load.0 else {
        return;
    };
    if ASKED.with(|a| a.get()) != *load_id {
        ASKED.with(|a| a.set(*load_id));
        let copies: Vec<Uint8Array> = load.1.iter().map(|b| Uint8Array::new(b)).collect();
        post_or_queue(
            state,
            serde_json::to_string(&load.0).unwrap_or_default(),
            copies,
            true,
        );
    }
    *eval_elsewhere = true;
    let run = *id;
    state.training.update(|t| {
        if t.id == run {
            t.eval_worker = true;
        }
    });
    RUNS.with(|r| {
        r.borrow_mut().insert(
            *id,
            Offloaded {
                settings: settings.clone(),
                seed: *seed,
                test: test.clone(),
                context: context.clone(),
            },
        )
    });
}

/// Keeps an offloaded run's checkpoint for the evaluation that follows it.
/// (The engine worker has stored it for a reload; these transferred bytes
/// are the evaluator's alone, so they are kept as they are, not copied.)
pub fn checkpoint(id: u64, step: usize, bytes: Uint8Array) {
    if RUNS.with(|r| r.borrow().contains_key(&id)) {
        CHECKPOINT.with(|c| *c.borrow_mut() = Some((id, step, bytes)));
    }
}

/// Sends run `id`'s evaluation of `step` to the evaluator: the base for
/// step 0, else the checkpoint of that step.
pub fn evaluate(state: AppState, id: u64, step: usize) {
    if BROKEN.with(Cell::get) {
        return;
    }
    let Some(request) = RUNS.with(|r| {
        r.borrow().get(&id).map(|run| Request::Evaluate {
            id,
            step,
            settings: run.settings.clone(),
            seed: run.seed,
            test: run.test.clone(),
            context: run.context.clone(),
        })
    }) else {
        return;
    };
    let weights = if step == 0 {
        Vec::new()
    } else {
        match CHECKPOINT.with(|c| c.borrow_mut().take()) {
            Some((run, at, bytes)) if run == id && at == step => vec![bytes],
            _ => {
                failed(
                    state,
                    id,
                    &format!("no checkpoint of step {step} to evaluate"),
                );
                return;
            }
        }
    };
    PENDING.with(|p| p.borrow_mut().insert((id, step)));
    post_or_queue(
        state,
        serde_json::to_string(&request).unwrap_or_default(),
        weights,
        false,
    );
}

/// Whether `event` (a run's end) waits for the run's evaluations still out;
/// it is applied when the last comes in.
pub fn hold_done(event: &Event) -> bool {
    let Event::TrainDone { id, .. } = event else {
        return false;
    };
    let waiting = PENDING.with(|p| p.borrow().iter().any(|(run, _)| run == id));
    if waiting {
        DONE.with(|d| *d.borrow_mut() = Some(event.clone()));
    }
    waiting
}

/// Posts to the evaluator (started on first use); an evaluation waits until
/// its model is loaded.
fn post_or_queue(state: AppState, text: String, buffers: Vec<Uint8Array>, load: bool) {
    let ready = LOADED.with(|l| l.get()) == ASKED.with(|a| a.get());
    match WORKER.with(|w| w.borrow().clone()) {
        Some(worker) if load || ready => {
            if let Err(e) = worker.send_with_buffers(&text, &buffers) {
                leptos::logging::warn!("the evaluator: {e}");
            }
        }
        _ => {
            // A model load goes first: evaluations wait behind it.
            QUEUE.with(|q| {
                let mut q = q.borrow_mut();
                if load {
                    q.insert(0, (text, buffers, true));
                } else {
                    q.push((text, buffers, false));
                }
            });
            start(state);
        }
    }
}

/// Starts the evaluator and the loop that applies its answers.
fn start(state: AppState) {
    if WORKER.with(|w| w.borrow().is_some()) || STARTING.with(|s| s.replace(true)) {
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let worker =
            match EngineWorker::start_named(&crate::engine::worker_script(), WORKER_NAME).await {
                Ok(w) => Rc::new(w),
                Err(e) => {
                    STARTING.with(|s| s.set(false));
                    give_up(state, &format!("the evaluation worker did not start: {e}"));
                    return;
                }
            };
        WORKER.with(|w| *w.borrow_mut() = Some(worker.clone()));
        STARTING.with(|s| s.set(false));
        flush(&worker, true);
        loop {
            let text = match worker.recv().await {
                Ok(text) => text,
                Err(e) => {
                    WORKER.with(|w| *w.borrow_mut() = None);
                    LOADED.with(|l| l.set(0));
                    ASKED.with(|a| a.set(0));
                    give_up(state, &format!("the evaluation worker stopped: {e}"));
                    return;
                }
            };
            match serde_json::from_str::<Event>(&text) {
                Ok(Event::ModelLoaded { id, .. }) => {
                    LOADED.with(|l| l.set(id));
                    flush(&worker, false);
                }
                Ok(event @ Event::Evaluated { .. }) => answered(state, event),
                Ok(Event::Failed {
                    id: Some(id),
                    message,
                }) if id == ASKED.with(Cell::get) => give_up(
                    state,
                    &format!("the evaluation worker could not load the model: {message}"),
                ),
                Ok(Event::Failed {
                    id: Some(id),
                    message,
                }) => failed(state, id, &message),
                Ok(Event::Failed { id: None, message }) => give_up(state, &message),
                _ => {}
            }
        }
    });
}

/// Posts what waits: only the model load while it is not loaded yet.
fn flush(worker: &EngineWorker, loads_only: bool) {
    let ready = LOADED.with(|l| l.get()) == ASKED.with(|a| a.get());
    let queued = QUEUE.with(|q| std::mem::take(&mut *q.borrow_mut()));
    for (text, buffers, is_load) in queued {
        if is_load || (ready && !loads_only) {
            if let Err(e) = worker.send_with_buffers(&text, &buffers) {
                leptos::logging::warn!("the evaluator: {e}");
            }
        } else {
            QUEUE.with(|q| q.borrow_mut().push((text, buffers, is_load)));
        }
    }
}

/// An evaluation came in: applied as the run's, and the run's end after it
/// when it was the last one out.
fn answered(state: AppState, event: Event) {
    let Event::Evaluated { id, step, .. } = &event else {
        return;
    };
    let id = *id;
    PENDING.with(|p| p.borrow_mut().remove(&(id, *step)));
    crate::engine::apply(state, event);
    release_done(state, id);
}

/// Applies run `id`'s held-back end once nothing of it is pending.
fn release_done(state: AppState, id: u64) {
    if PENDING.with(|p| p.borrow().iter().any(|(run, _)| *run == id)) {
        return;
    }
    let done = DONE.with(|d| {
        let mut d = d.borrow_mut();
        match &*d {
            Some(Event::TrainDone { id: run, .. }) if *run == id => d.take(),
            _ => None,
        }
    });
    if let Some(event) = done {
        crate::engine::apply(state, event);
    }
}

/// An evaluation of run `id` failed: the banner says why; the run goes on.
fn failed(state: AppState, id: u64, message: &str) {
    PENDING.with(|p| p.borrow_mut().retain(|(run, _)| *run != id));
    if state.training.with_untracked(|t| t.id == id) {
        state.notice.set(Some(Notice {
            error: true,
            text: format!("An evaluation of the run failed: {message}"),
        }));
    }
    release_done(state, id);
}

/// The evaluator is gone or cannot load the model: runs waiting on it get
/// no more evaluations, and later runs evaluate where they train.
fn give_up(state: AppState, message: &str) {
    BROKEN.with(|b| b.set(true));
    QUEUE.with(|q| q.borrow_mut().clear());
    let runs: HashSet<u64> = PENDING.with(|p| p.borrow().iter().map(|(run, _)| *run).collect());
    for id in runs {
        failed(state, id, message);
    }
}
