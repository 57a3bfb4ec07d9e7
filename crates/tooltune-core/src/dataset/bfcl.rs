//! The Berkeley Function Calling Leaderboard's files: question files (one JSON
//! object per line: `id`, `question` as a list of turns, `function` as the
//! catalogue) and possible-answer files (`id`, `ground_truth`: a list of calls,
//! each `{tool: {param: [acceptable values]}}`, where `""` means "may be left out").
//!
//! Items without a possible answer are irrelevance items (gold: no call), except
//! the `live_relevance` category, where any valid call is right.

use super::chat::{Conversation, FunctionCall, Message, MessageToolCall, Role, kind};
use super::{Acceptable, AcceptableCall, Example};
use crate::call::Target;
use crate::error::{Error, Location, Result};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// Reads a possible-answer file into `id → calls`.
pub fn read_answers(source: &str, bytes: &[u8]) -> Result<HashMap<String, Vec<AcceptableCall>>> {
    let mut out = HashMap::new();
    for (n, line) in crate::json::lines(bytes) {
        let at = Location::line(source, n);
        let value = crate::json::parse_line(source, n, line)?;
        let id = value
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::shape(&at, "id", "missing or not a string"))?;
        let calls = match value.get("ground_truth") {
            Some(Value::Array(calls)) => calls,
            _ => return Err(Error::shape(&at, "ground_truth", "missing or not an array")),
        };
        let mut parsed = Vec::with_capacity(calls.len());
        for (i, call) in calls.iter().enumerate() {
            let path = format!("ground_truth[{i}]");
            let Some((name, params)) = call
                .as_object()
                .filter(|o| o.len() == 1)
                .and_then(|o| o.iter().next())
            else {
                return Err(Error::shape(
                    &at,
                    path,
                    "expected {\"tool\": {param: [values]}}",
                ));
            };
            let Value::Object(params) = params else {
                return Err(Error::shape(
                    &at,
                    format!("{path}.{name}"),
                    "expected an object of parameters",
                ));
            };
            for (p, v) in params {
                if !v.is_array() {
                    return Err(Error::shape(
                        &at,
                        format!("{path}.{name}.{p}"),
                        "acceptable values must be a list",
                    ));
                }
            }
            parsed.push(AcceptableCall {
                name: name.clone(),
                params: params.clone(),
            });
        }
        out.insert(id.to_string(), parsed);
    }
    Ok(out)
}

/// Reads one question line into an example, with its gold from `answers`.
pub fn example(
    at: &Location,
    value: Value,
    answers: Option<&HashMap<String, Vec<AcceptableCall>>>,
    options: super::ReadOptions,
) -> Result<Example> {
    let id = value
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::shape(at, "id", "missing or not a string"))?
        .to_string();
    let turns = match value.get("question") {
        Some(Value::Array(turns)) => turns,
        _ => {
            return Err(Error::shape(
                at,
                "question",
                "missing or not a list of turns",
            ));
        }
    };
    if turns.len() != 1 {
        return Err(Error::shape(
            at,
            "question",
            format!(
                "{} turns; only single-turn BFCL categories are supported",
                turns.len()
            ),
        ));
    }
    let messages: Vec<Message> =
        crate::json::from_value(at, turns[0].clone()).map_err(|e| relabel(e, "question[0]"))?;
    let functions = match value.get("function") {
        Some(Value::Array(f)) => f,
        Some(other) => {
            return Err(Error::shape(
                at,
                "function",
                format!("must be a list, found {}", kind(other)),
            ));
        }
        None => return Err(Error::shape(at, "function", "missing")),
    };
    let catalogue = crate::Catalogue::from_value(at, &Value::Array(functions.clone()))?;
    let acceptable = match answers.and_then(|a| a.get(&id)) {
        Some(calls) => Acceptable::Calls(calls.clone()),
        None if id.starts_with("live_relevance") => Acceptable::AnyCall,
        // Irrelevance questions have no answer by design (named so by BFCL).
        None if id.contains("irrelevance") || at.source.contains("irrelevance") => {
            Acceptable::NoCall
        }
        None if options.missing_answer_is_no_call => Acceptable::NoCall,
        None if answers.is_some() => {
            return Err(Error::shape(
                at,
                "id",
                format!(
                    "{id:?} is not in the possible-answer file; a question with no answer is \
                     not a no-call gold (pass --missing-answer-is-no-call if it is meant so)"
                ),
            ));
        }
        None => {
            return Err(Error::shape(
                at,
                "id",
                format!("no possible answer for {id:?}; pass the possible-answer file"),
            ));
        }
    };
    let mut conversation = Conversation {
        messages,
        tools: Some(Value::Array(catalogue.to_openai())),
        parallel_tool_calls: None,
        extra: Map::new(),
    };
    conversation.extra.insert("id".into(), Value::String(id));
    if let Some(answer) = gold_message(&acceptable) {
        conversation.messages.push(answer);
    }
    Ok(Example {
        at: at.clone(),
        conversation,
        acceptable: Some(acceptable),
        fingerprint: 0,
    })
}

