//! A broken call attempt is never a correct decline: the near-miss corpus
//! (`tests/fixtures/near-miss/near-miss.json`) through the parser, the
//! evaluator (on gold-no_tool items) and the linter (as gold content).

use crate::common::*;
use serde_json::{Value, json};
use tooltune_core::call::Target;
use tooltune_core::dataset::Format;
use tooltune_core::eval::{self, FailureKind, MatchMode};
use tooltune_core::lint;
use tooltune_core::parse::{Mode, ParseError, parse};

fn corpus() -> (Vec<String>, Vec<String>) {
    let v: Value =
        serde_json::from_slice(&read(&fixtures().join("near-miss/near-miss.json"))).unwrap();
    let list = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    (list("attempts"), list("declines"))
}

#[test]
fn corpus_is_big_enough() {
    let (attempts, declines) = corpus();
    assert!(attempts.len() >= 25 && declines.len() >= 10);
}

#[test]
fn parser_reads_attempts_as_invalid_and_declines_as_no_tool() {
    let (attempts, declines) = corpus();
    for text in &attempts {
        for mode in [Mode::Chat, Mode::Json] {
            let got = parse(text, mode);
            assert!(got.is_err(), "{mode:?}: {text:?} read as {got:?}");
        }
        // In chat mode the reason names the attempt (or the broken JSON / block).
        let err = parse(text, Mode::Chat).unwrap_err();
        assert!(
            matches!(err.root(), ParseError::Attempt(_) | ParseError::Json(_)),
            "{text:?}: {err}"
        );
    }
    for text in &declines {
        assert!(
            matches!(parse(text, Mode::Chat), Ok(Target::NoTool { .. })),
            "{text:?} read as {:?}",
            parse(text, Mode::Chat)
        );
    }
}

fn no_tool_gold(n: usize) -> Vec<eval::Item> {
    let tools = json!([{"type": "function", "function": {"name": "track_order",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}}}]);
    let lines: String = (0..n)
        .map(|i| {
            json!({"id": i.to_string(), "tools": tools, "messages": [
                {"role": "user", "content": "What's the weather like?"},
                {"role": "assistant", "content": "I can't check the weather, sorry."}]})
            .to_string()
                + "\n"
        })
        .collect();
    items(&examples(
        Format::OpenAi,
        "gold.jsonl",
        lines.as_bytes(),
        None,
    ))
}

#[test]
fn evaluator_never_scores_an_attempt_as_a_correct_decline() {
    let (attempts, declines) = corpus();
    let items = no_tool_gold(attempts.len());
    let pairs: Vec<(String, String)> = items
        .iter()
        .zip(&attempts)
        .map(|(i, o)| (i.id.clone(), o.clone()))
        .collect();
    let r = eval::evaluate(&items, &predictions(&pairs), MatchMode::Exact).unwrap();
    assert_eq!(r.counts.valid, 0);
    assert_eq!(r.metrics.tool_name_accuracy, 0.0);
    assert!(r.failures.iter().all(|f| f.kind == FailureKind::Invalid));

    let items = no_tool_gold(declines.len());
    let pairs: Vec<(String, String)> = items
        .iter()
        .zip(&declines)
        .map(|(i, o)| (i.id.clone(), o.clone()))
        .collect();
    let r = eval::evaluate(&items, &predictions(&pairs), MatchMode::Exact).unwrap();
    assert_eq!(
        (r.metrics.valid_tool_call_rate, r.metrics.tool_name_accuracy),
        (1.0, 1.0)
    );
    assert_eq!(r.metrics.false_tool_call_rate, 0.0);
}

#[test]
fn attempts_as_gold_content_are_lint_errors_and_evaluation_errors() {
    let (attempts, declines) = corpus();
    let line = |content: &str| {
        json!({"tools": [{"type": "function", "function": {"name": "track_order",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}}}}],
            "messages": [{"role": "user", "content": "hi"},
                         {"role": "assistant", "content": content}]})
        .to_string()
            + "\n"
    };
    for text in &attempts {
        let bytes = line(text);
        let report = lint::lint(
            "gold.jsonl",
            bytes.as_bytes(),
            None,
            &lint::Options::default(),
        );
        let codes: Vec<&str> = report.problems.iter().map(|p| p.code).collect();
        assert!(
            codes.contains(&"call_attempt_in_gold") || codes.contains(&"bad_router_object"),
            "{text:?}: {codes:?}"
        );
        let ex = examples(Format::OpenAi, "gold.jsonl", bytes.as_bytes(), None);
        let err = eval::items(&ex, None, &mut Default::default()).unwrap_err();
        assert!(
            matches!(err, tooltune_core::Error::Gold { ref at, .. } if at.line == Some(1)),
            "{text:?}: {err}"
        );
    }
    for text in &declines {
        let ex = examples(Format::OpenAi, "gold.jsonl", line(text).as_bytes(), None);
        let items = eval::items(&ex, None, &mut Default::default()).unwrap();
        assert_eq!(items[0].expected, eval::Expected::NoTool);
    }
}

#[test]
fn a_failures_odds_are_printed_and_serialised_only_when_scored() {
    let items = no_tool_gold(1);
    let call =
        r#"<tool_call>{"name": "track_order", "arguments": {"order_id": "ORD-1"}}</tool_call>"#;
    let pairs = vec![(items[0].id.clone(), call.to_string())];
    let mut r = eval::evaluate(&items, &predictions(&pairs), MatchMode::Exact).unwrap();
    assert_eq!(r.failures.len(), 1);
    assert_eq!(r.failures[0].kind, FailureKind::FalseToolCall);
    let plain = serde_json::to_value(&r).unwrap();
    assert!(plain["failures"][0].get("choices").is_none(), "{plain}");
    assert!(!r.to_text(5).contains("call probabilities"));

    r.failures[0].choices = Some(tooltune_core::choices::ToolChoices::new(
        0.7,
        vec![("track_order".into(), -1.0)],
    ));
    let json = serde_json::to_value(&r).unwrap();
    let choices = &json["failures"][0]["choices"];
    assert_eq!(choices["tools"][0]["tool"], "track_order");
    assert!(
        (choices["no_call"].as_f64().unwrap() - 0.3).abs() < 1e-9,
        "{choices}"
    );
    let text = r.to_text(5);
    assert!(
        text.contains("    call probabilities: track_order 0.70 · no call 0.30"),
        "{text}"
    );
}
