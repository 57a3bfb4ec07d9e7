//! Static constructors of the wasm module, run once.
//!
//! cubecl registers its kernel-IR dialects with the `inventory` crate, whose
//! registrations are static constructors (`.init_array`, 4,892 of them in
//! the WebGPU build). wasm-ld runs constructors from a synthetic
//! `__wasm_call_ctors`, and when no code of the module calls that function it
//! treats the module as a "command" (as it does binaries and wasm-bindgen's
//! test harness) and wraps *every export* in a call to it (the
//! `*.command_export` functions in a profile), expecting one call per
//! instance. A wasm-bindgen module is entered from JavaScript constantly —
//! each JavaScript object handed to Rust allocates an `externref` slot
//! through an export — so every WebGPU call reran all constructors. Measured
//! in headless Chromium (SwiftShader): a tensor operation cost 4-9 ms of the
//! calling thread (1,000 scalar ops: ~4.2 s), a fixture LoRA step 4-6 s
//! instead of ~0.3 s; in a CPU profile `__wasm_call_ctors` and
//! `inventory::Registry::submit` took over half the samples. Release builds
//! were no faster.
//!
//! Calling `__wasm_call_ctors` ourselves, from [`init`], makes wasm-ld see
//! the module as a "reactor" that runs its constructors itself: exports are
//! no longer wrapped (1,000 ops: ~0.15 s). The flip side is that now nothing
//! else runs them, hence: call [`init`] before anything else, in every
//! instance (page and worker). inventory's own documentation recommends the
//! same (`inventory` 0.3, "WebAssembly and constructors").

use std::sync::Once;

unsafe extern "C" {
    /// Synthesised by wasm-ld: calls every static constructor of the module.
    fn __wasm_call_ctors();
}

/// Runs the module's static constructors, once per instance (later calls do
/// nothing). Call it first in every entry point of a wasm module that links
/// the engine — the page's `main`, each worker's entry, each browser test —
/// before any tensor is made.
pub fn init() {
    static CTORS: Once = Once::new();
    // SAFETY: the constructors are meant to run exactly once, before other
    // code of the module; `Once` guarantees the first and prevents a rerun.
    CTORS.call_once(|| unsafe { __wasm_call_ctors() });
}
