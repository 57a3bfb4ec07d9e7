//! Integration tests of tooltune-engine against Hugging Face reference
//! outputs in `tests/fixtures/hf/` (made by `make_fixtures.py` there).

mod common;
mod constrain;
mod decision;
mod decode;
mod gguf;
mod lora;
mod mask;
mod parity;
mod quality;
mod templates;
mod train;
mod weights;
#[cfg(feature = "wgpu")]
mod wgpu;
