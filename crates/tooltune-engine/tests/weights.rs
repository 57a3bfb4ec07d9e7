//! Checkpoint loading: half-precision dtypes, sharded checkpoints, and typed
//! errors (never panics) for missing, mis-shaped, extra or corrupt tensors.

use std::collections::HashMap;

use safetensors::Dtype;
use tooltune_engine::{LlamaConfig, LlamaForCausalLM, SafetensorsWeights};

use crate::common::{device, expected, load_model, max_diff, read, tensors_of, to_safetensors};

const DIR: &str = "llama-gqa";

fn config() -> LlamaConfig {
    LlamaConfig::from_hf_json(&read(DIR, "config.json")).expect("config")
}

fn load_err(config: &LlamaConfig, bytes: &[u8]) -> String {
    let weights = SafetensorsWeights::from_bytes(bytes).expect("parses");
    LlamaForCausalLM::from_safetensors(config, &weights, &device())
        .map(|_| ())
        .unwrap_err()
        .to_string()
}

#[test]
fn half_precision_tensors_convert_exactly() {
    let values = [1.0f32, -2.5, 0.156_25, 65504.0];
    let f16: Vec<u8> = values
        .iter()
        .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
        .collect();
    let bf16: Vec<u8> = values
        .iter()
        .flat_map(|v| half::bf16::from_f32(*v).to_le_bytes())
        .collect();
    let bytes = to_safetensors(&[
        ("a".into(), Dtype::F16, vec![2, 2], f16),
        ("b".into(), Dtype::BF16, vec![4], bf16),
        ("c".into(), Dtype::I32, vec![1], vec![0; 4]),
    ]);
    let w = SafetensorsWeights::from_bytes(&bytes).expect("parses");
    let a = w.get("a").expect("f16");
    assert_eq!((a.shape, a.data), (vec![2, 2], values.to_vec()));
    // bf16 keeps 8 mantissa bits: 65504 rounds to 65536.
    assert_eq!(
        w.get("b").expect("bf16").data,
        vec![1.0, -2.5, 0.156_25, 65536.0]
    );
    let err = w.get("c").unwrap_err().to_string();
    assert!(err.contains("`c`") && err.contains("I32"), "{err}");
}

#[test]
fn bf16_checkpoint_equals_its_f32_rounding() {
    // The same weights as bf16, and as f32 holding the bf16-rounded values.
    let (mut as_bf16, mut rounded) = (Vec::new(), Vec::new());
    for (k, _, s, b) in tensors_of(&read(DIR, "model.safetensors")) {
        let vals: Vec<half::bf16> = b
            .chunks_exact(4)
            .map(|c| half::bf16::from_f32(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect();
        as_bf16.push((
            k.clone(),
            Dtype::BF16,
            s.clone(),
            vals.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ));
        rounded.push((
            k,
            Dtype::F32,
            s,
            vals.iter().flat_map(|v| v.to_f32().to_le_bytes()).collect(),
        ));
    }
    let load = |t: &[_]| {
        let bytes = to_safetensors(t);
        let weights = SafetensorsWeights::from_bytes(&bytes).expect("parses");
        LlamaForCausalLM::from_safetensors(&config(), &weights, &device()).expect("loads")
    };
    let p = &expected(DIR).prompts[0];
    let from_bf16 = load(&as_bf16).logits(&p.input_ids).expect("fwd");
    assert_eq!(
        max_diff(
            &from_bf16,
            &load(&rounded).logits(&p.input_ids).expect("fwd")
        ),
        0.0
    );
    let drift = max_diff(&from_bf16, &p.logits);
    eprintln!("bf16-rounded weights: max |logits - f32 reference| = {drift:.3e}");
    assert!(drift > 0.0, "rounding to bf16 must change something");
}

#[test]
fn sharded_checkpoint_equals_single_file() {
    let tensors = tensors_of(&read(DIR, "model.safetensors"));
    let (first, second) = tensors.split_at(tensors.len() / 2);
    let names = [
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ];
    let mut weight_map = serde_json::Map::new();
    for (part, name) in [(first, names[0]), (second, names[1])] {
        for t in part {
            weight_map.insert(t.0.clone(), name.into());
        }
    }
    let index = serde_json::to_vec(&serde_json::json!({"metadata": {}, "weight_map": weight_map}))
        .expect("json");
    let shards: HashMap<String, Vec<u8>> = HashMap::from([
        (names[0].into(), to_safetensors(first)),
        (names[1].into(), to_safetensors(second)),
    ]);
    let weights = SafetensorsWeights::from_sharded(&index, &shards).expect("index parses");
    let sharded =
        LlamaForCausalLM::from_safetensors(&config(), &weights, &device()).expect("loads");
    let ids = &expected(DIR).prompts[1].input_ids;
    let single = load_model(DIR).logits(ids).expect("fwd");
    assert_eq!(max_diff(&single, &sharded.logits(ids).expect("fwd")), 0.0);

    let only_first = HashMap::from([(names[0].to_string(), to_safetensors(first))]);
    let err = SafetensorsWeights::from_sharded(&index, &only_first)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(names[1]) && err.contains("not provided"),
        "{err}"
    );
    let err = SafetensorsWeights::from_sharded(b"{\"weight_map\": 3}", &shards)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("model.safetensors.index.json") && err.contains("weight_map"),
        "{err}"
    );
}

