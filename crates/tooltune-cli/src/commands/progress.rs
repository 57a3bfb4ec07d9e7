//! Training progress: an indicatif bar (loss, tokens/s, ETA) on stderr and
//! `metrics.jsonl` (one line per step, one per evaluation).

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::io::Write;
use tooltune_core::eval::Report;
use tooltune_engine::train::{EvalLog, Observer, StepLog};

/// Shows progress and writes metrics.
pub struct Progress {
    bar: ProgressBar,
    metrics: std::io::BufWriter<std::fs::File>,
    /// The first write error, reported after training.
    pub error: Option<std::io::Error>,
    /// The last evaluation.
    pub last_eval: Option<EvalLog>,
}

impl Progress {
    /// A bar of `total` steps writing to `metrics`.
    pub fn new(total: usize, metrics: std::fs::File) -> Self {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:30} {pos}/{len} steps  {msg}  elapsed {elapsed}  ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self {
            bar,
            metrics: std::io::BufWriter::new(metrics),
            error: None,
            last_eval: None,
        }
    }

    fn write(&mut self, value: serde_json::Value) {
        let res = writeln!(self.metrics, "{value}").and_then(|()| self.metrics.flush());
        if let Err(e) = res {
            self.error.get_or_insert(e);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for Progress {
    fn on_step(&mut self, log: &StepLog) {
        self.bar.set_position(log.step as u64);
        self.bar.set_message(format!(
            "epoch {} loss {:.4} lr {:.2e} {:.0} tok/s",
            log.epoch, log.loss, log.lr, log.tokens_per_sec
        ));
        let mut v = serde_json::to_value(log).unwrap_or_default();
        v["type"] = json!("step");
        self.write(v);
    }

    fn on_eval(&mut self, log: &EvalLog, _report: &Report) {
        let line = format!(
            "step {} (epoch {}): loss {:.4}  valid {:.3}  tool {:.3}  args {:.3}  false-call {:.3}  call-acc {:.3}  (n={})",
            log.step,
            log.epoch,
            log.loss,
            log.metrics.valid_tool_call_rate,
            log.metrics.tool_name_accuracy,
            log.metrics.argument_match_accuracy,
            log.metrics.false_tool_call_rate,
            log.metrics.call_accuracy,
            log.metrics.n
        );
        // A hidden bar (stderr not a terminal) drops println; print anyway.
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
        let mut v = serde_json::to_value(log).unwrap_or_default();
        v["type"] = json!("eval");
        self.write(v);
        self.last_eval = Some(log.clone());
    }
}
