//! The dataset table: rows of a user request and its gold answer (one call or
//! the no-tool path as a router object, or the rest of a conversation: tool
//! calls, parallel ones included, tool results, the final answer), imported
//! from and exported to the JSONL formats the CLI reads and writes, and
//! linted by tooltune-core's linter with the workspace's catalogue.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tooltune_core::call::NO_TOOL;
use tooltune_core::dataset::{self, Conversation, Format, Role, router};
use tooltune_core::lint::{self, Options, Severity};
use tooltune_core::{Catalogue, Location, Target};

use crate::error::{Result, WorkspaceError};

/// One example: the user's request and the gold answer, kept as typed so a
/// half-edited answer is not lost. The answer is a router object's text
/// (`{"tool": "track_order", "arguments": {...}}` or `{"tool": "no_tool",
/// "reason": "..."}`), or, for what one call cannot say, the conversation's
/// messages after the request as a JSON array (`[{"role": "assistant",
/// "tool_calls": [...]}, {"role": "tool", ...}, {"role": "assistant",
/// "content": "..."}]`: parallel calls, tool results, the final answer,
/// later turns), as the OpenAI chat format writes them ([`Answer`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Row {
    /// What the user asks.
    pub request: String,
    /// The gold answer, router JSON text.
    pub gold: String,
    /// A test row: always held out for evaluation, never trained on (an
    /// example's `test.jsonl`, or a row the person marked). When any row is
    /// one, the held-out rows are exactly these; otherwise a seeded share
    /// of the rows is held out (`training::training_data`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held_out: bool,
}

impl Row {
    /// A row calling `tool` with `arguments`.
    pub fn call(request: &str, tool: &str, arguments: Value) -> Self {
        Row {
            request: request.into(),
            gold: json!({"tool": tool, "arguments": arguments}).to_string(),
            held_out: false,
        }
    }

    /// A new conversation row to fill in: a call of `tool` (arguments to
    /// write), its result, the final answer.
    pub fn conversation_template(tool: &str) -> Self {
        let turns = [
            json!({"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                   "function": {"name": tool, "arguments": "{}"}}]}),
            json!({"role": "tool", "tool_call_id": "call_1", "content": "the tool's result"}),
            json!({"role": "assistant", "content": "the final answer"}),
        ];
        Row {
            request: String::new(),
            gold: turns_text(&turns),
            held_out: false,
        }
    }

    /// Whether the gold answer is a conversation's messages (a JSON array),
    /// not a router object.
    pub fn is_conversation(&self) -> bool {
        self.gold.trim_start().starts_with('[')
    }

    /// The gold answer, read: a router object, or a conversation's messages
    /// (checked as the OpenAI chat format reads them, with at least one
    /// assistant turn).
    pub fn answer(&self) -> core::result::Result<Answer, String> {
        if !self.is_conversation() {
            return self.target().map(Answer::Router);
        }
        self.turns().map(|(turns, _)| Answer::Turns(turns))
    }

    /// A conversation row's messages after the request, and the request with
    /// them as one conversation read by tooltune-core (its first assistant
    /// turn is the one after the request).
    fn turns(&self) -> core::result::Result<(Vec<Value>, Conversation), String> {
        let turns: Vec<Value> = serde_json::from_str(&self.gold).map_err(|e| {
            format!("the conversation's turns are not a JSON array of messages: {e}")
        })?;
        let mut messages = vec![json!({"role": "user", "content": self.request})];
        messages.extend(turns.iter().cloned());
        let conv =
            dataset::conversation(&Location::whole("the row"), json!({ "messages": messages }))
                .map_err(|e| e.to_string())?;
        if conv.assistant_turns().next().is_none() {
            return Err("the conversation has no assistant turn to train on".into());
        }
        Ok((turns, conv))
    }

    /// The gold answer as a router object, read strictly (the router
    /// format's rules); a conversation's messages are not one.
    pub fn target(&self) -> core::result::Result<Target, String> {
        let value = router::router_value(&self.gold).ok_or_else(|| {
            "the gold answer is not a router object ({\"tool\": ...})".to_string()
        })?;
        router::target_from_value(&value).map_err(|e| e.to_string())
    }

    /// The gold answer's tool name (`no_tool` for the no-tool path; a
    /// conversation's first assistant turn's), if it reads.
    pub fn label(&self) -> Option<String> {
        if !self.is_conversation() {
            return self.target().ok().map(|t| t.label());
        }
        let (_, conv) = self.turns().ok()?;
        let turn = conv.assistant_turns().next()?;
        conv.messages[turn].target().ok().map(|t| t.label())
    }
}

/// A row's gold answer, read ([`Row::answer`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// One call or the no-tool path.
    Router(Target),
    /// The conversation's messages after the request.
    Turns(Vec<Value>),
}

/// The messages after the request as the gold column writes them: a JSON
/// array, one message per line.
fn turns_text(turns: &[Value]) -> String {
    let lines: Vec<String> = turns.iter().map(|m| format!("  {m}")).collect();
    format!("[\n{}\n]", lines.join(",\n"))
}

/// Rows read from a JSONL file, and the lines that could not become rows.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    /// The rows, in file order.
    pub rows: Vec<Row>,
    /// The system prompt of the first line that has one.
    pub system_prompt: Option<String>,
    /// Lines skipped, each with its reason.
    pub skipped: Vec<WorkspaceError>,
}

