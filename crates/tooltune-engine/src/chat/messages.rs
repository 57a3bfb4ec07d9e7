//! tooltune-core's [`Conversation`] as the message dicts that Hugging Face
//! chat templates read (the `messages` of `apply_chat_template`).
//!
//! Keys are present only when the message has them, because templates test
//! presence (`'tool_calls' in message` in Llama 3.1). Call arguments are
//! objects, not JSON strings, as transformers documents, so `| tojson` in a
//! template prints them once; arguments that were not JSON stay the string
//! the user wrote.

use serde_json::{Map, Value, json};
use tooltune_core::dataset::{Arguments, Conversation, Message, Role};

/// The role's name in templates.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    }
}

/// One message as a template dict.
pub fn message_value(m: &Message) -> Value {
    let mut obj = Map::new();
    obj.insert("role".into(), role_name(m.role).into());
    if let Some(content) = &m.content {
        obj.insert("content".into(), content.text().into());
    }
    if let Some(calls) = m.tool_calls.as_ref().filter(|c| !c.is_empty()) {
        let calls: Vec<Value> = calls
            .iter()
            .map(|c| {
                let arguments = match &c.function.arguments {
                    Arguments::Json(v) => v.clone(),
                    Arguments::Unparsed { raw, .. } => Value::String(raw.clone()),
                };
                let mut call = Map::new();
                if let Some(id) = &c.id {
                    call.insert("id".into(), id.clone().into());
                }
                call.insert("type".into(), c.kind.clone().into());
                call.insert(
                    "function".into(),
                    json!({"name": c.function.name, "arguments": arguments}),
                );
                Value::Object(call)
            })
            .collect();
        obj.insert("tool_calls".into(), Value::Array(calls));
    }
    if let Some(id) = &m.tool_call_id {
        obj.insert("tool_call_id".into(), id.clone().into());
    }
    for (k, v) in &m.extra {
        obj.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Value::Object(obj)
}

/// The first `n` messages of a conversation as template dicts.
pub fn messages_value(conv: &Conversation, n: usize) -> Vec<Value> {
    conv.messages.iter().take(n).map(message_value).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_become_objects_and_absent_keys_stay_absent() {
        let line = r#"{"messages": [{"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
            "function": {"name": "f", "arguments": "{\"x\": 1}"}}]}, {"role": "tool", "tool_call_id": "c1",
            "content": "ok", "name": "f"}]}"#;
        let conv: Conversation = serde_json::from_str(line).expect("parses");
        let v = messages_value(&conv, 2);
        assert_eq!(
            v[0],
            json!({"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                "function": {"name": "f", "arguments": {"x": 1}}}]})
        );
        assert_eq!(
            v[1],
            json!({"role": "tool", "content": "ok", "tool_call_id": "c1", "name": "f"})
        );
    }
}
