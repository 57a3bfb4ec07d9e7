//! Scoring items against outputs and aggregating the four metrics with their
//! diagnostics: per-tool precision and recall, a confusion matrix including
//! no_tool, the missed-call rate, and the failing examples with reasons.

use super::predictions::{Prediction, pair};
use super::{Expected, Item, MatchMode, calls_match};
use crate::call::{NO_TOOL, Target};
use crate::error::Result;
use crate::parse::{Parsed, parse_output};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// How one item fared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Parses, names catalogue tools or no_tool, arguments validate.
    pub valid: bool,
    /// Valid and the right tools (as a multiset), or rightly no_tool.
    pub tool_name_correct: bool,
    /// Valid, a call (not no_tool) of the right tools with the right
    /// arguments: the lesson's argument match. A rightly chosen no_tool is
    /// *not* an argument match.
    pub argument_match: bool,
    /// Gold calls a tool and the output is exactly right (tools and
    /// arguments; parallel calls as multisets).
    pub call_correct: bool,
    /// Gold no_tool, and a valid output called a tool.
    pub false_tool_call: bool,
    /// Gold calls a tool, and a valid output took the no-tool path.
    pub missed_call: bool,
}

/// Why an item failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// No prediction row for the item.
    MissingPrediction,
    /// The output is not a valid call.
    Invalid,
    /// A valid call of the wrong tool(s).
    WrongTool,
    /// The right tool(s) with wrong arguments.
    WrongArguments,
    /// A tool called where gold says no_tool.
    FalseToolCall,
    /// No tool called where gold calls one.
    MissedCall,
}

/// One failing item.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// Item id.
    pub id: String,
    /// Gold location (file:line).
    pub at: String,
    /// What kind of failure.
    pub kind: FailureKind,
    /// Why, in words.
    pub reason: String,
    /// The raw output.
    pub output: String,
    /// How likely the model found each call (and no call) for this item,
    /// when the evaluation scored them (tool-call answers only; see
    /// [`crate::choices`]): a confident mistake and a near miss read
    /// differently.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<crate::choices::ToolChoices>,
}

/// Precision and recall of one label (a tool or no_tool), counted over call slots.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ToolStats {
    /// Gold slots with this label.
    pub support: usize,
    /// Predicted slots with this label.
    pub predicted: usize,
    /// Slots where both agree.
    pub correct: usize,
    /// correct / predicted (null when never predicted).
    pub precision: Option<f64>,
    /// correct / support (null when never gold).
    pub recall: Option<f64>,
}

/// Confusion matrix over call slots: rows gold labels, columns predicted labels.
/// Labels are tool names, `no_tool`, `invalid` (predicted only) and `(none)` for a
/// slot with no counterpart (an extra or a missing call).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Confusion {
    /// Row and column labels, sorted, the special labels last.
    pub labels: Vec<String>,
    /// `matrix[gold][predicted]` counts.
    pub matrix: Vec<Vec<usize>>,
}

/// Counts behind the rates.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub valid: usize,
    pub tool_name_correct: usize,
    pub argument_match: usize,
    pub false_tool_calls: usize,
    pub missed_calls: usize,
    pub gold_no_tool: usize,
    /// Items whose gold calls a tool (the denominator of `call_accuracy`).
    pub gold_calls: usize,
    /// Of those, items the output got exactly right.
    pub call_correct: usize,
}

/// The four metrics under the lesson's names and `call_accuracy`: what an
/// evaluation's log line, the page's charts and its stored runs keep of a
/// [`Report`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Items scored.
    pub n: usize,
    /// Outputs that parse, name a catalogue tool or no_tool, and validate.
    pub valid_tool_call_rate: f64,
    /// Valid outputs naming the gold tool (or no_tool), over valid outputs.
    pub tool_name_accuracy: f64,
    /// Valid outputs with the gold tool and arguments, over valid outputs.
    pub argument_match_accuracy: f64,
    /// Gold no_tool items where the model called a tool.
    pub false_tool_call_rate: f64,
    /// Items whose gold is a call and whose output is exactly right, over
    /// items whose gold is a call (BFCL's AST accuracy is of this kind).
    pub call_accuracy: f64,
}

