//! Rows from a template: pick a tool, write a request with `{slot}`
//! placeholders and the values of each slot; every combination becomes a
//! row whose arguments are the slots (`tooltune_workspace::generate`).

use leptos::prelude::*;
use tooltune_workspace::generate::{Template, expand, parse_slots};

use crate::state::use_app;

/// The generator, folded under the dataset table's toolbar.
#[component]
pub fn RowGenerator() -> impl IntoView {
    let state = use_app();
    let tool = RwSignal::new(String::from("track_order"));
    let request = RwSignal::new(String::from("Where is my order {order_id}?"));
    let slots = RwSignal::new(String::from("order_id = ORD-1001 | ORD-2002 | ORD-3003"));
    let message = RwSignal::new(None::<(bool, String)>);
    let tools = move || {
        let mut names: Vec<String> = state
            .last_valid
            .get()
            .map(|c| c.tools().iter().map(|t| t.name.clone()).collect())
            .unwrap_or_default();
        names.push("no_tool".into());
        names
    };
    let generate = move |_| {
        let result = parse_slots(&slots.get_untracked()).and_then(|slots| {
            expand(&Template {
                tool: tool.get_untracked(),
                request: request.get_untracked(),
                slots,
            })
        });
        message.set(Some(match result {
            Ok(rows) => {
                let n = rows.len();
                state.ws.update(|w| w.dataset.extend(rows));
                (false, format!("Added {n} row(s) at the end of the table."))
            }
            Err(e) => (true, e.to_string()),
        }));
    };
    view! {
        <details class="control generator">
            <summary>"Generate rows from a template"</summary>
            <label>
                "Tool"
                <select
                    aria-label="Tool"
                    prop:value=move || tool.get()
                    on:change=move |ev| tool.set(event_target_value(&ev))
                >
                    {move || tools().into_iter().map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label>
                "Request template"
                <input type="text" prop:value=move || request.get() on:input=move |ev| request.set(event_target_value(&ev)) />
            </label>
            <label>
                "Slot values (one line per slot: name = value | value)"
                <textarea rows="3" prop:value=move || slots.get() on:input=move |ev| slots.set(event_target_value(&ev))></textarea>
            </label>
            <button on:click=generate>"Add generated rows"</button>
            {move || message.get().map(|(error, text)| view! {
                <p class=if error { "error" } else { "ok" } role="status" data-testid="generator-message">{text}</p>
            })}
        </details>
    }
}
