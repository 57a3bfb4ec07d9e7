//! Validation of a call's arguments against its tool's JSON Schema, through the
//! `jsonschema` crate (type, enum, required, additionalProperties, bounds, items,
//! nested objects: the whole of Draft 2020-12).

use serde_json::{Map, Value};
use std::fmt;

/// One schema violation: where in the arguments (a JSON pointer, empty for
/// the object itself) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the arguments, e.g. `/unit`.
    pub path: String,
    /// What the schema says, e.g. `"kelvin" is not one of ["c","f"]`.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.path.is_empty() {
            "arguments"
        } else {
            &self.path
        };
        write!(f, "{at}: {}", self.message)
    }
}

/// Why a call is not valid for a catalogue.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// The name is not in the catalogue (nor `no_tool`).
    UnknownTool(String),
    /// The arguments break the tool's schema; one line per violation.
    Arguments {
        tool: String,
        violations: Vec<Violation>,
    },
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::UnknownTool(name) => write!(f, "unknown tool `{name}`"),
            CallError::Arguments { tool, violations } => {
                write!(
                    f,
                    "arguments of `{tool}` fail its schema: {}",
                    violations
                        .iter()
                        .map(Violation::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }
        }
    }
}

pub(super) fn check(
    validator: &jsonschema::Validator,
    arguments: &Map<String, Value>,
) -> Result<(), Vec<Violation>> {
    // The validator takes a `Value`; the clone is shallow for typical small argument objects.
    let instance = Value::Object(arguments.clone());
    let violations: Vec<Violation> = validator
        .iter_errors(&instance)
        .map(|e| Violation {
            path: e.instance_path().to_string(),
            message: e.to_string(),
        })
        .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

impl crate::Catalogue {
    /// Checks one call: the tool exists and the arguments validate.
    pub fn check_call(&self, call: &crate::ToolCall) -> Result<(), CallError> {
        let tool = self
            .get(&call.name)
            .ok_or_else(|| CallError::UnknownTool(call.name.clone()))?;
        tool.check_arguments(&call.arguments)
            .map_err(|violations| CallError::Arguments {
                tool: call.name.clone(),
                violations,
            })
    }
}