/// Reads OpenAI chat, router chat or router-gold JSONL (the format is
/// detected) into rows. A line with one assistant turn (one call, or the
/// no-tool path) after a user message becomes a router row; any other
/// conversation (parallel calls, tool results and a final answer, several
/// turns) a conversation row holding every message after its first user
/// message but system messages (the workspace has one system prompt).
pub fn import(source: &str, bytes: &[u8]) -> Result<Imported> {
    let format = dataset::detect_at(source, bytes)?;
    if format == Format::Bfcl {
        return Err(WorkspaceError::Core(format!(
            "{source}: BFCL files convert with `tooltune convert --from bfcl --to openai` first"
        )));
    }
    let mut out = Imported::default();
    for line in dataset::read(format, source, bytes, None)? {
        let ex = match line {
            Ok(ex) => ex,
            Err(e) => {
                out.skipped.push(e.into());
                continue;
            }
        };
        let at = ex.at.to_string();
        let conv = &ex.conversation;
        let skip = |message: String| WorkspaceError::Row {
            at: at.clone(),
            message,
        };
        let Some(first_user) = conv.messages.iter().position(|m| m.role == Role::User) else {
            out.skipped.push(skip("no user message".into()));
            continue;
        };
        if conv.assistant_turns().next().is_none() {
            out.skipped
                .push(skip("no assistant answer after the request".into()));
            continue;
        }
        if out.system_prompt.is_none() {
            out.system_prompt = conv
                .messages
                .iter()
                .find(|m| m.role == Role::System)
                .map(|m| m.text());
        }
        // One assistant turn with one call or none: a router row, as typed
        // in the table; anything else keeps its messages.
        let single = conv
            .single_turn(&ex.at, "table rows")
            .ok()
            .and_then(|turn| {
                let user = conv.messages[..turn]
                    .iter()
                    .rev()
                    .find(|m| m.role == Role::User)?;
                let router = conv.messages[turn].target().ok()?.to_router_json()?;
                Some((user.text(), router.to_string()))
            });
        let (request, gold) = match single {
            Some(row) => row,
            None => {
                let turns: serde_json::Result<Vec<Value>> = conv.messages[first_user + 1..]
                    .iter()
                    .filter(|m| m.role != Role::System)
                    .map(serde_json::to_value)
                    .collect();
                match turns {
                    Ok(turns) => (conv.messages[first_user].text(), turns_text(&turns)),
                    Err(e) => {
                        out.skipped.push(skip(e.to_string()));
                        continue;
                    }
                }
            }
        };
        out.rows.push(Row {
            request,
            gold,
            held_out: false,
        });
    }
    Ok(out)
}

/// A JSONL format the table writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// OpenAI chat fine-tuning JSONL: calls as `tool_calls`, the no-tool
    /// answer as text, `tools` on every line.
    OpenAi,
    /// Router chat JSONL: the assistant's content is the router object.
    Router,
}

/// The rows as JSONL lines in `format`, each with the system prompt (when
/// not empty) and, for OpenAI, the catalogue's tools. A row whose gold
/// answer does not read is an error naming it (1-based).
pub fn export(
    rows: &[Row],
    system_prompt: &str,
    catalogue: Option<&Catalogue>,
    format: ExportFormat,
) -> Result<String> {
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let line = example_line(row, system_prompt, catalogue, format).map_err(|message| {
            WorkspaceError::Row {
                at: format!("row {}", i + 1),
                message,
            }
        })?;
        out.push_str(&line.to_string());
        out.push('\n');
    }
    Ok(out)
}

