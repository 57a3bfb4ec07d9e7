//! The confusion matrix of the last evaluation: one row per gold label
//! (every catalogue tool and `no_tool`), one column per predicted label
//! (the same, then `invalid` and any name the catalogue lacks), so a
//! catalogue designer sees at a glance which tools the model mixes up.

use leptos::prelude::*;

use tooltune_workspace::metrics::confusion_labels as labels;

use crate::state::use_app;

/// The grid.
#[component]
pub fn ConfusionGrid() -> impl IntoView {
    let state = use_app();
    // Redrawn when an evaluation brings new counts, not at every step.
    let confusion = Memo::new(move |_| state.training.with(|t| t.confusion.clone()));
    move || {
        let counts = confusion.get();
        let tools: Vec<String> = state
            .last_valid
            .get()
            .map(|c| c.tools().iter().map(|t| t.name.clone()).collect())
            .unwrap_or_default();
        let (gold, predicted) = labels(&tools, &counts);
        let count = |g: &str, p: &str| {
            counts
                .iter()
                .filter(|(a, b, _)| a == g && b == p)
                .map(|c| c.2)
                .sum::<usize>()
        };
        let heads = predicted
            .iter()
            .map(|p| view! { <th scope="col">{p.clone()}</th> })
            .collect_view();
        let rows = gold
            .iter()
            .map(|g| {
                let cells = predicted
                    .iter()
                    .map(|p| {
                        let n = count(g, p);
                        let class = match (n, g == p) {
                            (0, _) => "zero",
                            (_, true) => "ok",
                            (_, false) => "error",
                        };
                        view! { <td class=class>{n}</td> }
                    })
                    .collect_view();
                view! { <tr><th scope="row">{g.clone()}</th>{cells}</tr> }
            })
            .collect_view();
        view! {
            <table class="confusion-grid" data-testid="confusion">
                <caption>"rows: gold · columns: predicted"</caption>
                <thead><tr><th scope="col">"gold \\ predicted"</th>{heads}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
    }
}
