//! Paste a model output and see how tooltune reads it: calls, no_tool or invalid,
//! validated against the catalogue.

use super::read_catalogue;
use leptos::prelude::*;
use tooltune_core::Target;
use tooltune_core::parse::{Mode, Parsed, parse_output};

const EXAMPLE_OUTPUT: &str = r#"{"tool": "track_order", "arguments": {"order_id": "ORD-1234"}}"#;

/// The output box and its verdict.
#[component]
pub fn CallChecker(catalogue_text: ReadSignal<String>) -> impl IntoView {
    let output = RwSignal::new(EXAMPLE_OUTPUT.to_string());
    let verdict = move || {
        let catalogue = match read_catalogue(&catalogue_text.get()) {
            Ok(c) => c,
            Err(_) => return ("error", "fix the catalogue first".to_string()),
        };
        match parse_output(&output.get(), Mode::Chat) {
            Parsed::Invalid(reason) => ("error", format!("invalid: {reason}")),
            Parsed::Target(Target::NoTool { reason }) => {
                ("ok", format!("no_tool: {}", reason.unwrap_or_default()))
            }
            Parsed::Target(Target::Calls(calls)) => {
                let mut lines = Vec::new();
                for c in &calls {
                    match catalogue.check_call(c) {
                        Ok(()) => lines.push(format!(
                            "valid call: {}({})",
                            c.name,
                            serde_json::Value::Object(c.arguments.clone())
                        )),
                        Err(e) => return ("error", format!("invalid: {e}")),
                    }
                }
                ("ok", lines.join("\n"))
            }
        }
    };
    view! {
        <section class="panel">
            <h2>"Check a model output"</h2>
            <p class="hint">"Router JSON, OpenAI-style calls, or Hermes <tool_call> blocks. Prose is the no-tool answer."</p>
            <textarea
                data-testid="output-input"
                rows="6"
                spellcheck="false"
                prop:value=move || output.get()
                on:input=move |ev| output.set(event_target_value(&ev))
            ></textarea>
            {move || {
                let (class, text) = verdict();
                view! { <pre class=class data-testid="output-verdict">{text}</pre> }
            }}
        </section>
    }
}
