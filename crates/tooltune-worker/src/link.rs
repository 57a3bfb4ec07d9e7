//! A direct channel between two workers (a `MessageChannel`), for work
//! split between them: the page links two workers once
//! ([`crate::EngineWorker::link`]), and from then on they send each other
//! byte messages without the page's thread ([`send`], [`recv`]).
//!
//! Every message belongs to a *session* (a training run's id): [`recv`]
//! returns the oldest message of its session, drops those of older
//! sessions, and fails once a newer session has begun ([`begin`]) or the
//! page said the other worker is gone ([`lose`]), so a run left waiting
//! never takes the next run's messages.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::task::{Poll, Waker};

use js_sys::{Array, Function, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::error::{Result, WorkerError};

#[derive(Default)]
struct Link {
    port: Option<JsValue>,
    /// (session, bytes), oldest first.
    inbox: VecDeque<(u64, Vec<u8>)>,
    wakers: Vec<Waker>,
    /// Why the other side is gone, once it is.
    lost: Option<String>,
    /// Keeps the port's message handler alive.
    _on_message: Option<Closure<dyn FnMut(JsValue)>>,
}

thread_local! {
    static LINK: RefCell<Link> = RefCell::new(Link::default());
    /// The newest session begun on this side.
    static SESSION: Cell<u64> = const { Cell::new(0) };
}

/// Worker side: takes the port the page sent (`{tooltune: 'link', port}`),
/// replacing any earlier link.
pub(crate) fn attach(port: JsValue) {
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let data = Reflect::get(&event, &"data".into()).unwrap_or(JsValue::UNDEFINED);
        let session = Reflect::get(&data, &"session".into())
            .ok()
            .and_then(|s| s.as_f64())
            .unwrap_or(0.0) as u64;
        let bytes = Reflect::get(&data, &"bytes".into())
            .map(|b| Uint8Array::new(&b).to_vec())
            .unwrap_or_default();
        LINK.with(|l| {
            let mut l = l.borrow_mut();
            l.inbox.push_back((session, bytes));
            l.wakers.drain(..).for_each(Waker::wake);
        });
    });
    let _ = Reflect::set(&port, &"onmessage".into(), on_message.as_ref());
    LINK.with(|l| {
        let mut l = l.borrow_mut();
        l.port = Some(port);
        l.lost = None;
        l.inbox.clear();
        l._on_message = Some(on_message);
    });
}

/// Whether this worker has been linked to another.
pub fn linked() -> bool {
    LINK.with(|l| l.borrow().port.is_some())
}

/// Begins session `session` on this side: messages of older sessions are
/// dropped, and a [`recv`] still waiting for one fails.
pub fn begin(session: u64) {
    SESSION.with(|s| s.set(session));
    LINK.with(|l| {
        let mut l = l.borrow_mut();
        l.inbox.retain(|(s, _)| *s >= session);
        l.lost = None;
        l.wakers.drain(..).for_each(Waker::wake);
    });
}

/// The page says the other worker is gone: every [`recv`] fails with
/// `reason` until the next [`begin`].
pub fn lose(reason: &str) {
    LINK.with(|l| {
        let mut l = l.borrow_mut();
        l.lost = Some(reason.to_string());
        l.wakers.drain(..).for_each(Waker::wake);
    });
}

/// Sends `bytes` of session `session` to the linked worker (copied once out
/// of the wasm memory and transferred).
pub fn send(session: u64, bytes: &[u8]) -> Result<()> {
    let port = LINK
        .with(|l| l.borrow().port.clone())
        .ok_or_else(|| WorkerError::Post("this worker is linked to no other".into()))?;
    let array = Uint8Array::from(bytes);
    let message = js_sys::Object::new();
    let _ = Reflect::set(&message, &"session".into(), &(session as f64).into());
    let _ = Reflect::set(&message, &"bytes".into(), &array);
    let post = Reflect::get(&port, &"postMessage".into())
        .and_then(|f| f.dyn_into::<Function>())
        .map_err(|e| WorkerError::Post(format!("{e:?}")))?;
    post.call2(&port, &message, &Array::of1(&array.buffer()))
        .map(|_| ())
        .map_err(|e| WorkerError::Post(format!("{e:?}")))
}

/// The oldest message of session `session` from the linked worker, awaited;
/// [`WorkerError::Superseded`] once a newer session began, and
/// [`WorkerError::Failed`] once the other worker is gone.
pub async fn recv(session: u64) -> Result<Vec<u8>> {
    poll_fn(|cx| {
        if SESSION.with(Cell::get) != session {
            return Poll::Ready(Err(WorkerError::Superseded));
        }
        LINK.with(|l| {
            let mut l = l.borrow_mut();
            if let Some(reason) = &l.lost {
                return Poll::Ready(Err(WorkerError::Failed(reason.clone())));
            }
            l.inbox.retain(|(s, _)| *s >= session);
            if let Some(i) = l.inbox.iter().position(|(s, _)| *s == session) {
                let (_, bytes) = l.inbox.remove(i).expect("found");
                return Poll::Ready(Ok(bytes));
            }
            l.wakers.push(cx.waker().clone());
            Poll::Pending
        })
    })
    .await
}
