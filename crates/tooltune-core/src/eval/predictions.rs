//! Prediction files: JSONL rows `{"id": ..., "output": "raw model text"}`, matched
//! to items by id, or by line order when no row has an id.

use super::Item;
use crate::error::{Error, Location, Result};
use serde_json::Value;
use std::collections::HashMap;

/// One prediction row.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The item id it answers, if given.
    pub id: Option<String>,
    /// The raw model text.
    pub output: String,
    /// Where it was read.
    pub at: Location,
}

/// Reads a prediction file. Every bad line is an error naming it.
pub fn read_predictions(source: &str, bytes: &[u8]) -> Result<Vec<Prediction>> {
    let mut out = Vec::new();
    for (n, line) in crate::json::lines(bytes) {
        let at = Location::line(source, n);
        let value = crate::json::parse_line(source, n, line)?;
        let Value::Object(obj) = value else {
            return Err(Error::shape(
                &at,
                "$",
                "expected {\"id\": ..., \"output\": \"...\"}",
            ));
        };
        let id = match obj.get("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => return Err(Error::shape(&at, "id", "must be a string or a number")),
        };
        let output = match obj.get("output") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(Error::shape(
                    &at,
                    "output",
                    "must be a string (the raw model text)",
                ));
            }
            None => return Err(Error::shape(&at, "output", "missing")),
        };
        out.push(Prediction { id, output, at });
    }
    Ok(out)
}

/// Pairs items with predictions. Returns, per item, the index of its prediction
/// (if any) and the predictions that matched no item.
pub(super) fn pair(
    items: &[Item],
    predictions: &[Prediction],
) -> Result<(Vec<Option<usize>>, Vec<usize>)> {
    let with_id = predictions.iter().filter(|p| p.id.is_some()).count();
    if with_id == 0 {
        let paired = (0..items.len())
            .map(|i| (i < predictions.len()).then_some(i))
            .collect();
        let extra = (items.len()..predictions.len()).collect();
        return Ok((paired, extra));
    }
    if with_id != predictions.len() {
        let first = predictions
            .iter()
            .find(|p| p.id.is_none())
            .map(|p| p.at.to_string())
            .unwrap_or_default();
        return Err(Error::Usage(format!(
            "{first}: some prediction rows have an id and some do not; give every row an id, or none"
        )));
    }
    let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(predictions.len());
    for (i, p) in predictions.iter().enumerate() {
        if let Some(prev) = by_id.insert(p.id.as_deref().unwrap_or_default(), i) {
            return Err(Error::Usage(format!(
                "{}: duplicate prediction id {:?} (first at {})",
                p.at,
                p.id.as_deref().unwrap_or_default(),
                predictions[prev].at
            )));
        }
    }
    let mut used = vec![false; predictions.len()];
    let paired = items
        .iter()
        .map(|item| {
            let alt = format!("{}#{}", item.conversation, item.turn);
            let hit = by_id
                .get(item.id.as_str())
                .or_else(|| by_id.get(alt.as_str()))
                .copied();
            if let Some(i) = hit {
                used[i] = true;
            }
            hit
        })
        .collect();
    let extra = (0..predictions.len()).filter(|i| !used[*i]).collect();
    Ok((paired, extra))
}
