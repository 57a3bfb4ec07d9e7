//! The browser side's error type.

/// Result alias of this crate.
pub type Result<T, E = BrowserError> = core::result::Result<T, E>;

/// What can go wrong starting or talking to the engine in the browser.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// WebGPU could not be initialised (no `navigator.gpu`, no adapter).
    #[error("WebGPU: {0}")]
    WebGpu(String),
    /// Starting or talking to the engine worker failed.
    #[error(transparent)]
    Worker(#[from] tooltune_worker::WorkerError),
}