/// One row as a chat line (see [`export`]).
pub fn example_line(
    row: &Row,
    system_prompt: &str,
    catalogue: Option<&Catalogue>,
    format: ExportFormat,
) -> core::result::Result<Value, String> {
    let mut messages = Vec::new();
    if !system_prompt.is_empty() {
        messages.push(json!({"role": "system", "content": system_prompt}));
    }
    messages.push(json!({"role": "user", "content": row.request}));
    let target = match row.answer()? {
        Answer::Router(target) => target,
        Answer::Turns(_) if format == ExportFormat::Router => {
            return Err(
                "a conversation row (parallel calls, tool results, several turns) \
                        has no router form: use the tool-calls output style, or export \
                        OpenAI chat"
                    .into(),
            );
        }
        Answer::Turns(turns) => {
            let parallel = turns
                .iter()
                .any(|m| m["tool_calls"].as_array().is_some_and(|c| c.len() > 1));
            messages.extend(turns);
            let mut line = json!({ "messages": messages });
            if let Some(c) = catalogue {
                line["tools"] = Value::Array(c.to_openai());
                line["parallel_tool_calls"] = Value::Bool(parallel);
            }
            return Ok(line);
        }
    };
    let answer = match (format, &target) {
        (ExportFormat::Router, _) => {
            json!({"role": "assistant", "content": target.to_router_json().unwrap_or_default().to_string()})
        }
        (ExportFormat::OpenAi, Target::NoTool { reason }) => {
            json!({"role": "assistant", "content": reason.clone().unwrap_or_default()})
        }
        (ExportFormat::OpenAi, Target::Calls(calls)) => {
            let calls: Vec<Value> = calls
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    json!({"id": format!("call_{}", k + 1), "type": "function",
                           "function": {"name": c.name,
                                        "arguments": Value::Object(c.arguments.clone()).to_string()}})
                })
                .collect();
            json!({"role": "assistant", "tool_calls": calls})
        }
    };
    messages.push(answer);
    let mut line = json!({ "messages": messages });
    if let (ExportFormat::OpenAi, Some(c)) = (format, catalogue) {
        line["tools"] = Value::Array(c.to_openai());
        line["parallel_tool_calls"] = Value::Bool(false);
    }
    Ok(line)
}

/// One finding of the linter, placed on a row (or on the whole dataset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The row (0-based), or `None` for the dataset as a whole.
    pub row: Option<usize>,
    /// Error (unfit for training) or warning.
    pub error: bool,
    /// The linter's code (`unknown_tool`, ...; `bad_gold` for an unreadable answer).
    pub code: String,
    /// What is wrong.
    pub text: String,
}

/// The lint of the table.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Lint {
    /// Every finding, rows first.
    pub findings: Vec<Finding>,
    /// Rows whose gold answer is the no-tool path.
    pub no_tool_rows: usize,
    /// Rows with a readable gold answer.
    pub readable_rows: usize,
    /// The accepted no-tool share (the linter's band).
    pub band: (f64, f64),
}

impl Lint {
    /// The no-tool share of the readable rows (0 when there are none).
    pub fn no_tool_share(&self) -> f64 {
        if self.readable_rows == 0 {
            0.0
        } else {
            self.no_tool_rows as f64 / self.readable_rows as f64
        }
    }

    /// Findings of row `i`.
    pub fn of_row(&self, i: usize) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.row == Some(i))
    }
}

