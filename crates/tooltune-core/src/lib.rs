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
pub mod dataset;
pub mod error;
pub mod eval;
pub mod json;
pub mod lint;
mod par;
pub mod parse;
pub mod prompt;

pub use call::{Target, ToolCall};
pub use catalogue::Catalogue;
pub use error::{Error, Location, Result};
