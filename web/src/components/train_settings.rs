//! The Train panel's settings: method, learning rate, epochs (a number or
//! automatic), epochs between evaluations, batch size, LoRA's settings and
//! target modules, label smoothing, held-out fraction, seed and constrained
//! decoding, all bound to the workspace.

use leptos::prelude::*;
use tooltune_workspace::{PROJECTIONS, TrainMethod, TrainSettings, Workspace};

use crate::state::use_app;

/// The settings fieldset, disabled while `busy` (a run is going).
#[component]
pub fn TrainSettingsForm(busy: Signal<bool>) -> impl IntoView {
    let state = use_app();
    let targets =
        move || {
            PROJECTIONS
            .iter()
            .map(|&p| {
                let on = move || state.ws.with(|w| w.train.target_modules.iter().any(|t| t == p));
                view! {
                    <label class="check">
                        <input
                            type="checkbox"
                            prop:checked=on
                            disabled=move || full(state.ws.with(|w| w.train.method))
                            on:change=move |ev| {
                                let checked = event_target_checked(&ev);
                                state.ws.update(|w| {
                                    let t = &mut w.train.target_modules;
                                    t.retain(|x| x != p);
                                    if checked {
                                        t.push(p.to_string());
                                        t.sort_by_key(|x| PROJECTIONS.iter().position(|q| q == x));
                                    }
                                });
                            }
                        />
                        {p}
                    </label>
                }
            })
            .collect_view()
        };
    view! {
        <fieldset class="settings" disabled=move || busy.get()>
            <legend>"Fine-tune"</legend>
            <MethodSetting />
            <NumberSetting label="Learning rate" step="0.0001" get=|t| t.lr set=|t, v| t.lr = v />
            <EpochsSetting />
            <EvalEverySetting />
            <NumberSetting label="Batch size" step="1" get=|t| t.batch_size as f64 set=|t, v| t.batch_size = (v as usize).max(1) />
            <NumberSetting label="LoRA rank" step="1" get=|t| t.lora_r as f64 set=|t, v| t.lora_r = (v as usize).max(1) lora_only=true />
            <NumberSetting label="LoRA alpha" step="1" get=|t| t.lora_alpha set=|t, v| t.lora_alpha = v lora_only=true />
            <NumberSetting label="LoRA dropout" step="0.01" get=|t| t.lora_dropout set=|t, v| t.lora_dropout = v.min(0.9) lora_only=true />
            <NumberSetting label="Label smoothing" step="0.05" get=|t| t.label_smoothing set=|t, v| t.label_smoothing = v.min(0.9) />
            <NumberSetting label="Held-out fraction" step="0.05" get=|t| t.test_fraction set=|t, v| t.test_fraction = v.min(0.9) split_only=true />
            <label class="control">
                "Seed"
                <input
                    type="number"
                    min="0"
                    step="1"
                    prop:value=move || state.ws.with(|w| w.seed.to_string())
                    on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).trim().parse::<u64>() {
                            state.ws.update(|w| w.seed = v);
                        }
                    }
                />
            </label>
            <div class="targets" role="group" aria-label="Target modules">{targets}</div>
            <ConstrainSetting />
            <CallDecisionSetting />
            <WorkersSetting />
        </fieldset>
    }
}

/// A number field bound to one training setting; a LoRA-only one is
/// disabled while the method is a full fine-tune, a split-only one while
/// rows are marked as test rows (they are then the held-out set).
#[component]
fn NumberSetting(
    label: &'static str,
    step: &'static str,
    get: fn(&TrainSettings) -> f64,
    set: fn(&mut TrainSettings, f64),
    #[prop(optional)] lora_only: bool,
    #[prop(optional)] split_only: bool,
) -> impl IntoView {
    let state = use_app();
    let off = move || {
        (lora_only && full(state.ws.with(|w| w.train.method)))
            || (split_only && state.ws.with(|w| w.test_rows() > 0))
    };
    view! {
        <label class="control">
            {label}
            <input
                type="number"
                step=step
                min="0"
                disabled=off
                prop:value=move || state.ws.with(|w| get(&w.train).to_string())
                on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).trim().parse::<f64>()
                        && v.is_finite() && v >= 0.0 {
                            state.ws.update(|w| set(&mut w.train, v));
                        }
                }
            />
        </label>
    }
}

/// Epochs: a number, or automatic (the built-in model's rule on the
/// training rows, as the CLI's default). Typing a number fixes it.
#[component]
fn EpochsSetting() -> impl IntoView {
    let state = use_app();
    let auto = move || state.ws.with(|w| w.train.auto_epochs);
    let rows = move || state.ws.with(training_rows);
    view! {
        <label class="control">
            "Epochs"
            <input
                type="number"
                step="1"
                min="1"
                prop:value=move || state.ws.with(|w| w.train.epochs_for(rows()).to_string())
                on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).trim().parse::<f64>()
                        && v.is_finite() && v >= 1.0 {
                            state.ws.update(|w| {
                                w.train.epochs = v as usize;
                                w.train.auto_epochs = false;
                            });
                        }
                }
            />
        </label>
        <label class="check" title="About 1,200 example passes, at most 10 epochs: the built-in model's default, as tooltune train's">
            <input
                type="checkbox"
                prop:checked=auto
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    state.ws.update(|w| {
                        if !on {
                            w.train.epochs = w.train.epochs_for(rows());
                        }
                        w.train.auto_epochs = on;
                    });
                }
            />
            "Auto epochs"
        </label>
    }
}

