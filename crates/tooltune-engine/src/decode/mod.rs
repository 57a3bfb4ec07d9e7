//! Decoding beside the model (as candle's `generation` module): a token
//! loop over [`LlamaForCausalLM`](crate::LlamaForCausalLM) with a KV cache,
//! greedy selection, stop conditions, and a [`LogitsProcessor`] hook where
//! constrained decoding (e.g. a JSON grammar for tool calls) plugs in.

pub mod constrain;
mod decision;
mod greedy;
pub mod prefix;
mod processor;

pub use constrain::Constrained;
pub use decision::CallDecision;
pub use greedy::{
    GenerateConfig, Generation, Prefill, StopReason, argmax, generate, generate_async,
    generate_batch, generate_batch_async, generate_keeping_prefill, generate_keeping_prefill_async,
};
pub use processor::{LogitsProcessor, SuppressTokens};
