//! The OpenAI chat fine-tuning format: one conversation per JSONL line with
//! `messages` (system / user / assistant / tool), optional `tools`,
//! `parallel_tool_calls` and per-message `weight`.
//!
//! Assistant `tool_calls[].function.arguments` is accepted as a JSON string (the
//! API's spelling) or as an object, kept as a value, and written back as a string.
//! Arguments that are not JSON are kept verbatim so the linter can report them and
//! nothing the user wrote is lost. Unknown keys are kept too.

use crate::call::{Target, ToolCall};
use crate::parse::ParseError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// One conversation (one JSONL line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// The turns, in order.
    pub messages: Vec<Message>,
    /// The tool catalogue offered in this conversation (OpenAI `tools`), as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Value>,
    /// Whether the assistant may call several tools in one turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// Any other top-level keys (`id`, `metadata`, ...), kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A chat role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions, usually with the tool catalogue.
    System,
    /// The person's request.
    User,
    /// The model's turn: tool calls or a text answer.
    Assistant,
    /// A tool's result, answering one call by `tool_call_id`.
    Tool,
}

/// One message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who speaks.
    pub role: Role,
    /// Text, a list of content parts, or absent (assistant turns with tool calls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// The assistant's tool calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<MessageToolCall>>,
    /// For `tool` messages: the id of the call this answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// Whether to train on this assistant message (0 or 1; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u8>,
    /// Other keys (`name`, ...), kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Message content: a string or OpenAI content parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    /// Plain text.
    Text(String),
    /// Content parts (`{"type": "text", "text": "..."}` and others, kept as written).
    Parts(Vec<Value>),
}

impl Content {
    /// The text of the content: the string, or the text parts joined.
    pub fn text(&self) -> String {
        match self {
            Content::Text(t) => t.clone(),
            Content::Parts(parts) => parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(""),
        }
    }
}

/// One tool call in an assistant message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageToolCall {
    /// The call id that the tool message answers.
    #[serde(default)]
    pub id: Option<String>,
    /// Always `function`.
    #[serde(rename = "type", default = "function_word")]
    pub kind: String,
    /// The function and its arguments.
    pub function: FunctionCall,
}

fn function_word() -> String {
    "function".into()
}

/// The called function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// Tool name.
    pub name: String,
    /// Arguments: parsed JSON, or the raw string when it is not JSON.
    pub arguments: Arguments,
}

/// Call arguments as written: parsed JSON (from a string or an object), or a
/// string that did not parse, kept verbatim.
#[derive(Debug, Clone, PartialEq)]
pub enum Arguments {
    /// Parsed JSON (an object when well-formed).
    Json(Value),
    /// A string that is not JSON, with the parse error.
    Unparsed { raw: String, error: String },
}

impl<'de> Deserialize<'de> for Arguments {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(raw) => match serde_json::from_str::<Value>(&raw) {
                Ok(v) => Arguments::Json(v),
                Err(e) => Arguments::Unparsed {
                    raw,
                    error: e.to_string(),
                },
            },
            other => Arguments::Json(other),
        })
    }
}

impl Serialize for Arguments {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Arguments::Json(v) => s.serialize_str(&v.to_string()),
            Arguments::Unparsed { raw, .. } => s.serialize_str(raw),
        }
    }
}

impl Arguments {
    /// The arguments object, or why there is none.
    pub fn object(&self) -> Result<&Map<String, Value>, ParseError> {
        match self {
            Arguments::Json(Value::Object(map)) => Ok(map),
            Arguments::Json(other) => Err(ParseError::WrongType {
                key: "arguments",
                expected: "a JSON object",
                found: kind(other),
            }),
            Arguments::Unparsed { error, .. } => Err(ParseError::ArgumentsNotJson(error.clone())),
        }
    }
}

/// A short name for a JSON value's type.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Message {
    /// The content's text, or "" when absent.
    pub fn text(&self) -> String {
        self.content.as_ref().map(Content::text).unwrap_or_default()
    }

    /// A plain message with text content.
    pub fn new(role: Role, text: impl Into<String>) -> Self {
        Message {
            role,
            content: Some(Content::Text(text.into())),
            tool_calls: None,
            tool_call_id: None,
            weight: None,
            extra: Map::new(),
        }
    }

    /// What this assistant message does, read as gold. Tool calls win;
    /// otherwise content in the router format (`{"tool": ...}`) is read as
    /// such, and prose with no call attempt is the no-tool answer. Content
    /// that looks like a call but is neither (broken router JSON, a
    /// `{"name": ...}` object, a Hermes block, `name(key=...)`) is an error:
    /// gold never silently changes class.
    pub fn target(&self) -> Result<Target, ParseError> {
        if let Some(calls) = self.tool_calls.as_ref().filter(|c| !c.is_empty()) {
            let mut out = Vec::with_capacity(calls.len());
            for (i, c) in calls.iter().enumerate() {
                let args = c
                    .function
                    .arguments
                    .object()
                    .map_err(|e| ParseError::InItem {
                        index: i,
                        inner: Box::new(e),
                    })?;
                out.push(ToolCall::new(c.function.name.clone(), args.clone()));
            }
            return Ok(Target::Calls(out));
        }
        let text = self.text();
        let trimmed = text.trim();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            let value: Value =
                serde_json::from_str(trimmed).map_err(|e| ParseError::Json(e.to_string()))?;
            return match value {
                Value::Object(ref o) if o.contains_key("tool") => {
                    super::router::target_from_value(&value)
                }
                _ => Err(ParseError::NotRouterObject),
            };
        }
        if trimmed.contains("<tool_call>") {
            return Err(ParseError::Attempt(crate::parse::Attempt::Tag(
                "<tool_call>".into(),
            )));
        }
        match crate::parse::attempt::find(trimmed) {
            Some(a) => Err(ParseError::Attempt(a)),
            None => Ok(Target::NoTool { reason: Some(text) }),
        }
    }
}

impl Conversation {
    /// Indices of the assistant messages, in order.
    pub fn assistant_turns(&self) -> impl Iterator<Item = usize> + '_ {
        self.messages
            .iter()
            .enumerate()
            .filter(|(_, m)| m.role == Role::Assistant)
            .map(|(i, _)| i)
    }

    /// The index of the only assistant turn, or a conversion error saying that
    /// `what` (e.g. "BFCL items") holds one assistant turn.
    pub fn single_turn(&self, at: &crate::Location, what: &str) -> crate::Result<usize> {
        let turns: Vec<usize> = self.assistant_turns().collect();
        match turns[..] {
            [turn] => Ok(turn),
            _ => Err(crate::Error::Convert {
                at: at.clone(),
                message: format!(
                    "{what} hold one assistant turn; this conversation has {}",
                    turns.len()
                ),
            }),
        }
    }

    /// The `id` key, if the line has one (a string or a number).
    pub fn id(&self) -> Option<String> {
        match self.extra.get("id") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }
}
