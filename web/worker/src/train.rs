//! Training in the engine worker: the engine's step-at-a-time
//! [`Trainer`] (the loop `tooltune train` runs), one step per turn of the
//! worker's event loop so a stop request gets through, with the held-out
//! lines scored before training (the baseline) and at each evaluation point
//! by the evaluator the CLI uses ([`crate::train_eval`]). The trained model is kept for
//! try-it's "fine-tuned" answers.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde_json::Value;
use tooltune_core::Location;
use tooltune_core::dataset::{self, Example};
use tooltune_core::prompt::PromptContext;
use tooltune_engine::LlamaForCausalLM;
use tooltune_engine::burn::module::Module;
use tooltune_engine::lora::{LoraSettings, save_peft_adapter_async};
use tooltune_engine::run::RunInfo;
use tooltune_engine::train::part::StepPart;
use tooltune_engine::train::{self, StepLog, TrainConfig, Trainer, Tuning, batch, mask_example};
use tooltune_engine_browser::worker::WorkerError;
use tooltune_engine_browser::worker::link;
use tooltune_workspace::TrainMethod;
use tooltune_workspace::context::prompts_beyond_context;
use tooltune_workspace::memory::{PAGE_ACTIVATION_BUDGET, page_activation_budget};
use tooltune_workspace::protocol::{Event, ExportedFile, Split};
use tooltune_workspace::{OutputStyle, TrainSettings};

use crate::train_eval::{EVAL_MAX_NEW_TOKENS, confusion, eval_set, evaluate, failures};
use crate::worker::{Loaded, emit, emit_with_buffers, now_ms};
use crate::yielding::{sleep_ms, yield_now};

thread_local! {
    /// The run asked to stop.
    static STOP: Cell<Option<u64>> = const { Cell::new(None) };
    /// The run asked to pause.
    static PAUSE: Cell<Option<u64>> = const { Cell::new(None) };
    /// The run whose step is under way.
    static IN_STEP: Cell<Option<u64>> = const { Cell::new(None) };
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
    /// Whether its evaluations decoded within the catalogue.
    constrained_eval: bool,
    /// Their call threshold (`None`: greedy).
    call_threshold: Option<f32>,
}

/// Pauses (or resumes) run `id` between steps.
/// A pause is confirmed once the run is between steps: at once when no
/// step is under way, else by the run after that step (a split step awaits
/// the other worker, so this request can arrive in the middle of one).
pub fn request_pause(id: u64, paused: bool) {
    PAUSE.with(|p| p.set(paused.then_some(id)));
    if !(paused && IN_STEP.with(|s| s.get()) == Some(id)) {
        emit(&Event::TrainPaused { id, paused });
    }
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
    tune(m, model, Tuning::Lora(settings));
    Ok(summary)
}

/// Makes a full fine-tune's weights (`model.safetensors` bytes, e.g. a run's
/// checkpoint) the fine-tuned model. Returns a summary for the user.
pub fn load_weights(m: &Loaded, name: &str, weights: &[u8]) -> Result<String, String> {
    let model = train::with_weights(&m.model, weights).map_err(|e| format!("{name}: {e}"))?;
    tune(m, model, Tuning::Full);
    Ok("a full fine-tune: every weight".into())
}

/// Makes `model` the fine-tuned model try-it answers with (an imported or
/// restored one: no run statistics).
fn tune(m: &Loaded, model: LlamaForCausalLM, tuning: Tuning) {
    let run = TunedRun {
        model,
        base: m.name.clone(),
        config: TrainConfig {
            tuning,
            ..TrainConfig::default()
        },
        context: PromptContext::default(),
        output_style: OutputStyle::default(),
        examples: 0,
        steps: 0,
        final_loss: None,
        stopped: None,
        constrained_eval: false,
        call_threshold: None,
    };
    TUNED.with(|t| *t.borrow_mut() = Some(Rc::new(run)));
}

/// The fine-tuned model, once a run has made one (for try-it).
pub fn tuned() -> Option<Rc<TunedRun>> {
    TUNED.with(|t| t.borrow().clone())
}

