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

/// One or more digits from `i` (a fraction's or an exponent's), with more
/// to come where the text ends in them.
fn digits(s: &[u8], i: usize) -> Read {
    let end = i + s[i.min(s.len())..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if end == s.len() {
        Ok(Step::More)
    } else if end == i {
        Err(Dead)
    } else {
        Ok(Step::At(end))
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
            allowed.iter().filter_map(Value::as_str).any(|a| {
                if closed {
                    a.as_bytes() == buf
                } else {
                    a.as_bytes().starts_with(buf)
                }
            })
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

/// An object at `i`: its properties' schemas, the required ones present,
/// no key twice, no key outside `properties` when `additionalProperties` is
/// false.
fn object(s: &[u8], i: usize, schema: &Value) -> Read {
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
fn array(s: &[u8], i: usize, schema: &Value) -> Read {
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

/// A number at `i` (an integer when `integer`), within the schema's bounds:
/// an integer's prefix is kept only while some integer in the bounds starts
/// with it; a fractional number is checked once it ends.
fn number(s: &[u8], i: usize, integer: bool, schema: &Value) -> Read {
    let mut j = i;
    if s[j] == b'-' {
        j += 1;
    }
    let digits_start = j;
    while j < s.len() && s[j].is_ascii_digit() {
        j += 1;
    }
    let int_part = &s[digits_start..j];
    if int_part.len() > 1 && int_part[0] == b'0' {
        return Err(Dead);
    }
    let bounds = Bounds::of(schema, integer);
    let text = std::str::from_utf8(&s[i..j]).map_err(|_| Dead)?;
    if j == s.len() {
        return if !integer || bounds.integer_prefix_fits(text) {
            Ok(Step::More)
        } else {
            Err(Dead)
        };
    }
    if int_part.is_empty() {
        return Err(Dead);
    }
    if !integer {
        // Fraction and exponent.
        if s[j] == b'.' {
            j = at!(digits(s, j + 1));
        }
        if matches!(s[j], b'e' | b'E') {
            j += 1;
            if j < s.len() && matches!(s[j], b'+' | b'-') {
                j += 1;
            }
            j = at!(digits(s, j));
        }
    } else if matches!(s[j], b'.' | b'e' | b'E') {
        return Err(Dead);
    }
    let v: f64 = std::str::from_utf8(&s[i..j])
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or(Dead)?;
    if bounds.holds(v) {
        Ok(Step::At(j))
    } else {
        Err(Dead)
    }
}

/// A number's bounds, inclusive or not.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    min: Option<(f64, bool)>,
    max: Option<(f64, bool)>,
}

impl Bounds {
    fn of(schema: &Value, _integer: bool) -> Self {
        let get = |k: &str| schema.get(k).and_then(Value::as_f64);
        let pick = |inclusive: Option<f64>, exclusive: Option<f64>| match (inclusive, exclusive) {
            (Some(a), Some(b)) if b >= a => Some((b, false)),
            (Some(a), _) => Some((a, true)),
            (None, Some(b)) => Some((b, false)),
            (None, None) => None,
        };
        Bounds {
            min: pick(get("minimum"), get("exclusiveMinimum")),
            max: pick(get("maximum"), get("exclusiveMaximum")),
        }
    }

    fn holds(&self, v: f64) -> bool {
        let above = self
            .min
            .is_none_or(|(m, inc)| if inc { v >= m } else { v > m });
        let below = self
            .max
            .is_none_or(|(m, inc)| if inc { v <= m } else { v < m });
        above && below
    }

    /// The integer range as inclusive `i128` ends.
    fn integer_range(&self) -> (i128, i128) {
        let lo = self.min.map_or(i128::MIN / 4, |(m, inc)| {
            let c = m.ceil();
            (if !inc && c == m { c + 1.0 } else { c }) as i128
        });
        let hi = self.max.map_or(i128::MAX / 4, |(m, inc)| {
            let f = m.floor();
            (if !inc && f == m { f - 1.0 } else { f }) as i128
        });
        (lo, hi)
    }

    /// Whether some integer within the bounds is written starting with
    /// `prefix` (`""`, `"-"`, `"12"`, `"-4"`).
    fn integer_prefix_fits(&self, prefix: &str) -> bool {
        let (lo, hi) = self.integer_range();
        if lo > hi {
            return false;
        }
        let (negative, digits) = match prefix.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, prefix),
        };
        if digits.is_empty() {
            return if negative { lo < 0 } else { true };
        }
        let Ok(v) = digits.parse::<i128>() else {
            return false;
        };
        // Integers written `digits` followed by k more digits: v·10^k to
        // v·10^k + 10^k − 1 (only k = 0 when v is 0: no leading zeros).
        let mut scale: i128 = 1;
        for _ in 0..=(if v == 0 { 0 } else { 30 }) {
            let (a, b) = (v * scale, v * scale + scale - 1);
            let (a, b) = if negative { (-b, -a) } else { (a, b) };
            if a <= hi && b >= lo {
                return true;
            }
            if (!negative && a > hi) || (negative && b < lo) {
                return false;
            }
            scale *= 10;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str, schema: &Value) -> Read {
        value(text.as_bytes(), 0, schema)
    }

    #[test]
    fn strings_follow_enums_and_lengths() {
        let reason = json!({"type": "string", "enum": ["damaged", "late"]});
        assert_eq!(read(r#""dam"#, &reason), Ok(Step::More));
        assert_eq!(read(r#""damaged""#, &reason), Ok(Step::At(9)));
        assert_eq!(read(r#""broken"#, &reason), Err(Dead));
        assert_eq!(read(r#""damage""#, &reason), Err(Dead));
        let short = json!({"type": "string", "maxLength": 3});
        assert_eq!(read(r#""abc""#, &short), Ok(Step::At(5)));
        assert_eq!(read(r#""abcd"#, &short), Err(Dead));
        assert_eq!(read(r#""a\"é""#, &short), Ok(Step::At(7)));
        // A backslash only where an escaped character can come.
        let reason = json!({"type": "string", "enum": ["da\"x"]});
        assert_eq!(read(r#""da\"#, &reason), Ok(Step::More));
        assert_eq!(read(r#""d\"#, &reason), Err(Dead));
        // No `\u` escape: half written, its character can't be judged.
        assert_eq!(read(r#""a\u00"#, &short), Err(Dead));
        assert_eq!(read("\"a\nb\"", &short), Err(Dead));
    }

    #[test]
    fn integers_keep_only_prefixes_that_fit_the_bounds() {
        let weeks = json!({"type": "integer", "minimum": 1, "maximum": 4});
        assert_eq!(read("3", &weeks), Ok(Step::More));
        assert_eq!(read("3,", &weeks), Ok(Step::At(1)));
        assert_eq!(read("6", &weeks), Err(Dead));
        assert_eq!(read("0", &weeks), Err(Dead));
        assert_eq!(read("-", &weeks), Err(Dead));
        assert_eq!(read("3.5,", &weeks), Err(Dead));
        let pax = json!({"type": "integer", "minimum": 10, "maximum": 12});
        assert_eq!(read("1", &pax), Ok(Step::More));
        assert_eq!(read("2", &pax), Err(Dead));
        assert_eq!(read("13", &pax), Err(Dead));
        assert_eq!(read("01", &json!({"type": "integer"})), Err(Dead));
        let temp = json!({"type": "integer", "minimum": -20});
        assert_eq!(read("-19}", &temp), Ok(Step::At(3)));
        // Numbers: a fraction and an exponent need their digits.
        let amount = json!({"type": "number"});
        assert_eq!(read("4.75,", &amount), Ok(Step::At(4)));
        assert_eq!(read("4.", &amount), Ok(Step::More));
        assert_eq!(read("4.,", &amount), Err(Dead));
        assert_eq!(read("1e-3}", &amount), Ok(Step::At(4)));
        assert_eq!(read("1e+", &amount), Ok(Step::More));
        assert_eq!(read("1e}", &amount), Err(Dead));
        assert_eq!(read("-21", &temp), Err(Dead));
        let price = json!({"type": "number", "exclusiveMinimum": 0});
        assert_eq!(read("0.5}", &price), Ok(Step::At(3)));
        assert_eq!(read("0}", &price), Err(Dead));
        assert_eq!(read("1e", &price), Ok(Step::More));
        assert_eq!(read("1e}", &price), Err(Dead));
    }

    #[test]
    fn objects_take_known_keys_once_and_need_the_required_ones() {
        let args = json!({
            "type": "object",
            "properties": {"order_id": {"type": "string"}, "reason": {"type": "string"}},
            "required": ["order_id"],
            "additionalProperties": false
        });
        assert_eq!(read(r#"{"ord"#, &args), Ok(Step::More));
        assert_eq!(read(r#"{"order_id": "A1"}"#, &args), Ok(Step::At(18)));
        assert_eq!(read(r#"{"x"#, &args), Err(Dead));
        assert_eq!(read(r#"{"reason": "x"}"#, &args), Err(Dead));
        assert_eq!(read(r#"{"order_id": "A", "order_id"#, &args), Err(Dead));
        assert_eq!(read(r#"{"order_id": 5"#, &args), Err(Dead));
        assert_eq!(read(r#"{"order_id": "A",}"#, &args), Err(Dead));
        assert_eq!(read(r#"{"order_id": "A", "#, &args), Ok(Step::More));
        // No key left to come after a comma.
        assert_eq!(
            read(r#"{"order_id": "A", "reason": "x","#, &args),
            Err(Dead)
        );
        let open = json!({"type": "object"});
        assert_eq!(
            read(r#"{"any": [1, {"b": null}], "c": true}"#, &open),
            Ok(Step::At(36))
        );
    }

    #[test]
    fn arrays_count_their_items() {
        let tags = json!({"type": "array", "items": {"type": "string"}, "maxItems": 2});
        assert_eq!(read(r#"["a", "b"]"#, &tags), Ok(Step::At(10)));
        assert_eq!(read(r#"["a", "b", "#, &tags), Err(Dead));
        assert_eq!(read(r#"["a", 1"#, &tags), Err(Dead));
        let some = json!({"type": "array", "minItems": 1});
        assert_eq!(read("[]", &some), Err(Dead));
    }

    #[test]
    fn unions_and_non_string_enums() {
        let either = json!({"type": ["integer", "null"]});
        assert_eq!(read("nu", &either), Ok(Step::More));
        assert_eq!(read("7}", &either), Ok(Step::At(1)));
        assert_eq!(read(r#""7""#, &either), Err(Dead));
        let sizes = json!({"enum": [1, 2, "big"]});
        assert_eq!(read("2,", &sizes), Ok(Step::At(1)));
        assert_eq!(read("3,", &sizes), Err(Dead));
        assert_eq!(read(r#""bi"#, &sizes), Ok(Step::More));
        let any_of = json!({"anyOf": [{"type": "boolean"}, {"type": "string", "enum": ["x"]}]});
        assert_eq!(read("true", &any_of), Ok(Step::At(4)));
        assert_eq!(read(r#""y"#, &any_of), Err(Dead));
    }
}
