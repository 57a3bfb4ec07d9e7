//! Dataset formats, read and written: the OpenAI chat fine-tuning JSONL, the
//! router format (chat with router-object content, and `{"prompt","target"}` gold
//! rows) and BFCL question + possible-answer files. Everything is read into
//! [`Example`]s: a chat [`Conversation`] plus, for BFCL, the acceptable answers.

pub mod bfcl;
pub mod chat;
pub mod router;
pub mod split;

pub use chat::{Arguments, Content, Conversation, Message, MessageToolCall, Role};

use crate::error::{Error, Location, Result};
use serde_json::{Map, Value};
use std::str::FromStr;

/// A dataset format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenAI chat fine-tuning JSONL with `tool_calls`.
    OpenAi,
    /// Chat JSONL whose assistant content is a router object.
    Router,
    /// Router gold rows `{"prompt", "target"}`.
    RouterGold,
    /// BFCL question file (+ possible-answer file).
    Bfcl,
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "openai" | "chat" => Ok(Format::OpenAi),
            "router" => Ok(Format::Router),
            "router-gold" | "gold" => Ok(Format::RouterGold),
            "bfcl" => Ok(Format::Bfcl),
            other => Err(Error::Usage(format!(
                "unknown format {other:?}; expected one of openai, router, router-gold, bfcl"
            ))),
        }
    }
}

/// One example: a conversation and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// File and line it was read from.
    pub at: Location,
    /// The conversation (router content and BFCL gold expressed as chat).
    pub conversation: Conversation,
    /// BFCL's acceptable answers for the single assistant turn, when read from BFCL.
    pub acceptable: Option<Acceptable>,
    /// Fingerprint of the line's JSON (key order and number spelling ignored),
    /// for finding exact duplicates.
    pub fingerprint: u128,
}

/// BFCL's gold for one item.
#[derive(Debug, Clone, PartialEq)]
pub enum Acceptable {
    /// These calls, in any order, with acceptable values per parameter.
    Calls(Vec<AcceptableCall>),
    /// No call is right (irrelevance).
    NoCall,
    /// Any valid call is right (live_relevance).
    AnyCall,
}

/// A gold call with a list of acceptable values per parameter; a list holding
/// `""` means the parameter may be left out.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptableCall {
    /// Tool name.
    pub name: String,
    /// Parameter → JSON array of acceptable values.
    pub params: Map<String, Value>,
}

impl AcceptableCall {
    /// One concrete call: the first acceptable value of each parameter, leaving out
    /// parameters whose first value is `""` (optional).
    pub fn first_values(&self) -> Map<String, Value> {
        first_values(&self.params)
    }
}

/// One concrete value per parameter: the first acceptable value that is not `""`
/// (a parameter whose only option is `""` is left out), recursing into dictionary
/// parameters and lists of dictionaries, whose gold is itself parameter → list maps.
pub fn first_values(params: &Map<String, Value>) -> Map<String, Value> {
    params
        .iter()
        .filter_map(|(k, v)| {
            let first = v
                .as_array()?
                .iter()
                .find(|o| !matches!(o, Value::String(s) if s.is_empty()))?;
            Some((k.clone(), concrete(first)))
        })
        .collect()
}

fn concrete(option: &Value) -> Value {
    match option {
        Value::Object(inner) if is_acceptable_map(inner) => Value::Object(first_values(inner)),
        Value::Array(items)
            if items
                .iter()
                .all(|i| i.as_object().is_some_and(is_acceptable_map)) =>
        {
            Value::Array(items.iter().map(concrete).collect())
        }
        other => other.clone(),
    }
}

/// The inverse of [`first_values`] for one value: BFCL's gold spelling of a concrete
/// value (dictionaries become maps of one-element acceptable lists, recursively).
pub fn acceptable_spelling(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, x)| (k.clone(), Value::Array(vec![acceptable_spelling(x)])))
                .collect(),
        ),
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
            Value::Array(items.iter().map(acceptable_spelling).collect())
        }
        other => other.clone(),
    }
}

