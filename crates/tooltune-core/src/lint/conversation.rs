//! Per-conversation lint checks.

use super::{Problem, Severity};
use crate::call::Target;
use crate::dataset::{Example, Role};
use crate::parse::ParseError;
use crate::{Catalogue, ToolCall};
use std::collections::HashMap;

fn error(line: Option<usize>, message: Option<usize>, code: &'static str, text: String) -> Problem {
    Problem {
        severity: Severity::Error,
        code,
        line,
        message,
        text,
    }
}

/// Checks one conversation against its catalogue (when it has one).
pub(super) fn check(ex: &Example, catalogue: Option<&Catalogue>, out: &mut Vec<Problem>) {
    let line = ex.at.line;
    let conv = &ex.conversation;
    let msgs = &conv.messages;
    // call id → (message index, answered?)
    let mut calls: HashMap<String, (usize, bool)> = HashMap::new();
    let last = msgs.len() - 1;
    for (i, m) in msgs.iter().enumerate() {
        let has_calls = m.tool_calls.as_ref().is_some_and(|c| !c.is_empty());
        if m.text().trim().is_empty() && !has_calls {
            out.push(error(
                line,
                Some(i),
                "empty_message",
                format!("empty {} message", role_word(m.role)),
            ));
        }
        if m.weight.is_some() && m.role != Role::Assistant {
            out.push(Problem {
                severity: Severity::Warning,
                code: "weight_not_on_assistant",
                line,
                message: Some(i),
                text: "weight only applies to assistant messages".into(),
            });
        }
        match m.role {
            Role::Assistant => {
                for (j, c) in m.tool_calls.iter().flatten().enumerate() {
                    match c.id.as_deref().filter(|s| !s.is_empty()) {
                        None => out.push(error(
                            line,
                            Some(i),
                            "tool_call_id_missing",
                            format!("tool_calls[{j}] has no id"),
                        )),
                        Some(id) => {
                            if let Some((prev, _)) = calls.insert(id.to_string(), (i, false)) {
                                out.push(error(
                                    line,
                                    Some(i),
                                    "tool_call_id_duplicate",
                                    format!(
                                        "tool_calls[{j}] id {id:?} already used in messages[{prev}]"
                                    ),
                                ));
                            }
                        }
                    }
                    if c.kind != "function" {
                        out.push(error(
                            line,
                            Some(i),
                            "bad_call_type",
                            format!(
                                "tool_calls[{j}].type is {:?}; expected \"function\"",
                                c.kind
                            ),
                        ));
                    }
                    match c.function.arguments.object() {
                        Ok(args) => check_call(
                            &ToolCall::new(c.function.name.clone(), args.clone()),
                            catalogue,
                            line,
                            i,
                            &format!("tool_calls[{j}]"),
                            out,
                        ),
                        Err(e) => out.push(error(
                            line,
                            Some(i),
                            "arguments_not_json",
                            format!("tool_calls[{j}] ({}): {e}", c.function.name),
                        )),
                    }
                }
                let n_calls = match m.target() {
                    Ok(Target::Calls(cs)) => {
                        if !has_calls {
                            for c in &cs {
                                check_call(c, catalogue, line, i, "router call", out);
                            }
                        }
                        cs.len()
                    }
                    Ok(Target::NoTool { .. }) => 0,
                    Err(e) if !has_calls => {
                        let code = match e.root() {
                            ParseError::Attempt(_) | ParseError::NotRouterObject => {
                                "call_attempt_in_gold"
                            }
                            _ => "bad_router_object",
                        };
                        out.push(error(line, Some(i), code, e.to_string()));
                        0
                    }
                    Err(_) => 0,
                };
                if n_calls > 1 && conv.parallel_tool_calls == Some(false) {
                    out.push(error(
                        line,
                        Some(i),
                        "parallel_calls_disallowed",
                        format!("{n_calls} calls in one turn but parallel_tool_calls is false"),
                    ));
                }
            }
            Role::Tool => match m.tool_call_id.as_deref() {
                None => out.push(error(
                    line,
                    Some(i),
                    "tool_call_id_missing",
                    "tool message has no tool_call_id".into(),
                )),
                Some(id) => match calls.get_mut(id) {
                    Some((_, answered)) if !*answered => *answered = true,
                    Some(_) => out.push(error(
                        line,
                        Some(i),
                        "tool_message_unmatched",
                        format!("call {id:?} was already answered"),
                    )),
                    None => out.push(error(
                        line,
                        Some(i),
                        "tool_message_unmatched",
                        format!("no earlier assistant call has id {id:?}"),
                    )),
                },
            },
            Role::System | Role::User => {}
        }
    }
    let mut unanswered: Vec<(&String, usize)> = calls
        .iter()
        .filter(|(_, (at, ok))| !ok && *at != last)
        .map(|(id, (at, _))| (id, *at))
        .collect();
    unanswered.sort_by_key(|(id, at)| (*at, (*id).clone()));
    for (id, at) in unanswered {
        out.push(error(
            line,
            Some(at),
            "tool_call_unanswered",
            format!("call {id:?} is never answered by a tool message"),
        ));
    }
    if msgs[last].role != Role::Assistant {
        out.push(error(
            line,
            Some(last),
            "not_ending_on_assistant",
            format!(
                "conversation ends on a {} message, not an assistant turn",
                role_word(msgs[last].role)
            ),
        ));
    }
    if !msgs.iter().any(|m| m.role == Role::User) {
        out.push(Problem {
            severity: Severity::Warning,
            code: "no_user_message",
            line,
            message: None,
            text: "no user message".into(),
        });
    }
}

fn check_call(
    call: &ToolCall,
    catalogue: Option<&Catalogue>,
    line: Option<usize>,
    i: usize,
    what: &str,
    out: &mut Vec<Problem>,
) {
    let Some(catalogue) = catalogue else {
        out.push(error(
            line,
            Some(i),
            "unknown_tool",
            format!(
                "{what} calls `{}` but the line has no tools (pass --tools)",
                call.name
            ),
        ));
        return;
    };
    match catalogue.check_call(call) {
        Ok(()) => {}
        Err(crate::catalogue::CallError::UnknownTool(name)) => {
            out.push(error(
                line,
                Some(i),
                "unknown_tool",
                format!("{what} calls unknown tool `{name}`"),
            ));
        }
        Err(e) => out.push(error(
            line,
            Some(i),
            "arguments_schema",
            format!("{what}: {e}"),
        )),
    }
}

fn role_word(r: Role) -> &'static str {
    match r {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    }
}
