//! The model: the built-in one (served beside the page under `builtin/`),
//! a Hugging Face folder picked or dropped from disk, or one fetched from a
//! URL (kept in the Cache API). Shows its size before loading, and once
//! loaded its parameters, dtype, context length and the backend that runs it.

use leptos::prelude::*;
use tooltune_workspace::ModelRef;
use tooltune_workspace::protocol::{BackendChoice, Request};

use crate::engine;
use crate::files::{self, MODEL_FILES, REQUIRED};
use crate::state::{AppState, ModelStatus, use_app};

/// Where the built-in model is served, relative to the page.
const BUILTIN: &str = "./builtin/";

/// Fetches a folder (or a GGUF file) and sends it to the worker; a run
/// trained on a model from a URL records that URL as its base.
fn load_from_url(state: AppState, name: String, base: String) {
    let source = (base != BUILTIN).then(|| base.clone());
    let load = engine::begin_load();
    state
        .model
        .set(ModelStatus::Loading(format!("fetching {name}")));
    // Only the newest load shows its progress and outcome.
    let show = move |status: ModelStatus| {
        if engine::is_newest(load) {
            state.model.set(status);
        }
    };
    wasm_bindgen_futures::spawn_local(async move {
        let fetched = files::fetch_model(&base, move |line| show(ModelStatus::Loading(line))).await;
        match fetched {
            Ok((names, bytes)) => {
                show(ModelStatus::Loading(format!(
                    "loading {name} in the engine worker"
                )));
                let request = Request::LoadModel {
                    id: load,
                    name,
                    source,
                    files: names,
                    backend: state.backend.get_untracked(),
                };
                engine::send_load(state, &request, bytes);
            }
            Err(e) => show(ModelStatus::Failed(e)),
        }
    });
}

fn mb(bytes: f64) -> String {
    format!("{:.1} MB", bytes / 1e6)
}

/// Loads the model the workspace names (built-in or URL) when the page opens.
pub fn load_initial(state: AppState) {
    match state.ws.with_untracked(|w| w.model.clone()) {
        ModelRef::Builtin => load_from_url(state, "built-in model".into(), BUILTIN.into()),
        ModelRef::Url { url } => load_from_url(state, files::url_model_name(&url), url),
        ModelRef::Local { name } => state.model.set(ModelStatus::Failed(format!(
            "This workspace used model files from disk ({name}): pick them again below."
        ))),
    }
}