/// True for BFCL's nested gold: a non-empty map whose values are all lists.
pub fn is_acceptable_map(map: &Map<String, Value>) -> bool {
    !map.is_empty() && map.values().all(Value::is_array)
}

/// Guesses the format from the first non-blank line.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    let (n, line) = crate::json::lines(bytes).next()?;
    format_of(&crate::json::parse_line("", n, line).ok()?)
}

/// The format a dataset line's keys say.
fn format_of(value: &Value) -> Option<Format> {
    if value.get("messages").is_some() {
        Some(Format::OpenAi)
    } else if value.get("prompt").is_some() && value.get("target").is_some() {
        Some(Format::RouterGold)
    } else if value.get("question").is_some() && value.get("function").is_some() {
        Some(Format::Bfcl)
    } else {
        None
    }
}

/// [`detect`], or why the format cannot be told: an empty input, a first
/// line that is not JSON (its own error, with the line number), or a JSON
/// line of none of the formats (what it has and what each format needs).
pub fn detect_at(source: &str, bytes: &[u8]) -> Result<Format> {
    let Some((n, line)) = crate::json::lines(bytes).next() else {
        return Err(Error::Shape {
            at: Location::whole(source),
            path: "$".into(),
            message: "empty: no examples".into(),
        });
    };
    let value = crate::json::parse_line(source, n, line)?;
    if let Some(format) = format_of(&value) {
        return Ok(format);
    }
    let found = match &value {
        Value::Object(map) if map.is_empty() => "an empty object".to_string(),
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().take(6).map(|k| format!("`{k}`")).collect();
            format!("keys {}", keys.join(", "))
        }
        Value::Array(_) => "an array".to_string(),
        _ => "a lone value".to_string(),
    };
    Err(Error::Shape {
        at: Location::line(source, n),
        path: "$".into(),
        message: format!(
            "cannot tell the dataset's format from its first line ({found}): an OpenAI chat line has `messages`, a router gold line `prompt` and `target`, a BFCL question `question` and `function`"
        ),
    })
}

/// How a dataset is read, beyond its format.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// BFCL: a question missing from the answers file is a no-call gold
    /// instead of an error (irrelevance files, named so, are always read so).
    pub missing_answer_is_no_call: bool,
}

/// Reads a dataset. The outer error is for the whole input (a bad answers file);
/// each line gets its own result, so one bad line does not hide the others.
pub fn read(
    format: Format,
    source: &str,
    bytes: &[u8],
    answers: Option<(&str, &[u8])>,
) -> Result<Vec<Result<Example>>> {
    read_with(format, source, bytes, answers, ReadOptions::default())
}

/// [`read`] with options.
pub fn read_with(
    format: Format,
    source: &str,
    bytes: &[u8],
    answers: Option<(&str, &[u8])>,
    options: ReadOptions,
) -> Result<Vec<Result<Example>>> {
    let answers = match answers {
        Some((name, a)) => Some(bfcl::read_answers(name, a)?),
        None => None,
    };
    let read_line = |(n, line): (usize, &[u8])| -> Result<Example> {
        let at = Location::line(source, n);
        let value = crate::json::parse_line(source, n, line)?;
        let fingerprint = crate::json::fingerprint(&value);
        let conversation = match format {
            Format::OpenAi => conversation(&at, value)?,
            Format::Router => {
                let conv = conversation(&at, value)?;
                router::check_conversation(&at, &conv)?;
                conv
            }
            Format::RouterGold => router::conversation_from_gold(&at, value)?,
            Format::Bfcl => {
                let ex = bfcl::example(&at, value, answers.as_ref(), options)?;
                return Ok(Example { fingerprint, ..ex });
            }
        };
        Ok(Example {
            at,
            conversation,
            acceptable: None,
            fingerprint,
        })
    };
    let lines: Vec<(usize, &[u8])> = crate::json::lines(bytes).collect();
    Ok(crate::par::map_chunks(&lines, |chunk| {
        chunk.iter().copied().map(read_line).collect()
    }))
}

