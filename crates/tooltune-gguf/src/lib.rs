//! tooltune-gguf: a small reader for GGUF, the llama.cpp model file format.
//!
//! It parses GGUF v2/v3 from a byte slice (so the same code runs natively and
//! in the browser on a file the user drops), dequantises tensors to f32, and
//! turns a Llama-architecture file into what a Hugging Face checkpoint would
//! hold: a `config.json`, tensors under `LlamaForCausalLM` names with
//! llama.cpp's Q/K row permutation undone, and a `tokenizer.json` /
//! `tokenizer_config.json` built from the `tokenizer.ggml.*` metadata.
//!
//! References: the GGUF spec (ggml `docs/gguf.md`), gguf-py's `gguf_reader.py`
//! and `quants.py` (the golden fixtures come from it), and llama.cpp's
//! `convert_hf_to_gguf.py` (`LlamaModel.permute`, the tokenizer keys).
//!
//! Nothing here panics on bad input: every size read from the file goes
//! through checked arithmetic, counts are capped by the bytes left, and each
//! error says what was being read and at which byte offset.

pub mod dequant;
pub mod error;
pub mod file;
pub mod llama;
mod reader;
pub mod tensor;
pub mod tokenizer;
pub mod types;
pub mod value;

pub use dequant::dequantize;
pub use error::{GgufError, Result};
pub use file::Gguf;
pub use llama::HfTensor;
pub use tensor::TensorInfo;
pub use types::GgmlType;
pub use value::Value;
