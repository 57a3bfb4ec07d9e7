//! The engine worker's channel (`tooltune-worker`), with the worker's side
//! running [`crate::init`] first: every instance that links the engine must
//! run its static constructors before anything else.

pub use tooltune_worker::worker::{EngineWorker, post, post_with_buffers};
pub use tooltune_worker::{WorkerError, link};

/// [`tooltune_worker::worker::serve`] after [`crate::init`].
pub fn serve(handler: impl FnMut(String) + 'static) {
    crate::init();
    tooltune_worker::worker::serve(handler);
}

/// [`tooltune_worker::worker::serve_with_buffers`] after [`crate::init`].
pub fn serve_with_buffers(handler: impl FnMut(String, Vec<Vec<u8>>) + 'static) {
    crate::init();
    tooltune_worker::worker::serve_with_buffers(handler);
}
