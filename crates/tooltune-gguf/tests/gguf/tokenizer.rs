//! tokenizer.json / tokenizer_config.json built from GGUF metadata load in
//! Hugging Face `tokenizers` and encode the probe strings to the reference ids
//! (transformers' GGUF tokenizer conversion; for `smollm`, the original
//! SmolLM-style tokenizer that splits digits first).

use tokenizers::Tokenizer;
use tooltune_gguf::{Gguf, GgufError, tokenizer};

use crate::common::{json, read};

/// Builds the tokenizer for a fixture GGUF.
fn build(rel: &str) -> Tokenizer {
    let bytes = read(rel);
    let g = Gguf::parse(&bytes).unwrap();
    let tj = tokenizer::tokenizer_json(&g).unwrap();
    Tokenizer::from_bytes(serde_json::to_vec(&tj).unwrap()).unwrap()
}

fn ids(tok: &Tokenizer, text: &str) -> Vec<u32> {
    tok.encode(text, false).unwrap().get_ids().to_vec()
}

fn as_ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap() as u32)
        .collect()
}

#[test]
fn tiny_llama_tokenizer_encodes_like_the_original_and_transformers() {
    let expected = json("tiny-llama/expected.json");
    let tok = build("tiny-llama/model.gguf");
    let probes = expected["probes"].as_array().unwrap();
    for (i, p) in probes.iter().enumerate() {
        let p = p.as_str().unwrap();
        let got = ids(&tok, p);
        assert_eq!(got, as_ids(&expected["ids_original"][i]), "{p:?}");
        assert_eq!(got, as_ids(&expected["ids_transformers_gguf"][i]), "{p:?}");
        // Byte-level BPE round-trips.
        assert_eq!(tok.decode(&got, false).unwrap(), p);
    }
}

#[test]
fn each_pre_tokenizer_matches_its_reference() {
    let expected = json("tiny-llama/expected.json");
    let probes = expected["probes"].as_array().unwrap();
    for pre in ["gpt-2", "smollm", "qwen2", "llama-bpe"] {
        let tok = build(&format!("tokenizer-{pre}.gguf"));
        for (i, p) in probes.iter().enumerate() {
            let p = p.as_str().unwrap();
            assert_eq!(
                ids(&tok, p),
                as_ids(&expected["ids_by_pre"][pre][i]),
                "pre {pre}, probe {p:?}"
            );
        }
    }
}

#[test]
fn special_tokens_and_chat_template_are_carried_over() {
    let bytes = read("tiny-llama/model.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    let cfg = tokenizer::tokenizer_config_json(&g).unwrap();
    let expected = json("tiny-llama/expected.json");
    assert_eq!(cfg["chat_template"], expected["chat_template"]);
    assert_eq!(cfg["bos_token"], "<|im_start|>");
    assert_eq!(cfg["eos_token"], "<|im_end|>");
    assert_eq!(cfg["pad_token"], "<|endoftext|>");
    assert_eq!(cfg["add_bos_token"], false);
    let tok = build("tiny-llama/model.gguf");
    let enc = tok.encode("<|im_start|>hi<|im_end|>", false).unwrap();
    assert_eq!(enc.get_ids().first(), Some(&1));
    assert_eq!(enc.get_ids().last(), Some(&2));
    // Control tokens are special: skipped when decoding with skip_special_tokens.
    assert_eq!(tok.decode(enc.get_ids(), true).unwrap(), "hi");
}

#[test]
fn sentencepiece_and_missing_vocabularies_are_refused() {
    let bytes = read("metadata.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    assert!(matches!(
        tokenizer::tokenizer_json(&g),
        Err(GgufError::MissingKey { key }) if key == "tokenizer.ggml.model"
    ));
}
