//! `tooltune-engine` in headless Chromium (wasm32), on the CPU fallback
//! (burn-flex, single-threaded) and on WebGPU (SwiftShader without a GPU):
//! the `llama-gqa` fixture loads from bytes, its logits match transformers'
//! within 1e-4, its greedy continuation is transformers', and five LoRA
//! training steps lower the loss (the same curve on both backends).
//!
//! - `in_worker`: the app's way, the engine in a dedicated worker
//!   (`EngineWorker`), on both backends; the page's event loop is watched
//!   meanwhile and must never be blocked for long (100 ms on the CPU
//!   fallback, 500 ms on WebGPU; measurements in `in_worker.rs`).
//! - `on_page`: the CPU fallback on the page's own thread, which it blocks
//!   for the length of each forward/backward (logged, not asserted).
//!
//! Every tensor read is awaited (`into_data_async`): a synchronous read
//! panics on WebGPU. Every test, and the worker's entry, first runs
//! `tooltune_engine_browser::init` (the module's static constructors).

#![cfg(target_arch = "wasm32")]

mod common;
mod in_worker;
mod on_page;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
