//! Presenter mode's keys: Space or → moves to the next panel, ← to the
//! previous one, Escape leaves presenter mode. Keys typed into a field are
//! left alone.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::state::use_app;

/// Installs the key handler, and shows the way out of presenter mode.
#[component]
pub fn PresenterKeys() -> impl IntoView {
    let state = use_app();
    let current = StoredValue::new(0usize);
    let on_key =
        Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(move |ev: web_sys::KeyboardEvent| {
            if !state.ws.with_untracked(|w| w.view.presenter) {
                return;
            }
            let typing = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .map(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
                .unwrap_or(false);
            if typing {
                return;
            }
            let step: isize = match ev.key().as_str() {
                " " | "ArrowRight" | "ArrowDown" | "PageDown" => 1,
                "ArrowLeft" | "ArrowUp" | "PageUp" => -1,
                "Escape" => {
                    state.ws.update(|w| w.view.presenter = false);
                    return;
                }
                _ => return,
            };
            ev.prevent_default();
            let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
                return;
            };
            let Ok(list) = doc.query_selector_all("section.panel") else {
                return;
            };
            // Shown panels only (presenter mode hides some with CSS).
            let panels: Vec<web_sys::HtmlElement> = (0..list.length())
                .filter_map(|i| list.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
                .filter(|p| p.offset_parent().is_some())
                .collect();
            let n = panels.len() as isize;
            if n == 0 {
                return;
            }
            let next = (current.get_value() as isize + step).rem_euclid(n) as usize;
            current.set_value(next);
            if let Some(el) = panels.get(next) {
                el.scroll_into_view();
                let _ = el.set_attribute("tabindex", "-1");
                let _ = el.focus();
            }
        });
    if let Some(w) = web_sys::window() {
        let _ = w.add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref());
    }
    on_key.forget();
    view! {
        <Show when=move || state.ws.with(|w| w.view.presenter)>
            <button class="exit-presenter" on:click=move |_| state.ws.update(|w| w.view.presenter = false)>
                "Leave presenter mode (Esc)"
            </button>
        </Show>
    }
}
