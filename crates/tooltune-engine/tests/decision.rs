//! The call-or-answer decision ([`CallDecision`], `--call-threshold`): the
//! opening is found from the template, and the threshold alone decides
//! whether each answer is a call; a failing row gets the odds of each call.

use tooltune_core::dataset::{Example, Format};
use tooltune_core::eval::MatchMode;
use tooltune_core::prompt::PromptContext;
use tooltune_engine::assistant::{EvalSet, evaluate, prompt_ids, prompt_with_opening, stop_ids};
use tooltune_engine::choices::{CallPaths, score_failures};
use tooltune_engine::{ChatTemplate, LlamaForCausalLM, Tokenizer, builtin};

use crate::common::device;

/// The support example's first ten test rows.
fn rows() -> Vec<Example> {
    let text = include_str!("../../../datasets/support/test.jsonl");
    tooltune_core::dataset::read(Format::OpenAi, "support/test.jsonl", text.as_bytes(), None)
        .expect("the support test file reads")
        .into_iter()
        .take(10)
        .map(|line| line.expect("a valid line"))
        .collect()
}

#[test]
fn the_call_opening_is_the_templates_tool_call_token() {
    let tokenizer = builtin::tokenizer().unwrap();
    let template = builtin::template().unwrap();
    let context = PromptContext::as_given();
    let example = &rows()[0];
    let conv = &example.conversation;
    let prompt = context.turn(
        tooltune_engine::chat::messages_value(conv, conv.messages.len() - 1),
        conv.tools.as_ref(),
    );
    let (ids, opening) = prompt_with_opening(&template, &tokenizer, &prompt).unwrap();
    assert_eq!(ids, prompt_ids(&template, &tokenizer, &prompt).unwrap());
    assert_eq!(opening, tokenizer.token_id("<tool_call>"));
}

/// The built-in model, its tokenizer, template and stop ids.
fn builtin_model() -> (LlamaForCausalLM, Tokenizer, ChatTemplate, Vec<u32>) {
    let model = builtin::model(&device()).unwrap();
    let tokenizer = builtin::tokenizer().unwrap();
    let template = builtin::template().unwrap();
    let stop = stop_ids(&model, &tokenizer, &template);
    (model, tokenizer, template, stop)
}

#[test]
fn the_threshold_alone_decides_call_or_prose() {
    let (model, tokenizer, template, stop) = builtin_model();
    let examples = rows();
    let set = || {
        EvalSet::new(
            &examples,
            None,
            &PromptContext::as_given(),
            &template,
            &tokenizer,
        )
        .unwrap()
    };
    let open = "<tool_call>";
    let decode = |set: &EvalSet| {
        evaluate(&model, &tokenizer, &stop, set, 24, MatchMode::Exact, 4)
            .unwrap()
            .1
    };
    assert!(set().openings.iter().all(|o| o.is_some()));
    // Near 1: no answer is a call; near 0: every answer opens one.
    let never = decode(&set().deciding(Some(0.999_999)));
    assert!(never.iter().all(|o| !o.starts_with(open)), "{never:?}");
    let always = decode(&set().deciding(Some(1e-6)));
    assert!(always.iter().all(|o| o.starts_with(open)), "{always:?}");
}

#[test]
fn failing_rows_get_the_odds_of_each_call_as_route_scores_them() {
    let (model, tokenizer, template, stop) = builtin_model();
    let examples = rows();
    let context = PromptContext::as_given();
    let set = EvalSet::new(&examples, None, &context, &template, &tokenizer).unwrap();
    let (mut report, _) =
        evaluate(&model, &tokenizer, &stop, &set, 24, MatchMode::Exact, 4).unwrap();
    // The bare built-in model misroutes most of support's requests.
    // (More than one group: five failures of three tools fill one, each
    // group scored in a batch.)
    assert!(report.failures.len() >= 6, "{:?}", report.failures);
    let limit = report.failures.len() - 1;
    score_failures(&model, &template, &tokenizer, &set, &mut report, limit).unwrap();
    for (k, failure) in report.failures.iter().enumerate() {
        let Some(choices) = &failure.choices else {
            assert_eq!(
                k, limit,
                "only the last failure, past the limit, is left unscored"
            );
            continue;
        };
        assert!(k < limit);
        // The same odds as `tooltune route` gives the row's request.
        let i = set.items.iter().position(|it| it.id == failure.id).unwrap();
        let item = &set.items[i];
        let paths =
            CallPaths::for_catalogue(&template, &tokenizer, &set.requests[i], &item.catalogue)
                .unwrap()
                .expect("the built-in template writes calls");
        assert_eq!(
            paths.prompt, set.prompts[i],
            "the prompt the answer was generated from"
        );
        // (The failures are scored in batches: the same odds up to float
        // rounding.)
        let want = paths.score(&model, None).unwrap();
        assert!(
            (choices.no_call - want.no_call).abs() < 1e-4,
            "{choices:?} {want:?}"
        );
        for (got, want) in choices.tools.iter().zip(&want.tools) {
            assert_eq!(got.tool, want.tool);
            assert!(
                (got.probability - want.probability).abs() < 1e-4,
                "{choices:?} {want:?}"
            );
        }
        let total = choices.no_call + choices.tools.iter().map(|t| t.probability).sum::<f64>();
        assert!((total - 1.0).abs() < 1e-6, "{choices:?}");
        assert_eq!(choices.tools.len(), item.catalogue.tools().len());
    }
}
