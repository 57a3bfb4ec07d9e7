//! `tooltune import FILE.gguf --out DIR [--dtype f16|f32]`: a GGUF file as
//! a Hugging Face folder (config.json, model.safetensors, tokenizer.json,
//! tokenizer_config.json with the chat template), which transformers and
//! every tooltune command load.

use anyhow::{Context, Result, bail};
use std::process::ExitCode;
use std::time::Instant;
use tooltune_engine::weights::gguf::{StoreAs, gguf_to_hf};

use crate::args::ImportArgs;
use crate::{io, model};
use tooltune_workspace::model_url;

pub fn run(a: ImportArgs) -> Result<ExitCode> {
    let started = Instant::now();
    if let Some(url) = a.file.to_str().filter(|f| model_url::is_url(f))
        && !model_url::is_gguf_url(url)
    {
        bail!(
            "import takes a .gguf file or its URL; {url} names a model folder, which every \
             command loads as it is (--model {url})"
        );
    }
    let file = model::resolve(&a.file)?;
    let bytes = io::read(&file)?;
    let store = if a.dtype == "f32" {
        StoreAs::F32
    } else {
        StoreAs::F16
    };
    let folder = gguf_to_hf(&io::name(&file), &bytes, store)?;
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
