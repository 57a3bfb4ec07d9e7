//! JSON text read against a JSON Schema, a prefix at a time: whether some
//! continuation of a partial value can still be valid.
//!
//! A recursive-descent reader over bytes. Each reader takes the text and a
//! start offset and answers [`Step::At`] (a whole value ends there),
//! [`Step::More`] (the text ran out inside a value that can still be
//! completed) or [`Dead`] (no continuation is valid). The schema keywords it
//! follows while reading: `type` (one or a list), `enum`, `const`,
//! `properties`, `required`, `additionalProperties`, `items`, `minItems`,
//! `maxItems`, `maxLength`, integer bounds (`minimum`, `maximum` and the
//! exclusive ones, decided digit by digit), `pattern` (byte by byte, see
//! [`super::pattern`]), `anyOf` / `oneOf`. Everything else (`format`,
//! `multipleOf`, …) is left to the full validation of the finished
//! arguments (see [`super`]).

use serde_json::Value;

use super::pattern;

mod container;
mod number;

use container::{array, object};
use number::number;

/// No continuation of the text is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dead;

/// How far a reader got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The value ends just before this offset.
    At(usize),
    /// The text ends inside a value that can still be completed.
    More,
}

/// A reader's answer.
pub type Read = Result<Step, Dead>;

/// The offset a reader reached, or an early return of `More`.
macro_rules! at {
    ($e:expr) => {
        match $e? {
            Step::At(j) => j,
            Step::More => return Ok(Step::More),
        }
    };
}
pub(crate) use at;

/// The first offset at or after `i` that is not JSON whitespace.
pub fn ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The literal bytes `lit` at `i`.
pub fn lit(s: &[u8], i: usize, lit: &[u8]) -> Read {
    let n = lit.len().min(s.len() - i.min(s.len()));
    if s[i..i + n] != lit[..n] {
        return Err(Dead);
    }
    Ok(if n < lit.len() {
        Step::More
    } else {
        Step::At(i + lit.len())
    })
}

/// A JSON string at `i` whose decoded content `accept` approves: called with
/// the content so far and whether the string is closed. Returns the step
/// and the content.
pub fn string(
    s: &[u8],
    i: usize,
    accept: &dyn Fn(&[u8], bool) -> bool,
) -> Result<(Step, Vec<u8>), Dead> {
    let mut buf = Vec::new();
    let open = |buf: Vec<u8>| {
        if accept(&buf, false) {
            Ok((Step::More, buf))
        } else {
            Err(Dead)
        }
    };
    if i >= s.len() {
        return open(buf);
    }
    if s[i] != b'"' {
        return Err(Dead);
    }
    let mut j = i + 1;
    loop {
        let Some(&b) = s.get(j) else {
            return open(buf);
        };
        match b {
            b'"' => {
                return if accept(&buf, true) {
                    Ok((Step::At(j + 1), buf))
                } else {
                    Err(Dead)
                };
            }
            b'\\' => match escape(s, j + 1)? {
                Some((bytes, next)) => {
                    buf.extend_from_slice(&bytes);
                    j = next;
                }
                // The text ends on the backslash: some escape must fit.
                None => {
                    let fits = ESCAPED.iter().any(|&b| {
                        let mut next = buf.clone();
                        next.push(b);
                        accept(&next, false)
                    });
                    return if fits {
                        Ok((Step::More, buf))
                    } else {
                        Err(Dead)
                    };
                }
            },
            0..=0x1f => return Err(Dead),
            _ => {
                buf.push(b);
                j += 1;
            }
        }
    }
}

/// The characters JSON's one-letter escapes stand for.
const ESCAPED: [u8; 8] = [b'"', b'\\', b'/', 0x08, 0x0c, b'\n', b'\r', b'\t'];

/// The escape after a backslash at `i` (one of JSON's one-letter escapes;
/// `\u` is not taken): its bytes and the offset after it, or `None` when the
/// text ends inside it.
fn escape(s: &[u8], i: usize) -> Result<Option<(Vec<u8>, usize)>, Dead> {
    let Some(&e) = s.get(i) else {
        return Ok(None);
    };
    let byte = match e {
        b'"' => b'"',
        b'\\' => b'\\',
        b'/' => b'/',
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        // Characters are written as themselves: a `\u` escape half
        // written can't be judged (its character is not known yet), and a
        // decoder that starts one may find no way to finish it.
        _ => return Err(Dead),
    };
    Ok(Some((vec![byte], i + 1)))
}

