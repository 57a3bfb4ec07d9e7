//! The page: a catalogue editor and a call checker sharing the catalogue text.

use crate::components::{CallChecker, CatalogueEditor};
use leptos::prelude::*;

/// The example catalogue the page opens with (the customer-support tools).
const EXAMPLE_TOOLS: &str = include_str!("../../tests/fixtures/support/tools.json");

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    let catalogue_text = RwSignal::new(EXAMPLE_TOOLS.to_string());
    view! {
        <header>
            <h1>"tooltune"</h1>
            <p class="tagline">"Teach and prototype tool-calling fine-tunes of small language models."</p>
        </header>
        <main>
            <CatalogueEditor text=catalogue_text />
            <CallChecker catalogue_text=catalogue_text.read_only() />
        </main>
    }
}
