//! A training run outlives the page and the worker. Its record and adapter
//! checkpoints are kept ([`crate::run_store`]); after a reload the run comes
//! back interrupted, its checkpoint loaded as the fine-tuned model; when
//! the engine worker dies mid-run (a lost WebGPU device takes the wasm
//! instance with it), a new worker loads the model on the CPU and the run
//! goes on from its last checkpoint by itself.

use std::cell::Cell;

use leptos::prelude::*;
use tooltune_workspace::protocol::{BackendChoice, Request};

use crate::engine::{self, ADAPTER_IDS};
use crate::state::{AppState, Notice, Phase, Training};

thread_local! {
    /// Whether the stored run was looked at (on the first model load).
    static RESTORED: Cell<bool> = const { Cell::new(false) };
    /// Whether the user was told that runs are not kept.
    static KEEP_WARNED: Cell<bool> = const { Cell::new(false) };
    /// A run to go on with once the restarted worker has the model.
    static RESUME_ON_LOAD: Cell<bool> = const { Cell::new(false) };
    /// Restarts so far (a worker that dies on every start is not retried
    /// forever).
    static RESTARTS: Cell<u32> = const { Cell::new(0) };
}

/// Restarts tried before a dying worker is reported as a failure.
const MAX_RESTARTS: u32 = 2;

/// Saves the run for a reload once it has a checkpoint (the record alone
/// is no use without the adapter).
pub fn persist(t: &Training) {
    if t.checkpoint_step.is_some()
        && let Err(e) = crate::run_store::save(t)
    {
        leptos::logging::warn!("the run is not kept for a reload: {e}");
    }
}

/// Says once that the run cannot be kept across a reload.
pub fn keep_failed(state: AppState, why: &str) {
    if !KEEP_WARNED.with(|w| w.replace(true)) {
        state.notice.set(Some(Notice {
            error: true,
            text: format!("This run will not survive a reload: {why}"),
        }));
    }
}

/// Whether a model load named `model` is the restarted worker's, for a run
/// that goes on after it (its charts stay).
pub fn resuming(state: AppState, model: &str) -> bool {
    RESUME_ON_LOAD.with(Cell::get) && state.training.with_untracked(|t| t.model == model)
}

/// After a model has loaded: goes on with a run the worker's death cut
/// short, or (first load after a reload) brings the stored run back.
pub fn model_loaded(state: AppState, model: &str) {
    if RESUME_ON_LOAD.with(|r| r.replace(false)) {
        if state.training.with_untracked(|t| t.model == model) {
            resume(state);
        }
        return;
    }
    if RESTORED.with(|r| r.replace(true)) {
        return;
    }
    let Some(run) = crate::run_store::load().and_then(crate::run_store::restored) else {
        return;
    };
    if run.model != model {
        return;
    }
    let step = run.checkpoint_step.unwrap_or(0);
    let settings = run.settings.clone();
    state.training.set(run);
    wasm_bindgen_futures::spawn_local(async move {
        match crate::run_store::load_adapter(step).await {
            Ok(weights) => {
                let id = engine::next_id();
                ADAPTER_IDS.with(|a| a.borrow_mut().insert(id));
                let name = format!("checkpoint of step {step}");
                let request = Request::LoadCheckpoint { id, name, settings };
                engine::send(state, &request, vec![weights]);
            }
            Err(e) => state.training.update(|t| {
                t.phase = Phase::Failed(format!("the run's checkpoint could not be restored: {e}"))
            }),
        }
    });
}

/// Goes on with the interrupted run from its checkpoint, with the run's own
/// settings and rows (the workspace may have changed since).
pub fn resume(state: AppState) {
    let t = state.training.get_untracked();
    let (Some(step), Phase::Interrupted) = (t.checkpoint_step, &t.phase) else {
        return;
    };
    let id = engine::next_id();
    state.training.update(|t| {
        t.id = id;
        t.phase = Phase::Starting;
        t.cut_back_to(step);
    });
    wasm_bindgen_futures::spawn_local(async move {
        match crate::run_store::load_adapter(step).await {
            Ok(adapter) => engine::send(
                state,
                &Request::Train {
                    id,
                    settings: t.settings,
                    seed: t.seed,
                    train: t.train_lines,
                    test: t.test_lines,
                    context: t.context,
                    output_style: t.output_style,
                    resume_step: Some(step),
                    eval_elsewhere: false,
                    split: None,
                },
                vec![adapter],
            ),
            Err(e) => state.training.update(|t| t.phase = Phase::Failed(e)),
        }
    });
}

/// The second worker of a split run was lost (`message`): the run goes on
/// alone from its checkpoint, and the banner says so; returns whether it
/// did (else the failure is shown: no checkpoint yet).
pub fn peer_lost(state: AppState, message: &str) -> bool {
    let Some(step) = state.training.with_untracked(|t| t.checkpoint_step) else {
        return false;
    };
    state.training.update(|t| t.phase = Phase::Interrupted);
    state.notice.set(Some(Notice {
        error: true,
        text: format!(
            "{message}. The run goes on in one worker from its checkpoint at step {step}."
        ),
    }));
    resume(state);
    true
}

/// The worker died (`message`). During a run with a checkpoint: starts a
/// new worker, loads the model on the CPU and goes on from the checkpoint
/// once it is loaded; returns whether it did (else the failure is shown).
pub fn worker_died(state: AppState, message: &str) -> bool {
    let checkpoint = state.training.with_untracked(|t| {
        (t.busy() || t.phase == Phase::Paused)
            .then_some(t.checkpoint_step)
            .flatten()
    });
    let Some(step) = checkpoint else {
        return false;
    };
    if RESTARTS.with(|r| r.replace(r.get() + 1)) >= MAX_RESTARTS {
        return false;
    }
    // The charts are cut back to the checkpoint when the run goes on (a
    // later checkpoint may still be on its way to the cache).
    state.training.update(|t| t.phase = Phase::Interrupted);
    state.tuned.set(None);
    state.backend.set(BackendChoice::Cpu);
    state.notice.set(Some(Notice {
        error: true,
        text: format!(
            "The engine stopped during training ({message}). It is restarting on the CPU; \
             the run goes on from its checkpoint at step {step}."
        ),
    }));
    RESUME_ON_LOAD.with(|r| r.set(true));
    engine::start(state);
    crate::components::load_initial(state);
    true
}