/// Lints the rows as `tooltune lint --tools` would lint their router export
/// with the catalogue (every check: schema, unknown tools, duplicates,
/// no-tool share, tools with few examples), placing each finding on its row.
/// Rows whose gold answer does not read get a `bad_gold` error and are left
/// out of the rest. `catalogue` is `None` while the catalogue is broken: the
/// rows' own shape is still checked.
pub fn lint_rows(rows: &[Row], system_prompt: &str, catalogue: Option<Arc<Catalogue>>) -> Lint {
    let options = Options::default();
    let mut report = Lint {
        band: options.no_tool_share,
        ..Lint::default()
    };
    let mut lines = String::new();
    let mut line_row = Vec::new();
    // Router lines while every row is one call or none; once a row is a
    // conversation, which has no router form, OpenAI chat lines for all.
    let format = if rows.iter().any(Row::is_conversation) {
        ExportFormat::OpenAi
    } else {
        ExportFormat::Router
    };
    for (i, row) in rows.iter().enumerate() {
        if row.request.trim().is_empty() {
            report.findings.push(Finding {
                row: Some(i),
                error: true,
                code: "empty_request".into(),
                text: "the request is empty".into(),
            });
        }
        match example_line(row, system_prompt, None, format) {
            Ok(line) => {
                if row.label().as_deref() == Some(NO_TOOL) {
                    report.no_tool_rows += 1;
                }
                report.readable_rows += 1;
                lines.push_str(&line.to_string());
                lines.push('\n');
                line_row.push(i);
            }
            Err(text) => report.findings.push(Finding {
                row: Some(i),
                error: true,
                code: "bad_gold".into(),
                text,
            }),
        }
    }
    let linted = lint::lint("table", lines.as_bytes(), catalogue, &options);
    for p in linted.problems {
        report.findings.push(Finding {
            row: p
                .line
                .and_then(|l| line_row.get(l.wrapping_sub(1)).copied()),
            error: p.severity == Severity::Error,
            code: p.code.to_string(),
            text: p
                .text
                .replace("duplicate of line", "duplicate of row")
                .to_string(),
        });
    }
    // "duplicate of line N" names the export's line; say the row.
    for f in &mut report.findings {
        if f.code == "duplicate_example"
            && let Some(n) = f
                .text
                .strip_prefix("duplicate of row ")
                .and_then(|n| n.parse::<usize>().ok())
            && let Some(&row) = line_row.get(n.wrapping_sub(1))
        {
            f.text = format!("duplicate of row {}", row + 1);
        }
    }
    report
        .findings
        .sort_by_key(|f| (f.row.is_none(), f.row.unwrap_or(0)));
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOOLS: &str = include_str!("../../../tests/fixtures/support/tools.json");
    const DATA: &str = include_str!("../../../tests/fixtures/support/train.jsonl");

    #[test]
    fn the_test_mark_is_written_only_when_set() {
        let mut row = Row::call(
            "Where is ORD-1",
            "track_order",
            json!({"order_id": "ORD-1"}),
        );
        let plain = serde_json::to_string(&row).unwrap();
        assert!(!plain.contains("held_out"), "{plain}");
        assert_eq!(serde_json::from_str::<Row>(&plain).unwrap(), row);
        row.held_out = true;
        let marked = serde_json::to_string(&row).unwrap();
        assert!(marked.contains(r#""held_out":true"#), "{marked}");
        assert_eq!(serde_json::from_str::<Row>(&marked).unwrap(), row);
    }

    fn catalogue() -> Arc<Catalogue> {
        Arc::new(Catalogue::from_bytes("tools.json", TOOLS.as_bytes()).unwrap())
    }

    #[test]
    fn a_file_of_no_known_format_says_why() {
        let message = |bytes: &[u8]| import("rows.jsonl", bytes).unwrap_err().to_string();
        assert!(
            message(b"{\"messages\": [\n").starts_with("rows.jsonl:1: invalid JSON"),
            "{}",
            message(b"{\"messages\": [\n")
        );
        let other = message(br#"{"text": "hi"}"#);
        assert!(other.contains("rows.jsonl:1: $: cannot tell the dataset's format from its first line (keys `text`)"), "{other}");
        assert!(message(b"").contains("rows.jsonl: $: empty"));
    }

    #[test]
    fn the_support_example_imports_and_exports_both_ways() {
        let imported = import("train.jsonl", DATA.as_bytes()).unwrap();
        // 35 single calls or declines, and 5 conversations (parallel calls,
        // tool results, a final answer), every message kept.
        assert_eq!(imported.rows.len(), 40);
        assert!(imported.skipped.is_empty(), "{:?}", imported.skipped);
        let conversations: Vec<usize> = (0..40)
            .filter(|&i| imported.rows[i].is_conversation())
            .collect();
        assert_eq!(conversations.len(), 5);
        let first = &imported.rows[conversations[0]];
        let Ok(Answer::Turns(turns)) = first.answer() else {
            panic!("{}", first.gold)
        };
        assert_eq!(turns[0]["tool_calls"].as_array().unwrap().len(), 2);
        assert!(turns.iter().any(|m| m["role"] == "tool"));
        assert_eq!(turns.last().unwrap()["role"], "assistant");
        let system = imported.system_prompt.unwrap();
        assert!(system.starts_with("You route"));
        let text = export(
            &imported.rows,
            &system,
            Some(&catalogue()),
            ExportFormat::OpenAi,
        )
        .unwrap();
        let again = import("export", text.as_bytes()).unwrap();
        assert_eq!(again.rows, imported.rows);
        let parallel = text.lines().nth(conversations[0]).unwrap();
        assert!(
            parallel.contains(r#""parallel_tool_calls":true"#),
            "{parallel}"
        );
        // The router format holds one call or none: the first conversation row is named.
        let err = export(
            &imported.rows,
            &system,
            Some(&catalogue()),
            ExportFormat::Router,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(&format!("row {}", conversations[0] + 1)),
            "{err}"
        );
        assert!(err.contains("has no router form"), "{err}");
        let single: Vec<Row> = imported
            .rows
            .iter()
            .filter(|r| !r.is_conversation())
            .cloned()
            .collect();
        let text = export(&single, &system, Some(&catalogue()), ExportFormat::Router).unwrap();
        assert_eq!(import("export", text.as_bytes()).unwrap().rows, single);
    }

    #[test]
    fn conversation_answers_are_read_and_checked() {
        let row = |gold: &str| Row {
            request: "Refund ORD-1 and ORD-2".into(),
            gold: gold.into(),
            held_out: false,
        };
        let two = r#"[{"role": "assistant", "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "request_refund", "arguments": "{\"order_id\": \"ORD-1\", \"reason\": \"late\"}"}},
            {"id": "b", "type": "function", "function": {"name": "track_order", "arguments": "{\"order_id\": \"ORD-2\"}"}}]}]"#;
        let ok = row(two);
        assert_eq!(ok.label().as_deref(), Some("request_refund+track_order"));
        let line = example_line(&ok, "sys", Some(&catalogue()), ExportFormat::OpenAi).unwrap();
        assert_eq!(line["messages"].as_array().unwrap().len(), 3);
        assert_eq!(line["parallel_tool_calls"], true);
        let template = Row::conversation_template("track_order");
        assert_eq!(template.label().as_deref(), Some("track_order"));
        assert_eq!(template.gold.lines().count(), 5);
        let broken = row(r#"[{"role": "assistant", "content": "#);
        assert!(
            broken
                .answer()
                .unwrap_err()
                .contains("not a JSON array of messages")
        );
        let silent = row(r#"[{"role": "tool", "tool_call_id": "a", "content": "ok"}]"#);
        assert!(silent.answer().is_err());
        let lint = lint_rows(&[ok, broken, silent], "sys", Some(catalogue()));
        let codes = |i| lint.of_row(i).map(|f| f.code.clone()).collect::<Vec<_>>();
        assert!(
            codes(0).iter().all(|c| c != "bad_gold"),
            "{:?}",
            lint.findings
        );
        assert_eq!(codes(1), ["bad_gold"]);
        assert_eq!(codes(2), ["bad_gold"]);
    }

    #[test]
    fn the_example_lints_clean_and_its_no_tool_share_is_in_band() {
        let rows = import("train.jsonl", DATA.as_bytes()).unwrap().rows;
        let lint = lint_rows(&rows, "sys", Some(catalogue()));
        assert!(
            lint.findings.iter().all(|f| !f.error),
            "{:?}",
            lint.findings
        );
        let share = lint.no_tool_share();
        assert!((0.10..=0.20).contains(&share), "{share}");
    }

    #[test]
    fn findings_land_on_their_rows() {
        let mut rows = import("train.jsonl", DATA.as_bytes()).unwrap().rows;
        rows[2].gold = r#"{"tool": "track_order", "arguments": {"order_id": 5}}"#.into();
        rows[4].gold = r#"{"tool": "fly_to_moon", "arguments": {}}"#.into();
        rows[6].gold = "{\"tool\": ".into();
        let last = rows.len();
        rows.push(rows[0].clone());
        let lint = lint_rows(&rows, "sys", Some(catalogue()));
        let codes = |i| lint.of_row(i).map(|f| f.code.as_str()).collect::<Vec<_>>();
        assert_eq!(codes(2), ["arguments_schema"], "{:?}", lint.findings);
        assert_eq!(codes(4), ["unknown_tool"], "{:?}", lint.findings);
        assert_eq!(codes(6), ["bad_gold"]);
        let dup = lint.of_row(last).next().unwrap();
        assert_eq!(dup.code, "duplicate_example");
        assert_eq!(dup.text, "duplicate of row 1");
    }

    #[test]
    fn lines_that_are_not_rows_are_skipped_with_reasons_and_conversations_kept() {
        let text = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"hello\"}]}\n\
                    not json\n\
                    {\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}, {\"role\": \"user\", \"content\": \"c\"}, {\"role\": \"assistant\", \"content\": \"d\"}]}\n";
        let imported = import("x.jsonl", text.as_bytes()).unwrap();
        assert_eq!(imported.rows.len(), 2);
        assert_eq!(imported.rows[0].label().as_deref(), Some("no_tool"));
        // Two turns: a conversation row, every message after the request kept.
        let two = &imported.rows[1];
        assert!(two.is_conversation());
        assert_eq!(two.request, "a");
        assert_eq!(two.label().as_deref(), Some("no_tool"));
        for said in ["\"b\"", "\"c\"", "\"d\""] {
            assert!(two.gold.contains(said), "{}", two.gold);
        }
        assert_eq!(imported.skipped.len(), 1);
        assert!(import("x", b"{\"a\": 1}").is_err());
    }
}
