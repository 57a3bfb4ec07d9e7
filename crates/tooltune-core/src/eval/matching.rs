//! Argument matching: `exact` (JSON values by value: 5 == 5.0, key order ignored)
//! and `bfcl` (BFCL's AST checker rules: acceptable-value lists, `""` marks an
//! optional parameter, strings compared after BFCL's normalisation, integers
//! accepted for floats). Parallel calls match as multisets, through a bipartite
//! matching, so order never matters.

use super::{ExpectedArgs, ExpectedCall, MatchMode};
use crate::ToolCall;
use crate::dataset::is_acceptable_map;
use crate::json::value_eq;
use serde_json::{Map, Value};

/// How predicted arguments or calls differ from the gold.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Mismatch {
    /// An argument the gold does not have.
    #[error("unexpected argument `{0}`")]
    Unexpected(String),
    /// A gold argument left out.
    #[error("missing argument `{0}`")]
    Missing(String),
    /// A different value.
    #[error("argument `{key}`: got {got}, expected {want}")]
    Value {
        key: String,
        got: Box<Value>,
        want: Box<Value>,
    },
    /// A value outside BFCL's acceptable list.
    #[error("argument `{key}`: got {got}, acceptable {acceptable}")]
    NotAcceptable {
        key: String,
        got: Box<Value>,
        acceptable: Box<Value>,
    },
    /// A different number of calls.
    #[error("{got} call(s), expected {want}")]
    CallCount { got: usize, want: usize },
    /// The first difference found in a call of `tool`.
    #[error("`{tool}`: {inner}")]
    InCall { tool: String, inner: Box<Mismatch> },
    /// Same names and counts, but no one-to-one pairing of the calls.
    #[error("calls do not pair up with the gold calls")]
    NoPairing,
}

/// Whether `got` matches the gold arguments; `Err` says the first difference.
pub fn args_match(
    got: &Map<String, Value>,
    want: &ExpectedArgs,
    mode: MatchMode,
) -> Result<(), Mismatch> {
    match want {
        ExpectedArgs::Exact(want) => {
            for (k, v) in got {
                match want.get(k) {
                    None => return Err(Mismatch::Unexpected(k.clone())),
                    Some(w) if !leaf_eq(v, w, mode) => {
                        return Err(Mismatch::Value {
                            key: k.clone(),
                            got: Box::new(v.clone()),
                            want: Box::new(w.clone()),
                        });
                    }
                    Some(_) => {}
                }
            }
            match want.keys().find(|k| !got.contains_key(*k)) {
                Some(k) => Err(Mismatch::Missing(k.clone())),
                None => Ok(()),
            }
        }
        ExpectedArgs::Acceptable(want) => acceptable_match(got, want, mode),
    }
}

fn acceptable_match(
    got: &Map<String, Value>,
    want: &Map<String, Value>,
    mode: MatchMode,
) -> Result<(), Mismatch> {
    for (k, v) in got {
        let Some(Value::Array(options)) = want.get(k) else {
            return Err(Mismatch::Unexpected(k.clone()));
        };
        if !options.iter().any(|o| option_match(v, o, mode)) {
            let shown: Vec<&Value> = options.iter().filter(|o| !is_optional_mark(o)).collect();
            return Err(Mismatch::NotAcceptable {
                key: k.clone(),
                got: Box::new(v.clone()),
                acceptable: Box::new(Value::from(shown.into_iter().cloned().collect::<Vec<_>>())),
            });
        }
    }
    for (k, options) in want {
        let optional = options
            .as_array()
            .is_some_and(|o| o.iter().any(is_optional_mark));
        if !got.contains_key(k) && !optional {
            return Err(Mismatch::Missing(k.clone()));
        }
    }
    Ok(())
}

fn is_optional_mark(v: &Value) -> bool {
    matches!(v, Value::String(s) if s.is_empty())
}

fn option_match(got: &Value, option: &Value, mode: MatchMode) -> bool {
    if is_optional_mark(option) && !is_optional_mark(got) {
        return false;
    }
    match (got, option) {
        // A dictionary parameter's gold is itself a map of acceptable lists.
        (Value::Object(g), Value::Object(o)) if is_acceptable_map(o) => {
            acceptable_match(g, o, mode).is_ok() || leaf_eq(got, option, mode)
        }
        // A list of dictionaries: element by element.
        (Value::Array(g), Value::Array(o))
            if !o.is_empty()
                && o.iter()
                    .all(|x| x.as_object().is_some_and(is_acceptable_map)) =>
        {
            (g.len() == o.len() && g.iter().zip(o).all(|(x, y)| option_match(x, y, mode)))
                || leaf_eq(got, option, mode)
        }
        _ => leaf_eq(got, option, mode),
    }
}

/// Value equality under the match mode.
pub fn leaf_eq(got: &Value, want: &Value, mode: MatchMode) -> bool {
    match mode {
        MatchMode::Exact => value_eq(got, want),
        MatchMode::Bfcl => match (got, want) {
            (Value::String(a), Value::String(b)) => bfcl_normalise(a) == bfcl_normalise(b),
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| leaf_eq(x, y, mode))
            }
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.get(k).is_some_and(|w| leaf_eq(v, w, mode)))
            }
            _ => value_eq(got, want),
        },
    }
}

