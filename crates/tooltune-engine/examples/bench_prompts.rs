//! LoRA training throughput on real tool-calling prompts: the same rows
//! trained with their shared prefix run once per batch and unshared, side
//! by side in one process (rounds interleaved), and the masked rows written
//! out for the PyTorch + PEFT peer (`scripts/peer/bench_prompts.py`), which
//! trains on exactly the same tokens. `scripts/bench-prompts.sh` runs both.
//!
//! Workload, as the lesson's LoRA: r 16, alpha 32, dropout 0 on `q_proj`,
//! `v_proj`; AdamW lr 2e-4 (weight decay 0.01, eps 1e-8); the dataset's rows
//! in file order, `--batch` per step, masked by the model's chat template
//! (assistant tokens only); `--warmup` untimed steps, then `--steps` timed
//! ones. `tokens_per_s` counts each row's input tokens (its ids but the
//! last; padding excluded), the same count the peer uses.
//!
//! `cargo run --release -p tooltune-engine --example bench_prompts -- --model DIR --data FILE.jsonl
//!  [--batch 8] [--steps 4] [--warmup 1] [--rounds 2] [--rows-out rows.jsonl]
//!  [--target-modules q_proj,v_proj]`

mod common;

use std::path::PathBuf;
use std::time::Instant;

use burn::module::Module;
use burn::optim::AdamWConfig;
use tooltune_engine::burn;
use tooltune_engine::lora::LoraSettings;
use tooltune_engine::train::batch::Batch;
use tooltune_engine::train::step::train_step;
use tooltune_engine::train::{MaskedExample, Tuning, mask_example, pad_id, prepare};
use tooltune_engine::{ChatTemplate, LlamaForCausalLM, Tokenizer};

use common::{
    cpu_model, flag_pairs, matmul_isa, median, number, peak_rss_mb, read_file, round2, threads,
};

struct Args {
    model: PathBuf,
    data: PathBuf,
    batch: usize,
    steps: usize,
    warmup: usize,
    rounds: usize,
    rows_out: Option<PathBuf>,
    targets: Vec<String>,
}

fn usage(msg: &str) -> ! {
    eprintln!("bench_prompts: {msg}");
    eprintln!(
        "usage: bench_prompts --model DIR --data FILE.jsonl [--batch 8] [--steps 4] [--warmup 1] \
         [--rounds 2] [--rows-out FILE]"
    );
    std::process::exit(2);
}

