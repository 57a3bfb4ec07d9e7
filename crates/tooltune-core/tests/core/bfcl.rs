//! BFCL's own possible answers, fed back as predictions, score 100 % on every
//! category; an external test set for the parser, validator and matcher.

use crate::common::*;
use serde_json::{Map, Value, json};
use tooltune_core::dataset::{Acceptable, AcceptableCall, Format, first_values};
use tooltune_core::eval::{self, Expected, MatchMode};

const CATEGORIES: [&str; 7] = [
    "simple_python",
    "multiple",
    "parallel",
    "parallel_multiple",
    "live_simple",
    "irrelevance",
    "live_relevance",
];

/// A minimal value that satisfies a (normalised) JSON Schema.
fn sample(schema: &Value) -> Value {
    if let Some(Value::Array(options)) = schema.get("enum") {
        return options[0].clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => json!("x"),
        Some("integer") => json!(schema.get("minimum").and_then(Value::as_i64).unwrap_or(1)),
        Some("number") => json!(schema.get("minimum").and_then(Value::as_f64).unwrap_or(1.0)),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        Some("object") => {
            let mut out = Map::new();
            let props = schema.get("properties").and_then(Value::as_object);
            for r in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let key = r.as_str().unwrap();
                out.insert(key.into(), sample(&props.unwrap()[key]));
            }
            Value::Object(out)
        }
        _ => json!("x"),
    }
}

/// The first acceptable values; where those break the tool's own schema (BFCL's
/// gold lists `venue: true` for a string parameter in simple_python_307), the
/// other acceptable choice for optional parameters: leaving them out.
fn valid_choice(item: &eval::Item, call: &AcceptableCall) -> Map<String, Value> {
    let first = first_values(&call.params);
    let tool = item
        .catalogue
        .get(&call.name)
        .expect("gold tool in catalogue");
    if tool.check_arguments(&first).is_ok() {
        return first;
    }
    let optional = |k: &String| {
        call.params[k]
            .as_array()
            .is_some_and(|o| o.contains(&json!("")))
    };
    first.into_iter().filter(|(k, _)| !optional(k)).collect()
}

/// The gold fed back as model text: OpenAI-style call arrays, the router no_tool
/// object for irrelevance, and a schema-valid call for live_relevance.
fn gold_outputs(category: &str, mode: MatchMode) -> (usize, eval::Report) {
    let dir = fixtures().join("bfcl");
    let questions = read(&dir.join(format!("BFCL_v4_{category}.json")));
    let answers_path = dir.join(format!("possible_answer/BFCL_v4_{category}.json"));
    let answers = answers_path.exists().then(|| read(&answers_path));
    let examples = examples(
        Format::Bfcl,
        category,
        &questions,
        answers.as_deref().map(|a| ("answers", a)),
    );
    let items = items(&examples);
    let pairs: Vec<(String, String)> = items
        .iter()
        .zip(&examples)
        .map(|(item, ex)| {
            let output = match ex.acceptable.as_ref().unwrap() {
                Acceptable::NoCall => {
                    json!({"tool": "no_tool", "reason": "no tool fits"}).to_string()
                }
                Acceptable::AnyCall => {
                    let tool = &item.catalogue.tools()[0];
                    json!([{"name": tool.name, "arguments": sample(&tool.parameters)}]).to_string()
                }
                Acceptable::Calls(calls) => Value::Array(
                    calls
                        .iter()
                        .map(|c| json!({"name": c.name, "arguments": valid_choice(item, c)}))
                        .collect(),
                )
                .to_string(),
            };
            (item.id.clone(), output)
        })
        .collect();
    let report = eval::evaluate(&items, &predictions(&pairs), mode).unwrap();
    (items.len(), report)
}

/// Items whose BFCL possible answer breaks the item's own parameter schema, so no
/// acceptable answer can be a valid call: Python expressions given as strings for
/// array parameters (`x: "data['sales']"`), a string list for an integer array, a
/// value outside the enum (`metrics: ["view"]`), required parameters left out.
/// The test pins the list, so any other failure still fails it.
const GOLD_BREAKS_SCHEMA: [&str; 5] = [
    "parallel_multiple_21",
    "parallel_multiple_94",
    "live_simple_71-35-0",
    "live_simple_106-63-0",
    "live_simple_112-68-0",
];

#[test]
fn possible_answers_score_100_percent_on_every_category() {
    for category in CATEGORIES {
        for mode in [MatchMode::Exact, MatchMode::Bfcl] {
            let (n, r) = gold_outputs(category, mode);
            assert!(n > 10, "{category}: only {n} items");
            let failed: Vec<&str> = r.failures.iter().map(|f| f.id.as_str()).collect();
            let known: Vec<&str> = GOLD_BREAKS_SCHEMA
                .iter()
                .copied()
                .filter(|id| id.rsplit_once('_').is_some_and(|(c, _)| c == category))
                .collect();
            assert_eq!(
                failed,
                known,
                "{category} {mode:?}: {:?}",
                r.failures.iter().map(|f| &f.reason).collect::<Vec<_>>()
            );
            let clean = n - known.len();
            assert_eq!(r.counts.valid, clean, "{category}");
            assert_eq!(r.counts.tool_name_correct, clean, "{category}");
            let no_tool = r.counts.gold_no_tool;
            assert_eq!(
                r.counts.argument_match,
                clean - no_tool,
                "{category} {mode:?}"
            );
            assert_eq!(r.counts.call_correct, clean - no_tool, "{category}");
            assert_eq!(r.counts.false_tool_calls, 0, "{category}");
            if known.is_empty() {
                assert_eq!(
                    (
                        r.metrics.valid_tool_call_rate,
                        r.metrics.tool_name_accuracy,
                        r.metrics.argument_match_accuracy
                    ),
                    (1.0, 1.0, (n - no_tool) as f64 / n as f64)
                );
                if no_tool < n {
                    assert_eq!(r.metrics.call_accuracy, 1.0, "{category}");
                }
            }
        }
    }
}

#[test]
fn irrelevance_gold_is_no_call_and_parallel_gold_has_several() {
    let (_, r) = gold_outputs("irrelevance", MatchMode::Exact);
    assert_eq!(r.counts.gold_no_tool, r.metrics.n);
    let dir = fixtures().join("bfcl");
    let ex = examples(
        Format::Bfcl,
        "p",
        &read(&dir.join("BFCL_v4_parallel.json")),
        Some((
            "a",
            &read(&dir.join("possible_answer/BFCL_v4_parallel.json")),
        )),
    );
    let items = items(&ex);
    assert!(
        items
            .iter()
            .all(|i| matches!(&i.expected, Expected::Calls(c) if c.len() >= 2))
    );
}
