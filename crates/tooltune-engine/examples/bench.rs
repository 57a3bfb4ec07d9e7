//! Throughput benchmark, the Rust side of the peer's
//! `../shared/peer/bench_lora.py` (PyTorch + PEFT), workload for workload:
//!
//! - train (default): random-init model (N(0, 0.02), as HF), LoRA r16
//!   alpha 32 dropout 0 on `q_proj`,`v_proj` (`train::prepare`), AdamW lr
//!   2e-4 (torch's defaults: weight decay 0.01, eps 1e-8) on the adapters
//!   only, random token batches from a seeded generator (tiny 8×256,
//!   smol135 4×256) whose first half is masked out of the loss; 2 warm-up
//!   steps, then `--steps` timed ones through the engine's own
//!   `train::step::train_step`. `tokens_per_s` counts all batch×seq tokens.
//! - `--infer`: plain model, batch 1, 128-token random prompt, 64 greedy new
//!   tokens with the KV cache (`forward_last`, as greedy decoding uses), a
//!   manual argmax loop as the peer's;
//!   `tokens_per_s = 64 / (prefill + decode)`, `decode_tokens_per_s =
//!   63 / decode` (the first new token comes from the prefill). One warm-up
//!   generation, then `--repeats` timed ones, the median reported.
//! - `--infer --batch N`: batched greedy decoding as evaluation runs it
//!   (`decode::generate_batch`, N different 128-token prompts, 64 new tokens
//!   each); `tokens_per_s` counts the new tokens of all rows per second,
//!   prefill included. No peer figure (the peer decodes batch 1 only).
//!
//! Prints one JSON line, naming the machine: `cpu` (the model name from
//! `/proc/cpuinfo`) and `isa` (the matmul kernels gemm dispatches to at run
//! time: `avx512` with the `x86-v4` feature on a CPU with AVX-512F, else
//! `avx2` with FMA, else `scalar`/`neon`/...). Threads: `RAYON_NUM_THREADS`
//! (burn-flex uses the global rayon pool). `scripts/bench-engine.sh` runs this and the peer back
//! to back.
//!
//! `cargo run --release -p tooltune-engine --example bench -- --model tiny [--infer] [--steps 10]`

mod common;

use std::time::Instant;

use burn::module::Module;
use burn::optim::AdamWConfig;
use tooltune_engine::LlamaConfig;
use tooltune_engine::burn;
use tooltune_engine::llama::read_f32;
use tooltune_engine::lora::{LoraSettings, projections};
use tooltune_engine::train::batch::{Batch, SplitMix64};
use tooltune_engine::train::step::train_step;
use tooltune_engine::train::{Tuning, prepare};

use common::{cpu_model, matmul_isa, median, peak_rss_mb, round2, threads};

struct Args {
    model: String,
    infer: bool,
    steps: usize,
    warmup: usize,
    repeats: usize,
    batch: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        model: "tiny".into(),
        infer: false,
        steps: 10,
        warmup: 2,
        repeats: 3,
        batch: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut num = |name: &str| -> usize {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| usage(&format!("{name} needs a number")))
        };
        match a.as_str() {
            "--model" => args.model = it.next().unwrap_or_else(|| usage("--model needs a name")),
            "--infer" => args.infer = true,
            "--steps" => args.steps = num("--steps"),
            "--warmup" => args.warmup = num("--warmup"),
            "--repeats" => args.repeats = num("--repeats"),
            "--batch" => args.batch = num("--batch").max(1),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    args
}

fn usage(msg: &str) -> ! {
    eprintln!(
        "{msg}\nusage: bench [--model tiny|smol135] [--infer] [--steps N] [--warmup N] [--repeats N] [--batch N]"
    );
    std::process::exit(2)
}

/// The peer's `SHAPES` and `TRAIN_BATCH`.
fn shape(name: &str) -> Option<(LlamaConfig, usize, usize)> {
    let (vocab, hidden, inter, layers, heads, kv, theta, max_pos, batch) = match name {
        "tiny" => (4096, 256, 688, 4, 4, 4, 10_000.0, 512, 8),
        "smol135" => (49_152, 576, 1536, 30, 9, 3, 100_000.0, 8192, 4),
        _ => return None,
    };
    let config = LlamaConfig {
        vocab_size: vocab,
        hidden_size: hidden,
        intermediate_size: inter,
        num_hidden_layers: layers,
        num_attention_heads: heads,
        num_key_value_heads: kv,
        head_dim: hidden / heads,
        rms_norm_eps: 1e-5,
        rope_theta: theta,
        rope_scaling: None,
        tie_word_embeddings: true,
        qkv_bias: false,
        o_bias: false,
        mlp_bias: false,
        max_position_embeddings: max_pos,
        bos_token_id: Some(0),
        eos_token_ids: vec![1],
    };
    Some((config, batch, 256))
}

