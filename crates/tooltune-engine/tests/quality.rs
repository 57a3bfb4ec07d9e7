//! The quality check: a full fine-tune of the small random fixture
//! model (`llama-gqa`: 2 layers, hidden 64, vocab 512) on 200 router-format
//! examples, generated deterministically here, drives the training loss
//! below 0.1 and the valid-tool-call rate on those examples to 100 %.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use tooltune_core::Catalogue;
use tooltune_core::dataset::{Example, Format};
use tooltune_core::error::Location;
use tooltune_core::eval::MatchMode;
use tooltune_core::prompt::PromptContext;
use tooltune_engine::assistant::{DEFAULT_BATCH_SIZE, EvalSet, evaluate, stop_ids};
use tooltune_engine::chat::ChatTemplate;
use tooltune_engine::train::{self, TrainConfig, Tuning, mask_example};

use crate::common::{load_model, tokenizer};

const CITIES: [&str; 8] = [
    "Paris", "Rome", "Oslo", "Lima", "Cairo", "Tokyo", "Quito", "Dublin",
];
const ORDERS: [&str; 8] = [
    "ORD-1001", "ORD-2417", "ORD-3350", "ORD-4682", "ORD-5129", "ORD-6093", "ORD-7764", "ORD-8215",
];
const TIMES: [&str; 6] = ["06:30", "07:00", "07:45", "08:15", "09:00", "22:30"];
const NO_TOOL: [(&str, &str); 4] = [
    ("Hi there!", "greeting"),
    ("Thanks a lot.", "thanks"),
    ("What is your refund policy?", "policy question"),
    ("I want a refund.", "missing order id"),
];

/// The catalogue: three tools with typed, constrained arguments.
pub fn catalogue() -> serde_json::Value {
    let tool = |name: &str, arg: &str, schema: serde_json::Value| {
        json!({"type": "function", "function": {"name": name, "parameters": {"type": "object",
            "properties": {arg: schema}, "required": [arg], "additionalProperties": false}}})
    };
    json!([
        tool(
            "get_weather",
            "city",
            json!({"type": "string", "enum": CITIES})
        ),
        tool(
            "track_order",
            "order_id",
            json!({"type": "string", "pattern": "^ORD-[0-9]+$"})
        ),
        tool(
            "set_alarm",
            "time",
            json!({"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$"})
        ),
    ])
}

/// `n` router-format lines: 1 in 5 takes the no-tool path.
pub fn router_jsonl(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let (request, answer) = match (i % 5, i / 5) {
            (0, k) => {
                let (req, reason) = NO_TOOL[k % 4];
                (
                    req.to_string(),
                    json!({"tool": "no_tool", "reason": reason}),
                )
            }
            (1 | 2, k) => {
                let city = CITIES[(k + i) % 8];
                let phrasing = ["Weather in {}?", "Is it raining in {}?"][i % 2];
                let req = phrasing.replace("{}", city);
                (
                    req,
                    json!({"tool": "get_weather", "arguments": {"city": city}}),
                )
            }
            (3, k) => {
                let id = ORDERS[k % 8];
                let req = ["Where is my order {}?", "Track {} please."][k % 2].replace("{}", id);
                (
                    req,
                    json!({"tool": "track_order", "arguments": {"order_id": id}}),
                )
            }
            (_, k) => {
                let t = TIMES[k % 6];
                (
                    format!("Wake me at {t}."),
                    json!({"tool": "set_alarm", "arguments": {"time": t}}),
                )
            }
        };
        let line = json!({"messages": [
            {"role": "system", "content": "Route the request."},
            {"role": "user", "content": request},
            {"role": "assistant", "content": answer.to_string()},
        ]});
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

fn read(jsonl: &str) -> Vec<Example> {
    tooltune_core::dataset::read(Format::Router, "router.jsonl", jsonl.as_bytes(), None)
        .expect("reads")
        .into_iter()
        .map(|r| r.expect("valid line"))
        .collect()
}

#[test]
fn full_fine_tune_reaches_low_loss_and_all_valid_calls() {
    let started = Instant::now();
    let examples = read(&router_jsonl(200));
    assert_eq!(examples.len(), 200);
    let tok = tokenizer("llama-gqa");
    let template = ChatTemplate::builtin();
    let data: Vec<_> = examples
        .iter()
        .map(|e| mask_example(&template, &tok, e).expect("masks"))
        .collect();
    let tokens: usize = data.iter().map(|m| m.ids.len()).sum();
    let trained: usize = data.iter().map(|m| m.trained_count()).sum();
    let config = TrainConfig {
        lr: 5e-3,
        epochs: 12,
        batch_size: 16,
        warmup_ratio: 0.05,
        seed: 11,
        tuning: Tuning::Full,
        ..TrainConfig::default()
    };
    let model = load_model("llama-gqa");
    let out = train::train(model, &data, 0, &config, None, &mut ()).expect("trains");
    assert!(out.stopped.is_none());
    let losses: Vec<f32> = out.steps.iter().map(|s| s.loss).collect();
    let last_epoch = &losses[losses.len() - config.steps_per_epoch(200)..];
    let final_loss = last_epoch.iter().sum::<f32>() / last_epoch.len() as f32;
    let train_s = started.elapsed().as_secs_f64();

    let at = Location {
        source: "catalogue".into(),
        line: None,
    };
    let cat = Arc::new(Catalogue::from_value(&at, &catalogue()).expect("catalogue"));
    let set = EvalSet::new(
        &examples,
        Some(&cat),
        &PromptContext::as_given(),
        &template,
        &tok,
    )
    .expect("eval set");
    let stop = stop_ids(&out.model, &tok, &template);
    let (report, outputs) = evaluate(
        &out.model,
        &tok,
        &stop,
        &set,
        48,
        MatchMode::Exact,
        DEFAULT_BATCH_SIZE,
    )
    .expect("evaluates");
    eprintln!(
        "quality: {} examples, {tokens} tokens ({trained} trained), {} steps; loss {:.3} -> {:.4} \
         (last-epoch mean); train {train_s:.1}s, total {:.1}s; valid {:.3} tool {:.3} args {:.3} \
         false-call {:.3}; e.g. {:?}",
        data.len(),
        losses.len(),
        losses[0],
        final_loss,
        started.elapsed().as_secs_f64(),
        report.metrics.valid_tool_call_rate,
        report.metrics.tool_name_accuracy,
        report.metrics.argument_match_accuracy,
        report.metrics.false_tool_call_rate,
        outputs[1],
    );
    assert!(
        (losses[0] - 6.755).abs() < 0.005,
        "first loss {}",
        losses[0]
    );
    assert!(final_loss < 0.1, "final loss {final_loss}");
    assert_eq!(report.metrics.n, 200);
    assert_eq!(
        report.metrics.valid_tool_call_rate,
        1.0,
        "{:?}",
        report.failures.first()
    );
}
