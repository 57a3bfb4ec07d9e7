//! Objects and arrays, read against their schemas.

use serde_json::Value;

use super::{Dead, Read, Step, at, lit, string, value, ws};

/// An object at `i`: its properties' schemas, the required ones present,
/// no key twice, no key outside `properties` when `additionalProperties` is
/// false.
pub(super) fn object(s: &[u8], i: usize, schema: &Value) -> Read {
    let empty = serde_json::Map::new();
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let any_schema = Value::Object(Default::default());
    let extra: Option<&Value> = match schema.get("additionalProperties") {
        Some(Value::Bool(false)) => None,
        Some(v @ Value::Object(_)) => Some(v),
        _ => Some(&any_schema),
    };
    let mut used: Vec<String> = Vec::new();
    let mut j = at!(lit(s, i, b"{"));
    j = ws(s, j);
    if j >= s.len() {
        return Ok(Step::More);
    }
    if s[j] == b'}' {
        return close(&required, &used, j);
    }
    loop {
        let accept = |buf: &[u8], closed: bool| {
            let Ok(key) = std::str::from_utf8(buf) else {
                // A multi-byte character may be cut short mid-token.
                return !closed && extra.is_some();
            };
            if used.iter().any(|u| u == key) {
                return !closed
                    && (extra.is_some() || props.keys().any(|p| p != key && p.starts_with(key)));
            }
            if closed {
                props.contains_key(key) || extra.is_some()
            } else {
                extra.is_some()
                    || props
                        .keys()
                        .any(|p| !used.contains(p) && p.starts_with(key))
            }
        };
        let (step, key) = string(s, j, &accept)?;
        let Step::At(k) = step else {
            return Ok(Step::More);
        };
        let key = String::from_utf8(key).map_err(|_| Dead)?;
        j = ws(s, k);
        j = at!(lit(s, j, b":"));
        j = ws(s, j);
        let sub = props.get(&key).or(extra).ok_or(Dead)?;
        j = at!(value(s, j, sub));
        used.push(key);
        j = ws(s, j);
        match s.get(j) {
            None => return Ok(Step::More),
            Some(b',') => {
                if extra.is_none() && props.keys().all(|p| used.contains(p)) {
                    return Err(Dead);
                }
                j = ws(s, j + 1);
                if j >= s.len() {
                    return Ok(Step::More);
                }
            }
            Some(b'}') => return close(&required, &used, j),
            Some(_) => return Err(Dead),
        }
    }
}

/// An object's closing brace at `j`, once every required key is present.
fn close(required: &[&str], used: &[String], j: usize) -> Read {
    if required.iter().all(|r| used.iter().any(|u| u == r)) {
        Ok(Step::At(j + 1))
    } else {
        Err(Dead)
    }
}

/// An array at `i` of `items` values, `minItems` to `maxItems` of them.
pub(super) fn array(s: &[u8], i: usize, schema: &Value) -> Read {
    let any_schema = Value::Object(Default::default());
    let items = schema
        .get("items")
        .filter(|v| v.is_object())
        .unwrap_or(&any_schema);
    let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
    let max = schema.get("maxItems").and_then(Value::as_u64);
    let mut j = at!(lit(s, i, b"["));
    j = ws(s, j);
    if j >= s.len() {
        return Ok(Step::More);
    }
    if s[j] == b']' {
        return if min == 0 {
            Ok(Step::At(j + 1))
        } else {
            Err(Dead)
        };
    }
    let mut count = 0u64;
    loop {
        if max.is_some_and(|m| count >= m) {
            return Err(Dead);
        }
        j = at!(value(s, j, items));
        count += 1;
        j = ws(s, j);
        match s.get(j) {
            None => return Ok(Step::More),
            Some(b',') => j = ws(s, j + 1),
            Some(b']') if count >= min => return Ok(Step::At(j + 1)),
            Some(_) => return Err(Dead),
        }
    }
}
