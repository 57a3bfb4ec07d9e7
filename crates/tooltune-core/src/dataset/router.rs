//! The router format of the tool-use lesson.
//!
//! Assistant content is one JSON object: `{"tool": "name", "arguments": {...}}` or
//! `{"tool": "no_tool", "reason": "..."}`. Gold rows for evaluation are
//! `{"prompt": "...", "target": <that object>}`, optionally with `tools`, `system`
//! and `id`.

use super::chat::{Content, Conversation, Message, Role, kind};
use crate::call::{NO_TOOL, Target, ToolCall};
use crate::error::{Error, Location, Result};
use crate::parse::{Object, ParseError};
use serde_json::{Map, Value};

/// The text as a router object, if it is one: a JSON object with a `tool` key.
pub fn router_value(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    if !trimmed.starts_with('{') {
        return None;
    }
    let value: Value = serde_json::from_str(trimmed).ok()?;
    value.get("tool").is_some().then_some(value)
}

/// Reads a router object strictly: `tool` a string; for a tool, `arguments` an
/// object; for `no_tool`, `reason` a string; no other keys.
pub fn target_from_value(value: &Value) -> std::result::Result<Target, ParseError> {
    let Value::Object(obj) = value else {
        return Err(ParseError::WrongType {
            key: "",
            expected: "a router object",
            found: kind(value),
        });
    };
    let tool = match obj.get("tool") {
        Some(Value::String(t)) => t.as_str(),
        Some(other) => {
            return Err(ParseError::WrongType {
                key: "tool",
                expected: "a string",
                found: kind(other),
            });
        }
        None => {
            return Err(ParseError::MissingKey {
                key: "tool",
                what: Object::RouterCall,
            });
        }
    };
    let (what, allowed) = if tool == NO_TOOL {
        (Object::NoTool, "reason")
    } else {
        (Object::RouterCall, "arguments")
    };
    if let Some(k) = obj.keys().find(|k| *k != "tool" && *k != allowed) {
        return Err(ParseError::UnexpectedKey {
            key: k.clone(),
            what,
        });
    }
    let wrong = |key, expected, v: &Value| ParseError::WrongType {
        key,
        expected,
        found: kind(v),
    };
    if tool == NO_TOOL {
        return match obj.get("reason") {
            Some(Value::String(r)) => Ok(Target::NoTool {
                reason: Some(r.clone()),
            }),
            Some(other) => Err(wrong("reason", "a string", other)),
            None => Err(ParseError::MissingKey {
                key: "reason",
                what: Object::NoTool,
            }),
        };
    }
    match obj.get("arguments") {
        Some(Value::Object(args)) => Ok(Target::Calls(vec![ToolCall::new(tool, args.clone())])),
        Some(other) => Err(wrong("arguments", "an object", other)),
        None => Err(ParseError::MissingKey {
            key: "arguments",
            what: Object::RouterCall,
        }),
    }
}

/// Data given as the router format: every assistant turn is one router
/// object in `content` (no `tool_calls`, no prose), read strictly.
pub fn check_conversation(at: &Location, conv: &Conversation) -> Result<()> {
    for (i, m) in conv.messages.iter().enumerate() {
        if m.role != Role::Assistant {
            continue;
        }
        let path = format!("messages[{i}]");
        if m.tool_calls.as_ref().is_some_and(|c| !c.is_empty()) {
            return Err(Error::shape(
                at,
                format!("{path}.tool_calls"),
                "router data holds calls as a router object in `content`, not `tool_calls`",
            ));
        }
        let text = m.text();
        let value = router_value(&text).ok_or_else(|| Error::Gold {
            at: at.clone(),
            path: format!("{path}.content"),
            error: match serde_json::from_str::<Value>(text.trim()) {
                Err(e) if text.trim().starts_with('{') => ParseError::Json(e.to_string()),
                _ => ParseError::NotRouter,
            },
        })?;
        target_from_value(&value).map_err(|error| Error::Gold {
            at: at.clone(),
            path: format!("{path}.content"),
            error,
        })?;
    }
    Ok(())
}

