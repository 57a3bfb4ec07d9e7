//! The bundled example datasets (`datasets/` in the repository, served
//! beside the page under `datasets/`), one click away: loading one replaces
//! the catalogue, the rows and the system prompt, and the previous
//! workspace can be brought back with Undo. The example's `test.jsonl` rows
//! come in marked as test rows, so the Train panel scores the same held-out
//! rows `tooltune eval --data datasets/NAME/test.jsonl` does.

use leptos::prelude::*;
use tooltune_workspace::dataset::{Row, import};

use crate::files;
use crate::state::{Notice, use_app};

/// Folder name and title of each bundled dataset.
const EXAMPLES: [(&str, &str); 3] = [
    ("support", "Customer support (orders, refunds, hand-offs)"),
    ("library", "Library (loans, holds, catalogue search)"),
    ("vet", "Veterinary clinic (checkups, vaccines, records)"),
];

/// A bundled example, read: its training rows, then its test rows marked
/// as held out.
struct Example {
    tools: String,
    rows: Vec<Row>,
    system_prompt: Option<String>,
    train: usize,
    test: usize,
}

/// Fetches and reads `datasets/{name}/` (tools.json, train.jsonl,
/// test.jsonl), or says which file failed and why.
async fn fetch_example(name: &str) -> Result<Example, String> {
    let tools = files::fetch_text(&format!("./datasets/{name}/tools.json")).await?;
    let mut rows = Vec::new();
    let mut system_prompt = None;
    let mut counts = [0; 2];
    for (k, file) in ["train.jsonl", "test.jsonl"].into_iter().enumerate() {
        let text = files::fetch_text(&format!("./datasets/{name}/{file}")).await?;
        let imported =
            import(&format!("{name}/{file}"), text.as_bytes()).map_err(|e| e.to_string())?;
        if let Some(e) = imported.skipped.first() {
            return Err(format!(
                "{name}/{file}: {} line(s) not read (first: {e})",
                imported.skipped.len()
            ));
        }
        system_prompt = system_prompt.or(imported.system_prompt);
        counts[k] = imported.rows.len();
        rows.extend(imported.rows.into_iter().map(|r| Row {
            held_out: k == 1,
            ..r
        }));
    }
    Ok(Example {
        tools: tools.trim_end().to_string(),
        rows,
        system_prompt,
        train: counts[0],
        test: counts[1],
    })
}

/// The example picker.
#[component]
pub fn ExampleDatasets() -> impl IntoView {
    let state = use_app();
    let chosen = RwSignal::new(EXAMPLES[0].0.to_string());
    let busy = RwSignal::new(false);
    let load = move |_| {
        let name = chosen.get_untracked();
        busy.set(true);
        wasm_bindgen_futures::spawn_local(async move {
            let fetched = fetch_example(&name).await;
            busy.set(false);
            let notice = match fetched {
                Ok(example) => {
                    let previous = state.ws.get_untracked();
                    let text = format!(
                        "Loaded the {name} example: its catalogue, {} training rows and {} test rows (held out for evaluation).",
                        example.train, example.test
                    );
                    state.ws.update(|w| {
                        w.catalogue = example.tools;
                        w.dataset = example.rows;
                        if let Some(s) = example.system_prompt {
                            w.system_prompt = s;
                        }
                    });
                    state.undo.set(Some(previous));
                    Notice { error: false, text }
                }
                Err(text) => Notice { error: true, text },
            };
            state.notice.set(Some(notice));
        });
    };
    view! {
        <div class="control examples">
            <label class="inline">
                "Example dataset"
                <select aria-label="Example dataset" prop:value=move || chosen.get() on:change=move |ev| chosen.set(event_target_value(&ev))>
                    {EXAMPLES.into_iter().map(|(value, title)| view! { <option value=value>{title}</option> }).collect_view()}
                </select>
            </label>
            <button on:click=load disabled=move || busy.get()>"Load example"</button>
        </div>
    }
}
