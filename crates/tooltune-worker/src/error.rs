//! What can go wrong starting or talking to a worker.

/// Result alias of this crate.
pub type Result<T, E = WorkerError> = core::result::Result<T, E>;

/// What can go wrong starting or talking to the engine worker.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The worker could not be created or its module not instantiated.
    #[error("engine worker `{entry}` did not start: {message}")]
    Start {
        /// The exported function (or script) the worker was to run.
        entry: String,
        /// What the browser or the bootstrap script reported.
        message: String,
    },
    /// The worker panicked or raised an uncaught error; it is unusable now.
    #[error("engine worker failed: {0}")]
    Failed(String),
    /// A newer session began on a link while this one waited on it
    /// ([`crate::link::recv`]).
    #[error("a newer run began on the linked workers")]
    Superseded,
    /// A message could not be posted (e.g. the worker was terminated).
    #[error("posting to the engine worker failed: {0}")]
    Post(String),
}
