//! The peer: a second engine worker that trains beside the first, each
//! step split between the two (data parallelism: each runs the forward and
//! backward passes of half the step's rows and sends its gradients to the
//! other over a channel of their own, and both apply the same update;
//! `tooltune_engine::train::part`). One wasm thread per worker, so on the
//! CPU path a run uses two cores instead of one, with the same losses as
//! `tooltune train` on two threads.
//!
//! Used on the CPU path (not WebGPU), for models small enough to load twice
//! (the evaluator's [`crate::evaluator::MODEL_LIMIT_BYTES`]), when the
//! browser has [`MIN_CORES`] cores or more; the Train panel's "Two training
//! workers" box (`localStorage["tooltune.peer"]`, [`SWITCH`], `on` or `off`)
//! overrides the core count. On two cores it is off by default: both cores
//! then run a worker, and the page's event loop was held up to 97–110 ms
//! (against 55–63 ms in one worker), past the 100 ms the page keeps to,
//! while training 1.4–1.55× faster (docs/SPEED.md). Since the worker
//! stores the checkpoints itself, two workers held it 41–75 ms on a Zen 4;
//! the default waits for a measurement on the Xeon (168 ms before).
//!
//! A split run's request waits here until the peer is up, has loaded the
//! model and is linked to the first worker; then the peer gets part 1 and
//! the first worker part 0, which reports the run as an unsplit run does.
//! If the peer cannot start or load, the run goes ahead unsplit; if it
//! fails during a run, the first worker is told ([`Request::LinkLost`]),
//! its part of the run ends, and the run goes on alone from its last
//! checkpoint ([`crate::recovery::peer_lost`]); later runs are not split.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Uint8Array;
use leptos::prelude::*;
use tooltune_worker::EngineWorker;
use tooltune_workspace::protocol::{Event, Request, Split};

use crate::state::{AppState, ModelStatus};

/// The `localStorage` key that, set to `on` or `off`, decides whether runs
/// are split with the peer, whatever the core count.
pub const SWITCH: &str = "tooltune.peer";

/// Cores (`navigator.hardwareConcurrency`) from which runs are split by
/// default: the page and two workers each get one.
pub const MIN_CORES: f64 = 3.0;

/// The peer's `self.name`.
pub const WORKER_NAME: &str = "tooltune-peer";

/// A split run's two requests, held until the peer is ready.
struct Held {
    primary: (String, Vec<Uint8Array>),
    peer: (String, Vec<Uint8Array>),
}

