//! The dataset as a table: the request, the gold answer (router JSON, or a
//! conversation's messages after the request as a JSON array) and
//! the linter's findings beside each row; add, edit, delete; import (a
//! dataset, or a test file appended as test rows) and export JSONL (OpenAI
//! chat and router, as the CLI reads and writes them); the no-tool share
//! against the linter's band; rows marked as test rows (held out from
//! training, scored by the Train panel). Also the system prompt and output
//! style every example shares.

use leptos::prelude::*;
use tooltune_workspace::OutputStyle;
use tooltune_workspace::dataset::{ExportFormat, Row, export, import};

use super::{ExampleDatasets, RowGenerator};
use crate::files;
use crate::state::{Notice, use_app};

/// The dataset panel.
#[component]
pub fn DatasetTable() -> impl IntoView {
    let state = use_app();
    let count = move || state.ws.with(|w| w.dataset.len());
    let marked = move || state.ws.with(|w| w.test_rows());
    let import_input = NodeRef::<leptos::html::Input>::new();
    let test_input = NodeRef::<leptos::html::Input>::new();
    // Reads the picked JSONL: as the dataset (replacing the rows), or as test
    // rows appended to it, marked (a held-out file, as `tooltune eval --data`).
    let import_from = move |node: NodeRef<leptos::html::Input>, as_test: bool| {
        files::import_picked(state, node, move |name, text| {
            let imported = match import(&name, text.as_bytes()) {
                Ok(imported) => imported,
                Err(e) => {
                    return Notice {
                        error: true,
                        text: e.to_string(),
                    };
                }
            };
            let n = imported.rows.len();
            let skipped = imported.skipped.len();
            let first = imported
                .skipped
                .first()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default();
            state.undo.set(Some(state.ws.get_untracked()));
            state.ws.update(|w| {
                if as_test {
                    w.dataset.extend(imported.rows.into_iter().map(|r| Row {
                        held_out: true,
                        ..r
                    }));
                } else {
                    w.dataset = imported.rows;
                    if let Some(s) = imported.system_prompt {
                        w.system_prompt = s;
                    }
                }
            });
            let what = if as_test { " as test rows" } else { "" };
            Notice {
                error: skipped > 0,
                text: format!(
                    "Imported {n} row(s) from {name}{what}; {skipped} line(s) skipped{first}."
                ),
            }
        });
    };
    let export_as = move |format: ExportFormat| {
        let catalogue = state.last_valid.get_untracked();
        let result = state
            .ws
            .with_untracked(|w| export(&w.dataset, &w.system_prompt, catalogue.as_deref(), format));
        let name = match format {
            ExportFormat::OpenAi => "dataset.openai.jsonl",
            ExportFormat::Router => "dataset.router.jsonl",
        };
        match result
            .map_err(|e| e.to_string())
            .and_then(|text| files::download(name, &text, "application/jsonl"))
        {
            Ok(()) => {}
            Err(e) => state.notice.set(Some(Notice {
                error: true,
                text: format!("Export failed: {e}"),
            })),
        }
    };
    let share_line = move || {
        state.lint.with(|l| {
            let share = l.no_tool_share() * 100.0;
            let (lo, hi) = (l.band.0 * 100.0, l.band.1 * 100.0);
            let inside = l.readable_rows > 0 && (l.band.0..=l.band.1).contains(&l.no_tool_share());
            let verdict = if inside { "inside" } else { "outside" };
            let errors = l.findings.iter().filter(|f| f.error).count();
            let warnings = l.findings.len() - errors;
            (
                inside,
                format!(
                    "No-tool share {share:.0} % ({} of {} rows), {verdict} the {lo:.0}–{hi:.0} % band. \
                     Lint: {errors} error(s), {warnings} warning(s).",
                    l.no_tool_rows, l.readable_rows
                ),
            )
        })
    };
    let dataset_wide = move || {
        state.lint.with(|l| {
            l.findings
                .iter()
                .filter(|f| f.row.is_none())
                .map(|f| view! { <li class=if f.error { "error" } else { "warn" }>{format!("{}: {}", f.code, f.text)}</li> })
                .collect_view()
        })
    };
    view! {
        <section class="panel wide" aria-labelledby="dataset-title" data-panel="dataset">
            <h2 id="dataset-title">"Dataset"</h2>
            <ExampleDatasets />
            <div class="row-controls">
                <label>
                    "System prompt"
                    <textarea
                        rows="2"
                        prop:value=move || state.ws.with(|w| w.system_prompt.clone())
                        on:input=move |ev| {
                            let text = event_target_value(&ev);
                            state.ws.update(|w| w.system_prompt = text);
                        }
                    ></textarea>
                </label>
                <label>
                    "Output style"
                    <select
                        aria-label="Output style"
                        prop:value=move || state.ws.with(|w| match w.output_style {
                            OutputStyle::Router => "router",
                            OutputStyle::ToolCalls => "tool_calls",
                        })
                        on:change=move |ev| {
                            let style = if event_target_value(&ev) == "tool_calls" {
                                OutputStyle::ToolCalls
                            } else {
                                OutputStyle::Router
                            };
                            state.ws.update(|w| w.output_style = style);
                        }
                    >
                        <option value="router">"Router JSON ({\"tool\": …})"</option>
                        <option value="tool_calls">"Tool calls in the chat template"</option>
                    </select>
                </label>
            </div>
            <p data-testid="no-tool-share" class=move || if share_line().0 { "ok" } else { "warn" }>
                {move || share_line().1}
            </p>
            <ul class="findings" aria-label="Dataset-wide findings">{dataset_wide}</ul>
            <Show when=move || { marked() > 0 }>
                <p data-testid="test-rows" class="control">
                    {move || format!(
                        "{} of {} rows are test rows: held out for evaluation, never trained on (the Train panel's held-out fraction is off). ",
                        marked(),
                        count()
                    )}
                    <button on:click=move |_| state.ws.update(|w| w.dataset.iter_mut().for_each(|r| r.held_out = false))>
                        "Unmark all"
                    </button>
                </p>
            </Show>
            <div class="toolbar control">
                <button on:click=move |_| state.ws.update(|w| w.dataset.push(Row {
                    request: String::new(),
                    gold: r#"{"tool": "no_tool", "reason": ""}"#.into(),
                    held_out: false,
                }))>"Add row"</button>
                <button
                    title="A row whose answer is a conversation: a call, its result, the final answer (add calls for parallel ones)"
                    on:click=move |_| {
                        let tool = state
                            .last_valid
                            .get_untracked()
                            .and_then(|c| c.tools().first().map(|t| t.name.clone()))
                            .unwrap_or_else(|| "tool_name".into());
                        state.ws.update(|w| w.dataset.push(Row::conversation_template(&tool)));
                    }
                >"Add conversation"</button>
                <label class="file">
                    "Import JSONL"
                    <input type="file" accept=".jsonl,.json,application/jsonl" node_ref=import_input on:change=move |_| import_from(import_input, false) />
                </label>
                <label class="file" title="Appends the file's rows marked as test rows: held out, never trained on">
                    "Import test JSONL"
                    <input type="file" accept=".jsonl,.json,application/jsonl" node_ref=test_input on:change=move |_| import_from(test_input, true) />
                </label>
                <button on:click=move |_| export_as(ExportFormat::OpenAi)>"Export OpenAI JSONL"</button>
                <button on:click=move |_| export_as(ExportFormat::Router)>"Export router JSONL"</button>
            </div>
            <RowGenerator />
            <div class="table-scroll">
            <table aria-label="Dataset rows">
                <thead>
                    <tr><th scope="col">"#"</th><th scope="col">"Request"</th><th scope="col">"Gold answer"</th><th scope="col">"Lint"</th><th scope="col" title="Test rows are held out: never trained on, scored by the Train panel">"Test"</th><th scope="col" class="control">"Actions"</th></tr>
                </thead>
                <tbody>
                    <For each=move || 0..count() key=|i| *i children=move |i| view! { <DatasetRow i=i /> } />
                </tbody>
            </table>
            </div>
        </section>
    }
}

