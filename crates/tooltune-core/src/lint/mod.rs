//! The dataset linter: OpenAI's data-preparation checks, aware of tools.
//!
//! Errors: lines that do not read, bad catalogues, unknown tools, arguments that
//! are not JSON or fail the schema, `tool_call_id` missing / duplicated / never
//! answered, tool messages with no matching call, conversations not ending on an
//! assistant turn, empty messages, duplicate examples, several calls where
//! `parallel_tool_calls` is false. Warnings: a no-tool share outside 10–20 %,
//! tools with too few examples, `weight` on non-assistant messages, no user message.

mod conversation;

use crate::Catalogue;
use crate::call::{NO_TOOL, Target};
use crate::dataset::{self, Example, Format};
use crate::error::Error;
use crate::eval::CatalogueCache;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Makes the data unfit for training.
    Error,
    /// Worth a look; does not fail the lint.
    Warning,
}

/// One problem, located by line and message index.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// A stable machine-readable code (`unknown_tool`, ...).
    pub code: &'static str,
    /// 1-based line, when the problem belongs to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Index into `messages`, when the problem belongs to one message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<usize>,
    /// What is wrong.
    pub text: String,
}

/// Linter settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Tools called in fewer examples than this get a warning.
    pub min_examples_per_tool: usize,
    /// The accepted no-tool share (inclusive), as fractions.
    pub no_tool_share: (f64, f64),
}

impl Default for Options {
    fn default() -> Self {
        Self {
            min_examples_per_tool: 5,
            no_tool_share: (0.10, 0.20),
        }
    }
}

/// Dataset statistics shown in the summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub examples: usize,
    pub unreadable_lines: usize,
    pub assistant_turns: usize,
    pub tool_calls: usize,
    pub parallel_turns: usize,
    pub no_tool_examples: usize,
    pub no_tool_share: f64,
    /// Examples calling each tool (over every catalogue seen).
    pub examples_per_tool: BTreeMap<String, usize>,
    pub errors: usize,
    pub warnings: usize,
}

/// The lint result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The input's name.
    pub source: String,
    /// Every problem, in line order, dataset-wide ones last.
    pub problems: Vec<Problem>,
    /// Statistics.
    pub summary: Summary,
}

/// Lints a chat JSONL (OpenAI or router). `tools` overrides the lines' own `tools`.
pub fn lint(
    source: &str,
    bytes: &[u8],
    tools: Option<Arc<Catalogue>>,
    options: &Options,
) -> Report {
    let format = dataset::detect(bytes).unwrap_or(Format::OpenAi);
    let rows = match dataset::read(format, source, bytes, None) {
        Ok(rows) => rows,
        Err(e) => vec![Err(e)],
    };
    let mut problems = Vec::new();
    let mut summary = Summary::default();
    let mut cache = CatalogueCache::default();
    let mut seen: HashMap<u128, usize> = HashMap::new();
    let mut known_tools: BTreeMap<String, usize> = BTreeMap::new();
    for row in rows {
        let ex = match row {
            Ok(ex) => ex,
            Err(e) => {
                summary.unreadable_lines += 1;
                problems.push(read_problem(e));
                continue;
            }
        };
        let line = ex.at.line;
        summary.examples += 1;
        if let Some(first) = seen.insert(ex.fingerprint, line.unwrap_or(0)) {
            problems.push(Problem {
                severity: Severity::Error,
                code: "duplicate_example",
                line,
                message: None,
                text: format!("duplicate of line {first}"),
            });
        }
        let catalogue = match (&tools, &ex.conversation.tools) {
            (Some(t), _) => Some(t.clone()),
            (None, Some(t)) => match cache.get(&ex.at, t) {
                Ok(c) => Some(c),
                Err(e) => {
                    problems.push(Problem {
                        severity: Severity::Error,
                        code: "bad_catalogue",
                        line,
                        message: None,
                        text: strip_location(&e),
                    });
                    None
                }
            },
            (None, None) => None,
        };
        if let Some(c) = &catalogue {
            for t in c.tools() {
                known_tools.entry(t.name.clone()).or_default();
            }
        }
        conversation::check(&ex, catalogue.as_deref(), &mut problems);
        count(&ex, &mut summary, &mut known_tools);
    }
    dataset_checks(options, &mut summary, &known_tools, &mut problems);
    summary.examples_per_tool = known_tools;
    summary.errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    summary.warnings = problems.len() - summary.errors;
    Report {
        source: source.to_string(),
        problems,
        summary,
    }
}

