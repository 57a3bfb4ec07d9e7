//! The training loop as a state machine, [`Trainer`]: epochs of
//! seeded-shuffled micro-batches, one [`train_step`] per `grad_accum` of them
//! at the scheduled learning rate, evaluation points, and a stop on the first
//! NaN/infinite loss that hands back the last weights whose loss was finite:
//! on a NaN at step k, the weights step k-1 started from (the update of step
//! k-1 may be what broke them).
//!
//! One loop, three callers: [`train`] drives it natively (the CLI, the
//! tests) and evaluates with [`evaluate`] at each point; the browser worker
//! calls [`Trainer::step`] between turns of its event loop and evaluates
//! with the same prompts and [`crate::assistant::score`]. Clocks are
//! `web_time`'s (`std::time::Instant` panics in wasm).

use web_time::{Duration, Instant};

use burn::module::Module;
use burn::optim::{AdamWConfig, ModuleOptimizer};
use burn::tensor::Device;
use serde::Serialize;

use super::batch::{Batch, epoch_order};
use super::config::{TrainConfig, Tuning};
use super::mask::MaskedExample;
use super::part::StepPart;
use super::schedule::CosineWithWarmup;
use super::step::{StepResult, apply_parts, train_step, train_step_async, train_step_part_async};
use crate::assistant::{DEFAULT_BATCH_SIZE, EvalSet, evaluate};
use crate::error::{EngineError, Result};
use crate::llama::LlamaForCausalLM;
use crate::tokenizer::Tokenizer;
use tooltune_core::eval::{MatchMode, Metrics, Report};

/// One optimiser step, as logged.
#[derive(Debug, Clone, Serialize)]
pub struct StepLog {
    /// 1-based step.
    pub step: usize,
    /// Total steps of the run.
    pub total_steps: usize,
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean loss over the step's trained tokens.
    pub loss: f32,
    /// Learning rate used.
    pub lr: f64,
    /// Input tokens per second over the run so far.
    pub tokens_per_sec: f64,
    /// Seconds since training started.
    pub elapsed_s: f64,
    /// Passes the activation budget added to the step (see
    /// [`StepResult::extra_passes`]); not in `metrics.jsonl`.
    #[serde(skip)]
    pub extra_passes: usize,
}

/// One evaluation, as logged: the four metrics beside the latest loss.
#[derive(Debug, Clone, Serialize)]
pub struct EvalLog {
    /// Step after which it ran.
    pub step: usize,
    /// 1-based epoch.
    pub epoch: usize,
    /// Loss of that step.
    pub loss: f32,
    /// The scores, logged beside the step (flattened: one JSON object).
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// Hears about training progress (a progress bar, a metrics file).
pub trait Observer {
    /// After every optimiser step.
    fn on_step(&mut self, log: &StepLog);
    /// After every evaluation.
    fn on_eval(&mut self, log: &EvalLog, report: &Report);
}

/// Ignores progress.
impl Observer for () {
    fn on_step(&mut self, _: &StepLog) {}
    fn on_eval(&mut self, _: &EvalLog, _: &Report) {}
}

/// What evaluation needs besides the model.
pub struct EvalContext<'a> {
    /// The gold items and their prompts.
    pub set: &'a EvalSet,
    /// The tokenizer, to decode outputs.
    pub tokenizer: &'a Tokenizer,
    /// Ids that end a turn.
    pub stop: &'a [u32],
}

/// The end of a run.
#[derive(Debug)]
pub struct Trained {
    /// The trained model, off autodiff; after a NaN, the last weights whose
    /// loss was finite (those of the step before, see [`train`]).
    pub model: LlamaForCausalLM,
    /// Every step's log.
    pub steps: Vec<StepLog>,
    /// Why training stopped early, if it did.
    pub stopped: Option<EngineError>,
}

