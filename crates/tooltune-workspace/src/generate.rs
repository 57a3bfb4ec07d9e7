//! Rows from a template: a request with `{slot}` placeholders, values for
//! each slot, and the tool the rows call. Every combination of slot values
//! is one row; the slots are also the call's arguments (a slot named after
//! a parameter fills it), so `Where is {order_id}?` with
//! `order_id = ORD-1 | ORD-2` gives two `track_order` rows. Values that read
//! as JSON numbers or booleans become those; anything else is a string.
//! The linter then checks the rows against the catalogue as usual.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use tooltune_core::call::NO_TOOL;

use crate::dataset::Row;
use crate::error::{Result, WorkspaceError};

/// The most rows one template makes.
pub const MAX_ROWS: usize = 200;

/// A row template.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Template {
    /// The tool the rows call (`no_tool` for the no-tool path).
    pub tool: String,
    /// The request, with `{slot}` placeholders.
    pub request: String,
    /// Each slot's values, in order.
    pub slots: BTreeMap<String, Vec<String>>,
}

fn bad(message: String) -> WorkspaceError {
    WorkspaceError::Row {
        at: "template".into(),
        message,
    }
}

/// Reads slot lines, one per slot: `name = value | value | ...`. Blank
/// lines are skipped.
pub fn parse_slots(text: &str) -> Result<BTreeMap<String, Vec<String>>> {
    let mut slots = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (name, values) = line.split_once('=').ok_or_else(|| {
            bad(format!(
                "slot line {}: expected `name = value | value`",
                n + 1
            ))
        })?;
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(bad(format!(
                "slot line {}: `{name}` is not a slot name",
                n + 1
            )));
        }
        let values: Vec<String> = values
            .split('|')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            return Err(bad(format!("slot `{name}` has no values")));
        }
        slots.insert(name.to_string(), values);
    }
    Ok(slots)
}

/// The placeholders of a request template, in order of appearance.
fn placeholders(request: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = request;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .ok_or_else(|| bad("a `{` in the request is never closed".into()))?;
        out.push(after[..end].trim().to_string());
        rest = &after[end + 1..];
    }
    Ok(out)
}

fn value_of(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ (Value::Number(_) | Value::Bool(_))) => v,
        _ => Value::String(text.to_string()),
    }
}

/// Every combination of slot values as a row (at most [`MAX_ROWS`]; more is
/// an error saying how many).
pub fn expand(template: &Template) -> Result<Vec<Row>> {
    if template.tool.trim().is_empty() {
        return Err(bad("choose the tool the rows call".into()));
    }
    if template.request.trim().is_empty() {
        return Err(bad("the request template is empty".into()));
    }
    for name in placeholders(&template.request)? {
        if !template.slots.contains_key(&name) {
            return Err(bad(format!(
                "`{{{name}}}` has no values: add a line `{name} = ...`"
            )));
        }
    }
    let total = template
        .slots
        .values()
        .try_fold(1usize, |n, v| n.checked_mul(v.len()))
        .unwrap_or(usize::MAX);
    if total > MAX_ROWS {
        return Err(bad(format!(
            "the slots make {total} combinations, over the limit of {MAX_ROWS} rows"
        )));
    }
    let names: Vec<&String> = template.slots.keys().collect();
    let mut rows = Vec::with_capacity(total);
    for k in 0..total {
        // Mixed-radix digits of k pick one value per slot.
        let mut rest = k;
        let mut request = template.request.clone();
        let mut arguments = Map::new();
        for name in names.iter().rev() {
            let values = &template.slots[*name];
            let value = &values[rest % values.len()];
            rest /= values.len();
            request = request.replace(&format!("{{{name}}}"), value);
            arguments.insert((*name).clone(), value_of(value));
        }
        let gold = if template.tool == NO_TOOL {
            let reason = arguments
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or("no tool fits this request")
                .to_string();
            json!({"tool": NO_TOOL, "reason": reason})
        } else {
            let ordered: Map<String, Value> = names
                .iter()
                .filter_map(|n| arguments.get(*n).map(|v| ((*n).clone(), v.clone())))
                .collect();
            json!({"tool": template.tool, "arguments": ordered})
        };
        rows.push(Row {
            request,
            gold: gold.to_string(),
            held_out: false,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_combination_is_a_row_with_its_arguments() {
        let t = Template {
            tool: "request_refund".into(),
            request: "Refund {order_id}, it was {reason}".into(),
            slots: parse_slots("order_id = ORD-1 | ORD-2\nreason = damaged | late | wrong_item\n")
                .unwrap(),
        };
        let rows = expand(&t).unwrap();
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0].request, "Refund ORD-1, it was damaged");
        assert_eq!(
            rows[0].gold,
            r#"{"tool":"request_refund","arguments":{"order_id":"ORD-1","reason":"damaged"}}"#
        );
        assert_eq!(rows[5].request, "Refund ORD-2, it was wrong_item");
        assert!(rows.iter().all(|r| r.target().is_ok()));
    }

    #[test]
    fn numbers_stay_numbers_and_no_tool_takes_a_reason() {
        let t = Template {
            tool: "no_tool".into(),
            request: "Tell me a joke about {n} cats".into(),
            slots: parse_slots("n = 3 | three").unwrap(),
        };
        let rows = expand(&t).unwrap();
        assert_eq!(
            rows[0].gold,
            r#"{"tool":"no_tool","reason":"no tool fits this request"}"#
        );
        let t = Template {
            tool: "set_timer".into(),
            request: "Timer for {minutes} minutes".into(),
            slots: parse_slots("minutes = 5 | 10.5 | true | ten").unwrap(),
        };
        let golds: Vec<String> = expand(&t).unwrap().into_iter().map(|r| r.gold).collect();
        assert!(golds[0].ends_with(r#"{"minutes":5}}"#), "{}", golds[0]);
        assert!(golds[1].ends_with(r#"{"minutes":10.5}}"#));
        assert!(golds[2].ends_with(r#"{"minutes":true}}"#));
        assert!(golds[3].ends_with(r#"{"minutes":"ten"}}"#));
    }

    #[test]
    fn mistakes_are_named() {
        let e = |tool: &str, request: &str, slots: &str| {
            let slots = match parse_slots(slots) {
                Ok(s) => s,
                Err(e) => return e.to_string(),
            };
            expand(&Template {
                tool: tool.into(),
                request: request.into(),
                slots,
            })
            .unwrap_err()
            .to_string()
        };
        assert!(e("t", "Where is {order_id}?", "").contains("`{order_id}` has no values"));
        assert!(e("t", "Where is {order_id?", "order_id = 1").contains("never closed"));
        assert!(e("t", "x", "order id = 1").contains("not a slot name"));
        assert!(e("t", "x", "a = |").contains("has no values"));
        assert!(e("", "x", "a = 1").contains("choose the tool"));
        let many = (0..3)
            .map(|i| format!("s{i} = 1|2|3|4|5|6"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(e("t", "x", &many).contains("216 combinations"));
    }
}
