//! The training loop: epochs of seeded-shuffled micro-batches, one
//! [`train_step`] per `grad_accum` of them at the scheduled learning rate,
//! evaluation (greedy generation + the four metrics) at each evaluation
//! point, and a stop on the first NaN/infinite loss that hands back the last
//! weights whose loss was finite: on a NaN at step k, the weights step k-1
//! started from (the update of step k-1 may be what broke them).

use std::time::Instant;

use burn::module::Module;
use burn::optim::AdamWConfig;
use burn::tensor::Device;
use serde::Serialize;
use tooltune_core::eval::Report;

use super::batch::{Batch, epoch_order};
use super::config::{TrainConfig, Tuning};
use super::mask::MaskedExample;
use super::schedule::CosineWithWarmup;
use super::step::train_step;
use crate::assistant::{DEFAULT_BATCH_SIZE, EvalSet, evaluate};
use crate::error::{EngineError, Result};
use crate::llama::LlamaForCausalLM;
use crate::tokenizer::Tokenizer;
use tooltune_core::eval::MatchMode;

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
    /// Items scored.
    pub n: usize,
    /// Valid-tool-call rate.
    pub valid_tool_call_rate: f64,
    /// Tool-name accuracy.
    pub tool_name_accuracy: f64,
    /// Argument-match accuracy.
    pub argument_match_accuracy: f64,
    /// False-tool-call rate.
    pub false_tool_call_rate: f64,
    /// Exactly right calls over items whose gold is a call.
    pub call_accuracy: f64,
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

/// Trains `model` (already carrying adapters for LoRA) on `data`.
pub fn train(
    model: LlamaForCausalLM,
    data: &[MaskedExample],
    pad_id: u32,
    config: &TrainConfig,
    eval: Option<EvalContext<'_>>,
    observer: &mut dyn Observer,
) -> Result<Trained> {
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
    let mut optim = AdamWConfig::new()
        .with_weight_decay(config.weight_decay as f32)
        .with_epsilon(1e-8)
        .init();
    let per_epoch = config.steps_per_epoch(data.len());
    let total = per_epoch * config.epochs;
    let schedule = CosineWithWarmup::new(config.lr, config.warmup_ratio, total);
    let started = Instant::now();
    let (mut steps, mut tokens_seen, mut step) = (Vec::new(), 0usize, 0usize);
    // The last weights whose loss was finite: after a NaN at step k, the
    // weights of step k-1 (those after update k-1 are suspect), or the
    // starting weights.
    let mut last_good = model.clone();
    for epoch in 1..=config.epochs {
        let order = epoch_order(data.len(), config.seed, epoch - 1);
        let batches: Vec<Batch> = order
            .chunks(config.batch_size)
            .map(|idx| Batch::new(&idx.iter().map(|&i| &data[i]).collect::<Vec<_>>(), pad_id))
            .collect();
        for group in batches.chunks(config.grad_accum) {
            let lr = schedule.lr(step);
            step += 1;
            let before = model.clone();
            let result = match train_step(model, &mut optim, group, lr, step, &device) {
                Ok(r) => r,
                Err(e @ EngineError::NonFiniteLoss { .. }) => {
                    return Ok(Trained {
                        model: last_good.valid(),
                        steps,
                        stopped: Some(e),
                    });
                }
                Err(e) => return Err(e),
            };
            last_good = before;
            model = result.0;
            tokens_seen += result.1.tokens;
            let elapsed = started.elapsed().as_secs_f64();
            let log = StepLog {
                step,
                total_steps: total,
                epoch,
                loss: result.1.loss,
                lr,
                tokens_per_sec: tokens_seen as f64 / elapsed.max(1e-9),
                elapsed_s: elapsed,
            };
            observer.on_step(&log);
            let due = match config.eval_every {
                Some(k) => step % k == 0 || step == total,
                None => step % per_epoch == 0,
            };
            if let (true, Some(ctx)) = (due, &eval) {
                let (report, _) = evaluate(
                    &model.valid(),
                    ctx.tokenizer,
                    ctx.stop,
                    ctx.set,
                    config.eval_max_new_tokens,
                    MatchMode::Exact,
                    DEFAULT_BATCH_SIZE,
                )?;
                let e = EvalLog {
                    step,
                    epoch,
                    loss: log.loss,
                    n: report.n,
                    valid_tool_call_rate: report.valid_tool_call_rate,
                    tool_name_accuracy: report.tool_name_accuracy,
                    argument_match_accuracy: report.argument_match_accuracy,
                    false_tool_call_rate: report.false_tool_call_rate,
                    call_accuracy: report.call_accuracy,
                };
                observer.on_eval(&e, &report);
            }
            steps.push(log);
        }
    }
    Ok(Trained {
        model: model.valid(),
        steps,
        stopped: None,
    })
}