/// Training, one optimiser step at a time.
pub struct Trainer {
    /// On the autodiff device; `None` only while a step runs.
    model: Option<LlamaForCausalLM>,
    /// The weights the last finite-loss step started from.
    last_good: LlamaForCausalLM,
    optim: ModuleOptimizer,
    data: Vec<MaskedExample>,
    pad_id: u32,
    config: TrainConfig,
    schedule: CosineWithWarmup,
    device: Device,
    per_epoch: usize,
    total: usize,
    /// 1-based epoch of `batches`.
    epoch: usize,
    batches: Vec<Batch>,
    /// Index into `batches` of the next step's first micro-batch.
    next: usize,
    step: usize,
    tokens_seen: usize,
    /// Time spent in steps (not in evaluation, not paused).
    busy: Duration,
    steps: Vec<StepLog>,
    stopped: Option<EngineError>,
    /// Steps [`Self::skip_to`] passed over.
    skipped: usize,
    /// A step split between workers, between its part and its update.
    pending: Option<PendingStep>,
}

/// What [`Trainer::complete_step`] needs of the step
/// [`Trainer::step_part_async`] began.
struct PendingStep {
    range: std::ops::Range<usize>,
    lr: f64,
    started: Instant,
}

impl Trainer {
    /// Starts training `model` (already carrying adapters for LoRA, see
    /// [`super::prepare`]) on `data`.
    pub fn new(
        model: LlamaForCausalLM,
        data: Vec<MaskedExample>,
        pad_id: u32,
        config: &TrainConfig,
    ) -> Result<Self> {
        config.check()?;
        if data.is_empty() {
            return Err(EngineError::Input("no training examples".into()));
        }
        let device: Device = model.device().autodiff();
        // No step draws from the backend's generator (LoRA dropout masks are
        // seeded per row on the host); seeded anyway so any future draw is
        // reproducible.
        device.seed(config.seed);
        let mut model = model.fork(&device).train();
        if matches!(config.tuning, Tuning::Full) {
            model = model.train();
        }
        let optim = AdamWConfig::new()
            .with_weight_decay(config.weight_decay as f32)
            .with_epsilon(1e-8)
            .init();
        let per_epoch = config.steps_per_epoch(data.len());
        let total = per_epoch * config.epochs;
        Ok(Self {
            last_good: model.clone(),
            model: Some(model),
            optim,
            data,
            pad_id,
            config: config.clone(),
            schedule: CosineWithWarmup::new(config.lr, config.warmup_ratio, total),
            device,
            per_epoch,
            total,
            epoch: 0,
            batches: Vec::new(),
            next: 0,
            step: 0,
            tokens_seen: 0,
            busy: Duration::ZERO,
            steps: Vec::new(),
            stopped: None,
            skipped: 0,
            pending: None,
        })
    }

    /// Moves to just after step `step` without training: the data order,
    /// the learning-rate schedule and the step count are where an unbroken
    /// run's would be, so a run picked up from a checkpoint of step `step`
    /// (the model given to [`Self::new`] carrying its weights) goes on as
    /// the run would have, but with fresh AdamW moments. Call it before
    /// the first step.
    pub fn skip_to(&mut self, step: usize) -> Result<()> {
        if self.step > 0 {
            return Err(EngineError::Input(
                "a run can only skip ahead before its first step".into(),
            ));
        }
        if step > self.total {
            return Err(EngineError::Input(format!(
                "cannot resume at step {step}: the run has {} steps",
                self.total
            )));
        }
        for _ in 0..step {
            self.begin();
        }
        self.skipped = step;
        Ok(())
    }

    /// Optimiser steps of the whole run.
    pub fn total_steps(&self) -> usize {
        self.total
    }

    /// Steps taken so far (with a finite loss), those skipped by
    /// [`Self::skip_to`] included.
    pub fn steps_done(&self) -> usize {
        self.skipped + self.steps.len()
    }

    /// Every step's log so far.
    pub fn logs(&self) -> &[StepLog] {
        &self.steps
    }

    /// Whether no step is left: every epoch done, or stopped on a NaN.
    pub fn is_done(&self) -> bool {
        self.stopped.is_some() || self.step >= self.total
    }

    /// Why training stopped early, if it did.
    pub fn stopped(&self) -> Option<&EngineError> {
        self.stopped.as_ref()
    }

