//! Deliberately corrupted predictions each move exactly the counts they should.

use crate::common::*;
use serde_json::{Value, json};
use tooltune_core::dataset::Format;
use tooltune_core::eval::{self, Counts, Item, MatchMode};

fn support() -> Vec<Item> {
    let bytes = read(&fixtures().join("support/train.jsonl"));
    items(&examples(Format::OpenAi, "train.jsonl", &bytes, None))
}

/// The gold of each item written as model text (OpenAI-style calls, or the answer text).
fn gold_output(item: &Item) -> String {
    match &item.expected {
        eval::Expected::Calls(calls) => Value::Array(
            calls
                .iter()
                .map(|c| match &c.arguments {
                    eval::ExpectedArgs::Exact(a) => json!({"name": c.name, "arguments": a}),
                    eval::ExpectedArgs::Acceptable(_) => unreachable!("chat gold is exact"),
                })
                .collect(),
        )
        .to_string(),
        _ => "Happy to help; what is your order number?".into(),
    }
}

fn counts(items: &[Item], outputs: &[String]) -> (Counts, eval::Report) {
    let pairs: Vec<(String, String)> = items
        .iter()
        .zip(outputs)
        .map(|(i, o)| (i.id.clone(), o.clone()))
        .collect();
    let r = eval::evaluate(items, &predictions(&pairs), MatchMode::Exact).unwrap();
    (r.counts.clone(), r)
}

/// (valid, tool_name_correct, argument_match, false_tool_calls, missed_calls) deltas.
fn delta(corrupt: impl Fn(&Item) -> Option<String>) -> (i64, i64, i64, i64, i64) {
    let items = support();
    let gold: Vec<String> = items.iter().map(gold_output).collect();
    let (base, report) = counts(&items, &gold);
    // The lesson's argument match counts calls only: a rightly chosen no_tool
    // is not an argument match, so a perfect model scores calls / n here.
    let calls = items.len() - base.gold_no_tool;
    assert!(base.gold_no_tool > 0 && calls > 0);
    assert_eq!(
        (
            report.metrics.valid_tool_call_rate,
            report.metrics.tool_name_accuracy,
            report.metrics.argument_match_accuracy,
            report.metrics.false_tool_call_rate,
            report.metrics.call_accuracy
        ),
        (1.0, 1.0, calls as f64 / items.len() as f64, 0.0, 1.0)
    );
    let target = items
        .iter()
        .position(|i| corrupt(i).is_some())
        .expect("an item to corrupt");
    let mut outputs = gold.clone();
    outputs[target] = corrupt(&items[target]).unwrap();
    let (c, _) = counts(&items, &outputs);
    let d = |a: usize, b: usize| a as i64 - b as i64;
    (
        d(c.valid, base.valid),
        d(c.tool_name_correct, base.tool_name_correct),
        d(c.argument_match, base.argument_match),
        d(c.false_tool_calls, base.false_tool_calls),
        d(c.missed_calls, base.missed_calls),
    )
}

fn single_call(item: &Item, name: &str) -> bool {
    matches!(&item.expected, eval::Expected::Calls(c) if c.len() == 1 && c[0].name == name)
}

#[test]
fn wrong_tool_moves_tool_name_and_arguments() {
    let d = delta(|i| {
        single_call(i, "track_order")
            .then(|| json!({"name": "escalate", "arguments": {"reason": "x"}}).to_string())
    });
    assert_eq!(d, (0, -1, -1, 0, 0));
}

#[test]
fn wrong_value_moves_arguments_only() {
    let d = delta(|i| {
        single_call(i, "track_order")
            .then(|| json!({"name": "track_order", "arguments": {"order_id": "ORD-1"}}).to_string())
    });
    assert_eq!(d, (0, 0, -1, 0, 0));
}

#[test]
fn missing_required_argument_is_invalid() {
    let d = delta(|i| {
        single_call(i, "request_refund")
            .then(|| json!({"name": "request_refund", "arguments": {"reason": "late"}}).to_string())
    });
    assert_eq!(d, (-1, -1, -1, 0, 0));
}

