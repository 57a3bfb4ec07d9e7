//! `tooltune import FILE.gguf --out DIR [--dtype f16|f32]`: a GGUF file as
//! a Hugging Face folder (config.json, model.safetensors, tokenizer.json,
//! tokenizer_config.json with the chat template), which transformers and
//! every tooltune command load.

use anyhow::{Context, Result};
use std::process::ExitCode;
use std::time::Instant;
use tooltune_engine::weights::gguf::{StoreAs, gguf_to_hf};

use crate::args::ImportArgs;
use crate::io;

pub fn run(a: ImportArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let bytes = io::read(&a.file)?;
    let store = if a.dtype == "f32" {
        StoreAs::F32
    } else {
        StoreAs::F16
    };
    let folder = gguf_to_hf(&io::name(&a.file), &bytes, store)?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let mut total = 0;
    for (name, data) in folder.files() {
        io::write_bytes(&a.out.join(name), data)?;
        total += data.len();
    }
    eprintln!(
        "imported {} into {} ({:.1} MB, {}, {:.1} s)",
        a.file.display(),
        a.out.display(),
        total as f64 / 1e6,
        a.dtype,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