/// The last run's files: the adapter in PEFT's format and a `run.json` that
/// `tooltune eval --run` and `tooltune route --run` read (beside the
/// page's `train.jsonl` and `test.jsonl`).
pub async fn export() -> Result<Vec<ExportedFile>, String> {
    let run = tuned().ok_or("no fine-tuned model yet: train one first")?;
    let mut files = match &run.config.tuning {
        Tuning::Lora(lora) => vec![
            ExportedFile::new(
                "adapter_config.json",
                &lora.to_peft_config_json(Some(&run.base)),
            ),
            ExportedFile::new(
                "adapter_model.safetensors",
                &save_peft_adapter_async(&run.model)
                    .await
                    .map_err(|e| e.to_string())?,
            ),
        ],
        Tuning::Full => vec![ExportedFile::new(
            "model.safetensors",
            &run.model
                .to_safetensors_async()
                .await
                .map_err(|e| e.to_string())?,
        )],
    };
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
        constrained_eval: run.constrained_eval,
        call_threshold: run.call_threshold,
    };
    files.push(ExportedFile::new(
        "run.json",
        (serde_json::to_string_pretty(&info).unwrap_or_default() + "\n").as_bytes(),
    ));
    Ok(files)
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
    /// Go on from this checkpoint: steps taken and its bytes (the adapter,
    /// or every weight for a full fine-tune).
    pub resume: Option<(usize, Vec<u8>)>,
    /// Another worker evaluates: emit [`Event::EvalDue`] instead.
    pub eval_elsewhere: bool,
    /// Each step split with the linked worker: this worker's part.
    pub split: Option<Split>,
}

/// Link messages of a split run: a step's part, or the end of the run.
const PART: u8 = 1;
const END: u8 = 2;

/// One step of a run split with the linked worker: this worker's part
/// sent, the other's awaited, the update applied from both (the same on
/// both workers). `Ok(None)` when the run is over, here or there.
async fn split_step(trainer: &mut Trainer, split: Split) -> Result<Option<StepLog>, String> {
    let Some(mine) = trainer
        .step_part_async(split.part, split.parts)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let mut message = vec![PART];
    mine.write_to(&mut message);
    link::send(split.session, &message).map_err(|e| e.to_string())?;
    let theirs = match link::recv(split.session).await {
        Ok(bytes) => bytes,
        // A newer request took the link (the first worker was restarted and
        // resumed the run): this part ends quietly.
        Err(WorkerError::Superseded) if split.part > 0 => return Ok(None),
        Err(WorkerError::Failed(reason)) => return Err(reason),
        Err(e) => return Err(e.to_string()),
    };
    let theirs = match theirs.split_first() {
        Some((&PART, rest)) => StepPart::from_bytes(rest).map_err(|e| e.to_string())?,
        // The run's end, from the worker that reports it (stopped, or
        // failed); the reporting worker never hears it before its own end.
        Some((&END, _)) if split.part > 0 => return Ok(None),
        Some((&END, _)) => return Err("the second training worker ended the run early".into()),
        _ => return Err("the second training worker sent something unreadable".into()),
    };
    let mut parts = [mine, theirs];
    parts.sort_by_key(|p| p.part);
    Ok(trainer
        .complete_step(&parts)
        .map_err(|e| e.to_string())?
        .cloned())
}

/// Milliseconds of training between two checkpoints: an adapter is small;
/// every weight of a full fine-tune is the whole model.
fn checkpoint_every_ms(tuning: &Tuning) -> f64 {
    match tuning {
        Tuning::Lora(_) => 3_000.0,
        Tuning::Full => 30_000.0,
    }
}

/// Stores the adapter (or, for a full fine-tune, every weight) as it is
/// after `step` steps in the Cache API, and says so; the bytes go with the
/// event only when another worker scores the run (`elsewhere`): the page
/// itself never reads them, and 22 MB handed to its thread at each
/// checkpoint cost it a major garbage collection now and then (see
/// [`Event::Checkpoint`]).
async fn checkpoint(
    id: u64,
    step: usize,
    model: &LlamaForCausalLM,
    tuning: &Tuning,
    elsewhere: bool,
) -> Result<(), String> {
    let bytes = train::checkpoint_bytes(model, tuning)
        .await
        .map_err(|e| format!("checkpoint at step {step}: {e}"))?;
    let file = match tuning {
        Tuning::Lora(_) => "adapter_model.safetensors",
        Tuning::Full => "model.safetensors",
    };
    let kept = crate::store::keep_checkpoint(step, &bytes).await.err();
    let buffers: &[&[u8]] = if elsewhere { &[&bytes] } else { &[] };
    emit_with_buffers(
        &Event::Checkpoint {
            id,
            step,
            file: file.into(),
            kept,
        },
        buffers,
    );
    Ok(())
}

