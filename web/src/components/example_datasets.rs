//! The bundled example datasets (`datasets/` in the repository, served
//! beside the page under `datasets/`), one click away: loading one replaces
//! the catalogue, the rows and the system prompt, and the previous
//! workspace can be brought back with Undo.

use leptos::prelude::*;
use tooltune_workspace::dataset::import;

use crate::files;
use crate::state::{Notice, use_app};

/// Folder name and title of each bundled dataset.
const EXAMPLES: [(&str, &str); 3] = [
    ("support", "Customer support (orders, refunds, hand-offs)"),
    ("library", "Library (loans, holds, catalogue search)"),
    ("vet", "Veterinary clinic (checkups, vaccines, records)"),
];

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
            let tools = files::fetch_text(&format!("./datasets/{name}/tools.json")).await;
            let train = files::fetch_text(&format!("./datasets/{name}/train.jsonl")).await;
            busy.set(false);
            let notice = match (tools, train) {
                (Ok(tools), Ok(train)) => {
                    match import(&format!("{name}/train.jsonl"), train.as_bytes()) {
                        Ok(imported) => {
                            let previous = state.ws.get_untracked();
                            let n = imported.rows.len();
                            state.ws.update(|w| {
                                w.catalogue = tools.trim_end().to_string();
                                w.dataset = imported.rows;
                                if let Some(s) = imported.system_prompt {
                                    w.system_prompt = s;
                                }
                            });
                            state.undo.set(Some(previous));
                            Notice {
                                error: false,
                                text: format!(
                                    "Loaded the {name} example: its catalogue and {n} rows."
                                ),
                            }
                        }
                        Err(e) => Notice {
                            error: true,
                            text: e.to_string(),
                        },
                    }
                }
                (Err(e), _) | (_, Err(e)) => Notice {
                    error: true,
                    text: e,
                },
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
