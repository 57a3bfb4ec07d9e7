//! The training run drawn: the loss per step and the four metrics (and
//! `call_accuracy`) per evaluation as SVG drawn by Leptos — a few polylines
//! need no charting crate, stay crisp on a projector, and are plain DOM
//! that tests and screen readers can read — then the last evaluation's
//! table, confusion counts and failing rows.

use leptos::prelude::*;
use tooltune_workspace::metrics::EvalRecord;
use tooltune_workspace::protocol::{Failure, Metrics};

use crate::components::ConfusionGrid;
use crate::state::{ModelStatus, use_app};

const W: f64 = 480.0;
const H: f64 = 160.0;
const PAD: f64 = 28.0;

/// The point (x, y) in the plot's pixels.
fn scale(x: f64, y: f64, x_max: f64, y_min: f64, y_max: f64) -> (f64, f64) {
    let span = (y_max - y_min).max(1e-9);
    let px = PAD + x / x_max.max(1e-9) * (W - 2.0 * PAD);
    let py = H - PAD - (y - y_min) / span * (H - 2.0 * PAD);
    (px, py)
}

/// `points` (x, y) as an SVG polyline's `points`, scaled into the plot.
fn polyline(points: &[(f64, f64)], x_max: f64, y_min: f64, y_max: f64) -> String {
    points
        .iter()
        .map(|&(x, y)| {
            let (px, py) = scale(x, y, x_max, y_min, y_max);
            format!("{px:.1},{py:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The loss of every step.
#[component]
pub fn LossChart() -> impl IntoView {
    let state = use_app();
    move || {
        let t = state.training.read();
        if t.steps.is_empty() {
            return None;
        }
        let points: Vec<(f64, f64)> = t
            .steps
            .iter()
            .map(|s| (s.step as f64, s.loss as f64))
            .collect();
        // With label smoothing the loss levels off above a floor (the
        // smoothed target's entropy): drawn, so nobody waits for a zero.
        let floor = match state.model.get() {
            ModelStatus::Ready(info) if t.settings.label_smoothing > 0.0 => {
                Some((t.settings.loss_floor(info.vocab_size), info.vocab_size))
            }
            _ => None,
        };
        let finite = points.iter().map(|p| p.1).filter(|v| v.is_finite());
        let y_max = finite.clone().fold(f64::MIN, f64::max);
        let y_min = finite
            .fold(f64::MAX, f64::min)
            .min(floor.map_or(f64::MAX, |f| f.0))
            .min(y_max)
            .min(0.0_f64.max(y_max - 1e-3));
        // Room below the floor, so its line stands apart from the axis.
        let y_min = match floor {
            Some(_) => 0.0_f64.max(y_min - 0.05 * (y_max - y_min)),
            None => y_min,
        };
        let x_max = t.total_steps.max(1) as f64;
        let last = t.steps.last().map(|s| s.loss).unwrap_or(f32::NAN);
        let label = format!(
            "Training loss: {:.4} at step 1, {:.4} at step {}",
            t.steps[0].loss,
            last,
            t.steps.len()
        );
        Some(view! {
            <figure class="chart" data-testid="loss-chart">
                <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=label.clone()>
                    <line x1=PAD y1=H - PAD x2=W - PAD y2=H - PAD class="axis" />
                    <line x1=PAD y1=PAD x2=PAD y2=H - PAD class="axis" />
                    <text x=PAD y=PAD - 8.0 class="tick">{format!("{y_max:.3}")}</text>
                    <text x=PAD y=H - 8.0 class="tick">{format!("{y_min:.3}")}</text>
                    <text x=W - PAD y=H - 8.0 class="tick" text-anchor="end">{format!("step {}", t.total_steps)}</text>
                    <polyline class="loss" fill="none" points=polyline(&points, x_max, y_min, y_max) />
                    {floor.map(|(f, _)| view! {
                        <polyline class="loss-floor" fill="none"
                            points=polyline(&[(0.0, f), (x_max, f)], x_max, y_min, y_max)>
                            <title>"lowest possible loss"</title>
                        </polyline>
                    })}
                </svg>
                <figcaption>{label}</figcaption>
                {floor.map(|(f, vocab)| view! {
                    <p class="hint" data-testid="loss-floor">{format!(
                        "Label smoothing {} keeps this loss above {f:.3} (dashed) over a \
                         {vocab}-token vocabulary: that floor, not 0, is a perfect fit.",
                        t.settings.label_smoothing
                    )}</p>
                })}
            </figure>
        })
    }
}

/// A metric's name, colour (a CSS class) and value.
type Series = (&'static str, &'static str, fn(&Metrics) -> f64);

/// The metrics shown, with their names and colours.
const SERIES: [Series; 5] = [
    ("valid-tool-call rate", "m-valid", |m| {
        m.valid_tool_call_rate
    }),
    ("tool-name accuracy", "m-tool", |m| m.tool_name_accuracy),
    ("argument-match accuracy", "m-args", |m| {
        m.argument_match_accuracy
    }),
    ("false-tool-call rate", "m-false", |m| {
        m.false_tool_call_rate
    }),
    ("call accuracy", "m-call", |m| m.call_accuracy),
];

/// What [`MetricsView`] draws: the run's evaluations so far.
#[derive(Clone, PartialEq)]
struct Scored {
    evals: Vec<EvalRecord>,
    eval_seconds: Vec<f64>,
    total_steps: usize,
}

/// The metrics per evaluation: a chart, a table, the confusion counts and
/// the failing rows of the last evaluation. Each is redrawn when an
/// evaluation changes it, not at every training step (the whole view used
/// to be rebuilt, and diffed, at each step); the confusion matrix and the
/// failing rows stay open once a reader opens them.
#[component]
pub fn MetricsView() -> impl IntoView {
    let state = use_app();
    let scored = Memo::new(move |_| {
        state.training.with(|t| Scored {
            evals: t.evals.clone(),
            eval_seconds: t.eval_seconds.clone(),
            total_steps: t.total_steps,
        })
    });
    let failures = Memo::new(move |_| state.training.with(|t| t.failures.clone()));
    let any = move || scored.with(|s| !s.evals.is_empty());
    view! {
        <Show when=any>
            {move || chart_and_table(&scored.get())}
            <details class="confusion">
                <summary>"Confusion matrix, last evaluation"</summary>
                <ConfusionGrid />
            </details>
            <details class="failures">
                <summary>{move || format!("Failing rows, last evaluation ({})", failures.with(Vec::len))}</summary>
                <ul data-testid="failures">{move || failure_items(&failures.get())}</ul>
            </details>
        </Show>
    }
}

/// The metrics chart and table of `t`'s evaluations.
fn chart_and_table(t: &Scored) -> impl IntoView + use<> {
    let x_max = t.total_steps.max(1) as f64;
    let lines = SERIES
        .iter()
        .map(|(name, class, get)| {
            let points: Vec<(f64, f64)> = t
                .evals
                .iter()
                .map(|e| (e.step as f64, get(&e.metrics)))
                .collect();
            // A dot per evaluation, so the baseline shows before a second
            // point makes a line, with its value on hover.
            let dots = t
                .evals
                .iter()
                .zip(&points)
                .map(|(e, &(x, y))| {
                    let (cx, cy) = scale(x, y, x_max, 0.0, 1.0);
                    let when = when(e.step);
                    view! {
                        <circle class=*class cx=format!("{cx:.1}") cy=format!("{cy:.1}") r="3">
                            <title>{format!("{name}, {when}: {y:.3}")}</title>
                        </circle>
                    }
                })
                .collect_view();
            view! {
                <polyline class=*class fill="none" points=polyline(&points, x_max, 0.0, 1.0)>
                    <title>{*name}</title>
                </polyline>
                {dots}
            }
        })
        .collect_view();
    let legend = SERIES
        .iter()
        .map(|(name, class, _)| view! { <span class=format!("key {class}")>{*name}</span> })
        .collect_view();
    let rows = t
        .evals
        .iter()
        .zip(t.eval_seconds.iter().copied().chain(std::iter::repeat(0.0)))
        .map(|(e, seconds)| {
            let when = when(e.step);
            let cells = SERIES
                .iter()
                .map(|(_, _, get)| view! { <td>{format!("{:.3}", get(&e.metrics))}</td> })
                .collect_view();
            view! { <tr><th scope="row">{when}</th>{cells}<td>{format!("{seconds:.1} s")}</td></tr> }
        })
        .collect_view();
    let heads = SERIES
        .iter()
        .map(|(name, _, _)| view! { <th scope="col">{*name}</th> })
        .collect_view();
    let n = t.evals.last().map(|e| e.metrics.n).unwrap_or(0);
    view! {
        <figure class="chart" data-testid="metrics-chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label="The four metrics and call accuracy per evaluation, 0 to 1">
                <line x1=PAD y1=H - PAD x2=W - PAD y2=H - PAD class="axis" />
                <line x1=PAD y1=PAD x2=PAD y2=H - PAD class="axis" />
                <text x=PAD y=PAD - 8.0 class="tick">"1"</text>
                <text x=PAD y=H - 8.0 class="tick">"0"</text>
                <text x=W - PAD y=H - 8.0 class="tick" text-anchor="end">{format!("step {}", t.total_steps)}</text>
                {lines}
            </svg>
            <figcaption class="legend">{legend}</figcaption>
        </figure>
        <table class="metrics" data-testid="metrics-table">
            <caption>{format!("Held-out rows ({n}), scored as the lesson defines")}</caption>
            <thead><tr><th scope="col">"when"</th>{heads}<th scope="col">"time"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// When an evaluation ran, as the table and the chart's dots say it.
fn when(step: usize) -> String {
    if step == 0 {
        "before training".to_string()
    } else {
        format!("step {step}")
    }
}

/// The last evaluation's failing rows, one item each.
fn failure_items(failures: &[Failure]) -> impl IntoView + use<> {
    failures
        .iter()
        .map(|f| {
            view! {
                <li>
                    <strong>{f.request.clone()}</strong>
                    " — gold " <code>{f.gold.clone()}</code>
                    "; the model wrote " <code>{f.output.clone()}</code>
                    <br /><span class="hint">{f.reason.clone()}</span>
                    {f.choices.as_ref().map(|c| view! {
                        <br /><span class="hint" data-testid="failure-choices">
                            {format!("How likely each call was: {}", c.summary())}
                        </span>
                    })}
                </li>
            }
        })
        .collect_view()
}