/// Reads one gold row `{"prompt", "target"}` into a two- or three-message
/// conversation whose assistant content is the router object.
pub fn conversation_from_gold(at: &Location, value: Value) -> Result<Conversation> {
    let Value::Object(mut row) = value else {
        return Err(Error::shape(
            at,
            "$",
            format!("expected a gold row object, found {}", kind(&value)),
        ));
    };
    let prompt = match row.remove("prompt") {
        Some(Value::String(p)) => p,
        Some(other) => {
            return Err(Error::shape(
                at,
                "prompt",
                format!("must be a string, found {}", kind(&other)),
            ));
        }
        None => {
            return Err(Error::shape(
                at,
                "prompt",
                "missing (gold rows are {\"prompt\", \"target\"})",
            ));
        }
    };
    let target = row
        .remove("target")
        .ok_or_else(|| Error::shape(at, "target", "missing"))?;
    let mut gold = target.clone();
    // Gold no_tool rows may leave out the reason.
    if let Value::Object(t) = &mut gold
        && t.get("tool").and_then(Value::as_str) == Some(NO_TOOL)
        && !t.contains_key("reason")
    {
        t.insert("reason".into(), Value::String(String::new()));
    }
    target_from_value(&gold).map_err(|e| Error::shape(at, "target", e.to_string()))?;
    let mut messages = Vec::new();
    match row.remove("system") {
        Some(Value::String(s)) => messages.push(Message::new(Role::System, s)),
        Some(other) => {
            return Err(Error::shape(
                at,
                "system",
                format!("must be a string, found {}", kind(&other)),
            ));
        }
        None => {}
    }
    messages.push(Message::new(Role::User, prompt));
    messages.push(Message::new(Role::Assistant, gold.to_string()));
    let tools = row.remove("tools");
    Ok(Conversation {
        messages,
        tools,
        parallel_tool_calls: None,
        extra: row,
    })
}

/// Writes a single-turn conversation as a gold row.
pub fn gold_from_conversation(at: &Location, conv: &Conversation) -> Result<Value> {
    let turn = conv.single_turn(at, "router gold rows")?;
    let prompt = conv.messages[..turn]
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(Message::text)
        .ok_or_else(|| Error::Convert {
            at: at.clone(),
            message: "no user message before the assistant turn".into(),
        })?;
    let target = router_json(at, &conv.messages[turn])?;
    let mut row = Map::new();
    if let Some(id) = conv.extra.get("id") {
        row.insert("id".into(), id.clone());
    }
    if let Some(sys) = conv.messages[..turn]
        .iter()
        .find(|m| m.role == Role::System)
    {
        row.insert("system".into(), Value::String(sys.text()));
    }
    row.insert("prompt".into(), Value::String(prompt));
    row.insert("target".into(), target);
    if let Some(tools) = &conv.tools {
        row.insert("tools".into(), tools.clone());
    }
    Ok(Value::Object(row))
}

/// The router object of an assistant message (tool calls or text).
pub fn router_json(at: &Location, message: &Message) -> Result<Value> {
    let target = message.target().map_err(|e| Error::Convert {
        at: at.clone(),
        message: e.to_string(),
    })?;
    target.to_router_json().ok_or_else(|| Error::Convert {
        at: at.clone(),
        message: "the router format holds one call per turn; this turn has parallel calls".into(),
    })
}

/// Rewrites every assistant turn's content as a router object (tool calls
/// become `{"tool", "arguments"}`, text becomes `no_tool` with the text as reason).
pub fn to_router_chat(at: &Location, conv: &Conversation) -> Result<Conversation> {
    if conv.messages.iter().any(|m| m.role == Role::Tool) {
        let msg = "the router format has no tool results; this conversation has tool messages";
        return Err(Error::Convert {
            at: at.clone(),
            message: msg.into(),
        });
    }
    let mut out = conv.clone();
    for m in out
        .messages
        .iter_mut()
        .filter(|m| m.role == Role::Assistant)
    {
        let json = router_json(at, m)?;
        m.content = Some(Content::Text(json.to_string()));
        m.tool_calls = None;
    }
    Ok(out)
}
