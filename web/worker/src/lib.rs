//! The playground's engine worker: a wasm module of its own, started by the
//! page through its bootstrap (`web/worker.js`). It holds the model and answers the page's
//! `tooltune_workspace::protocol::Request`s with `Event`s ([`worker`]):
//! load, tokenise, mask, generate, train and evaluate ([`train`],
//! [`train_eval`]), on WebGPU or the CPU ([`backend`]). The page's module
//! links none of this: it downloads and compiles in a third of the time.

#[cfg(target_arch = "wasm32")]
mod backend;
#[cfg(target_arch = "wasm32")]
mod store;
#[cfg(target_arch = "wasm32")]
mod train;
#[cfg(target_arch = "wasm32")]
mod train_eval;
#[cfg(target_arch = "wasm32")]
mod worker;
#[cfg(target_arch = "wasm32")]
mod yielding;

#[cfg(target_arch = "wasm32")]
pub use worker::tooltune_engine_worker;
