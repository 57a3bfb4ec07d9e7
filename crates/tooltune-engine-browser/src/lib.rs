//! The engine's browser side: what a page needs to run `tooltune-engine`
//! (built for `wasm32-unknown-unknown` with wasm-bindgen's `--target web`)
//! without freezing its user interface.
//!
//! - [`init`] runs the module's static constructors once. Call it first in
//!   every wasm entry point, on the page and in each worker: without it every
//!   call from JavaScript into the module reruns ~4,900 of cubecl's
//!   constructors, which made each WebGPU tensor operation cost milliseconds
//!   of the caller's thread (see `ctors.rs`).
//! - [`EngineWorker`] (from `tooltune-worker`, which links no engine) runs
//!   the engine in a dedicated Web Worker, behind string messages (JSON of
//!   `tooltune_workspace::protocol`'s enums in the app) with optional byte
//!   buffers beside them (a model's files), so training and decoding never
//!   run on the page's thread ([`worker::serve`],
//!   [`worker::serve_with_buffers`] and [`worker::post`] are the worker's
//!   side; here they run [`init`] first).
//! - [`webgpu`] (feature `wgpu`) is the instance's WebGPU device, initialised
//!   once: WebGPU works on the page and in dedicated workers alike.
//!
//! The browser tests in `tests/` (run by `scripts/test-browser-engine.sh`)
//! check the engine in headless Chromium on the CPU fallback (burn-flex) and
//! on WebGPU, from a worker, and that the page's event loop stays free
//! meanwhile. On other targets this crate is empty.

#[cfg(target_arch = "wasm32")]
mod ctors;
mod error;
#[cfg(all(target_arch = "wasm32", feature = "wgpu"))]
mod webgpu;
#[cfg(target_arch = "wasm32")]
pub mod worker;

#[cfg(target_arch = "wasm32")]
pub use ctors::init;
pub use error::{BrowserError, Result};
#[cfg(all(target_arch = "wasm32", feature = "wgpu"))]
pub use webgpu::webgpu;
#[cfg(target_arch = "wasm32")]
pub use worker::EngineWorker;
