//! A tool call and what one assistant turn does: call tools or take the no-tool path.

use serde_json::{Map, Value};

/// The name the router format and the evaluator use for "no tool fits".
pub const NO_TOOL: &str = "no_tool";

/// One call of a catalogue tool with its arguments (a JSON object).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// The tool's name.
    pub name: String,
    /// The arguments object.
    pub arguments: Map<String, Value>,
}

impl ToolCall {
    /// A call from a name and an arguments object.
    pub fn new(name: impl Into<String>, arguments: Map<String, Value>) -> Self {
        Self {
            name: name.into(),
            arguments,
        }
    }
}

/// What an assistant turn does: one or more calls (parallel when several), or the
/// no-tool path with its reason or answer text.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Call these tools (several = parallel calls).
    Calls(Vec<ToolCall>),
    /// No tool: answer directly, ask for what is missing, or decline.
    NoTool {
        /// The reason (router format) or the answer text (chat format).
        reason: Option<String>,
    },
}

impl Target {
    /// The label used for stratifying and for the confusion matrix: the sorted
    /// tool names joined by `+`, or `no_tool`.
    pub fn label(&self) -> String {
        match self {
            Target::NoTool { .. } => NO_TOOL.to_string(),
            Target::Calls(calls) => {
                let mut names: Vec<&str> = calls.iter().map(|c| c.name.as_str()).collect();
                names.sort_unstable();
                names.join("+")
            }
        }
    }

    /// The router-format JSON of a single call or the no-tool path.
    /// Returns `None` for parallel calls, which the router format cannot hold.
    pub fn to_router_json(&self) -> Option<Value> {
        match self {
            Target::NoTool { reason } => {
                let mut obj = Map::new();
                obj.insert("tool".into(), Value::String(NO_TOOL.into()));
                obj.insert(
                    "reason".into(),
                    Value::String(reason.clone().unwrap_or_default()),
                );
                Some(Value::Object(obj))
            }
            Target::Calls(calls) if calls.len() == 1 => {
                let mut obj = Map::new();
                obj.insert("tool".into(), Value::String(calls[0].name.clone()));
                obj.insert(
                    "arguments".into(),
                    Value::Object(calls[0].arguments.clone()),
                );
                Some(Value::Object(obj))
            }
            Target::Calls(_) => None,
        }
    }
}
