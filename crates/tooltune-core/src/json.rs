//! JSON helpers: reading JSON and JSONL from bytes with errors that name the input
//! and the line, value equality that ignores number spelling (5 == 5.0) and key
//! order, and a canonical form for duplicate detection.
//!
//! Depth is bounded by serde_json's recursion limit (128), so a document nested
//! 5,000 deep is an error, not a stack overflow.

use crate::error::{Error, Location, Result};
use serde_json::Value;

/// The longest line a JSONL reader accepts. One training example longer than
/// this is almost surely a mistake (a whole file pasted into one field).
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// Splits JSONL bytes into `(1-based line number, line bytes)`, skipping lines that
/// are empty or only whitespace, trimming a trailing `\r` and a leading BOM.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| !l.iter().all(|b| b.is_ascii_whitespace()))
}

/// Parses one JSONL line: checks its size, that it is UTF-8, and that it is JSON.
pub fn parse_line(source: &str, number: usize, bytes: &[u8]) -> Result<Value> {
    let at = Location::line(source, number);
    if bytes.len() > MAX_LINE_BYTES {
        return Err(Error::LineTooLong {
            at,
            bytes: bytes.len(),
            limit: MAX_LINE_BYTES,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
        at: at.clone(),
        offset: e.valid_up_to(),
    })?;
    serde_json::from_str(text).map_err(|e| Error::Json {
        at,
        detail: describe(&e),
    })
}

/// Parses a whole JSON document (a catalogue, a config).
pub fn parse_document(source: &str, bytes: &[u8]) -> Result<Value> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let at = Location::whole(source);
    let text = std::str::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
        at: at.clone(),
        offset: e.valid_up_to(),
    })?;
    serde_json::from_str(text).map_err(|e| {
        let at = Location::line(source, e.line());
        Error::Json {
            at,
            detail: describe(&e),
        }
    })
}

/// Reads a file that is either one JSON array or JSONL, as values with their lines.
pub fn parse_array_or_lines(source: &str, bytes: &[u8]) -> Vec<(usize, Result<Value>)> {
    let trimmed = bytes.iter().position(|b| !b.is_ascii_whitespace());
    if let Some(first) = trimmed
        && bytes[first] == b'['
    {
        return match parse_document(source, bytes) {
            Ok(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (i + 1, Ok(v)))
                .collect(),
            Ok(_) => unreachable_shape(source),
            Err(e) => vec![(1, Err(e))],
        };
    }
    lines(bytes)
        .map(|(n, l)| (n, parse_line(source, n, l)))
        .collect()
}

fn unreachable_shape(source: &str) -> Vec<(usize, Result<Value>)> {
    vec![(
        1,
        Err(Error::shape(
            &Location::whole(source),
            "$",
            "expected a JSON array",
        )),
    )]
}

fn describe(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    if msg.contains("recursion limit exceeded") {
        format!(
            "nested too deeply (more than 128 levels) at column {}",
            e.column()
        )
    } else {
        msg
    }
}

/// Deserialises a value into `T`, turning a failure into a shape error that names
/// the JSON path (`messages[2].role`).
pub fn from_value<T: serde::de::DeserializeOwned>(at: &Location, value: Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { "$".to_string() } else { path };
        Error::shape(at, path, e.into_inner().to_string())
    })
}

/// JSON equality by value: numbers compare by value (5 == 5.0), object key order
/// is ignored, everything else is structural.
pub fn value_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_eq(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| value_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| value_eq(v, w)))
        }
        _ => a == b,
    }
}

fn number_eq(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    if let (Some(p), Some(q)) = (x.as_i64(), y.as_i64()) {
        return p == q;
    }
    if let (Some(p), Some(q)) = (x.as_u64(), y.as_u64()) {
        return p == q;
    }
    match (x.as_f64(), y.as_f64()) {
        (Some(p), Some(q)) => p == q,
        _ => false,
    }
}

/// A canonical string of a value: object keys sorted, numbers with an integral
/// value written as integers. Two values are `value_eq` iff their canonical forms
/// are equal (up to float formatting of non-integral numbers).
pub fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9e15 => {
                out.push_str(&format!("{}", f as i64))
            }
            _ => out.push_str(&n.to_string()),
        },
        other => out.push_str(&other.to_string()),
    }
}

/// A 128-bit fingerprint of a value's canonical form: equal for `value_eq`
/// values with the same float spelling, computed in one pass without allocating.
pub fn fingerprint(v: &Value) -> u128 {
    use std::hash::Hasher;
    let mut a = std::collections::hash_map::DefaultHasher::new();
    let mut b = std::collections::hash_map::DefaultHasher::new();
    b.write_u8(0x5a);
    hash_canonical(v, &mut a);
    hash_canonical(v, &mut b);
    ((a.finish() as u128) << 64) | b.finish() as u128
}

fn hash_canonical(v: &Value, h: &mut impl std::hash::Hasher) {
    match v {
        Value::Null => h.write_u8(0),
        Value::Bool(b) => h.write_u8(1 + *b as u8),
        Value::Number(n) => {
            h.write_u8(3);
            match n.as_f64() {
                Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9e15 => {
                    h.write_i64(f as i64)
                }
                _ if n.is_f64() => h.write_u64(n.as_f64().unwrap_or_default().to_bits()),
                _ => h.write(n.to_string().as_bytes()),
            }
        }
        Value::String(s) => {
            h.write_u8(4);
            h.write(s.as_bytes());
            h.write_u8(0xff);
        }
        Value::Array(items) => {
            h.write_u8(5);
            h.write_usize(items.len());
            items.iter().for_each(|x| hash_canonical(x, h));
        }
        Value::Object(map) => {
            h.write_u8(6);
            h.write_usize(map.len());
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            for k in keys {
                h.write(k.as_bytes());
                h.write_u8(0xff);
                hash_canonical(&map[k], h);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value_and_keys_by_set() {
        assert!(value_eq(
            &json!({"a": 5, "b": [1.0]}),
            &json!({"b": [1], "a": 5.0})
        ));
        assert!(!value_eq(&json!({"a": 5}), &json!({"a": 5.5})));
        assert!(!value_eq(&json!({"a": 5}), &json!({"a": "5"})));
        assert_eq!(
            canonical(&json!({"b": 1.0, "a": [2]})),
            r#"{"a":[2],"b":1}"#
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(5000) + &"]".repeat(5000);
        let err = parse_line("x.jsonl", 3, deep.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("x.jsonl:3: invalid JSON: nested too deeply"),
            "{err}"
        );
    }

    #[test]
    fn bad_utf8_and_long_lines_name_the_line() {
        let err = parse_line("d.jsonl", 7, b"{\"a\": \"\xff\"}")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "d.jsonl:7: not valid UTF-8 (first bad byte at offset 7)"
        );
        let long = vec![b' '; MAX_LINE_BYTES + 1];
        assert!(matches!(
            parse_line("d", 1, &long),
            Err(Error::LineTooLong { .. })
        ));
    }

    #[test]
    fn lines_skip_blanks_and_keep_numbers() {
        let got: Vec<_> = lines(b"\xEF\xBB\xBF{}\r\n\n  \n[]").collect();
        assert_eq!(got, vec![(1, &b"{}"[..]), (4, &b"[]"[..])]);
    }
}
