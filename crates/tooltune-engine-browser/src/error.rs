//! The browser side's error type.

/// Result alias of this crate.
pub type Result<T, E = BrowserError> = core::result::Result<T, E>;

/// What can go wrong starting or talking to the engine in the browser.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// WebGPU could not be initialised (no `navigator.gpu`, no adapter).
    #[error("WebGPU: {0}")]
    WebGpu(String),
    /// The worker could not be created or its module not instantiated.
    #[error("engine worker `{entry}` did not start: {message}")]
    WorkerStart {
        /// The exported function the worker was to call.
        entry: String,
        /// What the browser or the bootstrap script reported.
        message: String,
    },
    /// The worker panicked or raised an uncaught error; it is unusable now.
    #[error("engine worker failed: {0}")]
    WorkerFailed(String),
    /// A message could not be posted (e.g. the worker was terminated).
    #[error("posting to the engine worker failed: {0}")]
    Post(String),
}