fn parse_args() -> Args {
    let mut args = Args {
        model: PathBuf::new(),
        data: PathBuf::new(),
        batch: 8,
        steps: 4,
        warmup: 1,
        rounds: 2,
        rows_out: None,
        targets: vec!["q_proj".into(), "v_proj".into()],
    };
    for (a, v) in flag_pairs().unwrap_or_else(|e| usage(&e)) {
        let num = || number(&a, &v).unwrap_or_else(|e| usage(&e));
        match a.as_str() {
            "--model" => args.model = v.clone().into(),
            "--data" => args.data = v.clone().into(),
            "--batch" => args.batch = num().max(1),
            "--steps" => args.steps = num().max(1),
            "--warmup" => args.warmup = num(),
            "--rounds" => args.rounds = num().max(1),
            "--rows-out" => args.rows_out = Some(v.clone().into()),
            "--target-modules" => args.targets = v.split(',').map(str::to_string).collect(),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    if args.model.as_os_str().is_empty() || args.data.as_os_str().is_empty() {
        usage("--model and --data are required");
    }
    args
}

fn read(path: PathBuf) -> Vec<u8> {
    read_file(&path).unwrap_or_else(|e| usage(&e))
}

/// Trains `steps` timed steps (after `warmup`) on `batches` from a fresh
/// adapter; returns tokens/s, the median step time and the first loss.
fn run(
    base: &LlamaForCausalLM,
    batches: &[Batch],
    tokens: &[usize],
    args: &Args,
) -> tooltune_engine::Result<(f64, f64, f32)> {
    let targets: Vec<&str> = args.targets.iter().map(String::as_str).collect();
    let settings = LoraSettings::new(16, 32.0, &targets);
    let model = prepare(base.clone(), &Tuning::Lora(settings), 0)?;
    let ad = model.device().autodiff();
    let mut model = model.fork(&ad).train();
    let mut optim = AdamWConfig::new()
        .with_weight_decay(0.01)
        .with_epsilon(1e-8)
        .init();
    let (mut times, mut counted, mut first) = (Vec::new(), 0, f32::NAN);
    for (i, batch) in batches.iter().enumerate() {
        let t = Instant::now();
        let (next, result) = train_step(
            model,
            &mut optim,
            std::slice::from_ref(batch),
            2e-4,
            i + 1,
            None,
            &ad,
        )?;
        model = next;
        if i == 0 {
            first = result.loss;
        }
        if i >= args.warmup {
            times.push(t.elapsed().as_secs_f64());
            counted += tokens[i];
        }
    }
    let total: f64 = times.iter().sum();
    Ok((counted as f64 / total, median(times), first))
}

fn main() -> tooltune_engine::Result<()> {
    let args = parse_args();
    tooltune_engine::tune_allocator();
    let tokenizer = Tokenizer::from_bytes(&read(args.model.join("tokenizer.json")))?;
    let template =
        ChatTemplate::from_tokenizer_config(&read(args.model.join("tokenizer_config.json")))?;
    let text =
        String::from_utf8(read(args.data.clone())).unwrap_or_else(|_| usage("data is not UTF-8"));
    let name = args.data.display().to_string();
    let rows = tooltune_core::dataset::read(
        tooltune_core::dataset::Format::OpenAi,
        &name,
        text.as_bytes(),
        None,
    )
    .unwrap_or_else(|e| usage(&e.to_string()));
    let needed = (args.warmup + args.steps) * args.batch;
    let mut masked: Vec<MaskedExample> = Vec::with_capacity(needed);
    for row in rows.into_iter().take(needed) {
        let example = row.unwrap_or_else(|e| usage(&e.to_string()));
        masked.push(mask_example(&template, &tokenizer, &example)?);
    }
    if masked.len() < needed {
        usage(&format!(
            "{name} has {} rows; {needed} needed",
            masked.len()
        ));
    }
    if let Some(out) = &args.rows_out {
        let lines: String = masked
            .iter()
            .map(|m| {
                serde_json::json!({"input_ids": m.ids, "trained": m.trained}).to_string() + "\n"
            })
            .collect();
        std::fs::write(out, lines).unwrap_or_else(|e| usage(&format!("{}: {e}", out.display())));
    }
    let pad = pad_id(&template, &tokenizer);
    let shared: Vec<Batch> = masked
        .chunks(args.batch)
        .map(|c| Batch::new(&c.iter().collect::<Vec<_>>(), pad))
        .collect();
    let unshared: Vec<Batch> = shared.iter().cloned().map(Batch::unshared).collect();
    let tokens: Vec<usize> = masked
        .chunks(args.batch)
        .map(|c| c.iter().map(|m| m.ids.len() - 1).sum())
        .collect();

    let device = tooltune_engine::default_device();
    let base = LlamaForCausalLM::from_hf_bytes(
        &read(args.model.join("config.json")),
        &read(args.model.join("model.safetensors")),
        &device,
    )?;
    let mut figures = [Vec::new(), Vec::new()];
    let mut losses = [f32::NAN; 2];
    for _ in 0..args.rounds {
        for (k, batches) in [&shared, &unshared].into_iter().enumerate() {
            let (tps, step, loss) = run(&base, batches, &tokens, &args)?;
            figures[k].push((tps, step));
            losses[k] = loss;
        }
    }
    let tps = |k: usize| median(figures[k].iter().map(|f| f.0).collect());
    let step = |k: usize| median(figures[k].iter().map(|f| f.1).collect());
    let prefixes: Vec<usize> = shared.iter().map(|b| b.prefix).collect();
    let line = serde_json::json!({
        "engine": "tooltune-engine (burn-flex)",
        "model": args.model.file_name().map(|n| n.to_string_lossy().into_owned()),
        "data": name,
        "cpu": cpu_model(),
        "threads": threads(), "isa": matmul_isa(),
        "target_modules": args.targets,
        "batch": args.batch, "steps": args.steps, "warmup": args.warmup, "rounds": args.rounds,
        "tokens_per_step": tokens, "shared_prefix_per_step": prefixes,
        "shared_tokens_per_s": round2(tps(0)), "unshared_tokens_per_s": round2(tps(1)),
        "shared_step_ms_median": round2(1e3 * step(0)), "unshared_step_ms_median": round2(1e3 * step(1)),
        "shared_over_unshared": round2(tps(0) / tps(1)),
        "first_loss_shared": losses[0], "first_loss_unshared": losses[1],
        "peak_rss_mb": round2(peak_rss_mb()),
        "rounds_tokens_per_s": figures.iter().map(|f| f.iter().map(|x| round2(x.0)).collect::<Vec<_>>()).collect::<Vec<_>>(),
    });
    println!("{line}");
    Ok(())
}
