//! Try it: a request goes to the model in the worker, with the workspace's
//! system prompt and (for tool-call style) the catalogue; the raw output
//! comes back and is read and checked here (`tooltune_workspace::verdict`)
//! against the catalogue in use, with the latency.

use leptos::prelude::*;
use tooltune_core::choices::ToolChoices;
use tooltune_workspace::context::beyond_context;
use tooltune_workspace::protocol::Request;
use tooltune_workspace::verdict::{Verdict, verdict};

use crate::components::OutputChecker;
use crate::engine;
use crate::state::{Answer, AppState, Job, ModelStatus, use_app};

/// One answer, checked (`prefix` keeps the test ids of the two columns apart).
fn answer_view(state: AppState, job: Job<Answer>, prefix: &'static str) -> AnyView {
    let id = move |name: &str| format!("{prefix}{name}");
    match job {
        Job::Idle => {
            view! { <p class="hint">"Ask something to see the model's answer."</p> }.into_any()
        }
        Job::Pending => view! { <p role="status">"The model is answering…"</p> }.into_any(),
        Job::Failed(e) => {
            view! { <p class="error" role="alert" data-testid=id("try-error")>{e}</p> }.into_any()
        }
        Job::Done(a) => {
            let mode = state.ws.with(|w| w.output_style.mode());
            let checked = verdict(&a.output, state.last_valid.get().as_deref(), mode);
            let class = if checked.is_valid() { "ok" } else { "error" };
            let context = match state.model.get() {
                ModelStatus::Ready(info) => info.context_length,
                _ => 0,
            };
            let beyond = beyond_context(a.prompt_tokens, a.new_tokens, context);
            let parsed = match &checked {
                Verdict::Call { calls } | Verdict::Unchecked { calls } => {
                    serde_json::to_string_pretty(calls).unwrap_or_default()
                }
                _ => "(no call)".into(),
            };
            view! {
                <div data-testid=id("try-result")>
                    <h4>"Raw output"</h4>
                    <pre class="raw" data-testid=id("raw-output")>{a.output}</pre>
                    <h4>"Parsed call"</h4>
                    <pre data-testid=id("parsed-call")>{parsed}</pre>
                    <h4>"Verdict"</h4>
                    <p class=class data-testid=id("verdict")>{checked.summary()}</p>
                    {a.choices.map(|c| choices_view(&c, id("choices")))}
                    <p class="hint" data-testid=id("latency")>{format!(
                        "{:.0} ms ({:.0} ms in the engine; {} prompt tokens, {} new tokens)",
                        a.total_ms, a.engine_ms, a.prompt_tokens, a.new_tokens
                    )}</p>
                    {beyond.map(|note| view! {
                        <p class="warn" data-testid=id("beyond-context")>{format!("Beyond the model's context: {note}.")}</p>
                    })}
                </div>
            }
            .into_any()
        }
    }
}

/// The answer's first decision, as bars, likeliest first.
fn choices_view(c: &ToolChoices, testid: String) -> AnyView {
    let rows: Vec<(String, f64, &str)> = c
        .ranked()
        .into_iter()
        .map(|(n, p)| {
            let tool = c.tools.iter().any(|t| t.tool == n);
            (n.to_string(), p, if tool { "bar" } else { "bar aside" })
        })
        .collect();
    view! {
        <h4>"How likely each call was"</h4>
        <ul class="choices" data-testid=testid aria-label=c.summary()>
            {rows
                .into_iter()
                .map(|(name, p, class)| {
                    view! {
                        <li>
                            <span>{name}</span>
                            <span class="track"><span class=class style=format!("width: {:.1}%", p * 100.0)></span></span>
                            <span class="p">{format!("{p:.2}")}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <p class="hint">"No call: one minus the probability of a call's first token. The tools share the rest in proportion to how likely the model was to write each one's call, up to its name."</p>
    }
    .into_any()
}

/// The try-it panel.
#[component]
pub fn TryIt() -> impl IntoView {
    let state = use_app();
    let request = RwSignal::new("Where is my order ORD-1234?".to_string());
    let max_new_tokens = RwSignal::new(48usize);
    let ready = move || matches!(state.model.get(), ModelStatus::Ready(_));
    let ask = move || {
        let text = request.get_untracked();
        if text.trim().is_empty() || !ready() {
            return;
        }
        let catalogue = state
            .last_valid
            .get_untracked()
            .map(|c| serde_json::Value::Array(c.to_openai()));
        let (context, output_style, constrain, call_threshold) = state.ws.with_untracked(|w| {
            (
                w.prompt_context(catalogue),
                w.output_style,
                w.train.constrain,
                w.train.call_threshold,
            )
        });
        let has_tuned = state.tuned.with_untracked(Option::is_some);
        for tuned in [false, true] {
            if tuned && !has_tuned {
                state.tuned_answer.set(Job::Idle);
                continue;
            }
            let slot = if tuned {
                state.tuned_answer
            } else {
                state.answer
            };
            slot.set(Job::Pending);
            engine::send(
                state,
                &Request::Route {
                    id: engine::next_id(),
                    context: context.clone(),
                    request: text.clone(),
                    output_style,
                    max_new_tokens: max_new_tokens.get_untracked(),
                    tuned,
                    constrain,
                    call_threshold,
                },
                Vec::new(),
            );
        }
    };
    let result = move || {
        let tuned = state.tuned_answer.get();
        match tuned {
            Job::Idle => answer_view(state, state.answer.get(), "").into_any(),
            tuned => view! {
                <div class="side-by-side">
                    <div data-testid="base-answer">
                        <h3>"Base model"</h3>
                        {answer_view(state, state.answer.get(), "")}
                    </div>
                    <div data-testid="tuned-answer">
                        <h3>"Fine-tuned"</h3>
                        <p class="hint">{move || state.tuned.get().unwrap_or_default()}</p>
                        {answer_view(state, tuned, "tuned-")}
                    </div>
                </div>
            }
            .into_any(),
        }
    };
    view! {
        <section class="panel" aria-labelledby="try-title" data-panel="try">
            <h2 id="try-title">"Try it"</h2>
            <form on:submit=move |ev| { ev.prevent_default(); ask(); }>
                <label>
                    "Request"
                    <input
                        type="text"
                        prop:value=move || request.get()
                        on:input=move |ev| request.set(event_target_value(&ev))
                    />
                </label>
                <label class="control">
                    "Max new tokens"
                    <input
                        type="number"
                        min="1"
                        max="512"
                        prop:value=move || max_new_tokens.get().to_string()
                        on:change=move |ev| {
                            if let Ok(n) = event_target_value(&ev).parse::<usize>() {
                                max_new_tokens.set(n.clamp(1, 512));
                            }
                        }
                    />
                </label>
                <crate::components::train_settings::ConstrainSetting />
                <crate::components::train_settings::CallDecisionSetting />
                <button type="submit" disabled=move || !ready()>"Ask the model"</button>
            </form>
            {result}
            <OutputChecker />
        </section>
    }
}
