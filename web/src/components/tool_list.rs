//! The catalogue's tools as a list: add, remove, rename. Each edit rewrites
//! the catalogue JSON (pretty-printed) and, for a rename, the gold answers
//! that name the tool. Needs the text to be JSON; otherwise it says so.

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::state::use_app;

/// The tools array inside catalogue JSON (a bare array, or `{"tools": [...]}`).
fn tools_mut(root: &mut Value) -> Option<&mut Vec<Value>> {
    match root {
        Value::Array(a) => Some(a),
        Value::Object(o) => o.get_mut("tools")?.as_array_mut(),
        _ => None,
    }
}

/// The name slot of one tool (OpenAI `{"function": {"name"}}` or bare `{"name"}`).
fn name_mut(tool: &mut Value) -> Option<&mut Value> {
    if tool.get("function").is_some() {
        tool.get_mut("function")?.get_mut("name")
    } else {
        tool.get_mut("name")
    }
}

/// Tool names in the catalogue text, if it is JSON of a known shape.
fn names(text: &str) -> Option<Vec<String>> {
    let mut root: Value = serde_json::from_str(text).ok()?;
    Some(
        tools_mut(&mut root)?
            .iter_mut()
            .map(|t| {
                name_mut(t)
                    .and_then(|n| n.as_str().map(String::from))
                    .unwrap_or_default()
            })
            .collect(),
    )
}

/// Applies `edit` to the catalogue's tools and writes the JSON back.
fn edit_tools(text: &str, edit: impl FnOnce(&mut Vec<Value>)) -> Option<String> {
    let mut root: Value = serde_json::from_str(text).ok()?;
    edit(tools_mut(&mut root)?);
    serde_json::to_string_pretty(&root).ok()
}

/// The tool list.
#[component]
pub fn ToolList() -> impl IntoView {
    let state = use_app();
    let listed = Memo::new(move |_| state.ws.with(|w| names(&w.catalogue)));
    let add = move |_| {
        state.ws.update(|w| {
            let taken = names(&w.catalogue).unwrap_or_default();
            let name = (1..)
                .map(|n| format!("new_tool_{n}"))
                .find(|n| !taken.contains(n))
                .unwrap_or_default();
            if let Some(text) = edit_tools(&w.catalogue, |tools| {
                tools.push(json!({"type": "function", "function": {
                    "name": name, "description": "Describe what this tool does.",
                    "parameters": {"type": "object", "properties": {}, "required": []}}}));
            }) {
                w.catalogue = text;
            }
        });
    };
    let remove = move |i: usize| {
        state.ws.update(|w| {
            if let Some(text) = edit_tools(&w.catalogue, |tools| {
                if i < tools.len() {
                    tools.remove(i);
                }
            }) {
                w.catalogue = text;
            }
        });
    };
    let rename = move |i: usize, new: String| {
        state.ws.update(|w| {
            let old = names(&w.catalogue).and_then(|n| n.get(i).cloned());
            if let Some(text) = edit_tools(&w.catalogue, |tools| {
                if let Some(slot) = tools.get_mut(i).and_then(name_mut) {
                    *slot = Value::String(new.clone());
                }
            }) {
                w.catalogue = text;
            }
            if let Some(old) = old.filter(|o| !o.is_empty() && *o != new) {
                for row in &mut w.dataset {
                    if let Ok(mut gold) = serde_json::from_str::<Value>(&row.gold)
                        && gold.get("tool").and_then(Value::as_str) == Some(old.as_str())
                    {
                        gold["tool"] = Value::String(new.clone());
                        row.gold = gold.to_string();
                    }
                }
            }
        });
    };
    view! {
        <div class="tool-list">
            <h3 id="tools-title">"Tools"</h3>
            {move || match listed.get() {
                None => view! {
                    <p class="hint" data-testid="tool-list-blocked">
                        "Fix the JSON to edit the tool list."
                    </p>
                }.into_any(),
                Some(list) => view! {
                    <ul aria-labelledby="tools-title">
                        {list.into_iter().enumerate().map(|(i, name)| {
                            let label = format!("Name of tool {}", i + 1);
                            let remove_label = format!("Remove tool {name}");
                            view! {
                                <li>
                                    <input
                                        type="text"
                                        aria-label=label
                                        value=name
                                        on:change=move |ev| rename(i, event_target_value(&ev))
                                    />
                                    <button class="control" aria-label=remove_label on:click=move |_| remove(i)>"Remove"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            <button class="control" on:click=add>"Add tool"</button>
        </div>
    }
}
