//! The catalogue's JSON, checked as it is typed. The text stays as typed
//! whatever its problems (nothing is lost); while it is broken the last
//! catalogue that read stays in use, and the message names the JSON path.

use leptos::prelude::*;

use super::ToolList;
use crate::state::use_app;

/// The catalogue panel.
#[component]
pub fn CatalogueEditor() -> impl IntoView {
    let state = use_app();
    let status = move || match state.catalogue.get() {
        Ok(c) => {
            let names: Vec<String> = c.tools().iter().map(|t| t.name.clone()).collect();
            view! {
                <p class="ok" role="status" data-testid="catalogue-status">
                    {format!("{} tool(s), all valid: {}", c.len(), names.join(", "))}
                </p>
            }
            .into_any()
        }
        Err(e) => {
            let kept = state
                .last_valid
                .get()
                .map(|c| {
                    format!(
                        "Still in use: the last valid catalogue ({} tool(s)).",
                        c.len()
                    )
                })
                .unwrap_or_else(|| "No valid catalogue yet.".into());
            view! {
                <div role="alert">
                    <pre class="error" data-testid="catalogue-status">{e}</pre>
                    <p class="hint" data-testid="catalogue-kept">{kept}</p>
                </div>
            }
            .into_any()
        }
    };
    view! {
        <section class="panel" aria-labelledby="catalogue-title" data-panel="catalogue">
            <h2 id="catalogue-title">"Tool catalogue"</h2>
            <p class="hint">"OpenAI tools, bare function objects, or BFCL functions."</p>
            <label for="catalogue-input">"Catalogue JSON"</label>
            <textarea
                id="catalogue-input"
                data-testid="catalogue-input"
                rows="14"
                spellcheck="false"
                prop:value=move || state.ws.with(|w| w.catalogue.clone())
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    state.ws.update(|w| w.catalogue = text);
                }
            ></textarea>
            {status}
            <ToolList />
        </section>
    }
}