/// Reads one chat line, checking what serde cannot: a non-empty `messages`, weights 0 or 1.
pub fn conversation(at: &Location, value: Value) -> Result<Conversation> {
    if !value.is_object() {
        return Err(Error::shape(
            at,
            "$",
            format!(
                "expected a conversation object, found {}",
                chat::kind(&value)
            ),
        ));
    }
    let conv: Conversation = crate::json::from_value(at, value)?;
    if conv.messages.is_empty() {
        return Err(Error::shape(at, "messages", "is empty"));
    }
    for (i, m) in conv.messages.iter().enumerate() {
        if let Some(w) = m.weight.filter(|w| *w > 1) {
            return Err(Error::shape(
                at,
                format!("messages[{i}].weight"),
                format!("must be 0 or 1, found {w}"),
            ));
        }
    }
    Ok(conv)
}

/// What a writer produced: the main JSONL and, for BFCL, the possible-answer JSONL.
#[derive(Debug, Default)]
pub struct Written {
    /// The main file.
    pub main: String,
    /// BFCL's possible-answer file.
    pub answers: Option<String>,
}

/// Writes examples in a format. Fails on the first example the format cannot
/// express (naming its source line).
pub fn write(format: Format, examples: &[Example]) -> Result<Written> {
    let mut out = Written::default();
    let mut answers = String::new();
    for (i, ex) in examples.iter().enumerate() {
        let line = match format {
            Format::OpenAi => serde_json::to_value(to_openai(&ex.at, &ex.conversation)?),
            Format::Router => {
                serde_json::to_value(router::to_router_chat(&ex.at, &ex.conversation)?)
            }
            Format::RouterGold => Ok(router::gold_from_conversation(&ex.at, &ex.conversation)?),
            Format::Bfcl => {
                let (q, a) = bfcl::write(&ex.at, i + 1, &ex.conversation)?;
                if let Some(a) = a {
                    answers.push_str(&a.to_string());
                    answers.push('\n');
                }
                Ok(q)
            }
        }
        .map_err(|e| Error::Convert {
            at: ex.at.clone(),
            message: e.to_string(),
        })?;
        out.main.push_str(&line.to_string());
        out.main.push('\n');
    }
    if format == Format::Bfcl {
        out.answers = Some(answers);
    }
    Ok(out)
}

/// Rewrites router-object assistant content as `tool_calls` (ids `call_1`, ...),
/// and router no_tool objects as their reason text.
pub fn to_openai(at: &Location, conv: &Conversation) -> Result<Conversation> {
    let mut out = conv.clone();
    let mut next_id = 1;
    for m in out
        .messages
        .iter_mut()
        .filter(|m| m.role == Role::Assistant)
    {
        if m.tool_calls.as_ref().is_some_and(|c| !c.is_empty()) {
            continue;
        }
        let Some(value) = router::router_value(&m.text()) else {
            continue;
        };
        let target = router::target_from_value(&value).map_err(|e| Error::Convert {
            at: at.clone(),
            message: e.to_string(),
        })?;
        match target {
            crate::Target::NoTool { reason } => {
                m.content = Some(Content::Text(reason.unwrap_or_default()))
            }
            crate::Target::Calls(calls) => {
                let tool_calls = calls
                    .into_iter()
                    .map(|c| {
                        let id = format!("call_{next_id}");
                        next_id += 1;
                        MessageToolCall {
                            id: Some(id),
                            kind: "function".into(),
                            function: chat::FunctionCall {
                                name: c.name,
                                arguments: Arguments::Json(Value::Object(c.arguments)),
                            },
                        }
                    })
                    .collect();
                m.content = None;
                m.tool_calls = Some(tool_calls);
            }
        }
    }
    Ok(out)
}
