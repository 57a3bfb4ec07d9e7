//! A catalogue's parameter schemas compiled to validators, all at once where
//! that is the same thing.
//!
//! Compiling a schema, jsonschema first checks it against its draft's
//! meta-schema, and on wasm32 jsonschema 0.60 builds that meta-validator
//! anew for every schema (its cached ones are for other targets; there is no
//! public switch to skip the check). In the page that was most of the first
//! render: one Draft 2020-12 meta-validator per tool (a CPU profile in
//! headless Chromium, 2 December). So the tools' schemas are compiled as one
//! document, `{"$defs": {"0": …, "1": …}}` (one check, one meta-validator),
//! and each tool takes its validator from the document's map
//! (`#/$defs/<i>`). Where that could change a meaning — a schema with any
//! `$` keyword (`$ref`, `$id`, `$schema`, `$defs`, … resolve against their
//! document) — or where the document fails the check, each schema is
//! compiled on its own, so a problem names its tool.

use std::sync::Arc;

use jsonschema::{ValidationError, Validator, ValidatorMap};
use serde_json::{Map, Value};

/// A tool's compiled schema: its own, or its entry in the catalogue's map.
pub(super) enum Compiled {
    Own(Validator),
    Shared(Arc<ValidatorMap>, String),
}

impl Compiled {
    pub(super) fn validator(&self) -> &Validator {
        match self {
            Self::Own(v) => v,
            // The key was taken from the map when it was built.
            Self::Shared(map, key) => &map[key.as_str()],
        }
    }
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.validator().fmt(f)
    }
}

/// Each schema's validator, or why it is not a valid JSON Schema (what
/// `jsonschema::validator_for` says of it alone). Shared on wasm32 only:
/// elsewhere jsonschema keeps its meta-validators, and one compile per
/// schema costs no more.
pub(super) fn compile_all(schemas: &[&Value]) -> Vec<Result<Compiled, ValidationError<'static>>> {
    if cfg!(target_family = "wasm")
        && let Some(shared) = shared(schemas)
    {
        return shared.into_iter().map(Ok).collect();
    }
    own(schemas)
}

/// The schemas compiled as one document, when that is the same thing (see
/// the module's documentation) and the document is valid.
fn shared(schemas: &[&Value]) -> Option<Vec<Compiled>> {
    if schemas.len() < 2 || schemas.iter().any(|s| has_dollar_keyword(s)) {
        return None;
    }
    let defs: Map<String, Value> = schemas
        .iter()
        .enumerate()
        .map(|(i, s)| (i.to_string(), (*s).clone()))
        .collect();
    let document = Value::Object(Map::from_iter([("$defs".to_string(), Value::Object(defs))]));
    let map = Arc::new(jsonschema::validator_map_for(&document).ok()?);
    let keys: Vec<String> = (0..schemas.len()).map(|i| format!("#/$defs/{i}")).collect();
    if !keys.iter().all(|k| map.contains_key(k)) {
        return None;
    }
    Some(
        keys.into_iter()
            .map(|k| Compiled::Shared(map.clone(), k))
            .collect(),
    )
}

/// Each schema compiled on its own.
fn own(schemas: &[&Value]) -> Vec<Result<Compiled, ValidationError<'static>>> {
    schemas
        .iter()
        .map(|s| jsonschema::validator_for(s).map(Compiled::Own))
        .collect()
}

/// Whether any object in `value` has a key starting with `$`.
fn has_dollar_keyword(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.starts_with('$') || has_dollar_keyword(v)),
        Value::Array(items) => items.iter().any(has_dollar_keyword),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas() -> Vec<Value> {
        vec![
            json!({"type": "object", "properties": {
                "city": {"type": "string", "minLength": 2},
                "unit": {"type": "string", "enum": ["c", "f"], "default": "c"},
                "days": {"type": "integer", "minimum": 1, "maximum": 14}},
                "required": ["city"], "additionalProperties": false}),
            json!({"type": "object", "properties": {
                "items": {"type": "array", "items": {"type": "object",
                    "properties": {"sku": {"type": "string", "pattern": "^[A-Z]{3}-\\d+$"},
                                   "qty": {"type": "number", "exclusiveMinimum": 0}},
                    "required": ["sku"]}, "minItems": 1},
                "gift": {"type": "boolean"}},
                "required": ["items"]}),
            json!({"type": "object", "properties": {}}),
        ]
    }

    fn instances() -> Vec<Value> {
        vec![
            json!({"city": "Paris"}),
            json!({"city": "P", "unit": "kelvin", "days": 30, "extra": 1}),
            json!({"items": [{"sku": "ABC-12", "qty": 2}], "gift": true}),
            json!({"items": [{"sku": "abc", "qty": 0}, {}], "gift": "yes"}),
            json!({"items": []}),
            json!({}),
            json!({"anything": [1, 2]}),
        ]
    }

    fn verdicts(v: &Validator, instance: &Value) -> Vec<(String, String)> {
        v.iter_errors(instance)
            .map(|e| (e.instance_path().to_string(), e.to_string()))
            .collect()
    }

    /// Shared validators say what each schema's own validator says, error
    /// for error.
    #[test]
    fn a_shared_document_validates_as_each_schema_alone() {
        let schemas = schemas();
        let refs: Vec<&Value> = schemas.iter().collect();
        let compiled = shared(&refs).expect("one valid document");
        for (schema, shared) in schemas.iter().zip(&compiled) {
            let own = jsonschema::validator_for(schema).expect("a valid schema");
            let shared = shared.validator();
            for instance in instances() {
                assert_eq!(
                    verdicts(shared, &instance),
                    verdicts(&own, &instance),
                    "{schema} on {instance}"
                );
            }
        }
    }

    /// A schema with `$` keywords, or an invalid one, sends every schema
    /// down its own path: refs resolve in their own document, and the
    /// problem is the one the schema alone gives.
    #[test]
    fn refs_and_invalid_schemas_compile_alone() {
        let with_ref = json!({"type": "object", "$defs": {"d": {"type": "integer"}},
            "properties": {"n": {"$ref": "#/$defs/d"}}});
        let invalid = json!({"type": "objekt"});
        let fine = json!({"type": "object"});
        assert!(shared(&[&with_ref, &fine]).is_none());
        assert!(shared(&[&fine, &invalid]).is_none());
        let compiled = compile_all(&[&with_ref, &fine]);
        let v = compiled[0].as_ref().expect("compiled").validator();
        assert!(v.is_valid(&json!({"n": 3})));
        assert!(!v.is_valid(&json!({"n": "three"})));

        let compiled = compile_all(&[&fine, &invalid]);
        assert!(compiled[0].is_ok());
        let ours = compiled[1].as_ref().map(|_| ()).map_err(|e| e.to_string());
        let alone = jsonschema::validator_for(&invalid)
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert_eq!(ours, alone);
        assert!(ours.is_err());
    }
}
