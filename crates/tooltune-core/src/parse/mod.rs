//! The output parser: raw model text → calls | no_tool | invalid(reason).
//!
//! Accepted shapes, each the documented call syntax of a chat template the
//! engine renders:
//! - the router object `{"tool": "name", "arguments": {...}}` or
//!   `{"tool": "no_tool", "reason": "..."}` (the tool-use lesson);
//! - OpenAI-style `{"name": ..., "arguments": {...} | "<json string>"}` (also wrapped
//!   as `{"type": "function", "function": {...}}`), or an array of calls (parallel);
//! - Llama 3.1's `{"name": ..., "parameters": {...}}` (its template's JSON tool call);
//! - Hermes blocks `<tool_call>{"name": ..., "arguments": ...}</tool_call>`, one per
//!   call (Qwen2.5, the built-in ChatML template, SmolLM2 through it).
//!
//! Strict by design: no repair of broken JSON, no unwrapping of code fences, no
//! unknown keys. A repaired call would hide exactly the failure the
//! valid-tool-call metric exists to show. Plain prose is the no-tool answer in
//! [`Mode::Chat`] — unless it *tries* to call ([`attempt::find`]: a JSON call
//! inside prose, `name(key=...)`, `<|python_tag|>`, `[TOOL_CALLS]`, a code
//! fence, an unclosed `<tool_call>`): a broken call is never a decline. In
//! [`Mode::Json`] (the router format, whose outputs are JSON only) prose is
//! invalid, and so is any JSON but one router object: the lesson's
//! `parse_tool_call` reads nothing else.

pub mod attempt;
mod error;

pub use attempt::Attempt;
pub use error::{Object, ParseError};

use crate::call::{NO_TOOL, Target, ToolCall};
use crate::dataset::chat::kind;
use serde_json::{Map, Value};

/// How plain text (no JSON, no tags) is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Outputs must be JSON (the router format): prose is invalid.
    Json,
    /// Chat outputs: prose with no call attempt is the no-tool answer.
    Chat,
}

/// What a model's output says.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// The output parsed into a target (calls or no_tool).
    Target(Target),
    /// The output cannot be read as calls or no_tool; the error says why.
    Invalid(ParseError),
}

/// Parses raw model text.
pub fn parse_output(text: &str, mode: Mode) -> Parsed {
    match parse(text, mode) {
        Ok(t) => Parsed::Target(t),
        Err(reason) => Parsed::Invalid(reason),
    }
}

/// Parses raw model text into a target, or says why it cannot.
pub fn parse(text: &str, mode: Mode) -> Result<Target, ParseError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ParseError::Empty);
    }
    // JSON first: a JSON call may carry "<tool_call>" inside a string value
    // (found by the fuzzer), which must not send it to the Hermes reader.
    if t.starts_with('{') || t.starts_with('[') {
        let value: Value = serde_json::from_str(t).map_err(|e| {
            if t.starts_with("[TOOL_CALLS]") {
                ParseError::Attempt(Attempt::MistralToolCalls)
            } else {
                ParseError::Json(e.to_string())
            }
        })?;
        return match mode {
            Mode::Chat => from_json(&value),
            // The lesson's `parse_tool_call`: one router object, nothing else.
            Mode::Json if value.get("tool").is_some() => {
                crate::dataset::router::target_from_value(&value)
            }
            Mode::Json => Err(ParseError::NotRouter),
        };
    }
    match mode {
        Mode::Json => Err(match attempt::find(t) {
            Some(Attempt::HermesBlock) if t.contains("</tool_call>") => ParseError::NotRouter,
            Some(a) => ParseError::Attempt(a),
            None => ParseError::Prose,
        }),
        Mode::Chat if t.contains("<tool_call>") || t.contains("</tool_call>") => hermes(t),
        Mode::Chat => match attempt::find(t) {
            Some(a) => Err(ParseError::Attempt(a)),
            None => Ok(Target::NoTool {
                reason: Some(t.to_string()),
            }),
        },
    }
}

fn hermes(t: &str) -> Result<Target, ParseError> {
    let mut calls = Vec::new();
    let mut rest = t;
    let mut outside = String::new();
    while let Some(start) = rest.find("<tool_call>") {
        outside.push_str(&rest[..start]);
        let after = &rest[start + "<tool_call>".len()..];
        let end = after
            .find("</tool_call>")
            .ok_or(ParseError::Attempt(Attempt::HermesBlock))?;
        let index = calls.len() + 1;
        let body = after[..end].trim();
        let value: Value = serde_json::from_str(body)
            .map_err(|e| ParseError::in_block(index, ParseError::Json(e.to_string())))?;
        let call = call_from_object(&value).map_err(|e| ParseError::in_block(index, e))?;
        calls.push(call);
        rest = &after[end + "</tool_call>".len()..];
    }
    outside.push_str(rest);
    if outside.contains("</tool_call>") {
        return Err(ParseError::Attempt(Attempt::HermesBlock));
    }
    calls_target(calls)
}

fn from_json(value: &Value) -> Result<Target, ParseError> {
    match value {
        Value::Object(obj) if obj.contains_key("tool") => {
            crate::dataset::router::target_from_value(value)
        }
        Value::Object(_) => calls_target(vec![call_from_object(value)?]),
        Value::Array(items) if items.is_empty() => Err(ParseError::EmptyList),
        Value::Array(items) => {
            let mut calls = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let call = match item {
                    Value::Object(o) if o.contains_key("tool") => {
                        match crate::dataset::router::target_from_value(item) {
                            Ok(Target::Calls(mut c)) => c.remove(0),
                            Ok(Target::NoTool { .. }) => {
                                return Err(ParseError::NoToolWithCalls);
                            }
                            Err(e) => return Err(ParseError::in_item(i, e)),
                        }
                    }
                    _ => call_from_object(item).map_err(|e| ParseError::in_item(i, e))?,
                };
                calls.push(call);
            }
            calls_target(calls)
        }
        other => Err(ParseError::WrongType {
            key: "",
            expected: "a call object or a list of calls",
            found: kind(other),
        }),
    }
}

