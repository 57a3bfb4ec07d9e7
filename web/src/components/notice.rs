//! The banner: a refused link, a storage conflict, an opened link.

use leptos::prelude::*;

use crate::state::use_app;

/// Shows [`crate::state::AppState::notice`], with a button to dismiss it.
#[component]
pub fn NoticeBar() -> impl IntoView {
    let state = use_app();
    move || {
        state.notice.get().map(|n| {
            let class = if n.error { "notice error" } else { "notice info" };
            view! {
                <div class=class role=if n.error { "alert" } else { "status" } data-testid="notice">
                    <span>{n.text}</span>
                    <span>
                        <Show when=move || state.undo.with(Option::is_some)>
                            <button on:click=move |_| {
                                if let Some(previous) = state.undo.get_untracked() {
                                    state.ws.set(previous);
                                }
                                state.undo.set(None);
                                state.notice.set(None);
                            }>"Undo"</button>
                        </Show>
                        <button on:click=move |_| { state.undo.set(None); state.notice.set(None); }>"Dismiss"</button>
                    </span>
                </div>
            }
        })
    }
}
