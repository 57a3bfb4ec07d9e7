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

use crate::state::{Answer, AppState, Job, ModelStatus};

/// The app's wasm-bindgen glue, beside index.html.
const GLUE: &str = "./tooltune_web.js";

/// A request waiting for the worker to start.
type Queued = (String, Vec<js_sys::Uint8Array>);

thread_local! {
    static WORKER: RefCell<Option<Rc<EngineWorker>>> = const { RefCell::new(None) };
    static QUEUE: RefCell<Vec<Queued>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
    /// When each request id was sent, and what it asked (for try-it's answer).
    static SENT: RefCell<HashMap<u64, (f64, String)>> = RefCell::new(HashMap::new());
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
    if let Request::Route { id, request, .. } = request {
        SENT.with(|s| s.borrow_mut().insert(*id, (now_ms(), request.clone())));
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
        Event::ModelLoaded(info) => state.model.set(ModelStatus::Ready(info)),
        Event::Masked { tokens, .. } => state.mask.set(Job::Done(tokens)),
        Event::Routed {
            id,
            output,
            prompt_tokens,
            new_tokens,
            ms,
        } => {
            let (sent, request) = SENT
                .with(|s| s.borrow_mut().remove(&id))
                .unwrap_or((now_ms(), String::new()));
            state.answer.set(Job::Done(Answer {
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
            if SENT.with(|s| s.borrow_mut().remove(&id)).is_some() {
                state.answer.set(Job::Failed(message));
            } else {
                state.mask.set(Job::Failed(message));
            }
        }
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
