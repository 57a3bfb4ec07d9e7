//! The linter finds each problem it promises, at the right line and message.

use serde_json::{Value, json};
use tooltune_core::lint::{Options, Severity, lint};

fn tools() -> Value {
    json!([{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}}}])
}

fn call(id: &str, name: &str, args: &str) -> Value {
    json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}})
}

fn line(messages: Value) -> String {
    json!({"messages": messages, "tools": tools()}).to_string()
}

/// Lints the given lines and returns (code, line, message index) of each error.
fn errors(lines: &[String]) -> Vec<(String, Option<usize>, Option<usize>)> {
    let text = lines.join("\n");
    let report = lint("d.jsonl", text.as_bytes(), None, &Options::default());
    report
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| (p.code.to_string(), p.line, p.message))
        .collect()
}

fn has(
    errs: &[(String, Option<usize>, Option<usize>)],
    code: &str,
    line: usize,
    msg: Option<usize>,
) -> bool {
    errs.iter()
        .any(|(c, l, m)| c == code && *l == Some(line) && *m == msg)
}

#[test]
fn each_conversation_problem_is_found() {
    let u = json!({"role": "user", "content": "go"});
    let lines = vec![
        line(json!([u, {"role": "assistant", "tool_calls": [call("a", "g", "{}")]}])),
        line(json!([u, {"role": "assistant", "tool_calls": [call("a", "f", "{x: 1}")]}])),
        line(json!([u, {"role": "assistant", "tool_calls": [call("a", "f", r#"{"x": "one"}"#)]}])),
        line(json!([u, {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{\"x\":1}"}}]}, {"role": "tool", "content": "r"}, {"role": "assistant", "content": "done"}])),
        line(json!([u, {"role": "assistant", "tool_calls": [call("a", "f", r#"{"x":1}"#), call("a", "f", r#"{"x":2}"#)]}])),
        line(json!([u, {"role": "assistant", "tool_calls": [call("a", "f", r#"{"x":1}"#)]}, {"role": "assistant", "content": "done"}])),
        line(json!([u, {"role": "tool", "tool_call_id": "zzz", "content": "r"}, {"role": "assistant", "content": "done"}])),
        line(json!([u, {"role": "assistant", "content": "hi"}, {"role": "user", "content": "more"}])),
        line(json!([{"role": "user", "content": ""}, {"role": "assistant", "content": "ok"}])),
        json!({"messages": [u, {"role": "assistant", "tool_calls": [call("a", "f", r#"{"x":1}"#), call("b", "f", r#"{"x":2}"#)]}], "tools": tools(), "parallel_tool_calls": false}).to_string(),
        line(json!([u, {"role": "assistant", "content": "{\"tool\": \"f\", \"arguments\": {\"x\": \"no\"}}"}])),
        "{not json".to_string(),
        line(json!([u, {"role": "assistant", "content": "fine"}])),
        line(json!([u, {"role": "assistant", "content": "fine"}])),
    ];
    let e = errors(&lines);
    assert!(has(&e, "unknown_tool", 1, Some(1)), "{e:?}");
    assert!(has(&e, "arguments_not_json", 2, Some(1)), "{e:?}");
    assert!(has(&e, "arguments_schema", 3, Some(1)), "{e:?}");
    assert!(has(&e, "tool_call_id_missing", 4, Some(1)), "{e:?}");
    assert!(has(&e, "tool_call_id_missing", 4, Some(2)), "{e:?}");
    assert!(has(&e, "tool_call_id_duplicate", 5, Some(1)), "{e:?}");
    assert!(has(&e, "tool_call_unanswered", 6, Some(1)), "{e:?}");
    assert!(has(&e, "tool_message_unmatched", 7, Some(1)), "{e:?}");
    assert!(has(&e, "not_ending_on_assistant", 8, Some(2)), "{e:?}");
    assert!(has(&e, "empty_message", 9, Some(0)), "{e:?}");
    assert!(has(&e, "parallel_calls_disallowed", 10, Some(1)), "{e:?}");
    assert!(
        has(&e, "arguments_schema", 11, Some(1)),
        "router content is checked too: {e:?}"
    );
    assert!(has(&e, "unreadable_line", 12, None), "{e:?}");
    assert!(has(&e, "duplicate_example", 14, None), "{e:?}");
    assert!(
        !e.iter().any(|(_, l, _)| *l == Some(13)),
        "line 13 is clean: {e:?}"
    );
}

#[test]
fn clean_data_passes_and_warnings_do_not_fail() {
    let bytes = std::fs::read(crate::common::fixtures().join("support/train.jsonl")).unwrap();
    let report = lint("train.jsonl", &bytes, None, &Options::default());
    assert!(report.passed(), "{}", report.to_text());
    assert!(report.problems.is_empty());
    assert_eq!(report.summary.no_tool_examples, 5);
    assert_eq!(report.summary.examples, 40);
    // Raising the bar gives warnings, which still pass.
    let strict = Options {
        min_examples_per_tool: 8,
        no_tool_share: (0.15, 0.2),
    };
    let report = lint("train.jsonl", &bytes, None, &strict);
    assert!(report.passed());
    let codes: Vec<&str> = report.problems.iter().map(|p| p.code).collect();
    assert_eq!(
        codes,
        vec!["no_tool_share", "too_few_examples"],
        "{}",
        report.to_text()
    );
}
