//! Integration tests of tooltune-gguf against fixtures made by gguf-py and
//! transformers (`tests/fixtures/gguf/make_fixtures.py`), one module per concern.

mod common;

mod errors;
mod metadata;
mod smollm2;
mod tiny_llama;
mod tokenizer;
mod types;
