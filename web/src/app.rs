//! The page: the workspace read from the share link, the autosave or the
//! example, provided by context to one component per panel.

use leptos::prelude::*;
use tooltune_workspace::{Workspace, share};

use crate::components::{
    Autosave, CatalogueEditor, DatasetTable, MaskView, ModelPanel, NoticeBar, PresenterKeys,
    SharePanel, TrainPanel, TryIt,
};
use crate::state::{AppState, Notice};
use crate::storage;

/// Where the starting workspace came from, and what to tell the user.
fn initial_workspace() -> (Workspace, Option<Notice>, u64) {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    let saved = storage::load();
    let seen = saved.as_ref().map(|r| r.stamp).unwrap_or(0);
    let mut notice = None;
    match share::decode(&hash) {
        Ok(Some(ws)) => {
            let text = "Opened the workspace in this link. Your own autosaved work is \
                        kept until you edit this one.";
            return (
                ws,
                Some(Notice {
                    error: false,
                    text: text.into(),
                }),
                seen,
            );
        }
        Ok(None) => {}
        Err(e) => {
            notice = Some(Notice {
                error: true,
                text: format!("This link was refused: {e}. Showing your last workspace instead."),
            });
        }
    }
    if let Some(record) = saved {
        match storage::load_workspace(&record) {
            Ok(ws) => return (ws, notice, seen),
            Err(e) => {
                notice = Some(Notice {
                    error: true,
                    text: format!("The autosaved workspace was not loaded: {e}"),
                })
            }
        }
    }
    (Workspace::default(), notice, seen)
}

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    let (workspace, notice, seen) = initial_workspace();
    let state = AppState::new(workspace);
    state.notice.set(notice);
    provide_context(state);
    crate::engine::start(state);
    crate::components::load_initial(state);
    let view_flags = move || state.ws.with(|w| w.view.clone());
    let presenter = move || view_flags().presenter;
    view! {
        <div class="app" class:presenter=presenter>
            <header>
                <h1>"tooltune"</h1>
                <p class="tagline">"Teach and prototype tool-calling fine-tunes of small language models."</p>
                <Autosave seen=seen />
            </header>
            <NoticeBar />
            <PresenterKeys />
            <main>
                <Show when=move || !view_flags().hide_model><ModelPanel /></Show>
                <Show when=move || !view_flags().hide_try><TryIt /></Show>
                <Show when=move || !view_flags().hide_catalogue><CatalogueEditor /></Show>
                <Show when=move || !view_flags().hide_dataset><DatasetTable /></Show>
                <Show when=move || !view_flags().hide_mask><MaskView /></Show>
                <Show when=move || !view_flags().hide_train><TrainPanel /></Show>
                <SharePanel />
            </main>
        </div>
    }
}
