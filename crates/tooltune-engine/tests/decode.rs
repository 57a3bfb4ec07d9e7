//! Decoding: KV-cache greedy equals full-recompute greedy equals
//! transformers; cached prefill in pieces equals one pass; EOS stop and the
//! logits-processor hook.

use tooltune_engine::burn::tensor::Tensor;
use tooltune_engine::decode::{GenerateConfig, StopReason, SuppressTokens, argmax, generate};
use tooltune_engine::llama::read_f32;

use crate::common::{LOGITS_TOL, expected, load_model, max_diff};

#[test]
fn cached_greedy_equals_recompute_and_transformers() {
    let model = load_model("llama-gqa");
    for p in expected("llama-gqa").prompts {
        let cached =
            generate(&model, &p.input_ids, &GenerateConfig::greedy(8), &mut ()).expect("cached");
        let full = generate(
            &model,
            &p.input_ids,
            &GenerateConfig::greedy(8).with_cache(false),
            &mut (),
        )
        .expect("full");
        assert_eq!(cached.tokens, p.greedy_new_ids);
        assert_eq!(full.tokens, p.greedy_new_ids);
        assert_eq!(cached.stop, StopReason::MaxNewTokens);
    }
}

#[test]
fn prefill_in_pieces_matches_reference_logits() {
    let model = load_model("llama-gqa");
    let p = &expected("llama-gqa").prompts[1];
    let mut cache = model.new_cache();
    let mut rows = Vec::new();
    for chunk in [&p.input_ids[..5], &p.input_ids[5..6], &p.input_ids[6..]] {
        let logits: Tensor<3> =
            model.forward_cached(model.token_tensor(chunk).expect("ids"), &mut cache);
        let [_, n, v] = logits.dims();
        let flat = read_f32(logits).expect("read");
        rows.extend((0..n).map(|i| flat[i * v..(i + 1) * v].to_vec()));
    }
    assert_eq!(cache.seq_len(), p.input_ids.len());
    let worst = max_diff(&rows, &p.logits);
    eprintln!("chunked cached prefill: max |logits - transformers| = {worst:.3e}");
    assert!(worst < LOGITS_TOL, "{worst}");
}

#[test]
fn stops_at_eos_and_processor_can_forbid_tokens() {
    let model = load_model("llama-gqa");
    let p = &expected("llama-gqa").prompts[1];
    let first = p.greedy_new_ids[0];
    let out = generate(
        &model,
        &p.input_ids,
        &GenerateConfig::greedy(8).with_eos(&[first]),
        &mut (),
    )
    .expect("gen");
    assert_eq!(
        (out.tokens.clone(), out.stop),
        (vec![first], StopReason::Eos(first))
    );

    // Forbidding the greedy choice yields the runner-up of the reference logits.
    let mut last = p.logits.last().expect("logits").clone();
    last[first as usize] = f32::NEG_INFINITY;
    let runner_up = argmax(&last).expect("some token") as u32;
    let out = generate(
        &model,
        &p.input_ids,
        &GenerateConfig::greedy(1),
        &mut SuppressTokens(vec![first]),
    )
    .expect("gen");
    assert_eq!(out.tokens, vec![runner_up]);
    assert_ne!(runner_up, first);
}

#[test]
fn out_of_vocabulary_ids_are_errors() {
    let model = load_model("llama-gqa");
    let err = generate(&model, &[1, 512], &GenerateConfig::greedy(1), &mut ())
        .unwrap_err()
        .to_string();
    assert!(err.contains("512") && err.contains("vocabulary"), "{err}");
    assert!(model.token_tensor(&[]).is_err());
}
