//! A dedicated Web Worker behind string messages (JSON of an app's message
//! enums in practice), with byte buffers beside them, transferred:
//! [`EngineWorker`] is the page's handle, [`worker::serve`],
//! [`worker::serve_with_buffers`] and [`worker::post`] the worker's side.
//!
//! It links no engine: the playground's page uses it to talk to the engine
//! worker, which is a wasm module of its own (`web/worker`), so the page's
//! module carries neither Burn nor cubecl. `tooltune-engine-browser`
//! re-exports it for workers that run the engine. On other targets this
//! crate is empty but for its error type.

mod error;
#[cfg(target_arch = "wasm32")]
pub mod link;
#[cfg(target_arch = "wasm32")]
pub mod worker;

pub use error::{Result, WorkerError};
#[cfg(target_arch = "wasm32")]
pub use worker::EngineWorker;
