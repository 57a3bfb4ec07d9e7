//! Why a model output (or a gold assistant turn) cannot be read as calls or
//! the no-tool path: kinds as data, so callers (the evaluator, the web page,
//! tests) match on them and point at the place, and the text for people.

use super::attempt::Attempt;

/// Why text is not a readable call or no-tool answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    /// Nothing but blanks.
    #[error("empty output")]
    Empty,
    /// Starts like JSON but does not parse.
    #[error("not valid JSON: {0}")]
    Json(String),
    /// Prose where only JSON is accepted (the router format).
    #[error("not JSON")]
    Prose,
    /// Prose that tries to call a tool in a syntax the parser does not read.
    #[error("looks like a tool call but is not one the parser reads: {0}")]
    Attempt(Attempt),
    /// Router format: the output must be one router object `{"tool": ...}`.
    #[error("expected a router object {{\"tool\": ...}} (the router format)")]
    NotRouter,
    /// A problem inside the n-th (1-based) `<tool_call>` block.
    #[error("<tool_call> block {index}: {inner}")]
    InBlock {
        index: usize,
        inner: Box<ParseError>,
    },
    /// A problem in item `index` (0-based) of a list of calls.
    #[error("item {index}: {inner}")]
    InItem {
        index: usize,
        inner: Box<ParseError>,
    },
    /// `[]`.
    #[error("empty list of calls")]
    EmptyList,
    /// `no_tool` as one of several calls.
    #[error("no_tool together with other calls")]
    NoToolWithCalls,
    /// A required key is absent; `what` names the object.
    #[error("{}", missing_text(key, what))]
    MissingKey { key: &'static str, what: Object },
    /// A key the object does not have.
    #[error("unexpected key {key:?}{}", what.suffix())]
    UnexpectedKey { key: String, what: Object },
    /// A value of the wrong JSON type (`key` empty: the value itself).
    #[error("{}", wrong_type_text(key, expected, found))]
    WrongType {
        key: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    /// Both `arguments` and `parameters` in one call.
    #[error("both \"arguments\" and \"parameters\" in one call")]
    ArgumentsTwice,
    /// `"arguments"` is a string that is not JSON.
    #[error("arguments string is not JSON: {0}")]
    ArgumentsNotJson(String),
    /// `"arguments"` is a JSON string holding something other than an object.
    #[error("arguments string must hold an object, found {0}")]
    ArgumentsNotObject(&'static str),
    /// Gold: a JSON call that is not a router object `{"tool": ...}`.
    #[error(
        "a JSON call that is not a router object {{\"tool\": ...}}: write calls as `tool_calls`, or the router format"
    )]
    NotRouterObject,
}

/// Which object a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    /// `{"name", "arguments"}` (OpenAI, Hermes, Llama 3.1).
    Call,
    /// A router tool call `{"tool", "arguments"}`.
    RouterCall,
    /// `{"tool": "no_tool", "reason"}`.
    NoTool,
}

impl Object {
    fn suffix(self) -> &'static str {
        match self {
            Object::Call => "",
            Object::RouterCall => " in a tool call",
            Object::NoTool => " in a no_tool object",
        }
    }
}

fn missing_text(key: &str, what: &Object) -> String {
    match what {
        Object::NoTool => format!("no_tool needs a {key:?}"),
        _ => format!("missing {key:?}"),
    }
}

fn wrong_type_text(key: &str, expected: &str, found: &str) -> String {
    if key.is_empty() {
        format!("expected {expected}, found {found}")
    } else {
        format!("{key:?} must be {expected}, found {found}")
    }
}

impl ParseError {
    /// The innermost error, through block and item wrappers.
    pub fn root(&self) -> &ParseError {
        match self {
            ParseError::InBlock { inner, .. } | ParseError::InItem { inner, .. } => inner.root(),
            other => other,
        }
    }

    pub(crate) fn in_block(index: usize, e: ParseError) -> Self {
        ParseError::InBlock {
            index,
            inner: Box::new(e),
        }
    }

    pub(crate) fn in_item(index: usize, e: ParseError) -> Self {
        ParseError::InItem {
            index,
            inner: Box::new(e),
        }
    }
}