fn read_problem(e: Error) -> Problem {
    let (line, code) = match &e {
        Error::Json { at, .. } | Error::NotUtf8 { at, .. } | Error::LineTooLong { at, .. } => {
            (at.line, "unreadable_line")
        }
        Error::Shape { at, .. } => (at.line, "bad_shape"),
        _ => (None, "unreadable_line"),
    };
    Problem {
        severity: Severity::Error,
        code,
        line,
        message: None,
        text: strip_location(&e),
    }
}

/// The error text without its leading `file:line: `, which the report prints itself.
fn strip_location(e: &Error) -> String {
    let text = e.to_string();
    let at = match e {
        Error::Json { at, .. }
        | Error::NotUtf8 { at, .. }
        | Error::LineTooLong { at, .. }
        | Error::Shape { at, .. }
        | Error::Catalogue { at, .. }
        | Error::Convert { at, .. }
        | Error::Gold { at, .. } => at.to_string(),
        Error::Usage(_) => return text,
    };
    text.strip_prefix(&format!("{at}: "))
        .map(str::to_string)
        .unwrap_or(text)
}

fn count(ex: &Example, summary: &mut Summary, per_tool: &mut BTreeMap<String, usize>) {
    let conv = &ex.conversation;
    let mut called: Vec<String> = Vec::new();
    let mut first = None;
    for t in conv.assistant_turns() {
        summary.assistant_turns += 1;
        let target = conv.messages[t].target();
        if first.is_none() {
            first = Some(matches!(target, Ok(Target::NoTool { .. })));
        }
        if let Ok(Target::Calls(calls)) = target {
            summary.tool_calls += calls.len();
            summary.parallel_turns += (calls.len() > 1) as usize;
            called.extend(calls.into_iter().map(|c| c.name));
        }
    }
    called.sort();
    called.dedup();
    for name in called {
        *per_tool.entry(name).or_default() += 1;
    }
    summary.no_tool_examples += first.unwrap_or(false) as usize;
}

fn dataset_checks(
    options: &Options,
    summary: &mut Summary,
    per_tool: &BTreeMap<String, usize>,
    problems: &mut Vec<Problem>,
) {
    if summary.examples == 0 {
        problems.push(Problem {
            severity: Severity::Error,
            code: "empty_dataset",
            line: None,
            message: None,
            text: "no readable examples".into(),
        });
        return;
    }
    summary.no_tool_share = summary.no_tool_examples as f64 / summary.examples as f64;
    let (lo, hi) = options.no_tool_share;
    if summary.no_tool_share < lo || summary.no_tool_share > hi {
        let text = format!(
            "{NO_TOOL} share is {:.1}% ({}/{}); aim for {:.0}–{:.0}% so the model learns when not to call",
            summary.no_tool_share * 100.0,
            summary.no_tool_examples,
            summary.examples,
            lo * 100.0,
            hi * 100.0
        );
        problems.push(Problem {
            severity: Severity::Warning,
            code: "no_tool_share",
            line: None,
            message: None,
            text,
        });
    }
    for (name, &n) in per_tool {
        if n < options.min_examples_per_tool {
            let text = format!(
                "tool `{name}` is called in {n} example(s); fewer than {}",
                options.min_examples_per_tool
            );
            problems.push(Problem {
                severity: Severity::Warning,
                code: "too_few_examples",
                line: None,
                message: None,
                text,
            });
        }
    }
}

impl Report {
    /// True when there is no error (warnings allowed).
    pub fn passed(&self) -> bool {
        self.summary.errors == 0
    }

    /// Terminal text: one line per problem, then the summary.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for p in &self.problems {
            let sev = if p.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            let at = p
                .line
                .map_or(self.source.clone(), |l| format!("{}:{l}", self.source));
            let msg = p
                .message
                .map_or(String::new(), |m| format!("messages[{m}]: "));
            let _ = writeln!(s, "{at}: {sev}[{}]: {msg}{}", p.code, p.text);
        }
        let m = &self.summary;
        let _ = writeln!(
            s,
            "\nexamples {}  (unreadable lines {})",
            m.examples, m.unreadable_lines
        );
        let _ = writeln!(
            s,
            "assistant turns {}  tool calls {}  parallel-call turns {}",
            m.assistant_turns, m.tool_calls, m.parallel_turns
        );
        let _ = writeln!(
            s,
            "no-tool examples {} ({:.1}%)",
            m.no_tool_examples,
            m.no_tool_share * 100.0
        );
        if !m.examples_per_tool.is_empty() {
            let tools: Vec<String> = m
                .examples_per_tool
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            let _ = writeln!(s, "examples per tool: {}", tools.join(", "));
        }
        let _ = writeln!(s, "{} error(s), {} warning(s)", m.errors, m.warnings);
        s
    }
}
