//! `tooltune generate --model DIR [--adapter DIR] (--prompt TEXT | --prompt-ids 1,2,3)
//! [--max-new-tokens N] [--ignore-eos] [--json]`: the raw greedy continuation.

use anyhow::{Result, anyhow, bail};
use serde_json::json;
use std::process::ExitCode;
use tooltune_engine::assistant::stop_ids;
use tooltune_engine::decode::{GenerateConfig, generate};

use crate::args::GenerateArgs;
use crate::{io, model};

pub fn run(a: GenerateArgs) -> Result<ExitCode> {
    let device = tooltune_engine::backend_device(&a.model.backend).map_err(|e| anyhow!(e))?;
    let text = model::load_text(&a.model.model)?;
    let mut m = model::load_model(&a.model.model, None, &device)?;
    if let Some(dir) = &a.adapter {
        m = model::load_adapter(m, dir)?;
    }
    let prompt = match (&a.prompt, &a.prompt_ids) {
        (Some(p), _) => text.tokenizer.encode(p)?.ids,
        (None, Some(ids)) => ids.clone(),
        (None, None) => bail!("give --prompt TEXT or --prompt-ids 1,2,3"),
    };
    if prompt.is_empty() {
        bail!("the prompt is empty");
    }
    let stop = if a.ignore_eos {
        Vec::new()
    } else {
        stop_ids(&m, &text.tokenizer, &text.template)
    };
    let out = generate(
        &m,
        &prompt,
        &GenerateConfig::greedy(a.max_new_tokens).with_eos(&stop),
        &mut (),
    )?;
    let decoded = text.tokenizer.decode(&out.tokens)?;
    if a.json {
        io::print(&(json!({"new_ids": out.tokens, "text": decoded}).to_string() + "\n"))?;
    } else {
        io::print(&(decoded + "\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}
