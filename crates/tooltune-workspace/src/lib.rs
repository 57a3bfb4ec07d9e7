//! tooltune-workspace: the playground's whole state as one value.
//!
//! A [`Workspace`] holds what a person edits — the tool catalogue (as typed),
//! the dataset rows, the system prompt, the output style, which model, the
//! training settings, the seed and which panels are shown. It goes in and
//! out through the same serde type everywhere: the share URL
//! ([`share::encode`], `#w=<base64url(deflate(json))>`, as TensorFlow
//! Playground keeps its state in the hash), autosave, and file
//! export/import (`.tooltune.json`). It is versioned: a state from an
//! unknown or newer version is refused with a message saying so.
//!
//! Beside it, what the page and its engine worker both need: the typed
//! worker messages ([`protocol`]), the dataset table's rows with their
//! import, export and lint ([`dataset`]), rows generated from templates
//! ([`generate`]), and the one "parse, validate,
//! show the call" step ([`verdict`]).
//!
//! Depends on tooltune-core only and builds for wasm32.

pub mod context;
pub mod dataset;
mod error;
pub mod generate;
pub mod memory;
pub mod metrics;
pub mod model_url;
pub mod protocol;
pub mod share;
pub mod training;
pub mod verdict;
mod workspace;

pub use dataset::Row;
pub use error::{Result, WorkspaceError};
pub use workspace::{
    CURRENT_VERSION, ModelRef, OutputStyle, PROJECTIONS, TrainMethod, TrainSettings, ViewFlags,
    Workspace, smoothed_loss_floor,
};
