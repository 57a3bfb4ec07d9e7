//! Training in the engine worker: the engine's step-at-a-time
//! [`Trainer`] (the loop `tooltune train` runs), one step per turn of the
//! worker's event loop so a stop request gets through, with the held-out
//! lines scored before training (the baseline) and at each evaluation point
//! by the evaluator the CLI uses ([`score`]). The trained model is kept for
//! try-it's "fine-tuned" answers.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value;
use tooltune_core::dataset::{self, Example, Role};
use tooltune_core::eval::{Expected, ExpectedArgs, MatchMode, Report};
use tooltune_core::prompt::PromptContext;
use tooltune_core::{Catalogue, Location};
use tooltune_engine::LlamaForCausalLM;
use tooltune_engine::assistant::{EvalSet, score};
use tooltune_engine::decode::{GenerateConfig, generate_batch_async};
use tooltune_engine::lora::{LoraSettings, save_peft_adapter};
use tooltune_engine::run::RunInfo;
use tooltune_engine::train::{self, TrainConfig, Trainer, Tuning, batch, mask_example};
use tooltune_workspace::protocol::{Event, ExportedFile, Failure, Metrics};
use tooltune_workspace::{OutputStyle, TrainSettings};
use wasm_bindgen::{JsCast, JsValue};

use crate::worker::{Loaded, emit, now_ms};

/// Failing items sent with each evaluation.
const FAILURES_SHOWN: usize = 12;
/// Prompts decoded together during evaluation.
const EVAL_BATCH: usize = 8;
/// Token budget of each answer during evaluation.
const EVAL_MAX_NEW_TOKENS: usize = 64;

thread_local! {
    /// The run asked to stop.
    static STOP: Cell<Option<u64>> = const { Cell::new(None) };
    /// The run asked to pause.
    static PAUSE: Cell<Option<u64>> = const { Cell::new(None) };
    /// The last run: its trained model and what `run.json` records.
    static TUNED: RefCell<Option<Rc<TunedRun>>> = const { RefCell::new(None) };
}

/// Asks run `id` to stop after its current step.
pub fn request_stop(id: u64) {
    STOP.with(|s| s.set(Some(id)));
}

/// A finished run.
pub struct TunedRun {
    /// The trained model (the last good weights after a NaN).
    pub model: LlamaForCausalLM,
    /// The base model's name (`builtin` for the built-in model).
    pub base: String,
    config: TrainConfig,
    context: PromptContext,
    output_style: OutputStyle,
    examples: usize,
    steps: usize,
    final_loss: Option<f32>,
    stopped: Option<String>,
}

/// Pauses (or resumes) run `id` between steps.
pub fn request_pause(id: u64, paused: bool) {
    PAUSE.with(|p| p.set(paused.then_some(id)));
    emit(&Event::TrainPaused { id, paused });
}

/// Attaches an imported PEFT adapter to the base: the fine-tuned model from
/// now on. Returns a summary for the user.
pub fn load_adapter(
    m: &Loaded,
    name: &str,
    config: &[u8],
    weights: &[u8],
) -> Result<String, String> {
    let (model, settings) =
        tooltune_engine::lora::load_peft_adapter(m.model.clone(), config, weights)
            .map_err(|e| format!("{name}: {e}"))?;
    let summary = format!(
        "LoRA r={} alpha={} on {}",
        settings.r,
        settings.lora_alpha,
        settings.target_modules.join(", ")
    );
    let run = TunedRun {
        model,
        base: m.name.clone(),
        config: TrainConfig {
            tuning: Tuning::Lora(settings),
            ..TrainConfig::default()
        },
        context: PromptContext::default(),
        output_style: OutputStyle::default(),
        examples: 0,
        steps: 0,
        final_loss: None,
        stopped: None,
    };
    TUNED.with(|t| *t.borrow_mut() = Some(Rc::new(run)));
    Ok(summary)
}

/// The fine-tuned model, once a run has made one (for try-it).
pub fn tuned() -> Option<Rc<TunedRun>> {
    TUNED.with(|t| t.borrow().clone())
}

/// The last run's files: the adapter in PEFT's format and a `run.json` that
/// `tooltune eval --run` and `tooltune route --run` read (beside the
/// page's `train.jsonl` and `test.jsonl`).
pub fn export() -> Result<Vec<ExportedFile>, String> {
    let run = tuned().ok_or("no fine-tuned model yet: train one first")?;
    let Tuning::Lora(lora) = &run.config.tuning else {
        return Err("the page trains LoRA adapters only".into());
    };
    let adapter = save_peft_adapter(&run.model).map_err(|e| e.to_string())?;
    let info = RunInfo {
        tooltune_version: env!("CARGO_PKG_VERSION").into(),
        model: run.base.clone().into(),
        train_data: "train.jsonl".into(),
        eval_data: Some("test.jsonl".into()),
        backend: "cpu".into(),
        tools: run.context.tools.clone(),
        tools_in_prompt: run.context.tools_in_prompt,
        system: run.context.system.clone(),
        output_mode: run.output_style.run_name().into(),
        config: run.config.clone(),
        examples: run.examples,
        steps: run.steps,
        final_loss: run.final_loss,
        stopped: run.stopped.clone(),
    };
    Ok(vec![
        ExportedFile::new(
            "adapter_config.json",
            &lora.to_peft_config_json(Some(&run.base)),
        ),
        ExportedFile::new("adapter_model.safetensors", &adapter),
        ExportedFile::new(
            "run.json",
            (serde_json::to_string_pretty(&info).unwrap_or_default() + "\n").as_bytes(),
        ),
    ])
}

