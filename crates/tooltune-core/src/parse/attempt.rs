//! Call attempts in prose: text that tries to call a tool in a syntax the
//! parser does not read. Such text is never the no-tool answer: a model that
//! writes `track_order(order_id="ORD-1")` on a request no tool fits did not
//! decline, it made a broken call.
//!
//! The checks are lexical and deliberately narrow, so that ordinary prose
//! (parentheses, braces, maths, code words) still reads as a decline. The
//! corpus in `tests/core/near_miss.rs` holds both sides.

use std::fmt;

/// A call attempt found in prose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Llama 3.1's `<|python_tag|>` (built-in tools, not read).
    PythonTag,
    /// Mistral's `[TOOL_CALLS]` prefix.
    MistralToolCalls,
    /// A fenced code block (the parser repairs nothing).
    CodeFence,
    /// A Hermes block that is not closed, or a stray closing tag.
    HermesBlock,
    /// Another tool-call tag, e.g. `<function=...>` or `<|tool_call|>`.
    Tag(String),
    /// A JSON object inside prose whose first key names a call (`name`,
    /// `tool`, `function`, `arguments`, ...).
    JsonObject(String),
    /// Python-style call syntax, e.g. `track_order(order_id="ORD-1")`.
    FunctionSyntax(String),
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attempt::PythonTag => write!(f, "a <|python_tag|> call"),
            Attempt::MistralToolCalls => write!(f, "a [TOOL_CALLS] call"),
            Attempt::CodeFence => write!(f, "a call in a code fence (not repaired)"),
            Attempt::HermesBlock => write!(f, "an unclosed <tool_call> block"),
            Attempt::Tag(tag) => write!(f, "a {tag} tag"),
            Attempt::JsonObject(key) => {
                write!(f, "a JSON object with key {key:?} inside prose")
            }
            Attempt::FunctionSyntax(name) => write!(f, "a call in Python syntax `{name}(...)`"),
        }
    }
}

const TAGS: [&str; 8] = [
    "<function=",
    "<function_call",
    "</function>",
    "<|tool_call|>",
    "<|tool_calls|>",
    "<tool_calls>",
    "<|function_call|>",
    "functools[",
];

const CALL_KEYS: [&str; 8] = [
    "name",
    "tool",
    "tool_name",
    "function",
    "function_call",
    "arguments",
    "parameters",
    "tool_calls",
];

/// The first call attempt in `text`, if any.
pub fn find(text: &str) -> Option<Attempt> {
    if text.contains("<|python_tag|>") {
        return Some(Attempt::PythonTag);
    }
    if text.contains("[TOOL_CALLS]") {
        return Some(Attempt::MistralToolCalls);
    }
    if text.contains("```") {
        return Some(Attempt::CodeFence);
    }
    if text.contains("<tool_call") || text.contains("</tool_call>") {
        return Some(Attempt::HermesBlock);
    }
    if let Some(tag) = TAGS.iter().find(|t| text.contains(*t)) {
        return Some(Attempt::Tag((*tag).to_string()));
    }
    json_object(text).or_else(|| function_syntax(text))
}

/// `{` then (after blanks) a quoted call key, with either quote style.
fn json_object(text: &str) -> Option<Attempt> {
    for (i, _) in text.match_indices('{') {
        let rest = text[i + 1..].trim_start();
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let body = &rest[1..];
        if let Some(end) = body.find(quote) {
            let key = &body[..end];
            if CALL_KEYS.contains(&key) {
                return Some(Attempt::JsonObject(key.to_string()));
            }
        }
    }
    None
}

/// `name(` with no blank before the parenthesis, where the name is
/// identifier-like and either looks like code (`_` or `.` inside) or the
/// parentheses open on `key=` or a quoted value.
fn function_syntax(text: &str) -> Option<Attempt> {
    let bytes = text.as_bytes();
    for (open, _) in text.match_indices('(') {
        let mut start = open;
        while start > 0 && is_ident(bytes[start - 1]) {
            start -= 1;
        }
        if start == open || (start > 0 && bytes[start - 1].is_ascii_alphanumeric()) {
            continue;
        }
        let name = text[start..open].trim_end_matches('.');
        if name.is_empty() || !(bytes[start].is_ascii_alphabetic() || bytes[start] == b'_') {
            continue;
        }
        let inside = text[open + 1..].trim_start();
        let code_like = name.contains('_') || name.contains('.');
        let opens_on_value = inside.starts_with('"') || inside.starts_with('\'');
        if code_like || opens_on_value || keyword_argument(inside) {
            return Some(Attempt::FunctionSyntax(name.to_string()));
        }
    }
    None
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// `key=` or `key: ` right after the parenthesis (`f(x=1)`, `f(x: 1)`).
fn keyword_argument(inside: &str) -> bool {
    let end = inside
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'_'))
        .unwrap_or(inside.len());
    if end == 0 {
        return false;
    }
    let after = inside[end..].trim_start();
    (after.starts_with('=') && !after.starts_with("==")) || after.starts_with(": ")
}
