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
                    <button on:click=move |_| state.notice.set(None)>"Dismiss"</button>
                </div>
            }
        })
    }
}
