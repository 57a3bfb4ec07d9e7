//! tooltune-core: the data layer of tooltune.
//!
//! Tool catalogues (OpenAI `tools`, bare functions, BFCL's dialect) normalised to
//! JSON Schema; datasets in the OpenAI chat fine-tuning format, the router format
//! and BFCL; a linter; a strict parser from raw model text to tool calls; and the
//! four-metric evaluator of the tool-use lesson (valid-tool-call rate, tool-name
//! accuracy, argument-match accuracy, false-tool-call rate).
//!
//! Everything takes bytes or values, never paths, so the same code runs in the CLI
//! and in the browser.

pub mod call;
pub mod catalogue;
pub mod choices;
pub mod constrain;
pub mod dataset;
pub mod error;
pub mod eval;
pub mod json;
pub mod lint;
mod par;
pub mod parse;
pub mod prompt;

pub use call::{Target, ToolCall};

/// The projections of a Llama-family layer a LoRA adapter may target, in
/// checkpoint naming: the engine's `lora::PROJECTIONS` and the page's
/// choices (`tooltune_workspace::PROJECTIONS`), here because both sides
/// depend on this crate and the page's module links no engine.
pub const LORA_PROJECTIONS: [&str; 7] = [
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
];
pub use catalogue::Catalogue;
pub use error::{Error, Location, Result};
