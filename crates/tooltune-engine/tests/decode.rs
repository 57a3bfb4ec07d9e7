//! Decoding: KV-cache greedy equals full-recompute greedy equals
//! transformers; cached prefill in pieces equals one pass; EOS stop and the
//! logits-processor hook; batched (left-padded) decoding equals decoding
//! each prompt alone.

use tooltune_engine::KvCache;
use tooltune_engine::burn::tensor::Tensor;
use tooltune_engine::decode::{
    GenerateConfig, LogitsProcessor, StopReason, SuppressTokens, argmax, generate, generate_batch,
};
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

/// Prompts of four lengths: the fixture's two and shorter cuts of them.
fn ragged_prompts() -> Vec<Vec<u32>> {
    let prompts = expected("llama-gqa").prompts;
    let (a, b) = (&prompts[0].input_ids, &prompts[1].input_ids);
    vec![a.clone(), b[..3].to_vec(), b.clone(), a[..1].to_vec()]
}

#[test]
fn padded_prefill_matches_reference_logits() {
    let model = load_model("llama-gqa");
    let prompts = expected("llama-gqa").prompts;
    let rows: Vec<&[u32]> = prompts.iter().map(|p| &p.input_ids[..]).collect();
    let (ids, pad) = model.padded_token_tensor(&rows).expect("ids");
    assert!(
        pad.iter().any(|&p| p > 0),
        "the fixture prompts differ in length"
    );
    let mut cache = KvCache::with_left_padding(model.config.num_hidden_layers, pad);
    let logits = read_f32(model.forward_last(ids, Some(&mut cache))).expect("read");
    let vocab = model.config.vocab_size;
    let got: Vec<Vec<f32>> = logits.chunks(vocab).map(<[f32]>::to_vec).collect();
    let want: Vec<Vec<f32>> = prompts
        .iter()
        .map(|p| p.logits.last().expect("logits").clone())
        .collect();
    let worst = max_diff(&got, &want);
    eprintln!("left-padded batch prefill: max |last logits - transformers| = {worst:.3e}");
    assert!(worst < LOGITS_TOL, "{worst}");
}

#[test]
fn batched_greedy_equals_one_prompt_at_a_time() {
    let model = load_model("llama-gqa");
    let prompts = ragged_prompts();
    let rows: Vec<&[u32]> = prompts.iter().map(Vec::as_slice).collect();
    let alone: Vec<_> = prompts
        .iter()
        .map(|p| generate(&model, p, &GenerateConfig::greedy(12), &mut ()).expect("alone"))
        .collect();
    for p in expected("llama-gqa").prompts {
        let i = prompts
            .iter()
            .position(|q| *q == p.input_ids)
            .expect("in the batch");
        assert_eq!(alone[i].tokens[..8], p.greedy_new_ids[..]);
    }
    for use_cache in [true, false] {
        let config = GenerateConfig::greedy(12).with_cache(use_cache);
        let batched =
            generate_batch(&model, &rows, &config, &mut vec![(); rows.len()]).expect("batch");
        assert_eq!(batched, alone, "use_cache {use_cache}");
    }
}

/// Records the logits of every step.
#[derive(Default)]
struct Record(Vec<Vec<f32>>);

impl LogitsProcessor for Record {
    fn process(&mut self, _tokens: &[u32], logits: &mut [f32]) {
        self.0.push(logits.to_vec());
    }
}

#[test]
fn a_shared_prefix_prefilled_once_gives_what_each_prompt_alone_gives() {
    let model = load_model("llama-gqa");
    let prompts = expected("llama-gqa").prompts;
    let (a, b) = (&prompts[0].input_ids, &prompts[1].input_ids);
    // Four prompts opening with the same 24 tokens, with 1 to 18 of their own.
    let cat = |s: &[u32]| [b.as_slice(), s].concat();
    let prompts = [cat(&a[..5]), cat(&a[..1]), cat(a), cat(&a[3..6])];
    let rows: Vec<&[u32]> = prompts.iter().map(Vec::as_slice).collect();
    assert_eq!(
        tooltune_engine::decode::prefix::shared_prefix_len(&rows),
        b.len()
    );
    let config = GenerateConfig::greedy(12);
    let mut shared: Vec<Record> = (0..rows.len()).map(|_| Record::default()).collect();
    let batched = generate_batch(&model, &rows, &config, &mut shared).expect("shared");
    let unshared = generate_batch(
        &model,
        &rows,
        &config.clone().with_shared_prefix(false),
        &mut vec![(); rows.len()],
    )
    .expect("unshared");
    assert_eq!(batched, unshared);
    let mut worst = 0f32;
    for (i, prompt) in prompts.iter().enumerate() {
        let mut alone = Record::default();
        let out = generate(&model, prompt, &config, &mut alone).expect("alone");
        assert_eq!(batched[i], out, "row {i}");
        worst = worst.max(max_diff(&shared[i].0, &alone.0));
    }
    eprintln!("shared-prefix batch: max |logits - alone| over 12 steps = {worst:.3e}");
    assert!(worst < LOGITS_TOL, "{worst}");
}

#[test]
fn batch_rows_stop_on_their_own_and_keep_their_processors() {
    let model = load_model("llama-gqa");
    let prompts = ragged_prompts();
    let rows: Vec<&[u32]> = prompts.iter().map(Vec::as_slice).collect();
    // Row 2 forbids row 0's first greedy token. Rows stop at row 0's third
    // token or row 1's second, so rows end at different steps and, once half
    // of the batch is done, leave it.
    let ahead = |i: usize| {
        generate(&model, &prompts[i], &GenerateConfig::greedy(3), &mut ())
            .expect("gen")
            .tokens
    };
    let (first0, first1) = (ahead(0), ahead(1));
    let config = GenerateConfig::greedy(12).with_eos(&[first0[2], first1[1]]);
    let mut processors: Vec<SuppressTokens> = (0..rows.len())
        .map(|i| SuppressTokens(if i == 2 { vec![first0[0]] } else { vec![] }))
        .collect();
    let batched = generate_batch(&model, &rows, &config, &mut processors).expect("batch");
    for (i, prompt) in prompts.iter().enumerate() {
        let alone = generate(&model, prompt, &config, &mut processors[i].clone()).expect("alone");
        assert_eq!(batched[i], alone, "row {i}");
    }
    let stopped = batched
        .iter()
        .filter(|g| matches!(g.stop, StopReason::Eos(_)));
    assert!(stopped.count() >= 2, "two rows stop early: {batched:?}");
    assert!(
        batched.iter().any(|g| g.tokens.len() > 3),
        "some row outlives them: {batched:?}"
    );
}

#[test]
fn batch_input_errors_name_the_problem() {
    let model = load_model("llama-gqa");
    let config = GenerateConfig::greedy(1);
    let err = generate_batch(&model, &[&[1, 2], &[]], &config, &mut [(), ()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("empty"), "{err}");
    let err = generate_batch(&model, &[&[1, 2]], &config, &mut [(), ()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("processors"), "{err}");
    assert!(generate_batch::<()>(&model, &[], &config, &mut []).is_err());
}