thread_local! {
    static WORKER: RefCell<Option<Rc<EngineWorker>>> = const { RefCell::new(None) };
    static STARTING: Cell<bool> = const { Cell::new(false) };
    /// The peer failed: runs are not split from now on.
    static BROKEN: Cell<bool> = const { Cell::new(false) };
    /// The load id of the model the peer was asked to load, and of the one
    /// it has loaded.
    static ASKED: Cell<u64> = const { Cell::new(0) };
    static LOADED: Cell<u64> = const { Cell::new(0) };
    /// The split run waiting for the peer.
    static HELD: RefCell<Option<Held>> = const { RefCell::new(None) };
    /// The last link session handed out.
    static SESSION: Cell<u64> = const { Cell::new(0) };
    /// The split run that lost the peer: its failure is a cue to go on
    /// alone from its checkpoint.
    static LOST: Cell<Option<u64>> = const { Cell::new(None) };
    /// The split run under way (its id), if any.
    static RUN: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Whether runs are to be split (see the module's notes).
pub fn wanted() -> bool {
    crate::storage::switch_or_cores(SWITCH, MIN_CORES)
}

/// Takes a [`Request::Train`] to split with the peer, when it is wanted and
/// can be: it is sent (both parts) once the peer is ready, and `true` is
/// returned; otherwise `false`, and the caller sends it as it is.
/// `buffers` (a resumed run's checkpoint) go with both parts.
pub fn take(state: AppState, request: &Request, buffers: &[Uint8Array]) -> bool {
    let Request::Train {
        id, split: None, ..
    } = request
    else {
        return false;
    };
    state.training.update(|t| {
        if t.id == *id {
            t.train_workers = 1;
        }
    });
    let on_cpu = state.model.with_untracked(|m| match m {
        ModelStatus::Ready(info) => info.backend.starts_with("CPU"),
        _ => false,
    });
    if !on_cpu || BROKEN.with(Cell::get) || !wanted() {
        return false;
    }
    let Some((load, files)) = crate::evaluator::kept_model() else {
        return false;
    };
    let load_id = match &load {
        Request::LoadModel { id, .. } => *id,
        _ => return false,
    };
    let session = SESSION.with(|s| {
        s.set(s.get() + 1);
        s.get()
    });
    let with_split = |part: usize, test: bool| {
        let mut r = request.clone();
        if let Request::Train {
            split,
            test: lines,
            eval_elsewhere,
            ..
        } = &mut r
        {
            *split = Some(Split {
                part,
                parts: 2,
                session,
            });
            if !test {
                lines.clear();
                *eval_elsewhere = false;
            }
        }
        serde_json::to_string(&r).unwrap_or_default()
    };
    let copies = |b: &[Uint8Array]| b.iter().map(|x| Uint8Array::new(x)).collect::<Vec<_>>();
    HELD.with(|h| {
        *h.borrow_mut() = Some(Held {
            primary: (with_split(0, true), copies(buffers)),
            peer: (with_split(1, false), copies(buffers)),
        })
    });
    RUN.with(|r| r.set(Some(*id)));
    state.training.update(|t| {
        if t.id == *id {
            t.train_workers = 2;
        }
    });
    match WORKER.with(|w| w.borrow().clone()) {
        Some(worker) => {
            if ASKED.with(Cell::get) != load_id {
                load_model(&worker, &load, files, load_id);
            } else {
                release(state, &worker);
            }
        }
        None => {
            ASKED.with(|a| a.set(0));
            start(state, load, files, load_id);
        }
    }
    true
}

/// Asks the peer to load the model (on the CPU path).
fn load_model(worker: &EngineWorker, load: &Request, files: Vec<Uint8Array>, load_id: u64) {
    ASKED.with(|a| a.set(load_id));
    let text = serde_json::to_string(load).unwrap_or_default();
    if let Err(e) = worker.send_with_buffers(&text, &files) {
        leptos::logging::warn!("the peer: {e}");
    }
}

/// Sends the held run, once the peer has the model: the link first, then
/// part 1 to the peer and part 0 to the first worker.
fn release(state: AppState, peer: &EngineWorker) {
    if LOADED.with(Cell::get) != ASKED.with(Cell::get) {
        return;
    }
    let Some(held) = HELD.with(|h| h.borrow_mut().take()) else {
        return;
    };
    let linked = crate::engine::link_with(peer).and_then(|()| {
        peer.send_with_buffers(&held.peer.0, &held.peer.1)
            .map_err(|e| e.to_string())
    });
    match linked {
        Ok(()) => crate::engine::send_text(state, held.primary.0, held.primary.1),
        Err(e) => {
            leptos::logging::warn!("the peer: {e}");
            give_up();
            unsplit(state, held);
        }
    }
}

/// Sends a held run to the first worker alone.
fn unsplit(state: AppState, held: Held) {
    let Ok(mut request) = serde_json::from_str::<Request>(&held.primary.0) else {
        return;
    };
    if let Request::Train { id, split, .. } = &mut request {
        *split = None;
        let id = *id;
        state.training.update(|t| {
            if t.id == id {
                t.train_workers = 1;
            }
        });
    }
    RUN.with(|r| r.set(None));
    crate::engine::send_text(
        state,
        serde_json::to_string(&request).unwrap_or_default(),
        held.primary.1,
    );
}

/// Starts the peer, has it load the model, and listens to it.
fn start(state: AppState, load: Request, files: Vec<Uint8Array>, load_id: u64) {
    if STARTING.with(|s| s.replace(true)) {
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let started = EngineWorker::start_named(&crate::engine::worker_script(), WORKER_NAME).await;
        STARTING.with(|s| s.set(false));
        let worker = match started {
            Ok(w) => Rc::new(w),
            Err(e) => {
                leptos::logging::warn!("the peer did not start: {e}");
                give_up();
                if let Some(held) = HELD.with(|h| h.borrow_mut().take()) {
                    unsplit(state, held);
                }
                return;
            }
        };
        WORKER.with(|w| *w.borrow_mut() = Some(worker.clone()));
        load_model(&worker, &load, files, load_id);
        loop {
            let text = match worker.recv().await {
                Ok(text) => text,
                Err(e) => {
                    WORKER.with(|w| *w.borrow_mut() = None);
                    lost(state, &format!("the second training worker stopped: {e}"));
                    return;
                }
            };
            match serde_json::from_str::<Event>(&text) {
                Ok(Event::ModelLoaded { id, .. }) => {
                    LOADED.with(|l| l.set(id));
                    release(state, &worker);
                }
                Ok(Event::Failed {
                    id: Some(id),
                    message,
                }) if id == ASKED.with(Cell::get) => {
                    leptos::logging::warn!("the peer could not load the model: {message}");
                    give_up();
                    if let Some(held) = HELD.with(|h| h.borrow_mut().take()) {
                        unsplit(state, held);
                    }
                }
                Ok(Event::Failed {
                    id: Some(id),
                    message,
                }) if RUN.with(Cell::get) == Some(id) => {
                    lost(
                        state,
                        &format!("the second training worker failed: {message}"),
                    );
                }
                Ok(Event::Failed { message, .. }) => {
                    leptos::logging::warn!("the peer: {message}");
                }
                _ => {}
            }
        }
    });
}

/// The peer failed: a run split with it fails (the first worker is told),
/// and later runs are not split.
fn lost(state: AppState, reason: &str) {
    give_up();
    if let Some(held) = HELD.with(|h| h.borrow_mut().take()) {
        unsplit(state, held);
        return;
    }
    if let Some(id) = RUN.with(Cell::take) {
        LOST.with(|l| l.set(Some(id)));
        let request = Request::LinkLost {
            reason: reason.to_string(),
        };
        crate::engine::send_text(
            state,
            serde_json::to_string(&request).unwrap_or_default(),
            Vec::new(),
        );
    }
}

fn give_up() {
    BROKEN.with(|b| b.set(true));
}

/// Sets the Train panel's "Two training workers" box: kept in this
/// browser, for later runs.
pub fn set_wanted(on: bool) {
    crate::storage::set_switch(SWITCH, on);
    if on {
        // A new try after the peer failed.
        BROKEN.with(|b| b.set(false));
    }
}

/// Drops run `id` if it is still waiting for the peer (stopped before it
/// began); returns whether it was.
pub fn drop_held(id: u64) -> bool {
    HELD.with(|h| {
        let mut h = h.borrow_mut();
        let held = h.as_ref().is_some_and(|held| {
            serde_json::from_str::<Request>(&held.primary.0)
                .is_ok_and(|r| matches!(r, Request::Train { id: run, .. } if run == id))
        });
        if held {
            *h = None;
            RUN.with(|r| r.set(None));
        }
        held
    })
}

/// Whether run `id` failed because the peer was lost (asked once).
pub fn lost_run(id: u64) -> bool {
    LOST.with(|l| {
        let lost = l.get() == Some(id);
        if lost {
            l.set(None);
        }
        lost
    })
}

/// A run ended: the peer's part of it is over too.
pub fn run_ended(id: u64) {
    RUN.with(|r| {
        if r.get() == Some(id) {
            r.set(None);
        }
    });
}
