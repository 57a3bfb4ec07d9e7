//! Integration tests of tooltune-engine against Hugging Face reference
//! outputs in `tests/fixtures/hf/` (made by `make_fixtures.py` there).

mod common;
mod decode;
mod lora;
mod parity;
mod weights;
