//! Browser tests of `tooltune-engine` (no library code): the engine built
//! for `wasm32-unknown-unknown`, run by `wasm-bindgen-test-runner` in
//! headless Chromium. They load a fixture model from bytes, compare its
//! logits with Hugging Face transformers' and train LoRA adapters for a few
//! steps, on the CPU fallback (burn-flex) and, with the `wgpu` feature, on
//! WebGPU. See `tests/browser.rs` and `scripts/test-browser-engine.sh`.