/// Forgets the fine-tuned model (a new base was loaded).
pub fn forget_tuned() {
    TUNED.with(|t| *t.borrow_mut() = None);
}

/// What a run is asked to do.
pub struct Job {
    pub id: u64,
    pub settings: TrainSettings,
    pub seed: u64,
    pub train: Vec<Value>,
    pub test: Vec<Value>,
    pub context: PromptContext,
    pub output_style: OutputStyle,
}

/// The engine's training configuration for the page's settings.
pub fn config(settings: &TrainSettings, seed: u64) -> TrainConfig {
    let targets: Vec<&str> = settings.target_modules.iter().map(String::as_str).collect();
    TrainConfig {
        lr: settings.lr,
        epochs: settings.epochs,
        batch_size: settings.batch_size,
        seed,
        truncate: true,
        tuning: Tuning::Lora(
            LoraSettings::new(settings.lora_r, settings.lora_alpha, &targets)
                .with_dropout(settings.lora_dropout),
        ),
        eval_max_new_tokens: EVAL_MAX_NEW_TOKENS,
        ..TrainConfig::default()
    }
}

fn examples(what: &str, lines: Vec<Value>) -> Result<Vec<Example>, String> {
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let at = Location::line(what, i + 1);
            let conversation = dataset::conversation(&at, line).map_err(|e| e.to_string())?;
            Ok(Example {
                at,
                conversation,
                acceptable: None,
                fingerprint: 0,
            })
        })
        .collect()
}

/// Runs `job` on the loaded model, reporting as it goes; the error is for
/// the user.
pub async fn run(m: Rc<Loaded>, job: Job) -> Result<(), String> {
    STOP.with(|s| s.set(None));
    PAUSE.with(|p| p.set(None));
    let cfg = config(&job.settings, job.seed);
    cfg.check().map_err(|e| e.to_string())?;
    let train_examples = examples("training row", job.train)?;
    let test_examples = examples("held-out row", job.test)?;
    if train_examples.is_empty() {
        return Err("no rows to train on: add rows to the dataset".into());
    }
    let mut masked = Vec::with_capacity(train_examples.len());
    for ex in &train_examples {
        let mut one = mask_example(&m.template, &m.tokenizer, ex).map_err(|e| e.to_string())?;
        batch::fit_length(&mut one, cfg.max_seq_len, cfg.truncate).map_err(|e| e.to_string())?;
        masked.push(one);
    }
    let trained_tokens = masked.iter().map(|x| x.trained_count()).sum();
    let catalogue = match &job.context.tools {
        Some(tools) => Some(Arc::new(
            Catalogue::from_value(&Location::whole("catalogue"), tools)
                .map_err(|e| e.to_string())?,
        )),
        None => None,
    };
    let lacks_tools = test_examples.iter().any(|e| e.conversation.tools.is_none());
    let set = EvalSet::new(
        &test_examples,
        catalogue.as_ref().filter(|_| lacks_tools),
        &job.context,
        &m.template,
        &m.tokenizer,
    )
    .map_err(|e| e.to_string())?;
    let model =
        train::prepare(m.model.clone(), &cfg.tuning, job.seed).map_err(|e| e.to_string())?;
    let pad = train::pad_id(&m.template, &m.tokenizer);
    let mut trainer = Trainer::new(model, masked.clone(), pad, &cfg).map_err(|e| e.to_string())?;
    emit(&Event::TrainStarted {
        id: job.id,
        total_steps: trainer.total_steps(),
        examples: masked.len(),
        trained_tokens,
        test_items: set.len(),
        backend: m.backend.clone(),
    });
    let evaluate = |model: LlamaForCausalLM, step: usize| {
        let m = m.clone();
        let set = &set;
        async move {
            let started = now_ms();
            let report = evaluate(&m, &model, set).await?;
            emit(&Event::Evaluated {
                id: job.id,
                step,
                metrics: metrics(&report),
                confusion: confusion(&report),
                failures: failures(&report, set),
                seconds: (now_ms() - started) / 1000.0,
            });
            Ok::<(), String>(())
        }
    };
    if !set.is_empty() {
        evaluate(m.model.clone(), 0).await?;
    }
    let mut stopped = false;
    loop {
        yield_now().await;
        while PAUSE.with(|p| p.get()) == Some(job.id) && STOP.with(|s| s.get()) != Some(job.id) {
            sleep_ms(100).await;
        }
        if STOP.with(|s| s.get()) == Some(job.id) {
            stopped = true;
            break;
        }
        let Some(log) = trainer
            .step_async()
            .await
            .map_err(|e| e.to_string())?
            .cloned()
        else {
            break;
        };
        emit(&Event::TrainStep {
            id: job.id,
            step: log.step,
            epoch: log.epoch,
            loss: log.loss,
            lr: log.lr,
            tokens_per_sec: log.tokens_per_sec,
            elapsed_s: log.elapsed_s,
        });
        if trainer.eval_due() && !set.is_empty() {
            yield_now().await;
            evaluate(trainer.current(), log.step).await?;
        }
    }
    let steps = trainer.steps_done();
    let error = trainer.stopped().map(|e| e.to_string());
    let trained = trainer.finish();
    let run = TunedRun {
        model: trained.model,
        base: m.name.clone(),
        config: cfg,
        context: job.context,
        output_style: job.output_style,
        examples: masked.len(),
        steps,
        final_loss: trained.steps.last().map(|s| s.loss),
        stopped: error.clone(),
    };
    TUNED.with(|t| *t.borrow_mut() = Some(Rc::new(run)));
    emit(&Event::TrainDone {
        id: job.id,
        steps,
        stopped,
        error,
    });
    Ok(())
}

