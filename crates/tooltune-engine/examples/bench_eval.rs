//! Evaluation decoding speed: every test row's answer generated greedily,
//! `--batch` prompts at a time, with the batch's shared prefix (system
//! prompt and catalogue) prefilled once and prefilled with every row, side
//! by side in one process (rounds interleaved). Checks that both give the
//! same tokens.
//!
//! `cargo run --release -p tooltune-engine --example bench_eval -- [--model builtin|DIR]
//!  [--data datasets/support/test.jsonl] [--batch 16] [--max-new-tokens 128] [--rounds 3]`
//!
//! Prints one JSON line: seconds per pass over the rows (median), the ratio,
//! the prompts' mean length and shared prefix, the CPU and threads.

mod common;

use std::path::PathBuf;
use std::time::Instant;

use tooltune_core::prompt::PromptContext;
use tooltune_engine::assistant::{DEFAULT_BATCH_SIZE, EvalSet, length_batches, stop_ids};
use tooltune_engine::decode::prefix::shared_prefix_len;
use tooltune_engine::decode::{GenerateConfig, generate_batch};
use tooltune_engine::{ChatTemplate, LlamaForCausalLM, Tokenizer, builtin};

use common::{
    cpu_model, flag_pairs, matmul_isa, median, number, peak_rss_mb, read_file, round2, threads,
};

fn usage(msg: &str) -> ! {
    eprintln!("bench_eval: {msg}");
    eprintln!(
        "usage: bench_eval [--model builtin|DIR] [--data FILE.jsonl] [--batch 16] \
         [--max-new-tokens 128] [--rounds 3]"
    );
    std::process::exit(2);
}

fn read(path: PathBuf) -> Vec<u8> {
    read_file(&path).unwrap_or_else(|e| usage(&e))
}

fn main() -> tooltune_engine::Result<()> {
    let (mut model_arg, mut data) = (
        "builtin".to_string(),
        "datasets/support/test.jsonl".to_string(),
    );
    let (mut batch, mut max_new, mut rounds) = (DEFAULT_BATCH_SIZE, 128usize, 3usize);
    for (a, v) in flag_pairs().unwrap_or_else(|e| usage(&e)) {
        let num = || number(&a, &v).unwrap_or_else(|e| usage(&e));
        match a.as_str() {
            "--model" => model_arg = v.clone(),
            "--data" => data = v.clone(),
            "--batch" => batch = num().max(1),
            "--max-new-tokens" => max_new = num().max(1),
            "--rounds" => rounds = num().max(1),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    tooltune_engine::tune_allocator();
    let device = tooltune_engine::default_device();
    let (model, tokenizer, template) = if model_arg == "builtin" {
        (
            builtin::model(&device)?,
            builtin::tokenizer()?,
            builtin::template()?,
        )
    } else {
        let dir = PathBuf::from(&model_arg);
        (
            LlamaForCausalLM::from_hf_bytes(
                &read(dir.join("config.json")),
                &read(dir.join("model.safetensors")),
                &device,
            )?,
            Tokenizer::from_bytes(&read(dir.join("tokenizer.json")))?,
            ChatTemplate::from_tokenizer_config(&read(dir.join("tokenizer_config.json")))?,
        )
    };
    let bytes = read(PathBuf::from(&data));
    let examples: Vec<_> =
        tooltune_core::dataset::read(tooltune_core::dataset::Format::OpenAi, &data, &bytes, None)
            .unwrap_or_else(|e| usage(&e.to_string()))
            .into_iter()
            .map(|r| r.unwrap_or_else(|e| usage(&e.to_string())))
            .collect();
    let set = EvalSet::new(
        &examples,
        None,
        &PromptContext::as_given(),
        &template,
        &tokenizer,
    )?;
    let stop = stop_ids(&model, &tokenizer, &template);
    // Batches as `complete_all` makes them.
    let batches: Vec<Vec<&[u32]>> = length_batches(&set.prompts, batch)
        .iter()
        .map(|c| c.iter().map(|&i| &set.prompts[i][..]).collect())
        .collect();
    let shared: Vec<usize> = batches.iter().map(|b| shared_prefix_len(b)).collect();

    let pass = |share: bool| -> tooltune_engine::Result<(f64, Vec<Vec<u32>>)> {
        let config = GenerateConfig::greedy(max_new)
            .with_eos(&stop)
            .with_shared_prefix(share);
        let t = Instant::now();
        let mut tokens = Vec::new();
        for b in &batches {
            let out = generate_batch(&model, b, &config, &mut vec![(); b.len()])?;
            tokens.extend(out.into_iter().map(|g| g.tokens));
        }
        Ok((t.elapsed().as_secs_f64(), tokens))
    };
    let (mut with, mut without) = (Vec::new(), Vec::new());
    let mut same = true;
    for _ in 0..rounds {
        let (a, ta) = pass(true)?;
        let (b, tb) = pass(false)?;
        same &= ta == tb;
        with.push(a);
        without.push(b);
    }
    let (w, wo) = (median(with), median(without));
    let mean_len = set.prompts.iter().map(Vec::len).sum::<usize>() as f64 / set.len().max(1) as f64;
    println!(
        "{}",
        serde_json::json!({
            "bench": "eval-decode", "model": model_arg, "data": data, "rows": set.len(),
            "batch": batch, "max_new_tokens": max_new, "rounds": rounds,
            "mean_prompt_tokens": round2(mean_len),
            "mean_shared_prefix": round2(shared.iter().sum::<usize>() as f64 / shared.len().max(1) as f64),
            "shared_prefix_s": round2(w), "unshared_s": round2(wo), "speedup": round2(wo / w),
            "same_tokens": same, "cpu": cpu_model(), "isa": matmul_isa(), "threads": threads(), "peak_rss_mb": round2(peak_rss_mb()),
        })
    );
    Ok(())
}