/// The evaluation report; the four metrics under the lesson's names.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The four metrics and `call_accuracy` (flattened: the report's JSON
    /// keeps them at its top level).
    #[serde(flatten)]
    pub metrics: Metrics,
    pub missed_call_rate: f64,
    pub counts: Counts,
    pub per_tool: BTreeMap<String, ToolStats>,
    pub confusion: Confusion,
    pub failures: Vec<Failure>,
    /// Items with no prediction row (scored as invalid).
    pub missing_predictions: usize,
    /// Prediction rows that matched no item (file:line).
    pub unmatched_predictions: Vec<String>,
    /// Per-item outcomes, in item order.
    #[serde(skip)]
    pub outcomes: Vec<Outcome>,
}

const INVALID: &str = "invalid";
const NONE: &str = "(none)";
const ANY: &str = "(any tool)";

/// Whether `output` is a valid answer: it parses (in `mode`), makes no more
/// than one call unless `parallel_allowed`, and every call names a tool of
/// `catalogue` with arguments its schema accepts. The target, or why not.
pub fn validate(
    output: &str,
    mode: crate::parse::Mode,
    parallel_allowed: bool,
    catalogue: &crate::Catalogue,
) -> std::result::Result<Target, String> {
    let target = match parse_output(output, mode) {
        Parsed::Invalid(reason) => return Err(reason.to_string()),
        Parsed::Target(t) => t,
    };
    if let Target::Calls(calls) = &target {
        if calls.len() > 1 && !parallel_allowed {
            return Err(format!(
                "{} calls in one turn but parallel_tool_calls is false",
                calls.len()
            ));
        }
        for c in calls {
            catalogue.check_call(c).map_err(|e| e.to_string())?;
        }
    }
    Ok(target)
}

/// Scores one item against one raw output: the outcome, the failure (if any),
/// and the predicted labels for the confusion matrix.
pub fn score(
    item: &Item,
    output: &str,
    mode: MatchMode,
) -> (Outcome, Option<(FailureKind, String)>, Vec<String>) {
    let mut o = Outcome::default();
    let target = match validate(output, item.mode, item.parallel_allowed, &item.catalogue) {
        Ok(t) => t,
        Err(why) => return (o, Some((FailureKind::Invalid, why)), vec![INVALID.into()]),
    };
    o.valid = true;
    let labels = match &target {
        Target::NoTool { .. } => vec![NO_TOOL.to_string()],
        Target::Calls(calls) => calls.iter().map(|c| c.name.clone()).collect(),
    };
    let failure = match (&item.expected, &target) {
        (Expected::NoTool, Target::NoTool { .. }) | (Expected::AnyCall, Target::Calls(_)) => None,
        (Expected::NoTool, Target::Calls(_)) => {
            o.false_tool_call = true;
            Some((
                FailureKind::FalseToolCall,
                format!("called {} but gold is no_tool", labels.join(", ")),
            ))
        }
        (Expected::Calls(_) | Expected::AnyCall, Target::NoTool { .. }) => {
            o.missed_call = true;
            Some((
                FailureKind::MissedCall,
                format!(
                    "took the no-tool path; gold calls {}",
                    gold_labels(&item.expected).join(", ")
                ),
            ))
        }
        (Expected::Calls(want), Target::Calls(got)) => {
            let mut a: Vec<&str> = got.iter().map(|c| c.name.as_str()).collect();
            let mut b: Vec<&str> = want.iter().map(|c| c.name.as_str()).collect();
            a.sort_unstable();
            b.sort_unstable();
            if a != b {
                Some((
                    FailureKind::WrongTool,
                    format!("called [{}], gold [{}]", a.join(", "), b.join(", ")),
                ))
            } else {
                calls_match(got, want, mode)
                    .err()
                    .map(|e| (FailureKind::WrongArguments, e.to_string()))
            }
        }
    };
    o.tool_name_correct = !matches!(
        failure,
        Some((
            FailureKind::WrongTool | FailureKind::FalseToolCall | FailureKind::MissedCall,
            _
        ))
    );
    let exactly_right = failure.is_none();
    o.argument_match = exactly_right && matches!(target, Target::Calls(_));
    o.call_correct = exactly_right && item.expected != Expected::NoTool;
    (o, failure, labels)
}

