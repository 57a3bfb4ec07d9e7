//! Share and keep: the share link (the whole workspace in the URL fragment),
//! switches that hide panels in it, presenter mode, and the workspace as a
//! `.tooltune.json` file (export and import) for states too big for a link.

use leptos::prelude::*;
use tooltune_workspace::{ViewFlags, Workspace, share};

use crate::files;
use crate::state::{Notice, use_app};

/// One hide switch: its label and its field.
type Flag = (&'static str, fn(&mut ViewFlags) -> &mut bool);

const FLAGS: [Flag; 7] = [
    ("Hide the model panel", |v| &mut v.hide_model),
    ("Hide the catalogue", |v| &mut v.hide_catalogue),
    ("Hide the dataset", |v| &mut v.hide_dataset),
    ("Hide the mask view", |v| &mut v.hide_mask),
    ("Hide try it", |v| &mut v.hide_try),
    ("Hide the Train panel", |v| &mut v.hide_train),
    ("Presenter mode", |v| &mut v.presenter),
];

/// The `tooltune workspace` command that unpacks this workspace natively:
/// from the link, or from the exported file when it is too big for one.
fn cli_command(link: Option<&str>) -> String {
    match link {
        Some(url) => format!(
            "tooltune workspace '{}' --out-dir demo",
            url.replace('\'', r"'\''")
        ),
        None => "tooltune workspace workspace.tooltune.json --out-dir demo   # after Export workspace file".into(),
    }
}

/// The share panel.
#[component]
pub fn SharePanel() -> impl IntoView {
    let state = use_app();
    let link = Memo::new(move |_| {
        state.ws.with(|w| {
            share::encode(w).map(|fragment| {
                let base = web_sys::window()
                    .and_then(|w| w.location().href().ok())
                    .unwrap_or_default();
                let base = base.split('#').next().unwrap_or_default().to_string();
                format!("{base}{fragment}")
            })
        })
    });
    // The address bar always holds the current workspace, as TensorFlow
    // Playground's does: a reload or a copied address gives what is on screen.
    Effect::new(move |_| {
        let fragment = state.ws.with(|w| share::encode(w).unwrap_or_default());
        let Some(window) = web_sys::window() else {
            return;
        };
        let target = if fragment.is_empty() {
            // Too big for a link: the address drops its fragment.
            let l = window.location();
            format!(
                "{}{}",
                l.pathname().unwrap_or_default(),
                l.search().unwrap_or_default()
            )
        } else {
            fragment
        };
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&target));
        }
    });
    let import_input = NodeRef::<leptos::html::Input>::new();
    let export = move |_| {
        let text = state.ws.with_untracked(Workspace::to_json);
        if let Err(e) = files::download("workspace.tooltune.json", &text, "application/json") {
            state.notice.set(Some(Notice {
                error: true,
                text: format!("Export failed: {e}"),
            }));
        }
    };
    let on_import = move |_| {
        files::import_picked(
            state,
            import_input,
            move |name, text| match Workspace::from_json(&text) {
                Ok(ws) => {
                    state.ws.set(ws);
                    Notice {
                        error: false,
                        text: format!("Opened {name}."),
                    }
                }
                Err(e) => Notice {
                    error: true,
                    text: format!("{name} was not opened: {e}"),
                },
            },
        );
    };
    view! {
        <section class="panel" aria-labelledby="share-title" data-panel="share">
            <h2 id="share-title">"Share"</h2>
            {move || match link.get() {
                Ok(url) => view! {
                    <label>
                        {format!("Share link ({} characters; the whole workspace, no model weights)", url.len())}
                        <input type="text" readonly prop:value=url.clone() data-testid="share-link" />
                    </label>
                    <a href=url>"Open this link"</a>
                }.into_any(),
                Err(e) => view! {
                    <p class="error" role="alert" data-testid="share-too-big">{e.to_string()}</p>
                }.into_any(),
            }}
            <details data-testid="share-cli-box">
                <summary>"Run it with the CLI"</summary>
                <p>
                    "Unpack this workspace into files (the catalogue, this page's training and held-out rows) and the "
                    <code>"tooltune train"</code>
                    " command that trains with this page's settings:"
                </p>
                <pre data-testid="share-cli">{move || cli_command(link.get().ok().as_deref())}</pre>
            </details>
            <fieldset>
                <legend>"What the link shows"</legend>
                {FLAGS.into_iter().map(|(label, field)| view! {
                    <label class="check">
                        <input
                            type="checkbox"
                            prop:checked=move || state.ws.with(|w| { let mut v = w.view.clone(); *field(&mut v) })
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                state.ws.update(|w| *field(&mut w.view) = on);
                            }
                        />
                        {label}
                    </label>
                }).collect_view()}
            </fieldset>
            <div class="toolbar">
                <button on:click=export>"Export workspace file"</button>
                <label class="file">
                    "Import workspace file"
                    <input type="file" accept=".json,application/json" node_ref=import_input on:change=on_import />
                </label>
            </div>
        </section>
    }
}
