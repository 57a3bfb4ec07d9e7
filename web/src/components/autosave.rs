//! Autosave: every change of the workspace is written to `localStorage`
//! (see `storage.rs`); when another tab has saved since, this tab stops
//! saving and asks which to keep, instead of overwriting silently.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::state::use_app;
use crate::storage::{self, Record, Saved};

/// The autosave line in the header. `seen` is the stamp of the stored
/// record when the page opened.
#[component]
pub fn Autosave(seen: u64) -> impl IntoView {
    let state = use_app();
    let tab = StoredValue::new(storage::tab_id());
    let seen = StoredValue::new(seen);
    let conflict = RwSignal::new(None::<Record>);
    let line = RwSignal::new(String::from("Autosave on"));
    let save = move |force: bool| {
        let result = state
            .ws
            .with_untracked(|w| storage::save(w, &tab.get_value(), seen.get_value(), force));
        match result {
            Saved::Written(stamp) => {
                seen.set_value(stamp);
                conflict.set(None);
                line.set("Saved in this browser".into());
            }
            Saved::Conflict(record) => {
                conflict.set(Some(record));
                line.set("Not saved: another tab changed the saved workspace".into());
            }
            Saved::Failed(e) => line.set(format!("Not saved: {e}")),
        }
    };
    Effect::watch(
        move || state.ws.track(),
        move |_, _, _| {
            if conflict.with_untracked(Option::is_none) {
                save(false);
            } else {
                line.set("Not saved: another tab changed the saved workspace".into());
            }
        },
        false,
    );
    // Another tab saved: say so at once.
    let on_storage =
        Closure::<dyn FnMut(web_sys::StorageEvent)>::new(move |ev: web_sys::StorageEvent| {
            if !storage::is_ours(ev.key()) {
                return;
            }
            if let Some(record) = storage::load()
                && record.tab != tab.get_value()
                && record.stamp > seen.get_value()
            {
                line.set("Another tab changed the saved workspace".into());
                conflict.set(Some(record));
            }
        });
    if let Some(w) = web_sys::window() {
        let _ = w.add_event_listener_with_callback("storage", on_storage.as_ref().unchecked_ref());
    }
    on_storage.forget();
    let load_theirs = move |_| {
        if let Some(record) = conflict.get_untracked()
            && let Ok(ws) = storage::load_workspace(&record)
        {
            seen.set_value(record.stamp);
            conflict.set(None);
            state.ws.set(ws);
        }
    };
    view! {
        <div class="autosave" role="status" data-testid="autosave">
            <span>{move || line.get()}</span>
            <Show when=move || conflict.with(Option::is_some)>
                <button on:click=load_theirs>"Load the other tab's workspace"</button>
                <button on:click=move |_| save(true)>"Keep mine (overwrite)"</button>
            </Show>
        </div>
    }
}