#[test]
fn missing_extra_and_misshaped_tensors_are_named() {
    let tensors = tensors_of(&read(DIR, "model.safetensors"));
    let key = "model.layers.1.mlp.up_proj.weight";

    let without: Vec<_> = tensors.iter().filter(|t| t.0 != key).cloned().collect();
    let err = load_err(&config(), &to_safetensors(&without));
    assert_eq!(err, format!("model.safetensors: missing tensor `{key}`"));

    let mut wide = config();
    wide.intermediate_size = 176;
    let err = load_err(&wide, &read(DIR, "model.safetensors"));
    assert!(
        err.contains("model.layers.0.mlp.gate_proj.weight")
            && err.contains("[172, 64], expected [176, 64]"),
        "{err}"
    );

    let mut extra = tensors.clone();
    let bias = "model.layers.0.self_attn.q_proj.bias";
    extra.push((bias.into(), Dtype::F32, vec![64], vec![0; 256]));
    let err = load_err(&config(), &to_safetensors(&extra));
    assert!(
        err.contains(bias) && err.contains("not part of the architecture"),
        "{err}"
    );

    let err = SafetensorsWeights::from_bytes(b"\x08\0\0\0\0\0\0\0{}")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("model.safetensors: not a valid safetensors file"),
        "{err}"
    );
}

#[test]
fn saved_checkpoint_equals_the_original() {
    for dir in [DIR, "qwen2-bias"] {
        let saved = load_model(dir).to_safetensors().expect("saves");
        // Same keys, shapes, dtypes and bytes as transformers wrote.
        assert_eq!(
            tensors_of(&saved),
            tensors_of(&read(dir, "model.safetensors")),
            "{dir}"
        );
    }
}

#[test]
fn merged_lora_model_saves_and_reloads() {
    let lora = "llama-gqa-lora";
    let (model, _) = tooltune_engine::lora::load_peft_adapter(
        load_model(DIR),
        &read(lora, "adapter_config.json"),
        &read(lora, "adapter_model.safetensors"),
    )
    .expect("adapter");
    let err = model.to_safetensors().map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("merge"), "{err}");
    let merged = tooltune_engine::lora::merge_lora(model);
    let bytes = merged.to_safetensors().expect("saves");
    let reloaded = LlamaForCausalLM::from_hf_bytes(&read(DIR, "config.json"), &bytes, &device())
        .expect("reloads");
    let p = &expected(lora).prompts[0];
    let worst = max_diff(&reloaded.logits(&p.input_ids).expect("fwd"), &p.logits);
    assert!(worst < crate::common::LOGITS_TOL, "{worst}");
}
