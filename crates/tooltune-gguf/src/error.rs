//! The crate's one error type. Every variant says what was wrong and where:
//! the metadata key or tensor name, and the byte offset in the file.

/// Result alias for this crate.
pub type Result<T, E = GgufError> = std::result::Result<T, E>;

/// Everything that can go wrong reading a GGUF file or mapping it to
/// Hugging Face form.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GgufError {
    /// The file does not start with `GGUF`.
    #[error("not a GGUF file: the first four bytes are {found:02x?}, expected \"GGUF\"")]
    BadMagic {
        /// The bytes found (fewer than four if the input is shorter).
        found: Vec<u8>,
    },
    /// A GGUF version this reader does not read (it reads 2 and 3).
    #[error("GGUF version {version} is not supported (this reader reads versions 2 and 3){hint}")]
    UnsupportedVersion {
        /// The version field as read (little-endian).
        version: u32,
        /// Extra explanation, e.g. that the file looks big-endian.
        hint: String,
    },
    /// The file ends before something it declares.
    #[error(
        "file truncated while reading {what} at byte offset {offset}: need {needed} bytes, {available} left"
    )]
    Truncated {
        /// What was being read: "metadata key #3", "value of key `general.name`",
        /// "data of tensor `blk.0.attn_q.weight`", ...
        what: String,
        /// Byte offset where the read started.
        offset: u64,
        /// Bytes needed.
        needed: u64,
        /// Bytes left in the file from `offset`.
        available: u64,
    },
    /// A metadata value type id that GGUF does not define.
    #[error("metadata key `{key}` at byte offset {offset}: unknown value type {type_id}")]
    BadMetadataType {
        /// The key whose value (or array element type) is bad.
        key: String,
        /// The type id found.
        type_id: u32,
        /// Byte offset of the type id.
        offset: u64,
    },
    /// Arrays nested deeper than the reader allows.
    #[error("metadata key `{key}` at byte offset {offset}: arrays nested deeper than {limit}")]
    NestingTooDeep {
        /// The key holding the array.
        key: String,
        /// Byte offset of the innermost array header.
        offset: u64,
        /// The nesting limit.
        limit: usize,
    },
    /// A string (key, value or tensor name) that is not UTF-8.
    #[error("{what} at byte offset {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// Which string.
        what: String,
        /// Byte offset of the string's bytes.
        offset: u64,
    },
    /// `general.alignment` is zero, not a power of two, or not an integer.
    #[error("general.alignment = {value} is not a power of two")]
    BadAlignment {
        /// The value found (as text, since its type may be wrong).
        value: String,
    },
    /// A tensor whose header does not describe a valid tensor.
    #[error("tensor `{name}`: {reason}")]
    InvalidTensor {
        /// The tensor's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A tensor type id that ggml does not define.
    #[error("tensor `{name}` has unknown ggml type id {type_id}")]
    UnknownTensorType {
        /// The tensor's name.
        name: String,
        /// The type id found.
        type_id: u32,
    },
    /// A ggml type this crate cannot dequantise.
    #[error(
        "tensor `{name}` has type {ty}, which this reader cannot dequantise (it reads F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K)"
    )]
    UnsupportedTensorType {
        /// The tensor's name (or "<bytes>" for raw calls).
        name: String,
        /// The type's ggml name, e.g. `IQ2_XXS`.
        ty: String,
    },
    /// No tensor of that name in the file.
    #[error("no tensor named `{name}`")]
    NoSuchTensor {
        /// The requested name.
        name: String,
    },
    /// Raw dequantisation input of the wrong size.
    #[error("{ty} data for {n_elements} elements must be {expected} bytes, got {got}")]
    WrongDataSize {
        /// The ggml type.
        ty: String,
        /// Elements requested.
        n_elements: u64,
        /// Bytes that many elements take.
        expected: u64,
        /// Bytes given.
        got: u64,
    },
    /// A metadata key the mapping needs is absent.
    #[error("metadata key `{key}` is missing")]
    MissingKey {
        /// The key.
        key: String,
    },
    /// A metadata key has a value of the wrong type or range.
    #[error("metadata key `{key}`: expected {expected}, found {found}")]
    WrongKeyType {
        /// The key.
        key: String,
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },
    /// `general.architecture` is not one this crate maps.
    #[error(
        "general.architecture is `{architecture}`; only `llama` can be mapped to Hugging Face form"
    )]
    UnsupportedArchitecture {
        /// The architecture found.
        architecture: String,
    },
    /// A tensor name the Llama mapping does not know.
    #[error("tensor `{name}` has no Hugging Face Llama name ({reason})")]
    UnmappedTensor {
        /// The GGUF tensor name.
        name: String,
        /// Why it cannot be mapped.
        reason: String,
    },
    /// A tokenizer this crate cannot turn into `tokenizer.json`.
    #[error("{what} `{value}` is not supported: {reason}")]
    UnsupportedTokenizer {
        /// `tokenizer.ggml.model` or `tokenizer.ggml.pre`.
        what: String,
        /// The value found.
        value: String,
        /// What is supported instead.
        reason: String,
    },
}
