//! The real SmolLM2-135M-Instruct.Q4_1.gguf (`scripts/fetch-smollm2.sh`), when
//! present: config values, every tensor dequantised and compared with gguf-py
//! (`smollm2.json`: f64 sums 1e-9 relative, first values 1e-6 relative), Hugging
//! Face names for all, and tokenizer ids equal to transformers'. Skipped with
//! a printed note when the file is absent (set TOOLTUNE_SMOLLM2_GGUF or run
//! the fetch script).

use std::path::PathBuf;

use tokenizers::Tokenizer;
use tooltune_gguf::{Gguf, llama, tokenizer};

use crate::common::{assert_close, json};

fn path() -> Option<PathBuf> {
    let p = match std::env::var_os("TOOLTUNE_SMOLLM2_GGUF") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var_os("HOME")?)
            .join(".cache/tooltune/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
    };
    p.exists().then_some(p)
}

fn load() -> Option<Vec<u8>> {
    match path() {
        Some(p) => Some(std::fs::read(p).unwrap()),
        None => {
            eprintln!(
                "note: SmolLM2 GGUF not found; run scripts/fetch-smollm2.sh to test against it"
            );
            None
        }
    }
}

#[test]
fn smollm2_config_and_every_tensor_match_gguf_py() {
    let Some(bytes) = load() else { return };
    let want = json("smollm2.json");
    assert_eq!(
        bytes.len() as u64,
        want["size"].as_u64().unwrap(),
        "a different file"
    );
    let g = Gguf::parse(&bytes).unwrap();
    let cfg = llama::llama_config(&g).unwrap();
    assert_eq!(cfg["num_hidden_layers"], 30);
    assert_eq!(cfg["hidden_size"], 576);
    assert_eq!(cfg["intermediate_size"], 1536);
    assert_eq!(cfg["num_attention_heads"], 9);
    assert_eq!(cfg["num_key_value_heads"], 3);
    assert_eq!(cfg["head_dim"], 64);
    assert_eq!(cfg["vocab_size"], 49152);
    assert_eq!(cfg["max_position_embeddings"], 8192);
    assert_eq!(cfg["rope_theta"], 100000.0);
    assert_eq!(cfg["rms_norm_eps"], 1e-5);
    assert_eq!(cfg["tie_word_embeddings"], true);
    assert_eq!(
        (cfg["bos_token_id"].clone(), cfg["eos_token_id"].clone()),
        (1.into(), 2.into())
    );

    let tensors = want["tensors"].as_array().unwrap();
    assert_eq!(g.tensors().len(), tensors.len());
    for (t, w) in g.tensors().iter().zip(tensors) {
        let name = w["name"].as_str().unwrap();
        assert_eq!(t.name, name);
        assert_eq!(t.ty.name(), w["type"].as_str().unwrap());
        assert_eq!(serde_json::json!(t.dims), w["dims"]);
        let data = g.dequantize_info(t).unwrap();
        let sum: f64 = data.iter().map(|&v| f64::from(v)).sum();
        let sum_abs: f64 = data.iter().map(|&v| f64::from(v).abs()).sum();
        let want_abs = w["sum_abs"].as_f64().unwrap();
        assert!((sum_abs - want_abs).abs() <= 1e-9 * want_abs, "{name}");
        assert!(
            (sum - w["sum"].as_f64().unwrap()).abs() <= 1e-9 * want_abs,
            "{name}"
        );
        let first: Vec<f32> = w["first"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        assert_close(name, &data[..first.len()], &first, 1e-6);
    }
    let names = llama::hf_names(&g).unwrap();
    assert_eq!(names.len(), 272);
    assert!(
        names
            .iter()
            .any(|(_, hf)| hf == "model.layers.29.mlp.down_proj.weight")
    );
    let q = llama::hf_tensor(&g, "blk.0.attn_q.weight").unwrap();
    assert_eq!(
        (q.name.as_str(), q.shape.as_slice()),
        ("model.layers.0.self_attn.q_proj.weight", &[576, 576][..])
    );
}

#[test]
fn smollm2_tokenizer_matches_transformers() {
    let Some(bytes) = load() else { return };
    let want = json("smollm2.json");
    let g = Gguf::parse(&bytes).unwrap();
    let tj = tokenizer::tokenizer_json(&g).unwrap();
    let tok = Tokenizer::from_bytes(serde_json::to_vec(&tj).unwrap()).unwrap();
    assert_eq!(tok.get_vocab_size(true), 49152);
    for (i, p) in want["probes"].as_array().unwrap().iter().enumerate() {
        let p = p.as_str().unwrap();
        let ids = tok.encode(p, false).unwrap().get_ids().to_vec();
        let as_ids = |v: &serde_json::Value| -> Vec<u32> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as u32)
                .collect()
        };
        assert_eq!(ids, as_ids(&want["ids_original"][i]), "{p:?}");
        assert_eq!(ids, as_ids(&want["ids_transformers_gguf"][i]), "{p:?}");
    }
    let cfg = tokenizer::tokenizer_config_json(&g).unwrap();
    assert_eq!(cfg["eos_token"], "<|im_end|>");
    assert!(
        cfg["chat_template"]
            .as_str()
            .unwrap()
            .contains("<|im_start|>")
    );
}
