//! Decode throughput, the Rust side of the peer's `bench_lora.py --infer`:
//! random-init model (float32), batch 1, 128-token prompt, 64 greedy new
//! tokens with the KV cache. Prints one JSON line.
//!
//! `cargo run --release -p tooltune-engine --example bench_decode -- [tiny|smol135]`

use std::time::Instant;

use tooltune_engine::LlamaConfig;
use tooltune_engine::decode::{GenerateConfig, generate};
use tooltune_engine::llama::read_f32;

fn shape(name: &str) -> Option<LlamaConfig> {
    let (vocab, hidden, inter, layers, heads, kv, theta) = match name {
        "tiny" => (4096, 256, 688, 4, 4, 4, 10_000.0),
        "smol135" => (49_152, 576, 1536, 30, 9, 3, 100_000.0),
        _ => return None,
    };
    Some(LlamaConfig {
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
        max_position_embeddings: 8192,
        bos_token_id: None,
        eos_token_ids: Vec::new(),
    })
}

fn main() -> tooltune_engine::Result<()> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "tiny".into());
    let Some(config) = shape(&name) else {
        eprintln!("unknown shape `{name}` (tiny, smol135)");
        std::process::exit(2);
    };
    let model = config.init(&tooltune_engine::default_device());
    // Deterministic pseudo-random prompt (LCG), as the peer uses random ids.
    let mut state = 12_345u64;
    let prompt: Vec<u32> = (0..128)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            ((state >> 33) % config.vocab_size as u64) as u32
        })
        .collect();
    generate(&model, &prompt, &GenerateConfig::greedy(4), &mut ())?; // warm-up
    let t = Instant::now();
    let mut cache = model.new_cache();
    read_f32(model.forward_cached(model.token_tensor(&prompt)?, &mut cache))?;
    let prefill_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let out = generate(&model, &prompt, &GenerateConfig::greedy(64), &mut ())?;
    let total_s = t.elapsed().as_secs_f64();
    let n = out.tokens.len() as f64;
    println!(
        "{{\"model\":\"{name}\",\"prompt_len\":128,\"new_tokens\":{n},\"prefill_ms\":{:.1},\"tokens_per_s\":{:.1},\"decode_tokens_per_s\":{:.1}}}",
        prefill_s * 1e3,
        n / total_s,
        n / (total_s - prefill_s).max(1e-9)
    );
    Ok(())
}