/// The rows a run would train on: those not marked as test rows, or when
/// none is, the dataset less the held-out share (the stratified split may
/// move one or two rows).
fn training_rows(w: &Workspace) -> usize {
    let marked = w.test_rows();
    if marked > 0 {
        return w.dataset.len() - marked;
    }
    let n = w.dataset.len();
    let held = (n as f64 * w.train.test_fraction.clamp(0.0, 0.9)).round() as usize;
    n.saturating_sub(held.max(usize::from(n >= 2 && w.train.test_fraction > 0.0)))
}

/// Epochs between evaluations of the held-out rows: empty for automatic
/// (every epoch up to 5, then every ⌈epochs / 5⌉-th, as the CLI's
/// default), or a number.
#[component]
fn EvalEverySetting() -> impl IntoView {
    let state = use_app();
    let auto = move || {
        state
            .ws
            .with(|w| TrainSettings::auto_eval_epochs(w.train.epochs_for(training_rows(w))))
    };
    view! {
        <label
            class="control"
            title="The held-out rows are scored before training, at the end of every N-th epoch and after the last step. Empty: automatic (every epoch up to 5 epochs, then every ⌈epochs / 5⌉-th: at most 5 evaluations), as tooltune train's --eval-every-epochs default."
        >
            "Evaluate every (epochs)"
            <input
                type="number"
                step="1"
                min="1"
                placeholder=move || format!("auto ({})", auto())
                prop:value=move || {
                    state.ws.with(|w| w.train.eval_every_epochs.map(|k| k.to_string()).unwrap_or_default())
                }
                on:change=move |ev| {
                    let text = event_target_value(&ev);
                    let text = text.trim();
                    if text.is_empty() {
                        state.ws.update(|w| w.train.eval_every_epochs = None);
                    } else if let Ok(v) = text.parse::<f64>()
                        && v.is_finite() && v >= 1.0 {
                            state.ws.update(|w| w.train.eval_every_epochs = Some(v as usize));
                        }
                }
            />
        </label>
    }
}

/// Whether answers are decoded within the catalogue, in evaluations and in
/// try-it (one setting, so the numbers and the answers agree).
#[component]
pub fn ConstrainSetting() -> impl IntoView {
    let state = use_app();
    view! {
        <label
            class="check"
            data-testid="constrain"
            title="Each answer may only take tokens that keep it a valid call of the catalogue (tool names, argument schemas) or prose, as tooltune --constrain. Off: the four metrics measure the model alone."
        >
            <input
                type="checkbox"
                prop:checked=move || state.ws.with(|w| w.train.constrain)
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    state.ws.update(|w| w.train.constrain = on);
                }
            />
            "Constrain answers to the catalogue"
        </label>
    }
}

/// The call-or-answer decision of each answer, in evaluations and in
/// try-it: blank, the likeliest single first token decides (plain greedy,
/// `tooltune --call-threshold greedy`); a probability P, a call only when
/// the call's opening token has P or more (`--call-threshold P`).
#[component]
pub fn CallDecisionSetting() -> impl IntoView {
    let state = use_app();
    view! {
        <label
            data-testid="call-threshold"
            title="Blank: the likeliest first token decides between a tool call and prose (plain greedy decoding), which leans to calls, since a prose answer's probability is spread over many first words. A probability P (0.5: the likelier of the two): a call only when the model gives its opening token P or more; higher P, fewer false calls and more missed ones. As tooltune --call-threshold."
        >
            "Call threshold "
            <input
                type="number"
                min="0"
                max="1"
                step="any"
                placeholder="greedy"
                prop:value=move || {
                    state.ws.with(|w| w.train.call_threshold.map(|p| p.to_string()).unwrap_or_default())
                }
                on:change=move |ev| {
                    let text = event_target_value(&ev);
                    let text = text.trim();
                    if text.is_empty() {
                        state.ws.update(|w| w.train.call_threshold = None);
                    } else if let Ok(p) = text.parse::<f64>()
                        && p > 0.0 && p < 1.0 {
                            state.ws.update(|w| w.train.call_threshold = Some(p));
                        }
                }
            />
        </label>
    }
}

/// Whether each training step is split between two engine workers (a
/// preference of this browser, not of the workspace: it changes the speed,
/// not the results; see `crate::peer`).
#[component]
fn WorkersSetting() -> impl IntoView {
    let on = RwSignal::new(crate::peer::wanted());
    view! {
        <label
            class="check"
            data-testid="two-workers"
            title="Each step's rows are split between two engine workers, one core each, which exchange their gradients: the same losses, about 1.4x faster on the CPU path. On by default from three cores; on two, the page may answer more slowly while training. Small models on the CPU path only (not WebGPU)."
        >
            <input
                type="checkbox"
                prop:checked=move || on.get()
                on:change=move |ev| {
                    let checked = event_target_checked(&ev);
                    crate::peer::set_wanted(checked);
                    on.set(checked);
                }
            />
            "Two training workers (CPU path)"
        </label>
    }
}

fn full(method: TrainMethod) -> bool {
    method == TrainMethod::Full
}

/// The method picker: LoRA adapters, or every weight.
#[component]
fn MethodSetting() -> impl IntoView {
    let state = use_app();
    view! {
        <label class="control">
            "Method"
            <select
                prop:value=move || if full(state.ws.with(|w| w.train.method)) { "full" } else { "lora" }
                on:change=move |ev| {
                    let method = match event_target_value(&ev).as_str() {
                        "full" => TrainMethod::Full,
                        _ => TrainMethod::Lora,
                    };
                    state.ws.update(|w| w.train.method = method);
                }
            >
                <option value="lora">"LoRA adapters"</option>
                <option value="full">"Full fine-tune (every weight)"</option>
            </select>
        </label>
    }
}
