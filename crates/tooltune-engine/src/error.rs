//! The engine's error type: every variant names the file, key or tensor that
//! was wrong, so a bad checkpoint is reported, never a panic.

/// Result alias used across the engine.
pub type Result<T, E = EngineError> = core::result::Result<T, E>;

/// Everything that can go wrong while loading, adapting or running a model.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A JSON file (config, index, adapter config) could not be parsed.
    #[error("{file}: invalid JSON at `{path}`: {message}")]
    Json {
        /// File name, e.g. `config.json`.
        file: String,
        /// JSON path of the offending value (`.` for the document).
        path: String,
        /// What serde reported.
        message: String,
    },
    /// A config value is present but unusable.
    #[error("{file}: key `{key}`: {message}")]
    Config {
        /// File name, e.g. `config.json`.
        file: String,
        /// The JSON key that is wrong.
        key: String,
        /// Why it cannot be used.
        message: String,
    },
    /// A safetensors buffer is malformed.
    #[error("{file}: not a valid safetensors file: {message}")]
    Safetensors {
        /// File (or shard) name.
        file: String,
        /// What the safetensors parser reported.
        message: String,
    },
    /// A GGUF file does not read or convert.
    #[error("{file}: {message}")]
    Gguf {
        /// File name.
        file: String,
        /// What the GGUF reader reported (what and where).
        message: String,
    },
    /// A tensor the architecture needs is absent.
    #[error("{file}: missing tensor `{key}`")]
    MissingTensor {
        /// File, shard set or adapter the tensor was looked up in.
        file: String,
        /// Checkpoint key, e.g. `model.layers.0.self_attn.q_proj.weight`.
        key: String,
    },
    /// A tensor has the wrong shape.
    #[error("{file}: tensor `{key}` has shape {found:?}, expected {expected:?}")]
    ShapeMismatch {
        /// File the tensor came from.
        file: String,
        /// Checkpoint key.
        key: String,
        /// Shape the architecture needs.
        expected: Vec<usize>,
        /// Shape stored in the file.
        found: Vec<usize>,
    },
    /// A tensor is stored in a dtype the loader cannot convert to f32.
    #[error("{file}: tensor `{key}` has unsupported dtype {dtype}")]
    UnsupportedDtype {
        /// File the tensor came from.
        file: String,
        /// Checkpoint key.
        key: String,
        /// The stored dtype.
        dtype: String,
    },
    /// A sharded checkpoint's index names a shard that was not supplied.
    #[error("{file}: shard `{shard}` (holding `{key}`) was not provided")]
    MissingShard {
        /// The index file name.
        file: String,
        /// The shard file name from `weight_map`.
        shard: String,
        /// One tensor the index maps to that shard.
        key: String,
    },
    /// A LoRA adapter cannot be applied to this model.
    #[error("{file}: {message}")]
    Adapter {
        /// `adapter_config.json` or `adapter_model.safetensors`.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// Bad call-time input (token ids out of range, empty prompt, ...).
    #[error("invalid input: {0}")]
    Input(String),
    /// A chat template failed to compile or render (or raised an exception).
    #[error("chat template: {0}")]
    Template(String),
    /// `tokenizer.json` could not be loaded, or encoding/decoding failed.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A training or evaluation example cannot be used; `at` is `file:line`.
    #[error("{at}: {message}")]
    Example {
        /// Where the example was read (`file:line`).
        at: String,
        /// What is wrong with it.
        message: String,
    },
    /// Training produced a NaN or infinite loss.
    #[error(
        "the loss became {loss} at step {step}; training stopped (the last good adapter was kept)"
    )]
    NonFiniteLoss {
        /// Optimiser step (1-based) at which it happened.
        step: usize,
        /// The loss value.
        loss: f32,
    },
    /// A dataset or evaluation error from tooltune-core.
    #[error(transparent)]
    Core(#[from] tooltune_core::Error),
    /// Reading a tensor back from the device failed.
    #[error("reading tensor data from the device failed: {0}")]
    TensorRead(String),
    /// A compute backend could not be started (no adapter, no driver).
    #[error("backend `{backend}`: {message}")]
    Backend {
        /// The backend's name, e.g. `wgpu`.
        backend: String,
        /// What failed, with a hint at the fix.
        message: String,
    },
}

impl EngineError {
    /// Wraps a serde_json error for `file`, keeping the JSON path when known.
    pub(crate) fn json(file: &str, err: serde_path_to_error::Error<serde_json::Error>) -> Self {
        EngineError::Json {
            file: file.to_string(),
            path: err.path().to_string(),
            message: err.into_inner().to_string(),
        }
    }

    /// A [`EngineError::Config`] for `key` in `file`.
    pub(crate) fn config(file: &str, key: &str, message: impl Into<String>) -> Self {
        EngineError::Config {
            file: file.to_string(),
            key: key.to_string(),
            message: message.into(),
        }
    }
}

/// Parses `bytes` as JSON into `T`, reporting the JSON path of any error.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(file: &str, bytes: &[u8]) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| EngineError::json(file, e))
}
