//! The output parser: raw model text → calls | no_tool | invalid(reason).
//!
//! Accepted shapes:
//! - the router object `{"tool": "name", "arguments": {...}}` or
//!   `{"tool": "no_tool", "reason": "..."}`;
//! - OpenAI-style `{"name": ..., "arguments": {...} | "<json string>"}` (also wrapped
//!   as `{"type": "function", "function": {...}}`), or an array of calls (parallel);
//! - Hermes blocks `<tool_call>{"name": ..., "arguments": ...}</tool_call>`, one per call.
//!
//! Strict by design: no repair of broken JSON, no unwrapping of code fences, no
//! unknown keys. A repaired call would hide exactly the failure the
//! valid-tool-call metric exists to show. Plain prose is the no-tool answer in
//! [`Mode::Chat`] and invalid in [`Mode::Json`] (the router format, whose outputs
//! are JSON only).

use crate::call::{NO_TOOL, Target, ToolCall};
use crate::dataset::chat::kind;
use serde_json::{Map, Value};

/// How plain text (no JSON, no tags) is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Outputs must be JSON (the router format): prose is invalid.
    Json,
    /// Chat outputs: prose is the no-tool answer.
    Chat,
}

/// What a model's output says.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// The output parsed into a target (calls or no_tool).
    Target(Target),
    /// The output cannot be read as calls or no_tool; the reason says why.
    Invalid(String),
}

/// Parses raw model text.
pub fn parse_output(text: &str, mode: Mode) -> Parsed {
    match parse_inner(text, mode) {
        Ok(t) => Parsed::Target(t),
        Err(reason) => Parsed::Invalid(reason),
    }
}

fn parse_inner(text: &str, mode: Mode) -> Result<Target, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty output".into());
    }
    // JSON first: a JSON call may carry "<tool_call>" inside a string value
    // (found by the fuzzer), which must not send it to the Hermes reader.
    if t.starts_with('{') || t.starts_with('[') {
        let value: Value = serde_json::from_str(t).map_err(|e| format!("not valid JSON: {e}"))?;
        return from_json(&value);
    }
    if t.contains("<tool_call>") || t.contains("</tool_call>") {
        return hermes(t, mode);
    }
    if t.starts_with("```") {
        return Err("JSON wrapped in a code fence (not repaired)".into());
    }
    match mode {
        Mode::Chat => Ok(Target::NoTool {
            reason: Some(t.to_string()),
        }),
        Mode::Json => Err("not JSON".into()),
    }
}

fn hermes(t: &str, mode: Mode) -> Result<Target, String> {
    let mut calls = Vec::new();
    let mut rest = t;
    let mut outside = String::new();
    while let Some(start) = rest.find("<tool_call>") {
        outside.push_str(&rest[..start]);
        let after = &rest[start + "<tool_call>".len()..];
        let end = after
            .find("</tool_call>")
            .ok_or("unclosed <tool_call> block")?;
        let body = after[..end].trim();
        let value: Value = serde_json::from_str(body)
            .map_err(|e| format!("<tool_call> block {}: not valid JSON: {e}", calls.len() + 1))?;
        let call = call_from_object(&value)
            .map_err(|e| format!("<tool_call> block {}: {e}", calls.len() + 1))?;
        calls.push(call);
        rest = &after[end + "</tool_call>".len()..];
    }
    outside.push_str(rest);
    if outside.contains("</tool_call>") {
        return Err("</tool_call> without an opening <tool_call>".into());
    }
    if mode == Mode::Json && !outside.trim().is_empty() {
        return Err("text outside the <tool_call> blocks".into());
    }
    calls_target(calls)
}

fn from_json(value: &Value) -> Result<Target, String> {
    match value {
        Value::Object(obj) if obj.contains_key("tool") => {
            crate::dataset::router::target_from_value(value)
        }
        Value::Object(_) => calls_target(vec![call_from_object(value)?]),
        Value::Array(items) if items.is_empty() => Err("empty list of calls".into()),
        Value::Array(items) => {
            let mut calls = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let call = match item {
                    Value::Object(o) if o.contains_key("tool") => {
                        match crate::dataset::router::target_from_value(item) {
                            Ok(Target::Calls(mut c)) => c.remove(0),
                            Ok(Target::NoTool { .. }) => {
                                return Err(format!("item {i}: no_tool inside a list of calls"));
                            }
                            Err(e) => return Err(format!("item {i}: {e}")),
                        }
                    }
                    _ => call_from_object(item).map_err(|e| format!("item {i}: {e}"))?,
                };
                calls.push(call);
            }
            calls_target(calls)
        }
        other => Err(format!(
            "expected a call object or a list of calls, found {}",
            kind(other)
        )),
    }
}

/// A list of calls; a single call named `no_tool` is the no-tool path.
fn calls_target(calls: Vec<ToolCall>) -> Result<Target, String> {
    if calls.iter().any(|c| c.name == NO_TOOL) {
        if calls.len() > 1 {
            return Err("no_tool together with other calls".into());
        }
        let reason = calls[0]
            .arguments
            .get("reason")
            .and_then(Value::as_str)
            .map(str::to_string);
        return Ok(Target::NoTool { reason });
    }
    Ok(Target::Calls(calls))
}

