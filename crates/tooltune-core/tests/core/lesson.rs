//! The four metrics against the lesson's own `eval_router`: 42 (gold, output)
//! pairs covering every branch, scored by the lesson's Python code
//! (`tests/fixtures/lesson-eval/make_golden.py`), must give the same numbers
//! here, and the same valid / invalid verdict per pair.

use crate::common::*;
use serde_json::Value;
use std::sync::Arc;
use tooltune_core::Catalogue;
use tooltune_core::dataset::Format;
use tooltune_core::error::Location;
use tooltune_core::eval::{self, CatalogueCache, MatchMode};

#[test]
fn four_metrics_equal_the_lessons_eval_router() {
    let dir = fixtures().join("lesson-eval");
    let rows: Vec<Value> = String::from_utf8(read(&dir.join("pairs.jsonl")))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rows.len() >= 30);
    let gold: String = rows
        .iter()
        .map(|r| {
            let row =
                serde_json::json!({"id": r["id"], "prompt": r["prompt"], "target": r["target"]});
            row.to_string() + "\n"
        })
        .collect();
    let ex = examples(Format::RouterGold, "pairs.jsonl", gold.as_bytes(), None);
    let tools: Value = serde_json::from_slice(&read(&dir.join("tools.json"))).unwrap();
    let catalogue =
        Arc::new(Catalogue::from_value(&Location::whole("tools.json"), &tools).unwrap());
    let items = eval::items(&ex, Some(&catalogue), &mut CatalogueCache::default()).unwrap();
    let pairs: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["output"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let report = eval::evaluate(&items, &predictions(&pairs), MatchMode::Exact).unwrap();

    for (row, outcome) in rows.iter().zip(&report.outcomes) {
        assert_eq!(
            outcome.valid,
            row["lesson_valid"].as_bool().unwrap(),
            "pair {}: {}",
            row["id"],
            row["output"]
        );
    }
    let golden: Value = serde_json::from_slice(&read(&dir.join("golden.json"))).unwrap();
    assert_eq!(report.metrics.n as u64, golden["n"].as_u64().unwrap());
    let ours = [
        report.metrics.valid_tool_call_rate,
        report.metrics.tool_name_accuracy,
        report.metrics.argument_match_accuracy,
        report.metrics.false_tool_call_rate,
    ];
    let lesson = [
        "valid_tool_call_rate",
        "tool_name_accuracy",
        "argument_match_accuracy",
        "false_tool_call_rate",
    ]
    .map(|k| golden[k].as_f64().unwrap());
    for (a, b) in ours.iter().zip(lesson) {
        assert!((a - b).abs() < 1e-12, "ours {ours:?}, lesson {lesson:?}");
    }
    // call_accuracy: exact calls over gold calls, counted here by hand.
    let gold_calls = rows
        .iter()
        .filter(|r| r["target"]["tool"] != "no_tool")
        .count();
    let right = rows
        .iter()
        .zip(&report.outcomes)
        .filter(|(r, o)| {
            r["target"]["tool"] != "no_tool"
                && o.valid
                && serde_json::from_str::<Value>(r["output"].as_str().unwrap())
                    .ok()
                    .as_ref()
                    .is_some_and(|v| {
                        v["tool"] == r["target"]["tool"]
                            && v["arguments"] == r["target"]["arguments"]
                    })
        })
        .count();
    assert_eq!(report.counts.gold_calls, gold_calls);
    assert_eq!(
        report.metrics.call_accuracy,
        right as f64 / gold_calls as f64
    );
}