/// One row of the table, keyed by its index; its cells read the workspace.
#[component]
fn DatasetRow(i: usize) -> impl IntoView {
    let state = use_app();
    let field = move |f: fn(&Row) -> String| {
        move || {
            state
                .ws
                .with(|w| w.dataset.get(i).map(f).unwrap_or_default())
        }
    };
    let findings = move || {
        state.lint.with(|l| {
            l.of_row(i)
                .map(|f| (f.error, format!("{}: {}", f.code, f.text)))
                .collect::<Vec<_>>()
        })
    };
    let status = move || {
        let f = findings();
        if f.is_empty() {
            ("ok", "ok".to_string())
        } else if f.iter().any(|(e, _)| *e) {
            (
                "error",
                f.into_iter().map(|(_, t)| t).collect::<Vec<_>>().join("\n"),
            )
        } else {
            (
                "warn",
                f.into_iter().map(|(_, t)| t).collect::<Vec<_>>().join("\n"),
            )
        }
    };
    // A conversation's messages (parallel calls, tool results, the final
    // answer) get a box of their lines; the cell is rebuilt only when that
    // shape changes, not on every edit elsewhere (which would take the focus).
    let shape = Memo::new(move |_| {
        state.ws.with(|w| {
            w.dataset
                .get(i)
                .filter(|r| r.is_conversation())
                .map(|r| r.gold.lines().count().clamp(2, 8))
        })
    });
    let n = i + 1;
    view! {
        <tr data-testid=format!("row-{n}")>
            <th scope="row">{n}</th>
            <td>
                <input
                    type="text"
                    aria-label=format!("Request of row {n}")
                    prop:value=field(|r| r.request.clone())
                    on:change=move |ev| {
                        let text = event_target_value(&ev);
                        state.ws.update(|w| if let Some(r) = w.dataset.get_mut(i) { r.request = text });
                    }
                />
            </td>
            <td>
                {move || {
                    let label = format!("Gold answer of row {n}");
                    let lines = shape.get();
                    let set = move |ev: leptos::ev::Event| {
                        let text = event_target_value(&ev);
                        state.ws.update(|w| if let Some(r) = w.dataset.get_mut(i) { r.gold = text });
                    };
                    match lines {
                        Some(lines) => view! {
                            <textarea
                                class="mono conversation"
                                aria-label=label
                                rows=lines
                                prop:value=field(|r| r.gold.clone())
                                on:change=set
                            ></textarea>
                        }.into_any(),
                        None => view! {
                            <input
                                type="text"
                                class="mono"
                                aria-label=label
                                prop:value=field(|r| r.gold.clone())
                                on:change=set
                            />
                        }.into_any(),
                    }
                }}
            </td>
            <td class=move || status().0 data-testid=format!("lint-{n}")>{move || status().1}</td>
            <td>
                <input
                    type="checkbox"
                    aria-label=format!("Row {n} is a test row")
                    prop:checked=move || state.ws.with(|w| w.dataset.get(i).is_some_and(|r| r.held_out))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        state.ws.update(|w| if let Some(r) = w.dataset.get_mut(i) { r.held_out = on });
                    }
                />
            </td>
            <td class="control">
                <button aria-label=format!("Delete row {n}") on:click=move |_| state.ws.update(|w| {
                    if i < w.dataset.len() { w.dataset.remove(i); }
                })>"Delete"</button>
            </td>
        </tr>
    }
}