fn relabel(e: Error, prefix: &str) -> Error {
    match e {
        Error::Shape { at, path, message } => Error::Shape {
            at,
            path: format!("{prefix}{}", path.trim_start_matches('$')),
            message,
        },
        other => other,
    }
}

/// The assistant message of the gold: for each call, the first acceptable value of
/// each parameter (parameters whose first value is `""` are left out).
fn gold_message(acceptable: &Acceptable) -> Option<Message> {
    match acceptable {
        Acceptable::AnyCall => None,
        Acceptable::NoCall => Some(Message::new(
            Role::Assistant,
            "No tool in the catalogue fits this request.",
        )),
        Acceptable::Calls(calls) => {
            let tool_calls = calls
                .iter()
                .enumerate()
                .map(|(i, c)| MessageToolCall {
                    id: Some(format!("call_{}", i + 1)),
                    kind: "function".into(),
                    function: FunctionCall {
                        name: c.name.clone(),
                        arguments: super::chat::Arguments::Json(Value::Object(c.first_values())),
                    },
                })
                .collect();
            let mut m = Message::new(Role::Assistant, "");
            m.content = None;
            m.tool_calls = Some(tool_calls);
            Some(m)
        }
    }
}

/// Writes a conversation as a question line and, when it calls tools, an answer line.
pub fn write(at: &Location, index: usize, conv: &Conversation) -> Result<(Value, Option<Value>)> {
    let turn = conv.single_turn(at, "BFCL items")?;
    let id = conv.id().unwrap_or_else(|| format!("item_{index}"));
    let question: Vec<Value> = conv.messages[..turn]
        .iter()
        .map(|m| json!({"role": m.role, "content": m.text()}))
        .collect();
    let functions: Vec<Value> = match &conv.tools {
        Some(tools) => crate::Catalogue::from_value(at, tools)?
            .tools()
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "parameters": t.parameters}))
            .collect(),
        None => Vec::new(),
    };
    let line = json!({"id": id, "question": [question], "function": functions});
    let target = conv.messages[turn].target().map_err(|e| Error::Convert {
        at: at.clone(),
        message: e.to_string(),
    })?;
    let answer = match target {
        Target::NoTool { .. } => None,
        Target::Calls(calls) => {
            let truth: Vec<Value> = calls
                .iter()
                .map(|c| {
                    let params: Map<String, Value> = c
                        .arguments
                        .iter()
                        .map(|(k, v)| (k.clone(), json!([super::acceptable_spelling(v)])))
                        .collect();
                    json!({ c.name.clone(): params })
                })
                .collect();
            Some(json!({"id": id, "ground_truth": truth}))
        }
    };
    Ok((line, answer))
}
