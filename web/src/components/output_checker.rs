//! Check an output: paste what any model wrote (this one, another one, an
//! API's answer) and see how tooltune reads it, with the same parser and
//! catalogue check as try-it, `tooltune route` and the evaluator
//! (`tooltune_workspace::verdict`). Broken call attempts are invalid, with
//! the attempt named; prose with no call attempt is the no-tool answer.

use leptos::prelude::*;
use tooltune_workspace::OutputStyle;
use tooltune_workspace::verdict::{Verdict, verdict};

use crate::state::use_app;

/// The output checker, inside the try-it panel.
#[component]
pub fn OutputChecker() -> impl IntoView {
    let state = use_app();
    let output = RwSignal::new(String::new());
    let checked = move || {
        let text = output.get();
        if text.trim().is_empty() {
            return None;
        }
        let mode = state.ws.with(|w| w.output_style.mode());
        Some(verdict(&text, state.last_valid.get().as_deref(), mode))
    };
    let shown = move || {
        checked().map(|v| {
            let class = match &v {
                Verdict::Call { .. } | Verdict::NoTool { .. } => "ok",
                Verdict::Invalid { .. } => "error",
                Verdict::Unchecked { .. } => "warn",
            };
            view! { <p class=class data-testid="checker-verdict" role="status">{v.summary()}</p> }
        })
    };
    view! {
        <details class="checker">
            <summary>"Check an output"</summary>
            <label>
                "Model output to check"
                <textarea
                    rows="4"
                    spellcheck="false"
                    prop:value=move || output.get()
                    on:input=move |ev| output.set(event_target_value(&ev))
                />
            </label>
            <p class="hint">
                {move || match state.ws.with(|w| w.output_style) {
                    OutputStyle::Router => "Read as a router object (the output style), ",
                    OutputStyle::ToolCalls => "Read as tool calls or a prose answer (the output style), ",
                }}
                "and checked against the catalogue in use."
            </p>
            {shown}
        </details>
    }
}
