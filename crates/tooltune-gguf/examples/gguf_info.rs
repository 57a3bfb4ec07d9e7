//! Prints what a GGUF file holds and what the Hugging Face mapping makes of
//! it, with wall-clock times for parsing, dequantising every tensor and
//! building the tokenizer.
//!
//! `cargo run --release -p tooltune-gguf --example gguf_info -- FILE.gguf`

use std::collections::BTreeMap;
use std::time::Instant;

use tooltune_gguf::{Gguf, llama, tokenizer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: gguf_info FILE.gguf")?;
    let bytes = std::fs::read(&path)?;
    let t = Instant::now();
    let g = Gguf::parse(&bytes)?;
    println!(
        "{path}: GGUF v{}, {} bytes, parsed in {:.1?}",
        g.version(),
        bytes.len(),
        t.elapsed()
    );
    println!(
        "{} metadata keys, {} tensors, alignment {}, data at {}",
        g.metadata().len(),
        g.tensors().len(),
        g.alignment(),
        g.data_offset()
    );
    for (k, v) in g.metadata() {
        let s = v.to_json().to_string();
        let short: String = s.chars().take(100).collect();
        println!(
            "  {k} = {short}{}",
            if s.len() > short.len() { "…" } else { "" }
        );
    }
    let mut by_type = BTreeMap::new();
    for t in g.tensors() {
        *by_type.entry(t.ty.name()).or_insert(0) += 1;
    }
    println!("tensor types: {by_type:?}");

    let t = Instant::now();
    let mut n = 0usize;
    for info in g.tensors() {
        n += g.dequantize_info(info)?.len();
    }
    println!("dequantised {n} values in {:.2?}", t.elapsed());

    if g.architecture()? == "llama" {
        println!(
            "config.json: {}",
            serde_json::to_string_pretty(&llama::llama_config(&g)?)?
        );
        let t = Instant::now();
        let mut count = 0;
        for tensor in llama::hf_tensors(&g)? {
            let tensor = tensor?;
            if count < 3 {
                println!("  {} {:?}", tensor.name, tensor.shape);
            }
            count += 1;
        }
        println!("{count} Hugging Face tensors in {:.2?}", t.elapsed());
    }
    let t = Instant::now();
    match tokenizer::tokenizer_json(&g) {
        Ok(tj) => {
            let cfg = tokenizer::tokenizer_config_json(&g)?;
            println!(
                "tokenizer.json: {} bytes in {:.1?}; bos {} eos {} pad {}",
                serde_json::to_vec(&tj)?.len(),
                t.elapsed(),
                cfg["bos_token"],
                cfg["eos_token"],
                cfg["pad_token"]
            );
        }
        Err(e) => println!("tokenizer: {e}"),
    }
    Ok(())
}
