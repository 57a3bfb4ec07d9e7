//! The engine in a dedicated Web Worker, so the page's thread only renders.
//!
//! Burn's operations are synchronous: a training step, or the first use of a
//! WebGPU kernel (compiled on the CPU by cubecl), holds its thread from start
//! to end — seconds in a debug build. Run on the page, that freezes the
//! interface. Two ways to start one:
//!
//! - [`EngineWorker::start`] (the playground): the worker runs a wasm
//!   module of its own, so the page's module carries no engine. Its
//!   bootstrap script answers the page's `{tooltune: 'hello'}` with `ready`
//!   once its module is up.
//! - [`EngineWorker::spawn`] (the engine's browser tests): a module worker
//!   that imports the page's wasm-bindgen glue, instantiates the page's
//!   *own compiled module* (`wasm_bindgen::module()`, posted to the worker,
//!   so nothing is fetched or compiled twice) in a fresh instance with its
//!   own memory, and calls one exported function of it.
//!
//! Either way the worker's entry calls [`serve`]. From then on the two
//! sides exchange strings (JSON of a message enum in practice, as candle's
//! `candle-wasm-examples/llama2-c/src/worker.rs` does; the app's enums are
//! `tooltune_workspace::protocol`), optionally with byte buffers beside
//! them ([`EngineWorker::send_with_buffers`]: a model's files, transferred,
//! not copied, and never through JSON).
//!
//! WebGPU is available in dedicated workers (`WorkerNavigator.gpu`; wgpu's
//! web backend looks for it there), and tensor reads stay awaited
//! (`into_data_async`) there too.
//!
//! For a binary whose wasm-bindgen start function is `main` (a Leptos app)
//! started by [`EngineWorker::spawn`], the worker's instance runs `main` too
//! while initialising: it must return early when there is no `window` (e.g.
//! `js_sys::global()` is not a `Window`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::error::{Result, WorkerError};

/// The worker's first script (a module): waits for the page's start message,
/// imports the glue, instantiates the module, calls the entry, reports.
/// Control messages are objects tagged `tooltune`; the application's
/// messages are strings, or `{tooltune: 'message', text, buffers}` when
/// byte buffers travel with them.
const BOOTSTRAP: &str = r#"
self.onmessage = async (event) => {
  self.onmessage = null;
  const { glue, module, entry } = event.data;
  try {
    const bindings = await import(glue);
    await bindings.default({ module_or_path: module });
    if (typeof bindings[entry] !== 'function') {
      throw new Error('the module exports no function `' + entry + '`');
    }
    bindings[entry]();
    self.postMessage({ tooltune: 'ready' });
  } catch (error) {
    self.postMessage({ tooltune: 'failed', message: String((error && error.stack) || error) });
  }
};
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = Worker)]
    type JsWorker;
    #[wasm_bindgen(constructor, js_class = "Worker", catch)]
    fn new(url: &str, options: &JsValue) -> core::result::Result<JsWorker, JsValue>;
    #[wasm_bindgen(method, js_class = "Worker", js_name = postMessage, catch)]
    fn post_message(this: &JsWorker, message: &JsValue) -> core::result::Result<(), JsValue>;
    #[wasm_bindgen(method, js_class = "Worker", js_name = postMessage, catch)]
    fn post_message_with_transfer(
        this: &JsWorker,
        message: &JsValue,
        transfer: &Array,
    ) -> core::result::Result<(), JsValue>;
    #[wasm_bindgen(method, js_class = "Worker", setter)]
    fn set_onmessage(this: &JsWorker, handler: &Function);
    #[wasm_bindgen(method, js_class = "Worker", setter)]
    fn set_onerror(this: &JsWorker, handler: &Function);
    #[wasm_bindgen(method, js_class = "Worker")]
    fn terminate(this: &JsWorker);

    #[wasm_bindgen(js_name = Blob)]
    type JsBlob;
    #[wasm_bindgen(constructor, js_class = "Blob", catch)]
    fn new(parts: &Array, options: &JsValue) -> core::result::Result<JsBlob, JsValue>;
    #[wasm_bindgen(js_namespace = URL, js_name = createObjectURL, catch)]
    fn create_object_url(blob: &JsBlob) -> core::result::Result<String, JsValue>;
    #[wasm_bindgen(js_namespace = URL, js_name = revokeObjectURL)]
    fn revoke_object_url(url: &str);

    /// `postMessage` of the worker's global scope (worker side only).
    #[wasm_bindgen(js_name = postMessage, catch)]
    fn post_to_parent(message: &JsValue) -> core::result::Result<(), JsValue>;
    /// `postMessage` with a transfer list (worker side only).
    #[wasm_bindgen(js_name = postMessage, catch)]
    fn post_to_parent_with_transfer(
        message: &JsValue,
        transfer: &Array,
    ) -> core::result::Result<(), JsValue>;
}

