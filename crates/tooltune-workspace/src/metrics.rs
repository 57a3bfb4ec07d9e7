//! A training run's metrics as files: `metrics.jsonl` with the lines
//! `tooltune train` writes (`{"type": "step", ...}` per optimiser step,
//! `{"type": "eval", ...}` per evaluation, same keys), and the same
//! evaluations as CSV for a spreadsheet. The page adds the evaluation
//! before training (step 0), which the CLI does not run.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::protocol::Metrics;

/// One optimiser step (the keys of the engine's `StepLog`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// 1-based step.
    pub step: usize,
    /// Steps of the whole run.
    pub total_steps: usize,
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean loss over the step's trained tokens.
    pub loss: f32,
    /// Learning rate used.
    pub lr: f64,
    /// Input tokens per second so far.
    pub tokens_per_sec: f64,
    /// Seconds spent in training steps so far.
    pub elapsed_s: f64,
}

/// One evaluation (the keys of the engine's `EvalLog`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvalRecord {
    /// Steps taken when it ran (0: before training).
    pub step: usize,
    /// Epoch of that step (0 before training).
    pub epoch: usize,
    /// Loss of that step (null before training).
    pub loss: Option<f32>,
    /// The scores.
    pub metrics: Metrics,
}

impl EvalRecord {
    fn value(&self) -> Value {
        let m = &self.metrics;
        json!({
            "step": self.step,
            "epoch": self.epoch,
            "loss": self.loss,
            "n": m.n,
            "valid_tool_call_rate": m.valid_tool_call_rate,
            "tool_name_accuracy": m.tool_name_accuracy,
            "argument_match_accuracy": m.argument_match_accuracy,
            "false_tool_call_rate": m.false_tool_call_rate,
            "call_accuracy": m.call_accuracy,
            "type": "eval",
        })
    }
}

/// `metrics.jsonl`: steps and evaluations in the order they happened (an
/// evaluation right after the step it follows).
pub fn jsonl(steps: &[StepRecord], evals: &[EvalRecord]) -> String {
    let mut out = String::new();
    let mut next_eval = evals.iter().peekable();
    let mut flush_evals = |out: &mut String, upto: usize| {
        while let Some(e) = next_eval.next_if(|e| e.step <= upto) {
            out.push_str(&e.value().to_string());
            out.push('\n');
        }
    };
    flush_evals(&mut out, 0);
    for s in steps {
        let mut v = serde_json::to_value(s).unwrap_or_default();
        v["type"] = json!("step");
        out.push_str(&v.to_string());
        out.push('\n');
        flush_evals(&mut out, s.step);
    }
    flush_evals(&mut out, usize::MAX);
    out
}

/// The evaluations as CSV, one row each.
pub fn csv(evals: &[EvalRecord]) -> String {
    let mut out = String::from(
        "step,epoch,loss,n,valid_tool_call_rate,tool_name_accuracy,argument_match_accuracy,false_tool_call_rate,call_accuracy\n",
    );
    for e in evals {
        let m = &e.metrics;
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            e.step,
            e.epoch,
            e.loss.map(|l| l.to_string()).unwrap_or_default(),
            m.n,
            m.valid_tool_call_rate,
            m.tool_name_accuracy,
            m.argument_match_accuracy,
            m.false_tool_call_rate,
            m.call_accuracy
        ));
    }
    out
}

/// The labels of a confusion matrix from `counts` (gold, predicted,
/// count) over a catalogue's `tools`: the gold labels (every tool, then
/// `no_tool`, then any other gold label) and the predicted ones (the gold
/// labels, `invalid`, then any other predicted name), so every tool has a
/// row and a column even when nothing landed there.
pub fn confusion_labels(
    tools: &[String],
    counts: &[(String, String, usize)],
) -> (Vec<String>, Vec<String>) {
    let mut gold: Vec<String> = tools.to_vec();
    gold.push("no_tool".into());
    for (g, _, _) in counts {
        if !gold.contains(g) {
            gold.push(g.clone());
        }
    }
    let mut predicted = gold.clone();
    predicted.push("invalid".into());
    for (_, p, _) in counts {
        if !predicted.contains(p) {
            predicted.push(p.clone());
        }
    }
    (gold, predicted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_no_tool_and_invalid_get_a_place_in_the_confusion_matrix() {
        let tools = vec!["a".to_string(), "b".to_string()];
        let counts = vec![
            ("a".to_string(), "made_up".to_string(), 1),
            ("b".to_string(), "b".to_string(), 3),
        ];
        let (gold, predicted) = confusion_labels(&tools, &counts);
        assert_eq!(gold, ["a", "b", "no_tool"]);
        assert_eq!(predicted, ["a", "b", "no_tool", "invalid", "made_up"]);
    }

    fn step(step: usize, loss: f32) -> StepRecord {
        StepRecord {
            step,
            total_steps: 2,
            epoch: 1,
            loss,
            lr: 1e-3,
            tokens_per_sec: 100.0,
            elapsed_s: step as f64,
        }
    }

    fn eval(step: usize, valid: f64) -> EvalRecord {
        EvalRecord {
            step,
            epoch: step.min(1),
            loss: (step > 0).then_some(0.5),
            metrics: Metrics {
                n: 4,
                valid_tool_call_rate: valid,
                tool_name_accuracy: 0.5,
                argument_match_accuracy: 0.25,
                false_tool_call_rate: 0.0,
                call_accuracy: 0.25,
            },
        }
    }

    #[test]
    fn lines_are_in_the_order_they_happened_with_the_cli_keys() {
        let text = jsonl(
            &[step(1, 2.0), step(2, 1.0)],
            &[eval(0, 0.25), eval(2, 1.0)],
        );
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let kinds: Vec<(&str, u64)> = lines
            .iter()
            .map(|l| (l["type"].as_str().unwrap(), l["step"].as_u64().unwrap()))
            .collect();
        assert_eq!(kinds, [("eval", 0), ("step", 1), ("step", 2), ("eval", 2)]);
        let keys: Vec<&str> = lines[1]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "step",
                "total_steps",
                "epoch",
                "loss",
                "lr",
                "tokens_per_sec",
                "elapsed_s",
                "type"
            ]
        );
        assert_eq!(lines[0]["loss"], Value::Null);
        assert_eq!(lines[3]["valid_tool_call_rate"], 1.0);
    }

    #[test]
    fn csv_has_a_header_and_a_row_per_evaluation() {
        let text = csv(&[eval(0, 0.25), eval(2, 1.0)]);
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows.len(), 3);
        assert!(rows[0].starts_with("step,epoch,loss,n,valid_tool_call_rate"));
        assert_eq!(rows[1], "0,0,,4,0.25,0.5,0.25,0,0.25");
        assert_eq!(rows[2], "2,1,0.5,4,1,0.5,0.25,0,0.25");
    }
}
