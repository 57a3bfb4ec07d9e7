//! The GGUF reader must never panic: parsing any bytes, dequantising every
//! tensor it lists, the Llama mapping and the tokenizer builders, and the raw
//! dequantiser on the same bytes as any type.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tooltune_gguf::{GgmlType, Gguf, dequantize, llama, tokenizer};

fuzz_target!(|data: &[u8]| {
    if let Ok(g) = Gguf::parse(data) {
        for t in g.tensors() {
            let _ = g.dequantize_info(t);
        }
        let _ = llama::llama_config(&g);
        if let Ok(tensors) = llama::hf_tensors(&g) {
            tensors.for_each(drop);
        }
        let _ = tokenizer::tokenizer_json(&g);
        let _ = tokenizer::tokenizer_config_json(&g);
    }
    // The first byte picks a type; the rest are its blocks.
    if let Some((&id, rest)) = data.split_first() {
        if let Some(ty) = GgmlType::from_id(u32::from(id % 42)) {
            let n = rest.len() as u64 / ty.type_size() * ty.block_size();
            let used = (n / ty.block_size() * ty.type_size()) as usize;
            let _ = dequantize(ty, &rest[..used], n);
            let _ = dequantize(ty, rest, n + 1);
        }
    }
});