/// The size of this worker's linear memory (0 off wasm32).
fn heap_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as u64 * 65_536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

/// The engine's training configuration for the page's settings and
/// `rows` training rows (automatic epochs follow them).
pub fn config(settings: &TrainSettings, seed: u64, rows: usize) -> TrainConfig {
    let epochs = settings.epochs_for(rows);
    TrainConfig {
        lr: settings.lr,
        epochs,
        eval_every_epochs: settings.eval_epochs_for(epochs),
        batch_size: settings.batch_size,
        seed,
        truncate: true,
        tuning: tuning(settings),
        eval_max_new_tokens: EVAL_MAX_NEW_TOKENS,
        label_smoothing: settings.label_smoothing,
        activation_budget: Some(PAGE_ACTIVATION_BUDGET),
        ..TrainConfig::default()
    }
}

/// What the page's settings train: LoRA adapters or every weight.
pub fn tuning(settings: &TrainSettings) -> Tuning {
    let targets: Vec<&str> = settings.target_modules.iter().map(String::as_str).collect();
    match settings.method {
        TrainMethod::Lora => Tuning::Lora(
            LoraSettings::new(settings.lora_r, settings.lora_alpha, &targets)
                .with_dropout(settings.lora_dropout),
        ),
        TrainMethod::Full => Tuning::Full,
    }
}