#[test]
fn extra_call_moves_tool_name_and_arguments() {
    let d = delta(|i| {
        single_call(i, "escalate").then(|| {
            let mut calls: Vec<Value> = serde_json::from_str(&gold_output(i)).unwrap();
            calls.push(json!({"name": "track_order", "arguments": {"order_id": "ORD-2"}}));
            Value::Array(calls).to_string()
        })
    });
    assert_eq!(d, (0, -1, -1, 0, 0));
}

#[test]
fn call_on_a_no_tool_item_is_a_false_tool_call() {
    let d = delta(|i| {
        (i.expected == eval::Expected::NoTool)
            .then(|| json!({"name": "escalate", "arguments": {"reason": "x"}}).to_string())
    });
    // A no_tool item never counts as an argument match, right or wrong.
    assert_eq!(d, (0, -1, 0, 1, 0));
}

#[test]
fn no_tool_on_a_call_item_is_a_missed_call() {
    let d =
        delta(|i| single_call(i, "track_order").then(|| "I cannot help with that.".to_string()));
    assert_eq!(d, (0, -1, -1, 0, 1));
}

#[test]
fn unparsable_text_is_invalid() {
    let d = delta(|i| {
        single_call(i, "track_order")
            .then(|| r#"{"name": "track_order", "arguments": {"order_id": "ORD-1""#.to_string())
    });
    assert_eq!(d, (-1, -1, -1, 0, 0));
}

#[test]
fn argument_accuracy_is_over_valid_outputs() {
    let items = support();
    let mut outputs: Vec<String> = items.iter().map(gold_output).collect();
    let first = items
        .iter()
        .position(|i| single_call(i, "track_order"))
        .unwrap();
    outputs[first] = "{broken".into();
    let (c, r) = counts(&items, &outputs);
    assert_eq!(c.valid, items.len() - 1);
    let calls = c.gold_calls;
    assert_eq!(
        r.metrics.argument_match_accuracy,
        (calls - 1) as f64 / (items.len() - 1) as f64,
        "over valid outputs: every valid call matches, no_tool items are not matches"
    );
    assert_eq!(r.metrics.call_accuracy, (calls - 1) as f64 / calls as f64);
    assert_eq!(
        r.metrics.valid_tool_call_rate,
        (items.len() - 1) as f64 / items.len() as f64
    );
}

#[test]
fn multi_step_turns_are_items_addressed_by_turn() {
    let items = support();
    let multi: Vec<&Item> = items.iter().filter(|i| i.id.contains('#')).collect();
    assert!(!multi.is_empty());
    for i in &multi {
        assert_eq!(i.id, format!("{}#{}", i.conversation, i.turn));
    }
    // The second turn of a parallel-call conversation is the final answer, with the
    // tool results in its history.
    let second = multi.iter().find(|i| i.turn == 2).unwrap();
    assert_eq!(second.expected, eval::Expected::NoTool);
    assert!(
        second
            .history
            .iter()
            .any(|m| m.role == tooltune_core::dataset::Role::Tool)
    );
}

#[test]
fn predictions_by_line_order_and_confusion() {
    let items = support();
    let preds: Vec<eval::Prediction> = items
        .iter()
        .enumerate()
        .map(|(k, i)| eval::Prediction {
            id: None,
            output: gold_output(i),
            at: tooltune_core::Location::line("p", k + 1),
        })
        .collect();
    let r = eval::evaluate(&items, &preds[..preds.len() - 1], MatchMode::Exact).unwrap();
    assert_eq!(r.missing_predictions, 1);
    assert_eq!(r.counts.valid, items.len() - 1);
    let labels = &r.confusion.labels;
    let diag: usize = (0..labels.len()).map(|k| r.confusion.matrix[k][k]).sum();
    assert!(diag >= items.len() - 1);
    // The missing last prediction was a track_order call.
    assert!(single_call(items.last().unwrap(), "track_order"));
    let t = &r.per_tool["track_order"];
    assert_eq!(t.recall, Some((t.support - 1) as f64 / t.support as f64));
    assert_eq!(t.precision, Some(1.0));
    assert_eq!(r.per_tool["escalate"].recall, Some(1.0));
}