    /// Takes one optimiser step. `Ok(None)` when there is none left (see
    /// [`Self::is_done`]); a NaN/infinite loss is not an error here: it
    /// ends training and [`Self::finish`] hands back the last good weights.
    pub fn step(&mut self) -> Result<Option<&StepLog>> {
        let Some((range, lr)) = self.begin() else {
            return Ok(None);
        };
        let model = self.take_model()?;
        let before = model.clone();
        let started = Instant::now();
        let result = train_step(
            model,
            &mut self.optim,
            &self.batches[range],
            lr,
            self.step,
            self.config.activation_budget,
            &self.device,
        );
        self.end(result, before, lr, started)
    }

    /// [`Self::step`] with the loss read awaited, as WebGPU needs (a
    /// synchronous read panics there); the same step on any device.
    pub async fn step_async(&mut self) -> Result<Option<&StepLog>> {
        let Some((range, lr)) = self.begin() else {
            return Ok(None);
        };
        let model = self.take_model()?;
        let before = model.clone();
        let started = Instant::now();
        let result = train_step_async(
            model,
            &mut self.optim,
            &self.batches[range],
            lr,
            self.step,
            self.config.activation_budget,
            &self.device,
        )
        .await;
        self.end(result, before, lr, started)
    }

    /// Begins a step split between `parts` workers, each holding a trainer
    /// made alike (same model, data and configuration): this worker's
    /// part `part` of it, to send to the others ([`StepPart::to_bytes`]).
    /// `Ok(None)` when no step is left. Every worker then calls
    /// [`Self::complete_step`] with all the parts, and they end the step
    /// with the same weights (see [`super::part`]).
    pub async fn step_part_async(&mut self, part: usize, parts: usize) -> Result<Option<StepPart>> {
        if self.pending.is_some() {
            return Err(EngineError::Input(
                "a training step began before the last one was completed".into(),
            ));
        }
        if part >= parts {
            return Err(EngineError::Input(format!(
                "part {part} of a step split in {parts}"
            )));
        }
        let Some((range, lr)) = self.begin() else {
            return Ok(None);
        };
        let started = Instant::now();
        let model = self.model.as_ref().ok_or_else(|| {
            EngineError::Input("a previous training step failed; start again".into())
        })?;
        let out = train_step_part_async(
            model,
            &self.batches[range.clone()],
            self.step,
            part,
            parts,
            self.config.activation_budget,
            &self.device,
        )
        .await?;
        self.pending = Some(PendingStep { range, lr, started });
        Ok(Some(out))
    }

    /// Ends the step [`Self::step_part_async`] began, from every worker's
    /// part, in part order; as [`Self::step`] ends (a NaN/infinite loss in
    /// any part ends training).
    pub fn complete_step(&mut self, parts: &[StepPart]) -> Result<Option<&StepLog>> {
        let Some(p) = self.pending.take() else {
            return Err(EngineError::Input(
                "a training step was completed that had not begun".into(),
            ));
        };
        let model = self.take_model()?;
        let before = model.clone();
        let result = apply_parts(
            model,
            &mut self.optim,
            &self.batches[p.range],
            p.lr,
            self.step,
            parts,
            &self.device,
        );
        self.end(result, before, p.lr, p.started)
    }

    /// The next step's micro-batches (a range of `batches`, shuffling a new
    /// epoch when one ends) and learning rate; `None` when done.
    fn begin(&mut self) -> Option<(std::ops::Range<usize>, f64)> {
        if self.is_done() {
            return None;
        }
        if self.next >= self.batches.len() {
            self.epoch += 1;
            let order = epoch_order(self.data.len(), self.config.seed, self.epoch - 1);
            self.batches = order
                .chunks(self.config.batch_size)
                .map(|idx| {
                    let rows: Vec<&MaskedExample> = idx.iter().map(|&i| &self.data[i]).collect();
                    Batch::new(&rows, self.pad_id)
                        .with_label_smoothing(self.config.label_smoothing as f32)
                })
                .collect();
            self.next = 0;
        }
        let start = self.next;
        let end = (start + self.config.grad_accum).min(self.batches.len());
        self.next = end;
        let lr = self.schedule.lr(self.step);
        self.step += 1;
        Some((start..end, lr))
    }

