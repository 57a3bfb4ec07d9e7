//! PEFT LoRA adapters: parity with PEFT (unmerged and merged), PEFT-format
//! round trip, fresh adapters, and errors for bad adapters.

use tooltune_engine::LlamaForCausalLM;
use tooltune_engine::decode::{GenerateConfig, generate};
use tooltune_engine::lora::{
    LoraSettings, add_lora, load_peft_adapter, merge_lora, projections, save_peft_adapter,
};

use tooltune_engine::burn::tensor::Device;

use crate::common::{
    LOGITS_TOL, device, expected, load_model, load_model_on, max_diff, max_logit_error, read,
    tensors_of, to_safetensors,
};

const DIR: &str = "llama-gqa-lora";

fn with_fixture_adapter() -> (LlamaForCausalLM, LoraSettings) {
    with_fixture_adapter_on(&device())
}

/// The base fixture on `device` with the PEFT adapter fixture attached.
pub fn with_fixture_adapter_on(device: &Device) -> (LlamaForCausalLM, LoraSettings) {
    load_peft_adapter(
        load_model_on("llama-gqa", device),
        &read(DIR, "adapter_config.json"),
        &read(DIR, "adapter_model.safetensors"),
    )
    .expect("adapter loads")
}

#[test]
fn adapter_logits_and_greedy_match_peft() {
    let (model, settings) = with_fixture_adapter();
    assert_eq!(
        (settings.r, settings.lora_alpha, settings.scale()),
        (4, 8.0, 2.0)
    );
    let adapted = projections(&model)
        .iter()
        .filter(|(_, l)| l.weight.adapter().is_some())
        .count();
    assert_eq!(adapted, 4, "q_proj and v_proj of 2 layers");
    check_matches_peft(&model, "unmerged");
}

/// The adapted model's logits are within [`LOGITS_TOL`] of PEFT's and its
/// greedy tokens are PEFT's.
pub fn check_matches_peft(model: &LlamaForCausalLM, label: &str) {
    let exp = expected(DIR);
    let worst = max_logit_error(model, &exp);
    eprintln!("{DIR} ({label}): max |logits - PEFT| = {worst:.3e}");
    assert!(worst < LOGITS_TOL, "max abs error {worst}");
    for p in &exp.prompts {
        let out =
            generate(model, &p.input_ids, &GenerateConfig::greedy(8), &mut ()).expect("generate");
        assert_eq!(out.tokens, p.greedy_new_ids);
    }
}

#[test]
fn merged_adapter_matches_peft() {
    let (model, _) = with_fixture_adapter();
    let merged = merge_lora(model);
    assert!(
        projections(&merged)
            .iter()
            .all(|(_, l)| l.weight.adapter().is_none())
    );
    let worst = max_logit_error(&merged, &expected(DIR));
    eprintln!("llama-gqa-lora (merged): max |logits - PEFT| = {worst:.3e}");
    assert!(worst < LOGITS_TOL, "max abs error {worst}");
}

#[test]
fn save_round_trips_peft_format() {
    let (model, settings) = with_fixture_adapter();
    let saved = save_peft_adapter(&model).expect("saves");
    // Same keys, shapes and (f32) values as the file PEFT wrote.
    assert_eq!(
        tensors_of(&saved),
        tensors_of(&read(DIR, "adapter_model.safetensors"))
    );
    let config = settings.to_peft_config_json(Some("../llama-gqa"));
    let (reloaded, again) =
        load_peft_adapter(load_model("llama-gqa"), &config, &saved).expect("reloads");
    assert_eq!(again, settings);
    let ids = &expected(DIR).prompts[0].input_ids;
    let diff = max_diff(
        &model.logits(ids).expect("fwd"),
        &reloaded.logits(ids).expect("fwd"),
    );
    assert_eq!(diff, 0.0);
}

#[test]
fn fresh_adapter_starts_as_identity_on_all_projections() {
    let base = load_model("llama-gqa");
    let ids = &expected("llama-gqa").prompts[1].input_ids;
    let before = base.logits(ids).expect("fwd");
    let all: Vec<&str> = tooltune_engine::lora::PROJECTIONS.to_vec();
    let settings = LoraSettings {
        use_rslora: true,
        ..LoraSettings::new(8, 16.0, &all)
    };
    assert!((settings.scale() - 16.0 / 8f64.sqrt()).abs() < 1e-12);
    let model = add_lora(base, &settings).expect("adds");
    let adapters: Vec<_> = projections(&model)
        .into_iter()
        .filter_map(|(_, l)| l.weight.adapter())
        .collect();
    assert_eq!(adapters.len(), 14);
    assert!(
        adapters
            .iter()
            .all(|a| (a.scale - settings.scale()).abs() < 1e-12 && a.a.dims()[1] == 8)
    );
    assert_eq!(
        max_diff(&before, &model.logits(ids).expect("fwd")),
        0.0,
        "B = 0 at start"
    );
}

#[test]
fn bad_adapters_are_reported() {
    let config = read(DIR, "adapter_config.json");
    let weights = read(DIR, "adapter_model.safetensors");
    let load = |c: &[u8], w: &[u8]| {
        load_peft_adapter(load_model("llama-gqa"), c, w)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };

    let wrong_rank = String::from_utf8(config.clone())
        .expect("utf8")
        .replace("\"r\": 4", "\"r\": 8");
    let err = load(wrong_rank.as_bytes(), &weights);
    assert!(
        err.contains("lora_A.weight") && err.contains("rank 8"),
        "{err}"
    );

    let dora = String::from_utf8(config.clone())
        .expect("utf8")
        .replace("\"use_dora\": false", "\"use_dora\": true");
    assert!(load(dora.as_bytes(), &weights).contains("use_dora"));

    // Drop one B factor: the loader names the missing key.
    let mut tensors = tensors_of(&weights);
    tensors.retain(|t| t.0 != "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight");
    let err = load(&config, &to_safetensors(&tensors));
    assert!(
        err.contains(
            "missing tensor `base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight`"
        ),
        "{err}"
    );

    // A layer the model does not have.
    let mut tensors = tensors_of(&weights);
    for t in &mut tensors {
        t.0 = t.0.replace("layers.1.", "layers.7.");
    }
    let err = load(&config, &to_safetensors(&tensors));
    assert!(
        err.contains("layers.7") && err.contains("targets no weight"),
        "{err}"
    );

    assert!(load(&config, b"not safetensors").contains("adapter_model.safetensors"));
}
