//! Tool catalogues: the OpenAI `tools` array, bare function objects and BFCL's
//! dialect, read into one checked catalogue whose parameter schemas are JSON Schema
//! and whose calls can be validated.

mod check;
mod normalise;
mod schemas;
mod validate;

pub use check::Problem;
pub use normalise::normalise_schema;
pub use validate::{CallError, Violation};

use crate::error::{Error, Location, Result};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// One tool: name, description and its parameters as a JSON Schema object.
#[derive(Debug)]
pub struct Tool {
    /// The function name the model calls.
    pub name: String,
    /// What the tool does, for the prompt.
    pub description: String,
    /// The normalised JSON Schema of the arguments object.
    pub parameters: Value,
    validator: schemas::Compiled,
}

/// A checked tool catalogue.
#[derive(Debug, Default)]
pub struct Catalogue {
    tools: Vec<Tool>,
    by_name: HashMap<String, usize>,
}

impl Catalogue {
    /// Reads a catalogue from JSON bytes: an array of tools or `{"tools": [...]}`.
    pub fn from_bytes(source: &str, bytes: &[u8]) -> Result<Self> {
        let value = crate::json::parse_document(source, bytes)?;
        Self::from_value(&Location::whole(source), &value)
    }

    /// Reads a catalogue from a JSON value: an array whose entries are OpenAI tools
    /// (`{"type": "function", "function": {...}}`) or bare function objects
    /// (`{"name", "description", "parameters"}`), or an object with a `tools` array.
    /// BFCL's type words are normalised. All problems are reported together.
    pub fn from_value(at: &Location, value: &Value) -> Result<Self> {
        let (entries, prefix) = match value {
            Value::Array(list) => (list, String::new()),
            Value::Object(obj) => match obj.get("tools") {
                Some(Value::Array(list)) => (list, "tools".to_string()),
                _ => {
                    let p = Problem::new(
                        None,
                        "$",
                        "expected an array of tools or an object with a \"tools\" array",
                    );
                    return Err(Error::Catalogue {
                        at: at.clone(),
                        problems: vec![p],
                    });
                }
            },
            _ => {
                let p = Problem::new(None, "$", "expected an array of tools");
                return Err(Error::Catalogue {
                    at: at.clone(),
                    problems: vec![p],
                });
            }
        };
        let mut problems = Vec::new();
        let mut seen = std::collections::HashSet::<String>::new();
        // Declarations to compile, each with where its problem would go.
        let mut accepted = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let path = format!("{prefix}[{i}]");
            let before = problems.len();
            let decl = check::declaration(entry, &path, &mut problems);
            if let Some((name, name_path)) = check::name_of(entry, &path)
                && !seen.insert(name.clone())
            {
                problems.insert(
                    before,
                    Problem::new(Some(&name), name_path, "duplicate tool name"),
                );
                continue;
            }
            let Some(decl) = decl else { continue };
            accepted.push((problems.len(), decl));
        }
        let schemas: Vec<&Value> = accepted.iter().map(|(_, d)| &d.parameters).collect();
        let compiled = schemas::compile_all(&schemas);
        let mut catalogue = Catalogue::default();
        let mut failed = Vec::new();
        for ((at_problem, decl), compiled) in accepted.into_iter().zip(compiled) {
            match compiled {
                Ok(validator) => {
                    catalogue
                        .by_name
                        .insert(decl.name.clone(), catalogue.tools.len());
                    catalogue.tools.push(Tool {
                        name: decl.name,
                        description: decl.description,
                        parameters: decl.parameters,
                        validator,
                    });
                }
                Err(e) => failed.push((
                    at_problem,
                    Problem::new(
                        Some(&decl.name),
                        format!("{}.parameters", decl.path),
                        format!("not a valid JSON Schema: {e}"),
                    ),
                )),
            }
        }
        // Each in its entry's place among the other problems (last first, so
        // the earlier places stay where they were).
        for (at_problem, problem) in failed.into_iter().rev() {
            problems.insert(at_problem, problem);
        }
        if problems.is_empty() {
            Ok(catalogue)
        } else {
            Err(Error::Catalogue {
                at: at.clone(),
                problems,
            })
        }
    }

    /// The tools, in catalogue order.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The tool of that name.
    pub fn get(&self, name: &str) -> Option<&Tool> {
        self.by_name.get(name).map(|&i| &self.tools[i])
    }

    /// Number of tools.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// True when the catalogue has no tools.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// The catalogue as an OpenAI `tools` array (normalised schemas).
    pub fn to_openai(&self) -> Vec<Value> {
        self.tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.parameters}})
            })
            .collect()
    }
}

impl Tool {
    /// Checks an arguments object against this tool's schema; on failure, one line
    /// per violation (`/unit: "kelvin" is not one of ["c","f"]`).
    pub fn check_arguments(
        &self,
        arguments: &Map<String, Value>,
    ) -> std::result::Result<(), Vec<Violation>> {
        validate::check(self.validator.validator(), arguments)
    }
}
