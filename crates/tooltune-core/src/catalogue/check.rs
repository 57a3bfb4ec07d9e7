//! Structural checks of one tool declaration: a unique, identifier-like name, an
//! object schema for `parameters`, `required` a subset of `properties`.

use super::normalise::normalise_schema;
use crate::call::NO_TOOL;
use serde_json::{Value, json};
use std::fmt;

/// One problem in a catalogue, naming the tool (when known) and the JSON path.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    /// The tool's name, when it could be read.
    pub tool: Option<String>,
    /// JSON path inside the catalogue (`[2].function.parameters.required[1]`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(
        tool: Option<&str>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            tool: tool.map(str::to_string),
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.tool {
            Some(tool) => write!(f, "tool `{tool}` at {}: {}", self.path, self.message),
            None => write!(f, "at {}: {}", self.path, self.message),
        }
    }
}

/// A declaration that passed the checks, with its normalised schema.
pub(super) struct Declaration {
    pub name: String,
    pub description: String,
    pub parameters: Value,
    /// Path of the function object (`[2].function` or `[2]`).
    pub path: String,
}

/// Reads and checks one catalogue entry, pushing every problem found.
pub(super) fn declaration(
    entry: &Value,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Option<Declaration> {
    let Value::Object(obj) = entry else {
        problems.push(Problem::new(None, path, "expected a tool object"));
        return None;
    };
    let (func, path) = match (obj.get("type"), obj.get("function")) {
        (Some(Value::String(t)), Some(f)) if t == "function" => (f, format!("{path}.function")),
        (Some(t), _) if t != "function" && !obj.contains_key("name") => {
            problems.push(Problem::new(
                None,
                format!("{path}.type"),
                format!("unsupported tool type {t}; expected \"function\""),
            ));
            return None;
        }
        (_, Some(f)) if !obj.contains_key("name") => (f, format!("{path}.function")),
        _ => (entry, path.to_string()),
    };
    let Value::Object(func) = func else {
        problems.push(Problem::new(None, path, "expected a function object"));
        return None;
    };
    let name = match func.get("name") {
        Some(Value::String(n)) => n.clone(),
        Some(_) => {
            problems.push(Problem::new(
                None,
                format!("{path}.name"),
                "name must be a string",
            ));
            return None;
        }
        None => {
            problems.push(Problem::new(
                None,
                format!("{path}.name"),
                "missing tool name",
            ));
            return None;
        }
    };
    let before = problems.len();
    if let Err(why) = check_name(&name) {
        problems.push(Problem::new(
            Some(&name),
            format!("{path}.name"),
            why.to_string(),
        ));
    }
    let description = match func.get("description") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(d)) => d.clone(),
        Some(_) => {
            problems.push(Problem::new(
                Some(&name),
                format!("{path}.description"),
                "description must be a string",
            ));
            String::new()
        }
    };
    let mut parameters = match func.get("parameters") {
        None | Some(Value::Null) => json!({"type": "object", "properties": {}}),
        Some(p) => p.clone(),
    };
    normalise_schema(&mut parameters);
    check_parameters(&name, &format!("{path}.parameters"), &parameters, problems);
    (problems.len() == before).then_some(Declaration {
        name,
        description,
        parameters,
        path,
    })
}

/// The entry's tool name and the path of its `name` key, if it has one.
pub(super) fn name_of(entry: &Value, path: &str) -> Option<(String, String)> {
    if let Some(Value::String(n)) = entry.get("function").and_then(|f| f.get("name")) {
        return Some((n.clone(), format!("{path}.function.name")));
    }
    entry
        .get("name")
        .and_then(Value::as_str)
        .map(|n| (n.to_string(), format!("{path}.name")))
}

/// Why a tool name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadName {
    /// `no_tool`.
    #[error("`{NO_TOOL}` is reserved for the no-tool path")]
    Reserved,
    /// Not identifier-like.
    #[error(
        "name {0:?} is not identifier-like (a letter or _ first, then letters, digits, _ - or ., at most 64)"
    )]
    NotIdentifier(String),
}

/// Names must look like identifiers: a letter or `_` first, then letters, digits,
/// `_`, `-` or `.` (BFCL uses dotted names), at most 64 characters.
fn check_name(name: &str) -> Result<(), BadName> {
    if name == NO_TOOL {
        return Err(BadName::Reserved);
    }
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !first_ok || !rest_ok || name.len() > 64 {
        return Err(BadName::NotIdentifier(name.to_string()));
    }
    Ok(())
}

fn check_parameters(tool: &str, path: &str, schema: &Value, problems: &mut Vec<Problem>) {
    let Value::Object(obj) = schema else {
        problems.push(Problem::new(
            Some(tool),
            path,
            "parameters must be a JSON Schema object",
        ));
        return;
    };
    match obj.get("type") {
        Some(Value::String(t)) if t == "object" => {}
        Some(other) => {
            problems.push(Problem::new(
                Some(tool),
                format!("{path}.type"),
                format!("parameters must have type \"object\", found {other}"),
            ));
        }
        None => problems.push(Problem::new(
            Some(tool),
            format!("{path}.type"),
            "parameters must have type \"object\"",
        )),
    }
    let props = match obj.get("properties") {
        None => None,
        Some(Value::Object(p)) => Some(p),
        Some(_) => {
            problems.push(Problem::new(
                Some(tool),
                format!("{path}.properties"),
                "properties must be an object",
            ));
            None
        }
    };
    match obj.get("required") {
        None => {}
        Some(Value::Array(req)) => {
            for (i, r) in req.iter().enumerate() {
                let at = format!("{path}.required[{i}]");
                match r.as_str() {
                    None => problems.push(Problem::new(
                        Some(tool),
                        at,
                        "required entries must be strings",
                    )),
                    Some(key) if !props.is_some_and(|p| p.contains_key(key)) => {
                        problems.push(Problem::new(
                            Some(tool),
                            at,
                            format!("required {key:?} is not in properties"),
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        Some(_) => problems.push(Problem::new(
            Some(tool),
            format!("{path}.required"),
            "required must be an array",
        )),
    }
}