fn gold_labels(expected: &Expected) -> Vec<String> {
    match expected {
        Expected::NoTool => vec![NO_TOOL.into()],
        Expected::AnyCall => vec![ANY.into()],
        Expected::Calls(calls) => calls.iter().map(|c| c.name.clone()).collect(),
    }
}

/// Scores every item against its prediction and aggregates the report.
pub fn evaluate(items: &[Item], predictions: &[Prediction], mode: MatchMode) -> Result<Report> {
    let (paired, extra) = pair(items, predictions)?;
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    let mut outcomes = Vec::with_capacity(items.len());
    let mut slots: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut missing = 0;
    let jobs: Vec<(&Item, Option<usize>)> = items.iter().zip(paired.iter().copied()).collect();
    let scored = crate::par::map_chunks(&jobs, |chunk| {
        chunk
            .iter()
            .map(|(item, p)| match p {
                Some(i) => score(item, &predictions[*i].output, mode),
                None => {
                    let f = (
                        FailureKind::MissingPrediction,
                        "no prediction row for this item".to_string(),
                    );
                    (Outcome::default(), Some(f), vec![INVALID.to_string()])
                }
            })
            .collect()
    });
    for ((item, p), (outcome, failure, predicted)) in jobs.into_iter().zip(scored) {
        missing += p.is_none() as usize;
        counts.valid += outcome.valid as usize;
        counts.tool_name_correct += outcome.tool_name_correct as usize;
        counts.argument_match += outcome.argument_match as usize;
        counts.false_tool_calls += outcome.false_tool_call as usize;
        counts.missed_calls += outcome.missed_call as usize;
        counts.gold_no_tool += (item.expected == Expected::NoTool) as usize;
        counts.gold_calls += (item.expected != Expected::NoTool) as usize;
        counts.call_correct += outcome.call_correct as usize;
        for pair in slot_pairs(gold_labels(&item.expected), predicted) {
            *slots.entry(pair).or_default() += 1;
        }
        if let Some((kind, reason)) = failure {
            let output = p.map(|i| predictions[i].output.clone()).unwrap_or_default();
            failures.push(Failure {
                id: item.id.clone(),
                at: item.at.to_string(),
                kind,
                reason,
                output,
                choices: None,
            });
        }
        outcomes.push(outcome);
    }
    let n = items.len();
    let rate = |x: usize, d: usize| if d == 0 { 0.0 } else { x as f64 / d as f64 };
    let (per_tool, confusion) = tables(&slots);
    Ok(Report {
        metrics: Metrics {
            n,
            valid_tool_call_rate: rate(counts.valid, n),
            tool_name_accuracy: rate(counts.tool_name_correct, n),
            argument_match_accuracy: rate(counts.argument_match, counts.valid),
            false_tool_call_rate: rate(counts.false_tool_calls, n),
            call_accuracy: rate(counts.call_correct, counts.gold_calls),
        },
        missed_call_rate: rate(counts.missed_calls, n),
        counts,
        per_tool,
        confusion,
        failures,
        missing_predictions: missing,
        unmatched_predictions: extra
            .into_iter()
            .map(|i| predictions[i].at.to_string())
            .collect(),
        outcomes,
    })
}

/// Pairs gold and predicted labels of one item: equal labels first, then the rest
/// in order, then leftovers against `(none)`.
fn slot_pairs(mut gold: Vec<String>, mut predicted: Vec<String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    gold.retain(|g| match predicted.iter().position(|p| p == g) {
        Some(i) => {
            out.push((g.clone(), predicted.remove(i)));
            false
        }
        None => true,
    });
    let mut g = gold.into_iter();
    let mut p = predicted.into_iter();
    loop {
        match (g.next(), p.next()) {
            (None, None) => return out,
            (a, b) => out.push((
                a.unwrap_or_else(|| NONE.into()),
                b.unwrap_or_else(|| NONE.into()),
            )),
        }
    }
}

