//! BFCL's schema dialect normalised to JSON Schema.
//!
//! The Berkeley Function Calling Leaderboard writes `"type": "dict"` for objects,
//! `float` for numbers, `tuple` for arrays and `any` for "no constraint". This
//! rewrites those words, recursively, and leaves standard JSON Schema untouched.

use serde_json::{Map, Value};

/// Rewrites BFCL type words in a schema, in place, recursively.
pub fn normalise_schema(schema: &mut Value) {
    let Value::Object(obj) = schema else { return };
    normalise_type(obj);
    for key in ["properties", "patternProperties", "$defs", "definitions"] {
        if let Some(Value::Object(props)) = obj.get_mut(key) {
            props.values_mut().for_each(normalise_schema);
        }
    }
    for key in [
        "items",
        "additionalProperties",
        "not",
        "additionalItems",
        "contains",
    ] {
        if let Some(sub) = obj.get_mut(key) {
            match sub {
                Value::Array(list) => list.iter_mut().for_each(normalise_schema),
                other => normalise_schema(other),
            }
        }
    }
    for key in ["anyOf", "oneOf", "allOf", "prefixItems"] {
        if let Some(Value::Array(list)) = obj.get_mut(key) {
            list.iter_mut().for_each(normalise_schema);
        }
    }
}

fn normalise_type(obj: &mut Map<String, Value>) {
    let Some(ty) = obj.get_mut("type") else {
        return;
    };
    match ty {
        Value::String(word) => match standard_word(word) {
            Some(std) => *word = std.to_string(),
            None => {
                obj.remove("type");
            }
        },
        Value::Array(words) => {
            let mut out = Vec::new();
            for w in words.iter() {
                match w.as_str().map(standard_word) {
                    Some(Some(std)) => out.push(Value::String(std.to_string())),
                    // `any` in a type list lifts the constraint altogether.
                    Some(None) => {
                        obj.remove("type");
                        return;
                    }
                    None => out.push(w.clone()),
                }
            }
            *words = out;
        }
        _ => {}
    }
}

/// The JSON Schema word for a type word; `None` means "any type" (no constraint).
fn standard_word(word: &str) -> Option<&str> {
    match word {
        "dict" => Some("object"),
        "float" => Some("number"),
        "tuple" => Some("array"),
        "any" => None,
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bfcl_words_become_json_schema() {
        let mut s = json!({"type": "dict", "properties": {
            "x": {"type": "float"}, "t": {"type": "tuple", "items": {"type": "integer"}},
            "a": {"type": "any", "description": "anything"},
            "d": {"type": "dict", "properties": {"y": {"type": "float"}}}}});
        normalise_schema(&mut s);
        assert_eq!(
            s,
            json!({"type": "object", "properties": {
            "x": {"type": "number"}, "t": {"type": "array", "items": {"type": "integer"}},
            "a": {"description": "anything"},
            "d": {"type": "object", "properties": {"y": {"type": "number"}}}}})
        );
    }
}