/// Generates every held-out answer (a batch at a time, yielding between
/// batches) and scores them.
async fn evaluate(m: &Loaded, model: &LlamaForCausalLM, set: &EvalSet) -> Result<Report, String> {
    let config = GenerateConfig::greedy(EVAL_MAX_NEW_TOKENS).with_eos(&m.stop);
    let mut outputs = vec![String::new(); set.len()];
    let mut order: Vec<usize> = (0..set.len()).collect();
    order.sort_by_key(|&i| set.prompts[i].len());
    for chunk in order.chunks(EVAL_BATCH) {
        yield_now().await;
        let prompts: Vec<&[u32]> = chunk.iter().map(|&i| &set.prompts[i][..]).collect();
        let generations =
            generate_batch_async(model, &prompts, &config, &mut vec![(); prompts.len()])
                .await
                .map_err(|e| e.to_string())?;
        for (&i, g) in chunk.iter().zip(generations) {
            let ids: Vec<u32> = g
                .tokens
                .into_iter()
                .filter(|t| !m.stop.contains(t))
                .collect();
            outputs[i] = m.tokenizer.decode(&ids).map_err(|e| e.to_string())?;
        }
    }
    // The item's gold decides how prose is read (router gold: JSON only).
    score(set, &outputs, MatchMode::Exact).map_err(|e| e.to_string())
}

fn metrics(r: &Report) -> Metrics {
    Metrics {
        n: r.n,
        valid_tool_call_rate: r.valid_tool_call_rate,
        tool_name_accuracy: r.tool_name_accuracy,
        argument_match_accuracy: r.argument_match_accuracy,
        false_tool_call_rate: r.false_tool_call_rate,
        call_accuracy: r.call_accuracy,
    }
}

fn confusion(r: &Report) -> Vec<(String, String, usize)> {
    let labels = &r.confusion.labels;
    let mut out = Vec::new();
    for (g, row) in r.confusion.matrix.iter().enumerate() {
        for (p, &count) in row.iter().enumerate() {
            if count > 0 {
                out.push((labels[g].clone(), labels[p].clone(), count));
            }
        }
    }
    out
}

fn failures(r: &Report, set: &EvalSet) -> Vec<Failure> {
    r.failures
        .iter()
        .take(FAILURES_SHOWN)
        .map(|f| {
            let item = set.items.iter().find(|i| i.id == f.id);
            let request = item
                .and_then(|i| i.history.iter().rev().find(|m| m.role == Role::User))
                .map(|m| m.text())
                .unwrap_or_default();
            Failure {
                request,
                gold: item.map(|i| gold_text(&i.expected)).unwrap_or_default(),
                output: f.output.clone(),
                reason: f.reason.clone(),
            }
        })
        .collect()
}

/// The gold answer in one line: `tool({...})`, several joined, or `no_tool`.
fn gold_text(expected: &Expected) -> String {
    match expected {
        Expected::NoTool => "no_tool".into(),
        Expected::AnyCall => "(any call)".into(),
        Expected::Calls(calls) => calls
            .iter()
            .map(|c| match &c.arguments {
                ExpectedArgs::Exact(a) | ExpectedArgs::Acceptable(a) => {
                    format!("{}({})", c.name, Value::Object(a.clone()))
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Lets the worker's event loop run (a stop request, say) before going on.
async fn yield_now() {
    sleep_ms(0).await;
}

/// Waits `ms` milliseconds without holding the worker's event loop.
async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout = js_sys::Reflect::get(&global, &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(f) => {
                let _ = f.call2(&global, &resolve, &JsValue::from_f64(ms as f64));
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