/// A list of calls; a single call named `no_tool` is the no-tool path.
fn calls_target(calls: Vec<ToolCall>) -> Result<Target, ParseError> {
    if calls.iter().any(|c| c.name == NO_TOOL) {
        if calls.len() > 1 {
            return Err(ParseError::NoToolWithCalls);
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

/// `{"name", "arguments"}`, Llama 3.1's `{"name", "parameters"}`, or
/// `{"type": "function", "function": {"name", "arguments"}}`.
fn call_from_object(value: &Value) -> Result<ToolCall, ParseError> {
    let Value::Object(obj) = value else {
        return Err(ParseError::WrongType {
            key: "",
            expected: "a call object",
            found: kind(value),
        });
    };
    if let Some(func) = obj.get("function") {
        if let Some(k) = obj
            .keys()
            .find(|k| !matches!(k.as_str(), "type" | "function" | "id"))
        {
            return Err(ParseError::UnexpectedKey {
                key: k.clone(),
                what: Object::Call,
            });
        }
        return call_from_object(func);
    }
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "name" | "arguments" | "parameters"))
    {
        return Err(ParseError::UnexpectedKey {
            key: k.clone(),
            what: Object::Call,
        });
    }
    let name = match obj.get("name") {
        Some(Value::String(n)) => n.clone(),
        Some(other) => {
            return Err(ParseError::WrongType {
                key: "name",
                expected: "a string",
                found: kind(other),
            });
        }
        None => {
            return Err(ParseError::MissingKey {
                key: "name",
                what: Object::Call,
            });
        }
    };
    let (key, args) = match (obj.get("arguments"), obj.get("parameters")) {
        (Some(_), Some(_)) => return Err(ParseError::ArgumentsTwice),
        (Some(a), None) => ("arguments", a),
        (None, Some(p)) => ("parameters", p),
        (None, None) => {
            return Err(ParseError::MissingKey {
                key: "arguments",
                what: Object::Call,
            });
        }
    };
    Ok(ToolCall::new(name, arguments_object(key, args)?))
}

/// An arguments value: an object, or a JSON string holding one.
pub(crate) fn arguments_object(
    key: &'static str,
    value: &Value,
) -> Result<Map<String, Value>, ParseError> {
    match value {
        Value::Object(a) => Ok(a.clone()),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(a)) => Ok(a),
            Ok(other) => Err(ParseError::ArgumentsNotObject(kind(&other))),
            Err(e) => Err(ParseError::ArgumentsNotJson(e.to_string())),
        },
        other => Err(ParseError::WrongType {
            key,
            expected: "an object",
            found: kind(other),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(name: &str, args: Value) -> ToolCall {
        ToolCall::new(name, args.as_object().unwrap().clone())
    }

    fn calls(text: &str) -> Vec<ToolCall> {
        match parse_output(text, Mode::Chat) {
            Parsed::Target(Target::Calls(c)) => c,
            other => panic!("expected calls from {text:?}, got {other:?}"),
        }
    }

    fn invalid(text: &str, mode: Mode) -> String {
        match parse_output(text, mode) {
            Parsed::Invalid(r) => r.to_string(),
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
        assert_eq!(invalid("[]", Mode::Chat), "empty list of calls");
        assert_eq!(
            parse(r#"{"name":"f","arguments":{}}"#, Mode::Json),
            Err(ParseError::NotRouter)
        );
        assert!(
            invalid(r#"{"name":"f","arguments":"{bad"}"#, Mode::Chat)
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
            "looks like a tool call but is not one the parser reads: an unclosed <tool_call> block"
        );
        assert_eq!(
            parse(
                "<tool_call>{\"name\":\"f\",\"arguments\":{}}</tool_call>",
                Mode::Json
            ),
            Err(ParseError::NotRouter)
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
    fn llama31_parameters() {
        assert_eq!(
            calls(r#"{"name": "get_weather", "parameters": {"city": "Paris"}}"#),
            vec![call("get_weather", json!({"city": "Paris"}))]
        );
        assert_eq!(
            parse(r#"{"name":"f","arguments":{},"parameters":{}}"#, Mode::Chat),
            Err(ParseError::ArgumentsTwice)
        );
    }

    #[test]
    fn call_attempts_in_prose_are_invalid() {
        for (text, want) in [
            (
                r#"Sure: {"name": "escalate", ...}"#,
                Attempt::JsonObject("name".into()),
            ),
            (
                r#"track_order(order_id="ORD-1")"#,
                Attempt::FunctionSyntax("track_order".into()),
            ),
            ("<|python_tag|>track_order.call(x=1)", Attempt::PythonTag),
            ("[TOOL_CALLS] [{}]", Attempt::MistralToolCalls),
            ("Here:\n```json\n{}\n```", Attempt::CodeFence),
        ] {
            assert_eq!(
                parse(text, Mode::Chat),
                Err(ParseError::Attempt(want)),
                "{text}"
            );
        }
        assert!(matches!(
            parse("The capital of France is Paris (in Europe).", Mode::Chat),
            Ok(Target::NoTool { .. })
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
            "looks like a tool call but is not one the parser reads: a call in a code fence (not repaired)"
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
