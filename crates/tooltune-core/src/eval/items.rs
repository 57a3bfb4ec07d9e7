//! Building evaluation items from gold examples.

use super::{Expected, ExpectedArgs, ExpectedCall, Item};
use crate::call::Target;
use crate::dataset::{Acceptable, Example};
use crate::error::{Error, Location, Result};
use crate::parse::{Mode, ParseError};
use crate::{Catalogue, json};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Compiled catalogues, so a dataset whose lines all carry the same `tools`
/// compiles its schemas once. Lookup is by fingerprint of the `tools` value.
#[derive(Default)]
pub struct CatalogueCache {
    by_fingerprint: HashMap<u128, Arc<Catalogue>>,
}

impl CatalogueCache {
    /// The compiled catalogue of a `tools` value found at `at`.
    pub fn get(&mut self, at: &Location, tools: &Value) -> Result<Arc<Catalogue>> {
        let key = json::fingerprint(tools);
        if let Some(c) = self.by_fingerprint.get(&key) {
            return Ok(c.clone());
        }
        let catalogue = Arc::new(Catalogue::from_value(at, tools)?);
        self.by_fingerprint.insert(key, catalogue.clone());
        Ok(catalogue)
    }
}

/// One item per assistant turn of each example. `tools`, when given, overrides the
/// examples' own `tools`; an example with neither is an error naming its line.
pub fn items(
    examples: &[Example],
    tools: Option<&Arc<Catalogue>>,
    cache: &mut CatalogueCache,
) -> Result<Vec<Item>> {
    let mut out = Vec::with_capacity(examples.len());
    for ex in examples {
        let conv = &ex.conversation;
        let catalogue = match (tools, &conv.tools) {
            (Some(t), _) => t.clone(),
            (None, Some(t)) => cache.get(&ex.at, t)?,
            (None, None) => {
                return Err(Error::shape(
                    &ex.at,
                    "tools",
                    "no tool catalogue: the line has no `tools` and none was given with --tools",
                ));
            }
        };
        let conversation = conv
            .id()
            .unwrap_or_else(|| ex.at.line.unwrap_or(out.len() + 1).to_string());
        let turns: Vec<usize> = conv.assistant_turns().collect();
        let parallel_allowed = conv.parallel_tool_calls != Some(false);
        if turns.is_empty() && matches!(ex.acceptable, Some(Acceptable::AnyCall)) {
            out.push(Item {
                id: conversation.clone(),
                conversation,
                turn: 1,
                at: ex.at.clone(),
                catalogue,
                history: conv.messages.clone(),
                expected: Expected::AnyCall,
                mode: Mode::Chat,
                parallel_allowed,
            });
            continue;
        }
        if turns.is_empty() {
            return Err(Error::shape(
                &ex.at,
                "messages",
                "no assistant turn to score",
            ));
        }
        for (k, &t) in turns.iter().enumerate() {
            let message = &conv.messages[t];
            let expected = match (&ex.acceptable, k) {
                (Some(acceptable), 0) => from_acceptable(acceptable),
                _ => from_target(&ex.at, t, message.target())?,
            };
            let router = crate::dataset::router::router_value(&message.text()).is_some();
            let id = if turns.len() == 1 {
                conversation.clone()
            } else {
                format!("{conversation}#{}", k + 1)
            };
            out.push(Item {
                id,
                conversation: conversation.clone(),
                turn: k + 1,
                at: ex.at.clone(),
                catalogue: catalogue.clone(),
                history: conv.messages[..t].to_vec(),
                expected,
                mode: if router && message.tool_calls.is_none() {
                    Mode::Json
                } else {
                    Mode::Chat
                },
                parallel_allowed,
            });
        }
    }
    Ok(out)
}

fn from_target(
    at: &Location,
    index: usize,
    target: std::result::Result<Target, ParseError>,
) -> Result<Expected> {
    match target.map_err(|error| Error::Gold {
        at: at.clone(),
        path: format!("messages[{index}]"),
        error,
    })? {
        Target::NoTool { .. } => Ok(Expected::NoTool),
        Target::Calls(calls) => Ok(Expected::Calls(
            calls
                .into_iter()
                .map(|c| ExpectedCall {
                    name: c.name,
                    arguments: ExpectedArgs::Exact(c.arguments),
                })
                .collect(),
        )),
    }
}

fn from_acceptable(a: &Acceptable) -> Expected {
    match a {
        Acceptable::NoCall => Expected::NoTool,
        Acceptable::AnyCall => Expected::AnyCall,
        Acceptable::Calls(calls) => Expected::Calls(
            calls
                .iter()
                .map(|c| ExpectedCall {
                    name: c.name.clone(),
                    arguments: ExpectedArgs::Acceptable(c.params.clone()),
                })
                .collect(),
        ),
    }
}