/// What the page has received from the worker, in order.
enum Incoming {
    Ready,
    Message(String, Vec<js_sys::Uint8Array>),
    Failed(String),
}

#[derive(Default)]
struct Inbox {
    queue: VecDeque<Incoming>,
    waker: Option<Waker>,
}

impl Inbox {
    fn push(&mut self, item: Incoming) {
        self.queue.push_back(item);
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }
}

/// The page's handle on an engine worker; dropping it terminates the worker.
pub struct EngineWorker {
    worker: JsWorker,
    inbox: Rc<RefCell<Inbox>>,
    _on_message: Closure<dyn FnMut(JsValue)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

impl EngineWorker {
    /// Starts a dedicated worker running this same wasm module and calls its
    /// export `entry` (a `#[wasm_bindgen]` function that calls [`serve`]);
    /// returns once that call has returned.
    ///
    /// `glue` is the URL of the module's wasm-bindgen JavaScript (`--target
    /// web`), resolved against the page's address (`wasm-bindgen-test.js`
    /// under wasm-bindgen-test-runner).
    pub async fn spawn(glue: &str, entry: &str) -> Result<Self> {
        let start_error = start_error(entry);
        let glue = page_url(glue).map_err(|e| start_error(describe(&e)))?;
        let options = Object::new();
        set(&options, "type", &"text/javascript".into());
        let blob = JsBlob::new(&Array::of1(&BOOTSTRAP.into()), &options)
            .map_err(|e| start_error(describe(&e)))?;
        let url = create_object_url(&blob).map_err(|e| start_error(describe(&e)))?;
        let options = Object::new();
        set(&options, "type", &"module".into());
        set(&options, "name", &entry.into());
        let worker = JsWorker::new(&url, &options).map_err(|e| {
            revoke_object_url(&url);
            start_error(describe(&e))
        })?;
        let this = Self::attach(worker);
        let start = Object::new();
        set(&start, "glue", &glue.into());
        set(&start, "module", &wasm_bindgen::module());
        set(&start, "entry", &entry.into());
        let started = this.handshake(&start, entry).await;
        // Only now: a worker's script may still be loading after `new Worker`.
        revoke_object_url(&url);
        started.map(|()| this)
    }

    /// Starts a dedicated worker from the module script `script` (resolved
    /// against the page's address) and returns once its module is up. The
    /// script is a bootstrap that imports a wasm module of its own and calls
    /// its entry (which calls [`serve`]), keeps the page's messages until
    /// then, and answers `{tooltune: 'hello'}` with `{tooltune: 'ready'}`, or
    /// `{tooltune: 'failed', message}` when the module did not start.
    pub async fn start(script: &str) -> Result<Self> {
        Self::start_named(script, "tooltune-engine").await
    }

    /// [`Self::start`] with the worker named `name` (its `self.name`, shown
    /// by the browser's tools), to tell several apart.
    pub async fn start_named(script: &str, name: &str) -> Result<Self> {
        let start_error = start_error(script);
        let url = page_url(script).map_err(|e| start_error(describe(&e)))?;
        let options = Object::new();
        set(&options, "type", &"module".into());
        set(&options, "name", &name.into());
        let worker = JsWorker::new(&url, &options).map_err(|e| start_error(describe(&e)))?;
        let this = Self::attach(worker);
        let hello = Object::new();
        set(&hello, "tooltune", &"hello".into());
        this.handshake(&hello, script).await.map(|()| this)
    }