    fn take_model(&mut self) -> Result<LlamaForCausalLM> {
        self.model.take().ok_or_else(|| {
            EngineError::Input("a previous training step failed; start again".into())
        })
    }

    /// Records a step's outcome: the new weights and its log, or (on a
    /// NaN/infinite loss) the end of training.
    fn end(
        &mut self,
        result: Result<(LlamaForCausalLM, StepResult)>,
        before: LlamaForCausalLM,
        lr: f64,
        started: Instant,
    ) -> Result<Option<&StepLog>> {
        let (model, result) = match result {
            Ok(r) => r,
            Err(e @ EngineError::NonFiniteLoss { .. }) => {
                self.model = Some(before);
                self.stopped = Some(e);
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        self.last_good = before;
        self.model = Some(model);
        self.busy += started.elapsed();
        self.tokens_seen += result.tokens;
        let busy = self.busy.as_secs_f64();
        self.steps.push(StepLog {
            step: self.step,
            total_steps: self.total,
            epoch: self.epoch,
            loss: result.loss,
            lr,
            tokens_per_sec: self.tokens_seen as f64 / busy.max(1e-9),
            elapsed_s: busy,
            extra_passes: result.extra_passes,
        });
        Ok(self.steps.last())
    }

    /// Whether an evaluation is due after the last step: every
    /// `eval_every` steps, or at the end of every `eval_every_epochs`-th
    /// epoch; and after the last step.
    pub fn eval_due(&self) -> bool {
        self.step > 0
            && self.stopped.is_none()
            && (self.step == self.total
                || match self.config.eval_every {
                    Some(k) => self.step.is_multiple_of(k),
                    None => self
                        .step
                        .is_multiple_of(self.per_epoch * self.config.eval_every_epochs),
                })
    }

    /// The model as it is now, off autodiff (to evaluate or save).
    pub fn current(&self) -> LlamaForCausalLM {
        self.model.as_ref().unwrap_or(&self.last_good).valid()
    }

    /// An evaluation's log line for `report`, after the last step.
    pub fn eval_log(&self, report: &Report) -> EvalLog {
        let last = self.steps.last();
        EvalLog {
            step: self.step,
            epoch: self.epoch,
            loss: last.map_or(f32::NAN, |s| s.loss),
            metrics: report.metrics,
        }
    }

    /// Ends training: the trained model (after a NaN, the last weights
    /// whose loss was finite), the logs, and why it stopped early.
    pub fn finish(self) -> Trained {
        let model = match self.stopped {
            Some(_) => self.last_good.valid(),
            None => self.model.unwrap_or(self.last_good).valid(),
        };
        Trained {
            model,
            steps: self.steps,
            stopped: self.stopped,
        }
    }
}

/// Trains `model` (already carrying adapters for LoRA) on `data` to the end,
/// evaluating at each evaluation point: [`Trainer`] driven natively.
pub fn train(
    model: LlamaForCausalLM,
    data: &[MaskedExample],
    pad_id: u32,
    config: &TrainConfig,
    eval: Option<EvalContext<'_>>,
    observer: &mut dyn Observer,
) -> Result<Trained> {
    let mut trainer = Trainer::new(model, data.to_vec(), pad_id, config)?;
    while let Some(log) = trainer.step()? {
        observer.on_step(log);
        if let (true, Some(ctx)) = (trainer.eval_due(), &eval) {
            let (report, _) = evaluate(
                &trainer.current(),
                ctx.tokenizer,
                ctx.stop,
                ctx.set,
                config.eval_max_new_tokens,
                MatchMode::Exact,
                DEFAULT_BATCH_SIZE,
            )?;
            observer.on_eval(&trainer.eval_log(&report), &report);
        }
    }
    Ok(trainer.finish())
}
