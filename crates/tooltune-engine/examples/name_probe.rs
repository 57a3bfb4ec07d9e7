//! How often a model, teacher-forced to the point where a call names its
//! tool (`<tool_call>\n{"name": "`), gives the gold tool's name (and the
//! `",` after it; with `--first-token`, of its first token only, which
//! untrained weights can only guess past) the highest log-probability among
//! its catalogue's tools.
//! Unlike `tooltune eval`, it needs no generation, so it scores freshly
//! initialised weights too: what a hand-built circuit does before any
//! training, and, on catalogues the corpus never produced, whether a base
//! reads the catalogue or recalls its tables.
//!
//! ```text
//! cargo run --release -p tooltune-engine --example name_probe -- \
//!     --data invented.jsonl (--model DIR | --init copy-circuit|copy-route|random [--seed N] [--save FILE])
//! ```

use std::path::PathBuf;

use serde_json::Value;
use tooltune_engine::pretrain::{Init, init_safetensors};
use tooltune_engine::{ChatTemplate, LlamaConfig, LlamaForCausalLM, Tokenizer, builtin};

struct Args {
    data: PathBuf,
    model: Option<PathBuf>,
    init: Option<String>,
    seed: u64,
    limit: usize,
    save: Option<PathBuf>,
    first_token: bool,
}

fn args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut data, mut model, mut init, mut seed, mut limit, mut save) =
        (None, None, None, 0, usize::MAX, None);
    let mut first_token = false;
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => data = Some(PathBuf::from(value()?)),
            "--model" => model = Some(PathBuf::from(value()?)),
            "--init" => init = Some(value()?),
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--first-token" => first_token = true,
            "--save" => save = Some(PathBuf::from(value()?)),
            "--limit" => limit = value()?.parse().map_err(|e| format!("--limit: {e}"))?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(Args {
        data: data.ok_or("--data is required")?,
        model,
        init,
        seed,
        limit,
        save,
        first_token,
    })
}

fn log_softmax_at(row: &[f32], id: u32) -> f64 {
    let max = row.iter().copied().fold(f32::MIN, f32::max) as f64;
    let sum: f64 = row.iter().map(|&x| (x as f64 - max).exp()).sum();
    row[id as usize] as f64 - max - sum.ln()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let device = tooltune_engine::default_device();
    let (model, tokenizer, template) = match &args.model {
        Some(dir) => {
            let read = |f: &str| std::fs::read(dir.join(f));
            (
                LlamaForCausalLM::from_hf_bytes(
                    &read("config.json")?,
                    &read("model.safetensors")?,
                    &device,
                )?,
                Tokenizer::from_bytes(&read("tokenizer.json")?)?,
                ChatTemplate::from_tokenizer_config(&read("tokenizer_config.json")?)?,
            )
        }
        None => {
            let config = LlamaConfig::from_hf_json(builtin::CONFIG_JSON)?;
            let tokenizer = builtin::tokenizer()?;
            let name = args.init.as_deref().unwrap_or("copy-circuit");
            let init = Init::parse(name, &tokenizer)?.ok_or(format!("unknown --init {name}"))?;
            let weights = init_safetensors(&config, args.seed, init)?;
            if let Some(path) = &args.save {
                std::fs::write(path, &weights)?;
            }
            (
                LlamaForCausalLM::from_hf_bytes(builtin::CONFIG_JSON, &weights, &device)?,
                tokenizer,
                builtin::template()?,
            )
        }
    };
    let text = std::fs::read_to_string(&args.data)?;
    let (mut scored, mut right, mut chance, mut margin) = (0usize, 0usize, 0.0f64, 0.0f64);
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        if scored >= args.limit {
            break;
        }
        let row: Value = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        let messages = row["messages"].as_array().ok_or("no messages")?;
        let Some(at) = messages
            .iter()
            .position(|m| m["role"] == "assistant" && m["tool_calls"].is_array())
        else {
            continue;
        };
        let gold = messages[at]["tool_calls"][0]["function"]["name"]
            .as_str()
            .ok_or("a call without a name")?;
        let names: Vec<&str> = row["tools"]
            .as_array()
            .ok_or("no tools")?
            .iter()
            .filter_map(|t| t["function"]["name"].as_str())
            .collect();
        if names.len() < 2 {
            continue;
        }
        let prompt = template.render(&messages[..at], Some(&row["tools"]), true)?
            + "<tool_call>\n{\"name\": \"";
        let prefix = tokenizer.encode(&prompt)?.ids;
        let mut scores = Vec::with_capacity(names.len());
        for name in &names {
            let ids = tokenizer.encode(&format!("{prompt}{name}\","))?.ids;
            if ids[..prefix.len()] != prefix[..] {
                return Err(format!("line {}: the name's tokens join the prompt's", n + 1).into());
            }
            let logits = model.logits(&ids[..ids.len() - 1])?;
            let end = if args.first_token {
                prefix.len() + 1
            } else {
                ids.len()
            };
            let score: f64 = (prefix.len()..end)
                .map(|p| log_softmax_at(&logits[p - 1], ids[p]))
                .sum();
            scores.push(score);
        }
        let gold_at = names
            .iter()
            .position(|n| *n == gold)
            .ok_or("gold not in tools")?;
        let best_other = scores
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != gold_at)
            .map(|(_, s)| *s)
            .fold(f64::MIN, f64::max);
        scored += 1;
        right += usize::from(scores[gold_at] > best_other);
        chance += 1.0 / names.len() as f64;
        margin += scores[gold_at] - best_other;
    }
    let k = scored.max(1) as f64;
    println!(
        "{scored} calls: gold tool ranked first {:.3} (chance {:.3}), mean log-prob margin over the best other tool {:.2}",
        right as f64 / k,
        chance / k,
        margin / k
    );
    Ok(())
}