/// The model panel.
#[component]
pub fn ModelPanel() -> impl IntoView {
    let state = use_app();
    let picked = RwSignal::new_local(Vec::<(String, f64, web_sys::File)>::new());
    let url = RwSignal::new(match state.ws.get_untracked().model {
        ModelRef::Url { url } => url,
        _ => String::new(),
    });
    let choose = move |list: Option<web_sys::FileList>| {
        if let Some(list) = list {
            picked.set(files::model_files(&list));
        }
    };
    let load_picked = move |_| {
        let mut chosen = picked.get_untracked();
        // A GGUF file is a whole model on its own.
        if let Some(g) = chosen.iter().position(|(n, _, _)| files::is_gguf(n)) {
            chosen = vec![chosen.swap_remove(g)];
        }
        let names: Vec<String> = chosen.iter().map(|(n, _, _)| n.clone()).collect();
        let gguf = names.iter().any(|n| files::is_gguf(n));
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|r| !gguf && !names.iter().any(|n| n == r))
            .collect();
        if !missing.is_empty() {
            state.model.set(ModelStatus::Failed(format!(
                "Missing {}: a model needs config.json, model.safetensors and tokenizer.json \
                 (and tokenizer_config.json for its chat template).",
                missing.join(", ")
            )));
            return;
        }
        let load = engine::begin_load();
        state
            .model
            .set(ModelStatus::Loading("reading the picked files".into()));
        wasm_bindgen_futures::spawn_local(async move {
            let read = files::read_files(&chosen).await;
            if !engine::is_newest(load) {
                return;
            }
            match read {
                Ok(bytes) => {
                    let name = match names.iter().find(|n| files::is_gguf(n)) {
                        Some(g) => g.clone(),
                        None => "model files from disk".to_string(),
                    };
                    state
                        .ws
                        .update(|w| w.model = ModelRef::Local { name: name.clone() });
                    state
                        .model
                        .set(ModelStatus::Loading("loading in the engine worker".into()));
                    let request = Request::LoadModel {
                        id: load,
                        name,
                        source: None,
                        files: names,
                        backend: state.backend.get_untracked(),
                    };
                    engine::send_load(state, &request, bytes);
                }
                Err(e) => state.model.set(ModelStatus::Failed(e)),
            }
        });
    };
    let load_url = move |_| {
        let typed = url.get_untracked();
        if typed.trim().is_empty() {
            return;
        }
        let base = tooltune_workspace::model_url::model_base(&typed);
        state
            .ws
            .update(|w| w.model = ModelRef::Url { url: base.clone() });
        load_from_url(state, files::url_model_name(&base), base);
    };
    let load_builtin = move |_| {
        state.ws.update(|w| w.model = ModelRef::Builtin);
        load_from_url(state, "built-in model".into(), BUILTIN.into());
    };
    let picked_summary = move || {
        picked.with(|p| {
            if p.is_empty() {
                return String::new();
            }
            let total: f64 = p.iter().map(|(_, s, _)| s).sum();
            let weights: f64 = p
                .iter()
                .filter(|(n, _, _)| n.ends_with(".safetensors"))
                .map(|(_, s, _)| s)
                .sum();
            if let Some((name, size, _)) = p.iter().find(|(n, _, _)| files::is_gguf(n)) {
                return format!(
                    "GGUF file {name}, {}: quantised weights are dequantised to f32 in the \
                     worker, about 4 times the file for Q8_0 and 7 times for 4-bit types.",
                    mb(*size)
                );
            }
            format!(
                "{} file(s), {} in all: {}. Weights {}; in memory about {} more or less \
                 depending on dtype (the engine computes in f32).",
                p.len(),
                mb(total),
                p.iter()
                    .map(|(n, _, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                mb(weights),
                mb(weights * 2.0)
            )
        })
    };
    let status = move || {
        match state.model.get() {
        ModelStatus::Empty => view! { <p class="hint" data-testid="model-status" role="status">"No model loaded."</p> }.into_any(),
        ModelStatus::Loading(line) => view! { <p data-testid="model-status" role="status">{format!("Loading: {line}…")}</p> }.into_any(),
        ModelStatus::Failed(e) => view! { <p class="error" data-testid="model-status" role="alert">{e}</p> }.into_any(),
        ModelStatus::Ready(info) => view! {
            <div data-testid="model-status" role="status">
                <p class="ok">{format!("Ready: {} ({:.0} ms to load)", info.name, info.load_ms)}</p>
                <dl class="facts" aria-label="Model facts">
                    <dt>"Architecture"</dt><dd>{info.architecture}</dd>
                    <dt>"Parameters"</dt><dd data-testid="model-params">{format_count(info.parameters)}</dd>
                    <dt>"Stored dtype"</dt><dd>{info.dtype}</dd>
                    <dt>"Context length"</dt><dd>{info.context_length}</dd>
                    <dt>"Layers / vocabulary"</dt><dd>{format!("{} / {}", info.layers, info.vocab_size)}</dd>
                    <dt>"Backend"</dt><dd data-testid="model-backend">{info.backend}</dd>
                    <dt>"Chat template"</dt><dd>{info.template}</dd>
                </dl>
            </div>
        }.into_any(),
    }
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        choose(ev.data_transfer().and_then(|d| d.files()));
    };
    view! {
        <section class="panel" aria-labelledby="model-title" data-panel="model">
            <h2 id="model-title">"Model"</h2>
            {status}
            <div class="control">
                <label class="inline">
                    "Run on "
                    <select
                        aria-label="Backend"
                        prop:value=move || match state.backend.get() {
                            BackendChoice::Auto => "auto",
                            BackendChoice::Cpu => "cpu",
                            BackendChoice::Webgpu => "webgpu",
                        }
                        on:change=move |ev| {
                            state.backend.set(match event_target_value(&ev).as_str() {
                                "cpu" => BackendChoice::Cpu,
                                "webgpu" => BackendChoice::Webgpu,
                                _ => BackendChoice::Auto,
                            });
                        }
                    >
                        <option value="auto">"auto (WebGPU on a hardware GPU, else CPU)"</option>
                        <option value="cpu">"CPU"</option>
                        <option value="webgpu">"WebGPU"</option>
                    </select>
                    " (applies to the next load)"
                </label>
                <button on:click=load_builtin>"Load the built-in model"</button>
                <div class="drop" on:dragover=|ev: web_sys::DragEvent| ev.prevent_default() on:drop=on_drop>
                    <label>
                        {format!("Model files ({}, or one .gguf file) — pick or drop them here", MODEL_FILES.join(", "))}
                        <input
                            type="file"
                            multiple
                            on:change=move |ev| {
                                let input: web_sys::HtmlInputElement = event_target(&ev);
                                choose(input.files());
                            }
                        />
                    </label>
                    <p class="hint" data-testid="picked-summary">{picked_summary}</p>
                    <button on:click=load_picked disabled=move || picked.with(|p| p.is_empty())>"Load picked files"</button>
                </div>
                <label>
                    "Model folder URL, or a .gguf file's"
                    <input
                        type="url"
                        placeholder="https://example.org/models/my-model/ or …/model.gguf"
                        prop:value=move || url.get()
                        on:input=move |ev| url.set(event_target_value(&ev))
                    />
                </label>
                <button on:click=load_url>"Load from URL"</button>
            </div>
        </section>
    }
}

fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