fn main() -> tooltune_engine::Result<()> {
    let args = parse_args();
    tooltune_engine::tune_allocator();
    let Some((config, rows, seq)) = shape(&args.model) else {
        usage(&format!("unknown model `{}` (tiny, smol135)", args.model));
    };
    let started = Instant::now();
    let mut out = if args.infer {
        run_infer(&args, &config)?
    } else {
        run_train(&args, &config, rows, seq)?
    };
    let head = serde_json::json!({
        "model": args.model, "threads": threads(), "cpu": cpu_model(), "isa": matmul_isa(),
    });
    let mut line = head.as_object().cloned().unwrap_or_default();
    line.append(out.as_object_mut().expect("object"));
    line.insert("peak_rss_mb".into(), round2(peak_rss_mb()).into());
    line.insert("engine".into(), "tooltune-engine (burn-flex)".into());
    line.insert(
        "wall_s".into(),
        round2(started.elapsed().as_secs_f64()).into(),
    );
    println!("{}", serde_json::Value::Object(line));
    Ok(())
}

fn run_train(
    args: &Args,
    config: &LlamaConfig,
    rows: usize,
    seq: usize,
) -> tooltune_engine::Result<serde_json::Value> {
    let device = tooltune_engine::default_device();
    device.seed(0);
    let settings = LoraSettings::new(16, 32.0, &["q_proj", "v_proj"]);
    let model = prepare(config.init(&device), &Tuning::Lora(settings), 0)?;
    let trainable: usize = projections(&model)
        .iter()
        .filter_map(|(_, l)| l.weight.adapter())
        .map(|a| a.a.num_params() + a.b.num_params())
        .sum();
    let total = model.num_params();
    // As the trainer does: the same weights on the autodiff device.
    let ad = device.autodiff();
    let mut model = model.fork(&ad).train();
    let mut optim = AdamWConfig::new()
        .with_weight_decay(0.01)
        .with_epsilon(1e-8)
        .init();
    let mut rng = SplitMix64::new(1);
    let vocab = config.vocab_size as u64;
    let mut batch = || {
        let inputs: Vec<i64> = (0..rows * seq)
            .map(|_| (rng.next_u64() % vocab) as i64)
            .collect();
        // Labels = inputs with the first half masked; after the causal shift
        // the trained positions predict tokens seq/2 .. seq-1.
        let (mut positions, mut targets) = (Vec::new(), Vec::new());
        for r in 0..rows {
            for t in seq / 2 - 1..seq - 1 {
                positions.push((r * seq + t) as i64);
                targets.push(inputs[r * seq + t + 1]);
            }
        }
        Batch {
            inputs,
            rows,
            len: seq,
            positions,
            targets,
            prefix: 0,
            label_smoothing: 0.0,
        }
    };
    let (mut losses, mut times) = (Vec::new(), Vec::new());
    for i in 0..args.warmup + args.steps {
        let b = batch();
        let t = Instant::now();
        let (next, result) = train_step(model, &mut optim, &[b], 2e-4, i + 1, None, &ad)?;
        model = next;
        let dt = t.elapsed().as_secs_f64();
        losses.push(result.loss);
        if i >= args.warmup {
            times.push(dt);
        }
    }
    let sum: f64 = times.iter().sum();
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    Ok(serde_json::json!({
        "mode": "train",
        "batch": rows, "seq": seq, "steps": args.steps, "warmup": args.warmup,
        "tokens_per_s": round2((rows * seq * args.steps) as f64 / sum),
        "step_ms_median": round2(1e3 * median(times)),
        "step_ms_min": round2(1e3 * min),
        "loss_first": losses.first().copied().unwrap_or(f32::NAN),
        "loss_last": losses.last().copied().unwrap_or(f32::NAN),
        "trainable_params": trainable, "total_params": total,
    }))
}

