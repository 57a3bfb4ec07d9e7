//! Logits and greedy tokens of the base models equal transformers'.

use tooltune_engine::decode::{GenerateConfig, generate};

use tooltune_engine::burn::module::Module;

use tooltune_engine::burn::tensor::Device;

use crate::common::{LOGITS_TOL, device, expected, load_model, load_model_on, max_logit_error};

fn check(dir: &str) {
    check_on(dir, &device());
}

/// The fixture's logits (inference and autodiff paths) and greedy tokens
/// (with and without the KV cache) on `device` equal transformers'.
pub(crate) fn check_on(dir: &str, device: &Device) {
    let model = load_model_on(dir, device);
    let exp = expected(dir);
    let worst = max_logit_error(&model, &exp);
    eprintln!("{dir}: max |logits - transformers| = {worst:.3e}");
    assert!(worst < LOGITS_TOL, "{dir}: max abs error {worst}");
    // The same weights on the autodiff device take the training attention
    // path (query blocks, GQA by reshape).
    let ad = model.clone().fork(&device.clone().autodiff());
    let worst = max_logit_error(&ad, &exp);
    eprintln!("{dir} (autodiff): max |logits - transformers| = {worst:.3e}");
    assert!(
        worst < LOGITS_TOL,
        "{dir} (autodiff): max abs error {worst}"
    );
    for p in &exp.prompts {
        for use_cache in [true, false] {
            let config = GenerateConfig::greedy(8).with_cache(use_cache);
            let out = generate(&model, &p.input_ids, &config, &mut ()).expect("generate");
            assert_eq!(out.tokens, p.greedy_new_ids, "{dir}, cache {use_cache}");
        }
    }
}

/// Llama, GQA, tied embeddings, legacy config spelling.
#[test]
fn llama_gqa_matches_transformers() {
    check("llama-gqa");
}

/// Qwen2: q/k/v bias, untied head, rope_theta 1e6, transformers 5 config.
#[test]
fn qwen2_bias_matches_transformers() {
    let model = load_model("qwen2-bias");
    assert!(model.config.qkv_bias && !model.config.o_bias && model.lm_head.is_some());
    assert!(model.model.layers[0].self_attn.q_proj.bias.is_some());
    assert!(model.model.layers[0].self_attn.o_proj.bias.is_none());
    check("qwen2-bias");
}
