//! Lint and eval throughput over 100,000 examples (target: under 5 s each).
//!
//! `cargo bench -p tooltune-core --bench throughput [-- N]` generates N examples
//! in the OpenAI chat format (each line carrying the 3-tool catalogue, 12.5 %
//! no-tool, some parallel calls, some multi-step with tool results) and
//! predictions with a mix of right, wrong and invalid outputs, then times, from
//! bytes in memory: `lint`, and `eval` (read gold, build items, read predictions,
//! score). Prints one JSON line.

use serde_json::json;
use std::time::Instant;
use tooltune_core::dataset::{self, Format};
use tooltune_core::eval::{self, CatalogueCache, MatchMode};
use tooltune_core::lint;

fn tools() -> serde_json::Value {
    let s = |props: serde_json::Value, req: &[&str]| json!({"type": "object", "properties": props, "required": req, "additionalProperties": false});
    json!([
        {"type": "function", "function": {"name": "track_order", "description": "Get an order's status.", "parameters": s(json!({"order_id": {"type": "string", "pattern": "^ORD-[0-9]+$"}}), &["order_id"])}},
        {"type": "function", "function": {"name": "request_refund", "description": "File a refund.", "parameters": s(json!({"order_id": {"type": "string"}, "reason": {"type": "string", "enum": ["damaged", "late", "other"]}}), &["order_id", "reason"])}},
        {"type": "function", "function": {"name": "escalate", "description": "Hand off to a human.", "parameters": s(json!({"reason": {"type": "string"}}), &["reason"])}}
    ])
}

fn call(id: usize, name: &str, args: serde_json::Value) -> serde_json::Value {
    json!({"id": format!("call_{id}"), "type": "function", "function": {"name": name, "arguments": args.to_string()}})
}

/// (gold JSONL, predictions JSONL, number of items)
fn generate(n: usize) -> (String, String, usize) {
    let tools = tools();
    let (mut gold, mut preds, mut items) = (String::new(), String::new(), 0);
    for i in 0..n {
        let order = format!("ORD-{}", 1000 + i);
        let sys = json!({"role": "system", "content": "Route support requests to tools."});
        let (user, turns, outputs): (String, Vec<serde_json::Value>, Vec<String>) = match i % 8 {
            0..=2 => (
                format!("Where is my order {order}?"),
                vec![json!({"role": "assistant", "tool_calls": [call(1, "track_order", json!({"order_id": order}))]})],
                vec![json!({"name": "track_order", "arguments": {"order_id": if i % 16 == 0 { "ORD-1" } else { &order }}}).to_string()],
            ),
            3 | 4 => (
                format!("Order {order} arrived damaged, refund please."),
                vec![json!({"role": "assistant", "tool_calls": [call(1, "request_refund", json!({"order_id": order, "reason": "damaged"}))]})],
                vec![if i % 5 == 0 { "{\"name\": \"request_refund\", \"arguments\": {".into() } else { json!({"tool": "request_refund", "arguments": {"order_id": order, "reason": "damaged"}}).to_string() }],
            ),
            5 => (
                format!("Track {order} and ORD-7."),
                vec![
                    json!({"role": "assistant", "tool_calls": [call(1, "track_order", json!({"order_id": order})), call(2, "track_order", json!({"order_id": "ORD-7"}))]}),
                    json!({"role": "tool", "tool_call_id": "call_1", "content": "{\"status\": \"shipped\"}"}),
                    json!({"role": "tool", "tool_call_id": "call_2", "content": "{\"status\": \"late\"}"}),
                    json!({"role": "assistant", "content": "One shipped, one is late."}),
                ],
                vec![
                    format!("<tool_call>{}</tool_call>\n<tool_call>{}</tool_call>", json!({"name": "track_order", "arguments": {"order_id": "ORD-7"}}), json!({"name": "track_order", "arguments": {"order_id": order}})),
                    "One shipped, one is late.".into(),
                ],
            ),
            6 => (
                format!("Get me a human about {order}."),
                vec![json!({"role": "assistant", "tool_calls": [call(1, "escalate", json!({"reason": "asked for a human"}))]})],
                vec![json!([{"name": "escalate", "arguments": {"reason": "asked for a human"}}]).to_string()],
            ),
            _ => (
                format!("Hi there #{i}"),
                vec![json!({"role": "assistant", "content": "Hello! How can I help?"})],
                vec![if i % 3 == 0 { json!({"name": "escalate", "arguments": {"reason": "x"}}).to_string() } else { "Hello!".into() }],
            ),
        };
        let mut messages = vec![sys, json!({"role": "user", "content": user})];
        messages.extend(turns);
        gold.push_str(
            &json!({"messages": messages, "tools": tools, "parallel_tool_calls": true}).to_string(),
        );
        gold.push('\n');
        let k = outputs.len();
        for (t, out) in outputs.into_iter().enumerate() {
            let id = if k == 1 {
                (i + 1).to_string()
            } else {
                format!("{}#{}", i + 1, t + 1)
            };
            preds.push_str(&json!({"id": id, "output": out}).to_string());
            preds.push('\n');
            items += 1;
        }
    }
    (gold, preds, items)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let (gold, preds, n_items) = generate(n);
    let t = Instant::now();
    let report = lint::lint(
        "gold.jsonl",
        gold.as_bytes(),
        None,
        &lint::Options::default(),
    );
    let lint_s = t.elapsed().as_secs_f64();
    assert_eq!(report.summary.examples, n);
    let t = Instant::now();
    let rows = dataset::read(Format::OpenAi, "gold.jsonl", gold.as_bytes(), None).unwrap();
    let examples: Vec<_> = rows.into_iter().map(Result::unwrap).collect();
    let read_s = t.elapsed().as_secs_f64();
    let items = eval::items(&examples, None, &mut CatalogueCache::default()).unwrap();
    let items_s = t.elapsed().as_secs_f64() - read_s;
    let predictions = eval::read_predictions("pred.jsonl", preds.as_bytes()).unwrap();
    let preds_s = t.elapsed().as_secs_f64() - read_s - items_s;
    let r = eval::evaluate(&items, &predictions, MatchMode::Exact).unwrap();
    let eval_s = t.elapsed().as_secs_f64();
    let score_s = eval_s - read_s - items_s - preds_s;
    assert_eq!(r.metrics.n, n_items);
    println!(
        "{}",
        json!({
            "examples": n, "items": n_items, "gold_mb": gold.len() as f64 / 1e6,
            "lint_s": lint_s, "eval_s": eval_s,
            "eval_phases_s": {"read_gold": read_s, "items": items_s, "read_predictions": preds_s, "score": score_s}, "lint_errors": report.summary.errors,
            "valid_tool_call_rate": r.metrics.valid_tool_call_rate, "tool_name_accuracy": r.metrics.tool_name_accuracy,
            "argument_match_accuracy": r.metrics.argument_match_accuracy, "false_tool_call_rate": r.metrics.false_tool_call_rate,
        })
    );
}