    /// Listens to `worker`'s messages and errors.
    fn attach(worker: JsWorker) -> Self {
        let inbox = Rc::new(RefCell::new(Inbox::default()));
        let on_message = {
            let inbox = inbox.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let data = get(&event, "data");
                let item = if let Some(text) = data.as_string() {
                    Incoming::Message(text, Vec::new())
                } else {
                    match get(&data, "tooltune").as_string().as_deref() {
                        Some("ready") => Incoming::Ready,
                        Some("message") => Incoming::Message(
                            get(&data, "text").as_string().unwrap_or_default(),
                            get(&data, "buffers")
                                .dyn_into::<Array>()
                                .map(|list| list.iter().map(as_bytes).collect())
                                .unwrap_or_default(),
                        ),
                        Some("failed") => Incoming::Failed(
                            get(&data, "message")
                                .as_string()
                                .unwrap_or_else(|| "(no message)".into()),
                        ),
                        // Not ours (e.g. a test harness's console relay).
                        _ => return,
                    }
                };
                inbox.borrow_mut().push(item);
            })
        };
        let on_error = {
            let inbox = inbox.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let message = get(&event, "message")
                    .as_string()
                    .unwrap_or_else(|| "uncaught error (no message)".into());
                let at = get(&event, "filename").as_string().unwrap_or_default();
                let line = get(&event, "lineno").as_f64().unwrap_or(0.0);
                inbox
                    .borrow_mut()
                    .push(Incoming::Failed(format!("{message} ({at}:{line})")));
            })
        };
        worker.set_onmessage(on_message.as_ref().unchecked_ref());
        worker.set_onerror(on_error.as_ref().unchecked_ref());
        Self {
            worker,
            inbox,
            _on_message: on_message,
            _on_error: on_error,
        }
    }

    /// Posts the control message `first` and waits for `ready`.
    async fn handshake(&self, first: &Object, entry: &str) -> Result<()> {
        let start_error = start_error(entry);
        self.worker
            .post_message(first)
            .map_err(|e| start_error(describe(&e)))?;
        match self.next().await {
            Incoming::Ready => Ok(()),
            Incoming::Failed(message) => Err(start_error(message)),
            Incoming::Message(text, _) => Err(start_error(format!(
                "sent `{text}` before its entry function returned"
            ))),
        }
    }

    /// Posts a message to the worker's [`serve`] handler.
    pub fn send(&self, message: &str) -> Result<()> {
        self.worker
            .post_message(&message.into())
            .map_err(|e| WorkerError::Post(describe(&e)))
    }

    /// Posts a message with byte buffers (e.g. a model's files read by the
    /// page) to the worker's [`serve_with_buffers`] handler. The buffers'
    /// memory is transferred to the worker, not copied: they are empty
    /// (detached) on the page afterwards.
    pub fn send_with_buffers(&self, message: &str, buffers: &[js_sys::Uint8Array]) -> Result<()> {
        let list = Array::new();
        let transfer = Array::new();
        for b in buffers {
            list.push(b);
            transfer.push(&b.buffer());
        }
        let envelope = Object::new();
        set(&envelope, "tooltune", &"message".into());
        set(&envelope, "text", &message.into());
        set(&envelope, "buffers", &list);
        self.worker
            .post_message_with_transfer(&envelope, &transfer)
            .map_err(|e| WorkerError::Post(describe(&e)))
    }

    /// Links this worker and `other` by a channel of their own (a
    /// `MessageChannel`, one port to each; see [`crate::link`]), replacing
    /// any earlier link of either.
    pub fn link(&self, other: &EngineWorker) -> Result<()> {
        let channel = Reflect::construct(
            &get(&js_sys::global(), "MessageChannel")
                .dyn_into::<Function>()
                .map_err(|e| WorkerError::Post(describe(&e)))?,
            &Array::new(),
        )
        .map_err(|e| WorkerError::Post(describe(&e)))?;
        for (worker, port) in [(self, "port1"), (other, "port2")] {
            let port = get(&channel, port);
            let message = Object::new();
            set(&message, "tooltune", &"link".into());
            set(&message, "port", &port);
            worker
                .worker
                .post_message_with_transfer(&message, &Array::of1(&port))
                .map_err(|e| WorkerError::Post(describe(&e)))?;
        }
        Ok(())
    }

    /// The worker's next message ([`post`]), awaited without blocking; an
    /// error once the worker has panicked or raised an uncaught error.
    pub async fn recv(&self) -> Result<String> {
        self.recv_with_buffers().await.map(|(text, _)| text)
    }

    /// [`Self::recv`] with the byte buffers the worker sent beside the
    /// message ([`post_with_buffers`]; none for [`post`]), transferred, not
    /// copied.
    pub async fn recv_with_buffers(&self) -> Result<(String, Vec<js_sys::Uint8Array>)> {
        match self.next().await {
            Incoming::Message(text, buffers) => Ok((text, buffers)),
            Incoming::Failed(message) => Err(WorkerError::Failed(message)),
            Incoming::Ready => Err(WorkerError::Failed(
                "started twice (unexpected `ready`)".into(),
            )),
        }
    }

    async fn next(&self) -> Incoming {
        poll_fn(|cx| {
            let mut inbox = self.inbox.borrow_mut();
            match inbox.queue.pop_front() {
                Some(item) => Poll::Ready(item),
                None => {
                    inbox.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }
}

impl Drop for EngineWorker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// Worker side: hands every message from the page to
/// `handler`, and reports a panic to the page (whose
/// [`EngineWorker::recv`] then fails with its message) before the instance
/// aborts. Call it from the entry function named in
/// [`EngineWorker::spawn`]; the handler typically decodes a request and
/// `spawn_local`s the async work, [`post`]ing progress and results.
pub fn serve(mut handler: impl FnMut(String) + 'static) {
    serve_with_buffers(move |text, _| handler(text));
}

/// [`serve`] for messages that may carry byte buffers
/// ([`EngineWorker::send_with_buffers`]; none for [`EngineWorker::send`]).
pub fn serve_with_buffers(mut handler: impl FnMut(String, Vec<Vec<u8>>) + 'static) {
    std::panic::set_hook(Box::new(|info| {
        let failed = Object::new();
        set(&failed, "tooltune", &"failed".into());
        set(&failed, "message", &format!("panicked: {info}").into());
        let _ = post_to_parent(&failed);
    }));
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let data = get(&event, "data");
        if let Some(text) = data.as_string() {
            handler(text, Vec::new());
        } else if get(&data, "tooltune").as_string().as_deref() == Some("message") {
            let text = get(&data, "text").as_string().unwrap_or_default();
            let buffers = get(&data, "buffers")
                .dyn_into::<Array>()
                .map(|list| {
                    list.iter()
                        .map(|b| js_sys::Uint8Array::new(&b).to_vec())
                        .collect()
                })
                .unwrap_or_default();
            handler(text, buffers);
        } else if get(&data, "tooltune").as_string().as_deref() == Some("link") {
            crate::link::attach(get(&data, "port"));
        }
    });
    set(&js_sys::global(), "onmessage", on_message.as_ref());
    // Lives as long as the worker.
    on_message.forget();
}

/// Worker side: posts a message to the page (its [`EngineWorker::recv`]).
pub fn post(message: &str) -> Result<()> {
    post_to_parent(&message.into()).map_err(|e| WorkerError::Post(describe(&e)))
}

/// Worker side: posts a message with byte buffers beside it (its
/// [`EngineWorker::recv_with_buffers`]): each is copied once out of the
/// wasm memory and transferred, so the page neither parses nor decodes
/// it (megabytes of weights in the JSON cost the page's thread hundreds
/// of milliseconds).
pub fn post_with_buffers(message: &str, buffers: &[&[u8]]) -> Result<()> {
    let list = Array::new();
    let transfer = Array::new();
    for b in buffers {
        let array = js_sys::Uint8Array::from(*b);
        transfer.push(&array.buffer());
        list.push(&array);
    }
    let envelope = Object::new();
    set(&envelope, "tooltune", &"message".into());
    set(&envelope, "text", &message.into());
    set(&envelope, "buffers", &list);
    post_to_parent_with_transfer(&envelope, &transfer).map_err(|e| WorkerError::Post(describe(&e)))
}

/// A transferred buffer as bytes: the `Uint8Array` itself, as
/// [`post_with_buffers`] sends them (`new Uint8Array(array)` would copy it:
/// 30 ms on the page's thread for a full fine-tune's checkpoint), or a
/// view of an `ArrayBuffer`.
fn as_bytes(buffer: JsValue) -> js_sys::Uint8Array {
    buffer
        .dyn_into::<js_sys::Uint8Array>()
        .unwrap_or_else(|other| js_sys::Uint8Array::new(&other))
}

/// Makes `WorkerError::Start` errors for the worker started as `entry`.
fn start_error(entry: &str) -> impl Fn(String) -> WorkerError + '_ {
    move |message| WorkerError::Start {
        entry: entry.to_string(),
        message,
    }
}

/// `relative` resolved against the page's address.
fn page_url(relative: &str) -> core::result::Result<String, JsValue> {
    let base = get(&get(&js_sys::global(), "location"), "href");
    let url = js_sys::Reflect::construct(
        &get(&js_sys::global(), "URL").dyn_into::<Function>()?,
        &Array::of2(&relative.into(), &base),
    )?;
    Ok(get(&url, "href").as_string().unwrap_or_default())
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Only fails on frozen objects or throwing setters, which these are not.
    let _ = Reflect::set(target, &key.into(), value);
}

fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}
