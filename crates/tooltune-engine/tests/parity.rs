//! Logits and greedy tokens of the base models equal transformers'.

use tooltune_engine::decode::{GenerateConfig, generate};

use crate::common::{LOGITS_TOL, expected, load_model, max_logit_error};

#[test]
fn llama_gqa_logits_match_transformers() {
    let model = load_model("llama-gqa");
    let worst = max_logit_error(&model, &expected("llama-gqa"));
    eprintln!("llama-gqa: max |logits - transformers| = {worst:.3e}");
    assert!(worst < LOGITS_TOL, "max abs error {worst}");
}

#[test]
fn llama_gqa_greedy_matches_transformers() {
    let model = load_model("llama-gqa");
    for p in expected("llama-gqa").prompts {
        let out =
            generate(&model, &p.input_ids, &GenerateConfig::greedy(8), &mut ()).expect("generate");
        assert_eq!(out.tokens, p.greedy_new_ids);
    }
}
