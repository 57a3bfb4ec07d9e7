//! Parsing both config spellings, scaling, and named errors.

use super::*;

const LEGACY: &str = r#"{"model_type":"llama","vocab_size":512,"hidden_size":64,
    "intermediate_size":172,"num_hidden_layers":2,"num_attention_heads":4,
    "num_key_value_heads":2,"rms_norm_eps":1e-5,"rope_theta":10000.0,"rope_scaling":null,
    "tie_word_embeddings":true,"torch_dtype":"float32","eos_token_id":2,"bos_token_id":0}"#;

#[test]
fn legacy_spelling() {
    let c = LlamaConfig::from_hf_json(LEGACY.as_bytes()).expect("valid config");
    assert_eq!(
        (c.head_dim, c.num_key_value_heads, c.group_size()),
        (16, 2, 2)
    );
    assert_eq!(c.rope_theta, 10_000.0);
    assert!(c.tie_word_embeddings && !c.qkv_bias && !c.o_bias);
    assert_eq!(
        (c.bos_token_id, c.eos_token_ids.clone()),
        (Some(0), vec![2])
    );
}

#[test]
fn transformers5_qwen2_spelling() {
    let json = r#"{"model_type":"qwen2","vocab_size":512,"hidden_size":64,
        "intermediate_size":176,"num_hidden_layers":2,"num_attention_heads":4,
        "num_key_value_heads":2,"rms_norm_eps":1e-6,"dtype":"float32",
        "rope_parameters":{"rope_theta":1000000.0,"rope_type":"default"},
        "eos_token_id":[2,1],"use_sliding_window":false}"#;
    let hf = HfConfig::from_json_bytes(json.as_bytes()).expect("parses");
    assert_eq!(hf.stored_dtype(), Some("float32"));
    let c = hf.into_config().expect("valid config");
    assert_eq!(c.rope_theta, 1e6);
    assert!(c.qkv_bias && !c.o_bias && !c.tie_word_embeddings);
    assert_eq!(c.eos_token_ids, vec![2, 1]);
}

#[test]
fn llama3_scaling() {
    let json = LEGACY.replace(
        r#""rope_scaling":null"#,
        r#""rope_scaling":{"rope_type":"llama3","factor":32.0,"low_freq_factor":1.0,
           "high_freq_factor":4.0,"original_max_position_embeddings":8192}"#,
    );
    let c = LlamaConfig::from_hf_json(json.as_bytes()).expect("valid config");
    assert!(matches!(c.rope_scaling, Some(RopeScaling::Llama3 { factor, .. }) if factor == 32.0));
}

#[test]
fn errors_name_the_key() {
    let bad = LEGACY.replace(r#""num_key_value_heads":2"#, r#""num_key_value_heads":3"#);
    let err = LlamaConfig::from_hf_json(bad.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("config.json") && err.contains("num_key_value_heads"),
        "{err}"
    );
    let bad = LEGACY.replace(r#""vocab_size":512"#, r#""vocab_size":"many""#);
    let err = LlamaConfig::from_hf_json(bad.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(err.contains("vocab_size"), "{err}");
    let bad = LEGACY.replace(
        r#""rope_scaling":null"#,
        r#""rope_scaling":{"type":"yarn","factor":2.0}"#,
    );
    let err = LlamaConfig::from_hf_json(bad.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("rope_scaling.rope_type") && err.contains("yarn"),
        "{err}"
    );
}