/// BFCL's `standardize_string`: drop spaces and `,./-_*^`, lowercase, and read
/// single quotes as double quotes.
pub fn bfcl_normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | ',' | '.' | '/' | '-' | '_' | '*' | '^'))
        .map(|c| if c == '\'' { '"' } else { c })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Matches predicted calls to gold calls as multisets. `Ok` when every gold call
/// pairs with a distinct predicted call of the same name and matching arguments.
pub fn calls_match(
    got: &[ToolCall],
    want: &[ExpectedCall],
    mode: MatchMode,
) -> Result<(), Mismatch> {
    if got.len() != want.len() {
        return Err(Mismatch::CallCount {
            got: got.len(),
            want: want.len(),
        });
    }
    let mut first_reason = None;
    let edges: Vec<Vec<usize>> = want
        .iter()
        .map(|w| {
            (0..got.len())
                .filter(|&j| {
                    if got[j].name != w.name {
                        return false;
                    }
                    match args_match(&got[j].arguments, &w.arguments, mode) {
                        Ok(()) => true,
                        Err(e) => {
                            first_reason.get_or_insert_with(|| Mismatch::InCall {
                                tool: w.name.clone(),
                                inner: Box::new(e),
                            });
                            false
                        }
                    }
                })
                .collect()
        })
        .collect();
    if perfect_matching(&edges, got.len()) {
        Ok(())
    } else {
        Err(first_reason.unwrap_or(Mismatch::NoPairing))
    }
}

/// Kuhn's augmenting-path bipartite matching; true when every left node is matched.
fn perfect_matching(edges: &[Vec<usize>], right: usize) -> bool {
    fn augment(
        u: usize,
        edges: &[Vec<usize>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for &v in &edges[u] {
            if !seen[v] {
                seen[v] = true;
                if owner[v].is_none_or(|w| augment(w, edges, seen, owner)) {
                    owner[v] = Some(u);
                    return true;
                }
            }
        }
        false
    }
    let mut owner = vec![None; right];
    (0..edges.len()).all(|u| augment(u, edges, &mut vec![false; right], &mut owner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn exact_is_by_value() {
        let want = ExpectedArgs::Exact(obj(json!({"a": 5, "b": {"x": [1, 2]}})));
        assert!(
            args_match(
                &obj(json!({"b": {"x": [1.0, 2]}, "a": 5.0})),
                &want,
                MatchMode::Exact
            )
            .is_ok()
        );
        assert_eq!(
            args_match(&obj(json!({"a": 5})), &want, MatchMode::Exact),
            Err(Mismatch::Missing("b".into()))
        );
        assert!(
            args_match(
                &obj(json!({"a": "5", "b": {"x": [1, 2]}})),
                &want,
                MatchMode::Exact
            )
            .is_err()
        );
    }

    #[test]
    fn bfcl_rules() {
        let want = ExpectedArgs::Acceptable(obj(
            json!({"city": ["New York, NY", "NYC"], "unit": ["", "celsius"], "n": [3.0]}),
        ));
        assert!(
            args_match(
                &obj(json!({"city": "new york ny", "n": 3})),
                &want,
                MatchMode::Bfcl
            )
            .is_ok()
        );
        assert!(
            args_match(
                &obj(json!({"city": "new york ny", "n": 3})),
                &want,
                MatchMode::Exact
            )
            .is_err()
        );
        assert!(
            args_match(
                &obj(json!({"city": "NYC", "n": 3, "unit": "celsius"})),
                &want,
                MatchMode::Exact
            )
            .is_ok()
        );
        assert_eq!(
            args_match(&obj(json!({"city": "NYC"})), &want, MatchMode::Bfcl),
            Err(Mismatch::Missing("n".into()))
        );
        assert_eq!(
            args_match(
                &obj(json!({"city": "NYC", "n": 3, "x": 1})),
                &want,
                MatchMode::Bfcl
            ),
            Err(Mismatch::Unexpected("x".into()))
        );
        let nested =
            ExpectedArgs::Acceptable(obj(json!({"budget": [{"min": [300], "max": [400, ""]}]})));
        assert!(
            args_match(
                &obj(json!({"budget": {"min": 300}})),
                &nested,
                MatchMode::Bfcl
            )
            .is_ok()
        );
        assert!(
            args_match(
                &obj(json!({"budget": {"min": 301}})),
                &nested,
                MatchMode::Bfcl
            )
            .is_err()
        );
    }

    #[test]
    fn parallel_calls_match_in_any_order() {
        let want = vec![
            ExpectedCall {
                name: "f".into(),
                arguments: ExpectedArgs::Exact(obj(json!({"a": 1}))),
            },
            ExpectedCall {
                name: "f".into(),
                arguments: ExpectedArgs::Exact(obj(json!({"a": 2}))),
            },
        ];
        let got = vec![
            ToolCall::new("f", obj(json!({"a": 2}))),
            ToolCall::new("f", obj(json!({"a": 1}))),
        ];
        assert!(calls_match(&got, &want, MatchMode::Exact).is_ok());
        let dup = vec![
            ToolCall::new("f", obj(json!({"a": 1}))),
            ToolCall::new("f", obj(json!({"a": 1}))),
        ];
        assert!(calls_match(&dup, &want, MatchMode::Exact).is_err());
    }
}