fn tables(slots: &BTreeMap<(String, String), usize>) -> (BTreeMap<String, ToolStats>, Confusion) {
    let special = |l: &str| {
        [NO_TOOL, ANY, INVALID, NONE]
            .iter()
            .position(|s| *s == l)
            .map_or(0, |i| i + 1)
    };
    let mut labels: Vec<String> = slots
        .keys()
        .flat_map(|(g, p)| [g.clone(), p.clone()])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    labels.sort_by_key(|l| (special(l), l.clone()));
    let index = |l: &str| labels.iter().position(|x| x == l).unwrap_or(0);
    let mut matrix = vec![vec![0; labels.len()]; labels.len()];
    let mut per_tool: BTreeMap<String, ToolStats> = BTreeMap::new();
    for ((g, p), &count) in slots {
        matrix[index(g)][index(p)] += count;
        if g != NONE && g != ANY {
            per_tool.entry(g.clone()).or_default().support += count;
        }
        if p != NONE && p != INVALID {
            per_tool.entry(p.clone()).or_default().predicted += count;
        }
        if g == p {
            per_tool.entry(g.clone()).or_default().correct += count;
        }
    }
    for s in per_tool.values_mut() {
        s.precision = (s.predicted > 0).then(|| s.correct as f64 / s.predicted as f64);
        s.recall = (s.support > 0).then(|| s.correct as f64 / s.support as f64);
    }
    (per_tool, Confusion { labels, matrix })
}

impl Report {
    /// The report as text for a terminal: the four metrics, diagnostics, and up
    /// to `max_failures` failing items.
    pub fn to_text(&self, max_failures: usize) -> String {
        let c = &self.counts;
        let m = &self.metrics;
        let mut s = String::new();
        let _ = writeln!(s, "n                        {}", m.n);
        let _ = writeln!(
            s,
            "valid_tool_call_rate     {:.4}  ({}/{})",
            m.valid_tool_call_rate, c.valid, m.n
        );
        let _ = writeln!(
            s,
            "tool_name_accuracy       {:.4}  ({}/{})",
            m.tool_name_accuracy, c.tool_name_correct, m.n
        );
        let _ = writeln!(
            s,
            "argument_match_accuracy  {:.4}  ({}/{} valid)",
            m.argument_match_accuracy, c.argument_match, c.valid
        );
        let _ = writeln!(
            s,
            "false_tool_call_rate     {:.4}  ({}/{}; gold no_tool: {})",
            m.false_tool_call_rate, c.false_tool_calls, m.n, c.gold_no_tool
        );
        let _ = writeln!(
            s,
            "call_accuracy            {:.4}  ({}/{} gold calls)",
            m.call_accuracy, c.call_correct, c.gold_calls
        );
        let _ = writeln!(
            s,
            "missed_call_rate         {:.4}  ({}/{})",
            self.missed_call_rate, c.missed_calls, m.n
        );
        if self.missing_predictions > 0 {
            let _ = writeln!(
                s,
                "missing predictions      {} (scored invalid)",
                self.missing_predictions
            );
        }
        if !self.unmatched_predictions.is_empty() {
            let _ = writeln!(
                s,
                "unmatched predictions    {} (first at {})",
                self.unmatched_predictions.len(),
                self.unmatched_predictions[0]
            );
        }
        let _ = writeln!(
            s,
            "\nper tool                           precision  recall  support"
        );
        for (name, t) in &self.per_tool {
            let f = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.3}"));
            let _ = writeln!(
                s,
                "  {name:<32} {:>9} {:>7} {:>8}",
                f(t.precision),
                f(t.recall),
                t.support
            );
        }
        let _ = writeln!(
            s,
            "\nconfusion (rows gold, columns predicted, numbered as the rows)"
        );
        let header: String = (1..=self.confusion.labels.len())
            .map(|k| format!("{:>6}", format!("[{k}]")))
            .collect();
        let _ = writeln!(s, "  {:<30}{header}", "");
        for (i, row) in self.confusion.matrix.iter().enumerate() {
            let cells: String = row.iter().map(|v| format!("{v:>6}")).collect();
            let label = format!("[{}] {}", i + 1, self.confusion.labels[i]);
            let _ = writeln!(s, "  {label:<30}{cells}");
        }
        if !self.failures.is_empty() {
            let shown = self.failures.len().min(max_failures);
            let _ = writeln!(s, "\nfailures ({shown} of {}):", self.failures.len());
            for f in &self.failures[..shown] {
                let kind = serde_json::to_value(f.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let _ = writeln!(s, "  {} ({}): {kind}: {}", f.id, f.at, f.reason);
                if let Some(c) = &f.choices {
                    let _ = writeln!(s, "    call probabilities: {}", c.summary());
                }
            }
        }
        s
    }
}
