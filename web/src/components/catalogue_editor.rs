//! Edit a tool catalogue and see it checked as you type.

use super::read_catalogue;
use leptos::prelude::*;

/// A textarea holding the catalogue JSON, with the check's result below it.
/// The text stays as typed whatever its problems, so nothing is lost.
#[component]
pub fn CatalogueEditor(text: RwSignal<String>) -> impl IntoView {
    let status = move || match read_catalogue(&text.get()) {
        Ok(c) => {
            let names: Vec<String> = c.tools().iter().map(|t| t.name.clone()).collect();
            view! {
                <p class="ok" data-testid="catalogue-status">
                    {format!("{} tool(s), all valid: {}", c.len(), names.join(", "))}
                </p>
            }
            .into_any()
        }
        Err(e) => view! { <pre class="error" data-testid="catalogue-status">{e}</pre> }.into_any(),
    };
    view! {
        <section class="panel">
            <h2>"Tool catalogue"</h2>
            <p class="hint">"OpenAI tools, bare function objects, or BFCL functions."</p>
            <textarea
                data-testid="catalogue-input"
                rows="18"
                spellcheck="false"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            ></textarea>
            {status}
        </section>
    }
}