fn run_infer(args: &Args, config: &LlamaConfig) -> tooltune_engine::Result<serde_json::Value> {
    const PROMPT: usize = 128;
    const NEW: usize = 64;
    let device = tooltune_engine::default_device();
    device.seed(0);
    let model = config.init(&device);
    let mut rng = SplitMix64::new(2);
    let prompt: Vec<u32> = (0..PROMPT)
        .map(|_| (rng.next_u64() % config.vocab_size as u64) as u32)
        .collect();
    let argmax = |v: &[f32]| {
        v.iter()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |best, (i, &x)| {
                if x > best.1 { (i, x) } else { best }
            })
            .0 as u32
    };
    if args.batch > 1 {
        return run_batched(args, &model, &mut rng, PROMPT, NEW);
    }
    let generate = |n_new: usize| -> tooltune_engine::Result<(f64, f64, Vec<u32>)> {
        let mut cache = model.new_cache();
        let t0 = Instant::now();
        let logits = model.forward_last(model.token_tensor(&prompt)?, Some(&mut cache));
        let [_, vocab] = logits.dims();
        let mut next = argmax(&read_f32(logits.reshape([vocab]))?);
        let prefill = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let mut toks = vec![next];
        for _ in 1..n_new {
            let logits = model.forward_last(model.token_tensor(&[next])?, Some(&mut cache));
            next = argmax(&read_f32(logits.reshape([vocab]))?);
            toks.push(next);
        }
        Ok((prefill, t1.elapsed().as_secs_f64(), toks))
    };
    generate(8)?; // warm-up
    let mut runs = (0..args.repeats.max(1))
        .map(|_| generate(NEW))
        .collect::<tooltune_engine::Result<Vec<_>>>()?;
    runs.sort_by(|a, b| (a.0 + a.1).total_cmp(&(b.0 + b.1)));
    let (prefill, decode, toks) = runs.swap_remove((runs.len() - 1) / 2);
    assert_eq!(toks.len(), NEW);
    Ok(serde_json::json!({
        "mode": "infer",
        "batch": 1, "prompt_len": PROMPT, "new_tokens": NEW, "repeats": args.repeats,
        "tokens_per_s": round2(NEW as f64 / (prefill + decode)),
        "decode_tokens_per_s": round2((NEW - 1) as f64 / decode),
        "prefill_ms": round2(1e3 * prefill),
        "decode_ms_per_token": round2(1e3 * decode / (NEW - 1) as f64),
        "total_ms": round2(1e3 * (prefill + decode)),
        "total_params": model.num_params(),
    }))
}

/// `--infer --batch N`: N random prompts decoded together.
fn run_batched(
    args: &Args,
    model: &tooltune_engine::LlamaForCausalLM,
    rng: &mut SplitMix64,
    prompt_len: usize,
    new: usize,
) -> tooltune_engine::Result<serde_json::Value> {
    use tooltune_engine::decode::{GenerateConfig, generate_batch};
    let vocab = model.config.vocab_size as u64;
    let prompts: Vec<Vec<u32>> = (0..args.batch)
        .map(|_| {
            (0..prompt_len)
                .map(|_| (rng.next_u64() % vocab) as u32)
                .collect()
        })
        .collect();
    let rows: Vec<&[u32]> = prompts.iter().map(Vec::as_slice).collect();
    let run = |n_new: usize| -> tooltune_engine::Result<f64> {
        let t0 = Instant::now();
        let out = generate_batch(
            model,
            &rows,
            &GenerateConfig::greedy(n_new),
            &mut vec![(); rows.len()],
        )?;
        assert!(out.iter().all(|g| g.tokens.len() == n_new));
        Ok(t0.elapsed().as_secs_f64())
    };
    run(8)?; // warm-up
    let mut times = (0..args.repeats.max(1))
        .map(|_| run(new))
        .collect::<tooltune_engine::Result<Vec<_>>>()?;
    times.sort_by(f64::total_cmp);
    let total = times[(times.len() - 1) / 2];
    Ok(serde_json::json!({
        "mode": "infer",
        "batch": args.batch, "prompt_len": prompt_len, "new_tokens": new, "repeats": args.repeats,
        "tokens_per_s": round2((args.batch * new) as f64 / total),
        "total_ms": round2(1e3 * total),
        "total_params": model.num_params(),
    }))
}