/// `{"name", "arguments"}` or `{"type": "function", "function": {"name", "arguments"}}`.
fn call_from_object(value: &Value) -> Result<ToolCall, String> {
    let Value::Object(obj) = value else {
        return Err(format!("expected a call object, found {}", kind(value)));
    };
    if let Some(func) = obj.get("function") {
        if let Some(k) = obj
            .keys()
            .find(|k| !matches!(k.as_str(), "type" | "function" | "id"))
        {
            return Err(format!("unexpected key {k:?}"));
        }
        return call_from_object(func);
    }
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "name" | "arguments"))
    {
        return Err(format!("unexpected key {k:?}"));
    }
    let name = match obj.get("name") {
        Some(Value::String(n)) => n.clone(),
        Some(other) => return Err(format!("\"name\" must be a string, found {}", kind(other))),
        None => return Err("missing \"name\"".into()),
    };
    let arguments: Map<String, Value> = match obj.get("arguments") {
        Some(Value::Object(a)) => a.clone(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(a)) => a,
            Ok(other) => {
                return Err(format!(
                    "arguments string must hold an object, found {}",
                    kind(&other)
                ));
            }
            Err(e) => return Err(format!("arguments string is not JSON: {e}")),
        },
        Some(other) => {
            return Err(format!(
                "\"arguments\" must be an object, found {}",
                kind(other)
            ));
        }
        None => return Err("missing \"arguments\"".into()),
    };
    Ok(ToolCall::new(name, arguments))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(name: &str, args: Value) -> ToolCall {
        ToolCall::new(name, args.as_object().unwrap().clone())
    }

    fn calls(text: &str) -> Vec<ToolCall> {
        match parse_output(text, Mode::Json) {
            Parsed::Target(Target::Calls(c)) => c,
            other => panic!("expected calls from {text:?}, got {other:?}"),
        }
    }

    fn invalid(text: &str, mode: Mode) -> String {
        match parse_output(text, mode) {
            Parsed::Invalid(r) => r,
            other => panic!("expected invalid from {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn router_objects() {
        assert_eq!(
            calls(r#"{"tool":"track_order","arguments":{"order_id":"A1"}}"#),
            vec![call("track_order", json!({"order_id": "A1"}))]
        );
        assert_eq!(
            parse_output(r#" {"tool":"no_tool","reason":"greeting"} "#, Mode::Json),
            Parsed::Target(Target::NoTool {
                reason: Some("greeting".into())
            })
        );
        assert_eq!(
            invalid(r#"{"tool":"no_tool"}"#, Mode::Json),
            "no_tool needs a \"reason\""
        );
        assert_eq!(
            invalid(r#"{"tool":"x","arguments":{},"extra":1}"#, Mode::Json),
            "unexpected key \"extra\" in a tool call"
        );
        assert_eq!(
            invalid(r#"{"tool":"x","arguments":"{}"}"#, Mode::Json),
            "\"arguments\" must be an object, found a string"
        );
    }

    #[test]
    fn openai_objects_and_arrays() {
        assert_eq!(
            calls(r#"{"name":"f","arguments":"{\"a\":1}"}"#),
            vec![call("f", json!({"a": 1}))]
        );
        assert_eq!(
            calls(
                r#"[{"name":"f","arguments":{"a":1}},{"type":"function","function":{"name":"g","arguments":{}}}]"#
            ),
            vec![call("f", json!({"a": 1})), call("g", json!({}))]
        );
        assert_eq!(invalid("[]", Mode::Json), "empty list of calls");
        assert!(
            invalid(r#"{"name":"f","arguments":"{bad"}"#, Mode::Json)
                .starts_with("arguments string is not JSON")
        );
    }

    #[test]
    fn hermes_blocks() {
        let text = "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n</tool_call>\n<tool_call>{\"name\": \"g\", \"arguments\": {}}</tool_call>";
        assert_eq!(
            calls(text),
            vec![call("f", json!({"a": 1})), call("g", json!({}))]
        );
        assert_eq!(
            invalid(
                "<tool_call>{\"name\": \"f\", \"arguments\": {}}",
                Mode::Chat
            ),
            "unclosed <tool_call> block"
        );
        assert_eq!(
            invalid(
                "Sure! <tool_call>{\"name\":\"f\",\"arguments\":{}}</tool_call>",
                Mode::Json
            ),
            "text outside the <tool_call> blocks"
        );
        assert!(matches!(
            parse_output(
                "Sure! <tool_call>{\"name\":\"f\",\"arguments\":{}}</tool_call>",
                Mode::Chat
            ),
            Parsed::Target(Target::Calls(_))
        ));
    }

    #[test]
    fn tags_inside_json_strings_stay_json() {
        // Minimised from a fuzzer crash: the argument key holds a Hermes tag.
        let text = r#"[{"name":"f","arguments":{"a<tool_call>1":[0,2]}}]"#;
        assert_eq!(
            calls(text),
            vec![call("f", json!({"a<tool_call>1": [0, 2]}))]
        );
    }

    #[test]
    fn strictness_no_repair() {
        assert_eq!(invalid("", Mode::Chat), "empty output");
        assert!(invalid(r#"{"tool":"x","arguments":{}"#, Mode::Json).starts_with("not valid JSON"));
        assert!(
            invalid(r#"{"tool":"x","arguments":{}} trailing"#, Mode::Json)
                .starts_with("not valid JSON")
        );
        assert_eq!(
            invalid("```json\n{}\n```", Mode::Chat),
            "JSON wrapped in a code fence (not repaired)"
        );
        assert_eq!(invalid("I will call it", Mode::Json), "not JSON");
        assert_eq!(
            parse_output("Paris is sunny.", Mode::Chat),
            Parsed::Target(Target::NoTool {
                reason: Some("Paris is sunny.".into())
            })
        );
        let deep = "[".repeat(5000);
        assert!(invalid(&deep, Mode::Json).starts_with("not valid JSON"));
    }
}