pub(crate) fn examples(what: &str, lines: Vec<Value>) -> Result<Vec<Example>, String> {
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

/// Runs `job` on the loaded model, reporting as it goes (part 0 of a split
/// run, or a run of its own; a later part of a split run only trains); the
/// error is for the user.
pub async fn run(m: Rc<Loaded>, job: Job) -> Result<(), String> {
    if let Some(split) = job.split {
        if split.parts != 2 || split.part >= 2 {
            return Err(format!(
                "a run split in {} parts: the page splits runs between two workers",
                split.parts
            ));
        }
        if !link::linked() {
            return Err("a split run, but this worker is linked to no other".into());
        }
        link::begin(split.session);
    }
    let split = job.split;
    let result = run_job(m, job).await;
    if let Some(split) = split {
        let _ = link::send(split.session, &[END]);
    }
    result
}

async fn run_job(m: Rc<Loaded>, job: Job) -> Result<(), String> {
    STOP.with(|s| s.set(None));
    PAUSE.with(|p| p.set(None));
    let mut cfg = config(&job.settings, job.seed, job.train.len());
    cfg.max_seq_len = batch::length_limit(None, m.model.config.max_position_embeddings)
        .map_err(|e| e.to_string())?;
    cfg.check().map_err(|e| e.to_string())?;
    let train_examples = examples("training row", job.train)?;
    let test_examples = examples("held-out row", job.test)?;
    if train_examples.is_empty() {
        return Err("no rows to train on: add rows to the dataset".into());
    }
    let mut masked = Vec::with_capacity(train_examples.len());
    let (mut cut_rows, mut longest_cut) = (0, 0);
    for ex in &train_examples {
        let mut one = mask_example(&m.template, &m.tokenizer, ex).map_err(|e| e.to_string())?;
        let tokens = one.ids.len();
        batch::fit_length(&mut one, cfg.max_seq_len, cfg.truncate).map_err(|e| e.to_string())?;
        if one.ids.len() < tokens {
            cut_rows += 1;
            longest_cut = longest_cut.max(tokens);
        }
        masked.push(one);
    }
    let trained_tokens = masked.iter().map(|x| x.trained_count()).sum();
    let example_count = masked.len();
    // A later part of a split run only trains: no events, no evaluations
    // (the page sends it no held-out lines), no checkpoints.
    let reports = job.split.is_none_or(|s| s.part == 0);
    let set = eval_set(&m, &test_examples, &job.context, &job.settings)?;
    let model = match &job.resume {
        Some((step, bytes)) => {
            train::from_checkpoint(m.model.clone(), &cfg.tuning, job.seed, bytes)
                .map_err(|e| format!("the checkpoint of step {step}: {e}"))?
        }
        None => {
            train::prepare(m.model.clone(), &cfg.tuning, job.seed).map_err(|e| e.to_string())?
        }
    };
    let trained = match cfg.tuning {
        Tuning::Full => model.num_params(),
        Tuning::Lora(_) => model.num_params().saturating_sub(m.model.num_params()),
    };
    cfg.activation_budget = Some(page_activation_budget(
        crate::backend::is_cpu(&m.backend),
        heap_bytes(),
        trained as u64,
    ));
    let pad = train::pad_id(&m.template, &m.tokenizer);
    let mut trainer = Trainer::new(model, masked, pad, &cfg).map_err(|e| e.to_string())?;
    if let Some((step, _)) = &job.resume {
        trainer.skip_to(*step).map_err(|e| e.to_string())?;
    }
    if reports {
        emit(&Event::TrainStarted {
            id: job.id,
            total_steps: trainer.total_steps(),
            examples: example_count,
            trained_tokens,
            test_items: set.len(),
            backend: m.backend.clone(),
            max_seq_len: cfg.max_seq_len,
            cut_rows,
            longest_cut,
            held_out_beyond: prompts_beyond_context(
                &set.prompts.iter().map(Vec::len).collect::<Vec<_>>(),
                EVAL_MAX_NEW_TOKENS,
                m.model.config.max_position_embeddings,
            ),
        });
    }
    let evaluate = |model: LlamaForCausalLM, step: usize| {
        let m = m.clone();
        let set = &set;
        async move {
            let started = now_ms();
            let report = evaluate(&m, &model, set).await?;
            emit(&Event::Evaluated {
                id: job.id,
                step,
                metrics: report.metrics,
                confusion: confusion(&report),
                failures: failures(&report, set),
                seconds: (now_ms() - started) / 1000.0,
            });
            Ok::<(), String>(())
        }
    };
    let elsewhere = job.eval_elsewhere;
    if reports && !set.is_empty() && job.resume.is_none() {
        if elsewhere {
            emit(&Event::EvalDue {
                id: job.id,
                step: 0,
            });
        } else {
            evaluate(m.model.clone(), 0).await?;
        }
    }
    let mut stopped = false;
    let mut last_checkpoint = now_ms();
    let mut confirm_pause = false;
    loop {
        yield_now().await;
        if std::mem::take(&mut confirm_pause) && PAUSE.with(|p| p.get()) == Some(job.id) {
            emit(&Event::TrainPaused {
                id: job.id,
                paused: true,
            });
        }
        while PAUSE.with(|p| p.get()) == Some(job.id) && STOP.with(|s| s.get()) != Some(job.id) {
            sleep_ms(100).await;
        }
        if STOP.with(|s| s.get()) == Some(job.id) {
            stopped = true;
            break;
        }
        IN_STEP.with(|s| s.set(Some(job.id)));
        let next = match job.split {
            Some(split) => split_step(&mut trainer, split).await,
            None => trainer
                .step_async()
                .await
                .map_err(|e| e.to_string())
                .map(|log| log.cloned()),
        };
        IN_STEP.with(|s| s.set(None));
        // A pause asked during the step is confirmed once the step is
        // reported, at the top of the loop.
        confirm_pause = PAUSE.with(|p| p.get()) == Some(job.id);
        let next = next?;
        let Some(log) = next else {
            break;
        };
        if !reports {
            continue;
        }
        emit(&Event::TrainStep {
            id: job.id,
            step: log.step,
            epoch: log.epoch,
            loss: log.loss,
            lr: log.lr,
            tokens_per_sec: log.tokens_per_sec,
            elapsed_s: log.elapsed_s,
        });
        let eval_due = trainer.eval_due();
        if eval_due
            || trainer.is_done()
            || now_ms() - last_checkpoint >= checkpoint_every_ms(&cfg.tuning)
        {
            checkpoint(job.id, log.step, &trainer.current(), &cfg.tuning, elsewhere).await?;
            last_checkpoint = now_ms();
        }
        if eval_due && !set.is_empty() {
            if elsewhere {
                emit(&Event::EvalDue {
                    id: job.id,
                    step: log.step,
                });
            } else {
                yield_now().await;
                evaluate(trainer.current(), log.step).await?;
            }
        }
    }
    if !reports {
        return Ok(());
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
        examples: example_count,
        steps,
        final_loss: trained.steps.last().map(|s| s.loss),
        stopped: error.clone(),
        constrained_eval: job.settings.constrain,
        call_threshold: job.settings.call_threshold.map(|t| t as f32),
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
