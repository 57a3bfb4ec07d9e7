//! Numbers, read against their schemas' bounds.

use serde_json::Value;

use super::{Dead, Read, Step, at};

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

/// A number at `i` (an integer when `integer`), within the schema's bounds:
/// an integer's prefix is kept only while some integer in the bounds starts
/// with it; a fractional number is checked once it ends.
pub(super) fn number(s: &[u8], i: usize, integer: bool, schema: &Value) -> Read {
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
