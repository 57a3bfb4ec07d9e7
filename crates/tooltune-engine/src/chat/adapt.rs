//! Tool calling through templates that know nothing of tools (SmolLM2's
//! plain ChatML template, many base models'): before rendering, the
//! conversation is rewritten the way tooltune's built-in template renders
//! it, so such a model is trained and prompted in one documented syntax
//! that the output parser reads:
//! - the catalogue goes into the system message, after the user's own
//!   system text, as the built-in template's `# Tools` block;
//! - an assistant turn's `tool_calls` become Hermes blocks in its content,
//!   `<tool_call>\n{"name": ..., "arguments": ...}\n</tool_call>`, one per call;
//! - a run of tool results becomes one user turn of `<tool_response>` blocks.

use serde_json::{Map, Value, json};

use super::pyjson::dumps;

/// The catalogue block of the system message (the built-in template's text).
pub fn tools_block(tools: &[Value]) -> String {
    let mut s = String::from(
        "# Tools\n\nYou may call one or more functions. Function signatures are within <tools></tools> XML tags:\n<tools>",
    );
    for tool in tools {
        s.push('\n');
        s.push_str(&dumps(tool, None));
    }
    s.push_str("\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>");
    s
}

/// One call as a Hermes block.
fn hermes_block(call: &Value) -> String {
    let f = call.get("function").unwrap_or(call);
    let name = f.get("name").and_then(Value::as_str).unwrap_or_default();
    let args = f.get("arguments").cloned().unwrap_or(json!({}));
    format!(
        "<tool_call>\n{{\"name\": {}, \"arguments\": {}}}\n</tool_call>",
        dumps(&Value::String(name.into()), None),
        dumps(&args, None)
    )
}

fn text(m: &Value) -> &str {
    m.get("content").and_then(Value::as_str).unwrap_or_default()
}

/// The conversation rewritten for a template without tool support.
pub fn adapt(messages: &[Value], tools: Option<&Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(messages.len() + 1);
    let tools: &[Value] = tools.and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let mut rest = messages;
    if !tools.is_empty() {
        let mut system = String::new();
        if let Some(first) = messages.first().filter(|m| m["role"] == "system") {
            system.push_str(text(first));
            system.push_str("\n\n");
            rest = &messages[1..];
        }
        system.push_str(&tools_block(tools));
        out.push(json!({"role": "system", "content": system}));
    }
    for m in rest {
        match m["role"].as_str() {
            Some("assistant") if m.get("tool_calls").is_some() => {
                let mut parts: Vec<String> = Vec::new();
                if !text(m).is_empty() {
                    parts.push(text(m).to_string());
                }
                for call in m["tool_calls"].as_array().into_iter().flatten() {
                    parts.push(hermes_block(call));
                }
                let mut obj: Map<String, Value> = Map::new();
                obj.insert("role".into(), "assistant".into());
                obj.insert("content".into(), parts.join("\n").into());
                out.push(Value::Object(obj));
            }
            Some("tool") => {
                let block = format!("<tool_response>\n{}\n</tool_response>", text(m));
                match out.last_mut() {
                    Some(prev) if prev.get("tool_results").is_some() => {
                        let joined = format!("{}\n{block}", text(prev));
                        prev["content"] = joined.into();
                    }
                    _ => out.push(json!({"role": "user", "content": block, "tool_results": true})),
                }
            }
            _ => out.push(m.clone()),
        }
    }
    for m in &mut out {
        if let Some(obj) = m.as_object_mut() {
            obj.remove("tool_results");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_become_hermes_blocks_and_results_one_user_turn() {
        let messages = vec![
            json!({"role": "system", "content": "Be brief."}),
            json!({"role": "user", "content": "Weather in Paris and Rome?"}),
            json!({"role": "assistant", "tool_calls": [
                {"type": "function", "function": {"name": "w", "arguments": {"city": "Paris"}}},
                {"type": "function", "function": {"name": "w", "arguments": {"city": "Rome"}}}]}),
            json!({"role": "tool", "tool_call_id": "1", "content": "18"}),
            json!({"role": "tool", "tool_call_id": "2", "content": "21"}),
            json!({"role": "assistant", "content": "18 and 21."}),
        ];
        let tools = json!([{"type": "function", "function": {"name": "w"}}]);
        let out = adapt(&messages, Some(&tools));
        assert_eq!(out.len(), 5);
        assert!(text(&out[0]).starts_with("Be brief.\n\n# Tools\n"));
        assert_eq!(
            text(&out[2]),
            "<tool_call>\n{\"name\": \"w\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"w\", \"arguments\": {\"city\": \"Rome\"}}\n</tool_call>"
        );
        assert_eq!(out[3]["role"], "user");
        assert_eq!(
            text(&out[3]),
            "<tool_response>\n18\n</tool_response>\n<tool_response>\n21\n</tool_response>"
        );
        assert_eq!(out[4], messages[5]);
    }
}
