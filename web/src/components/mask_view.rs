//! The mask view: one dataset row rendered with the model's chat template
//! and tokenised in the worker, the trained tokens (the assistant's answer
//! and its end-of-turn token) marked.

use leptos::prelude::*;
use tooltune_workspace::OutputStyle;
use tooltune_workspace::dataset::{ExportFormat, example_line};
use tooltune_workspace::protocol::Request;

use crate::engine;
use crate::state::{Job, ModelStatus, use_app};

/// The mask panel.
#[component]
pub fn MaskView() -> impl IntoView {
    let state = use_app();
    let ready = move || matches!(state.model.get(), ModelStatus::Ready(_));
    let show = move |_| {
        let i = state.mask_row.get_untracked();
        let catalogue = state.last_valid.get_untracked();
        let line = state.ws.with_untracked(|w| {
            let row = w
                .dataset
                .get(i)
                .ok_or_else(|| format!("there is no row {}", i + 1))?;
            let format = match w.output_style {
                OutputStyle::Router => ExportFormat::Router,
                OutputStyle::ToolCalls => ExportFormat::OpenAi,
            };
            example_line(row, &w.system_prompt, catalogue.as_deref(), format)
                .map_err(|e| format!("row {}: {e}", i + 1))
        });
        match line {
            Ok(example) => {
                state.mask.set(Job::Pending);
                engine::send(
                    state,
                    &Request::Mask {
                        id: engine::next_id(),
                        example,
                    },
                    Vec::new(),
                );
            }
            Err(e) => state.mask.set(Job::Failed(e)),
        }
    };
    let tokens = move || match state.mask.get() {
        Job::Idle => {
            let hint = if ready() {
                "Choose a row and show its tokens."
            } else {
                "Load a model to show a row's tokens."
            };
            view! { <p class="hint">{hint}</p> }.into_any()
        }
        Job::Pending => view! { <p role="status">"Tokenising…"</p> }.into_any(),
        Job::Failed(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
        Job::Done(tokens) => {
            let trained = tokens.iter().filter(|t| t.trained).count();
            view! {
                <p data-testid="mask-summary">{format!("{} tokens, {trained} trained (marked).", tokens.len())}</p>
                <div class="tokens" data-testid="mask-tokens">
                    {tokens.into_iter().map(|t| view! {
                        <span class=if t.trained { "tok trained" } else { "tok" }>{t.text}</span>
                    }).collect_view()}
                </div>
            }
            .into_any()
        }
    };
    view! {
        <section class="panel" aria-labelledby="mask-title" data-panel="mask">
            <h2 id="mask-title">"Mask"</h2>
            <p class="hint">"What training sees: the example under the model's chat template; the loss is taken on the marked tokens only."</p>
            <label>
                "Row"
                <input
                    type="number"
                    min="1"
                    prop:value=move || (state.mask_row.get() + 1).to_string()
                    on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).parse::<usize>() {
                            state.mask_row.set(n.max(1) - 1);
                        }
                    }
                />
            </label>
            <button on:click=show disabled=move || !ready()>"Show tokens"</button>
            {tokens}
        </section>
    }
}