/// Whether string content `buf` is `word` (once `closed`) or, while the
/// string is open, a start of it.
pub fn fits_word(word: &str, buf: &[u8], closed: bool) -> bool {
    if closed {
        word.as_bytes() == buf
    } else {
        word.as_bytes().starts_with(buf)
    }
}

/// A value at `i` valid against `schema` as far as the text goes.
pub fn value(s: &[u8], i: usize, schema: &Value) -> Read {
    if i >= s.len() {
        return Ok(Step::More);
    }
    if let Some(c) = schema.get("const") {
        return one_of(s, i, std::slice::from_ref(c));
    }
    if let Some(Value::Array(list)) = schema.get("enum") {
        return one_of(s, i, list);
    }
    let alternatives: Vec<&Value> = ["anyOf", "oneOf"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_array))
        .flatten()
        .collect();
    if !alternatives.is_empty() {
        return any(alternatives.iter().map(|alt| value(s, i, alt)));
    }
    let types = Types::of(schema);
    match s[i] {
        b'"' if types.string => {
            let max = schema.get("maxLength").and_then(Value::as_u64);
            let pattern = schema
                .get("pattern")
                .and_then(Value::as_str)
                .and_then(pattern::compiled);
            let accept = |buf: &[u8], closed: bool| {
                max.is_none_or(|m| String::from_utf8_lossy(buf).chars().count() as u64 <= m)
                    && pattern.as_ref().is_none_or(|p| p.allows(buf, closed))
            };
            Ok(string(s, i, &accept)?.0)
        }
        b'{' if types.object => object(s, i, schema),
        b'[' if types.array => array(s, i, schema),
        b't' if types.boolean => lit(s, i, b"true"),
        b'f' if types.boolean => lit(s, i, b"false"),
        b'n' if types.null => lit(s, i, b"null"),
        b'-' | b'0'..=b'9' if types.number => number(s, i, false, schema),
        b'-' | b'0'..=b'9' if types.integer => number(s, i, true, schema),
        _ => Err(Dead),
    }
}

/// The first step any of `reads` allows (a JSON value's extent does not
/// depend on the schema, so those that end agree where).
fn any(reads: impl Iterator<Item = Read>) -> Read {
    let mut best = Err(Dead);
    for r in reads {
        match r {
            Ok(Step::At(j)) => return Ok(Step::At(j)),
            Ok(Step::More) => best = Ok(Step::More),
            Err(Dead) => {}
        }
    }
    best
}

/// The JSON types a schema allows.
#[derive(Debug, Default)]
struct Types {
    string: bool,
    object: bool,
    array: bool,
    boolean: bool,
    null: bool,
    number: bool,
    integer: bool,
}

impl Types {
    fn of(schema: &Value) -> Self {
        let mut t = Types::default();
        let mut set = |name: &str| match name {
            "string" => t.string = true,
            "object" => t.object = true,
            "array" => t.array = true,
            "boolean" => t.boolean = true,
            "null" => t.null = true,
            "number" => t.number = true,
            "integer" => t.integer = true,
            _ => {}
        };
        match schema.get("type") {
            Some(Value::String(name)) => set(name),
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).for_each(set),
            _ => {
                if schema.get("properties").is_some() {
                    set("object");
                } else if schema.get("items").is_some() {
                    set("array");
                } else {
                    ["string", "object", "array", "boolean", "null", "number"]
                        .iter()
                        .for_each(|n| set(n));
                }
            }
        }
        t
    }
}

/// One of the JSON values `allowed` (an `enum` or `const`).
fn one_of(s: &[u8], i: usize, allowed: &[Value]) -> Read {
    if allowed.iter().all(Value::is_string) {
        let accept = |buf: &[u8], closed: bool| {
            allowed
                .iter()
                .filter_map(Value::as_str)
                .any(|a| fits_word(a, buf, closed))
        };
        return Ok(string(s, i, &accept)?.0);
    }
    // Other values: read any JSON value and compare its compact form.
    let forms: Vec<String> = allowed.iter().map(Value::to_string).collect();
    match value(s, i, &Value::Object(Default::default()))? {
        Step::At(j) => {
            let v: Value = serde_json::from_slice(&s[i..j]).map_err(|_| Dead)?;
            if forms.contains(&v.to_string()) {
                Ok(Step::At(j))
            } else {
                Err(Dead)
            }
        }
        Step::More => {
            let typed: Vec<u8> = s[i..]
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            if forms.iter().any(|f| f.as_bytes().starts_with(&typed)) {
                Ok(Step::More)
            } else {
                Err(Dead)
            }
        }
    }
}

#[cfg(test)]
mod tests;
