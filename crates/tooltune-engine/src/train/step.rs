//! One training step, written out as in Burn's custom-training-loop example
//! (`examples/custom-training-loop/src/lib.rs`): forward, masked
//! cross-entropy, backward, gradient accumulation, optimiser step.
//!
//! The loss is Burn's `CrossEntropyLoss` over the trained positions only:
//! the hidden states of those positions are gathered first (an ignore index
//! by selection), so the vocabulary head runs on trained tokens alone. With
//! gradient accumulation each micro-batch's mean is weighted by its share of
//! the step's trained tokens, so a step's loss is the mean over all of them
//! whatever the split.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsAccumulator, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};

use super::batch::Batch;
use super::memory;
use super::part::{StepPart, flatten_grads, param_numels, sum_parts, unflatten_grads};
use crate::config::LlamaConfig;
use crate::error::{EngineError, Result};
use crate::llama::{LlamaForCausalLM, read_f32};
use crate::lora::{derive_seed, has_lora_dropout, seed_lora_dropout};
use crate::readback::read_f32_async;

/// Mean cross-entropy of the batch's trained next tokens (label-smoothed by
/// [`Batch::label_smoothing`]). A batch whose
/// rows share a prefix ([`Batch::prefix`]) runs it once (under LoRA dropout
/// with one mask for the prefix, see `Attention::forward_shared`).
///
/// # Shapes
/// - output: `[1]`
pub fn masked_loss(model: &LlamaForCausalLM, batch: &Batch, device: &Device) -> Tensor<1> {
    let (hidden, positions, targets) = if batch.prefix > 0 {
        let (prefix, suffixes, positions, targets) = batch.shared_tensors(device);
        (
            model.forward_hidden_shared(prefix, suffixes),
            positions,
            targets,
        )
    } else {
        let (inputs, positions, targets) = batch.tensors(device);
        (model.forward_hidden(inputs), positions, targets)
    };
    let [rows, len, width] = hidden.dims();
    let picked = hidden.reshape([rows * len, width]).select(0, positions);
    let logits = model.head(picked);
    let smoothing = (batch.label_smoothing > 0.0).then_some(batch.label_smoothing);
    CrossEntropyLossConfig::new()
        .with_smoothing(smoothing)
        .init(device)
        .forward(logits, targets)
}

/// The result of one optimiser step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepResult {
    /// Mean loss over the step's trained tokens.
    pub loss: f32,
    /// Trained tokens in the step.
    pub trained_tokens: usize,
    /// Input positions of the step's micro-batches, rows times their padded
    /// length (padding included, before shards are cut: see
    /// `Batch::split_rows`): the "tokens" of tokens/s.
    pub tokens: usize,
    /// Forward and backward passes the activation budget added, cutting
    /// shards into row groups ([`super::memory`]): 0 when every shard fit.
    pub extra_passes: usize,
}

/// Forward, backward and accumulate over `batches`, then one optimiser
/// update at learning rate `lr`. A NaN or infinite loss leaves `model`
/// untouched and returns [`EngineError::NonFiniteLoss`].
///
/// On the multi-threaded CPU backend each micro-batch is split by rows into
/// one shard per thread, and the shards' forward and backward passes run
/// concurrently (data parallelism, each on its own autodiff graph), their
/// gradients summed in a fixed order. burn-flex parallelises large matmuls
/// but runs element-wise ops, softmax backward and small matmuls on one
/// thread, so splitting whole steps scales better: tiny LoRA training went
/// from 1.05x to ~1.6x of the 1-thread speed on 2 threads. LoRA dropout
/// masks are seeded per row (the model's `dropout_seed`, the step, the
/// micro-batch, the row), so a seeded run gives the same curve whatever the
/// thread timing, thread count or backend (up to float summation order).
pub fn train_step(
    model: LlamaForCausalLM,
    optim: &mut ModuleOptimizer,
    batches: &[Batch],
    lr: f64,
    step: usize,
    budget: Option<u64>,
    device: &Device,
) -> Result<(LlamaForCausalLM, StepResult)> {
    let threads = parallel_shards(device);
    let plan = StepPlan::new(&model, batches, step, threads, threads > 1, budget);
    let run = |shard: &Shard| -> Result<(f32, GradientsParams)> {
        let forward = plan.forward(&model, shard, device);
        let value = read_f32(forward.loss.clone())?;
        forward.backward(&model, &value, step)
    };
    // Summed group by group, so that only a group's gradients wait at once.
    let mut sum = Sum::default();
    for group in plan.shards.chunks(plan.together) {
        for result in map_parallel(group, &run) {
            sum.add(&model, result)?;
        }
    }
    plan.update(model, optim, lr, sum)
}

/// [`train_step`] with awaited reads of the loss, for the browser (a
/// synchronous read panics on WebGPU); one shard at a time.
pub async fn train_step_async(
    model: LlamaForCausalLM,
    optim: &mut ModuleOptimizer,
    batches: &[Batch],
    lr: f64,
    step: usize,
    budget: Option<u64>,
    device: &Device,
) -> Result<(LlamaForCausalLM, StepResult)> {
    let plan = StepPlan::new(&model, batches, step, 1, false, budget);
    let mut sum = Sum::default();
    for shard in &plan.shards {
        let forward = plan.forward(&model, shard, device);
        let value = read_f32_async(forward.loss.clone()).await?;
        sum.add(&model, forward.backward(&model, &value, step))?;
    }
    plan.update(model, optim, lr, sum)
}

/// Part `part` of `parts` of a step split between workers (see
/// [`super::part`]): the forward and backward passes of shard `part` of
/// each micro-batch (split by rows as [`train_step`] splits them between
/// `parts` threads), with awaited reads. `model` is not changed; every
/// worker then calls [`apply_parts`] with all the parts.
pub async fn train_step_part_async(
    model: &LlamaForCausalLM,
    batches: &[Batch],
    step: usize,
    part: usize,
    parts: usize,
    budget: Option<u64>,
    device: &Device,
) -> Result<StepPart> {
    let plan = StepPlan::new(model, batches, step, parts, false, budget);
    let mut accumulator = GradientsAccumulator::<LlamaForCausalLM>::new();
    let mut losses = Vec::new();
    for shard in plan.shards.iter().filter(|s| s.index == part) {
        let forward = plan.forward(model, shard, device);
        let value = read_f32_async(forward.loss.clone()).await?;
        let loss = value.first().copied().unwrap_or(f32::NAN);
        losses.push((loss, forward.share));
        if !loss.is_finite() {
            // The step fails in apply_parts, on every worker alike.
            break;
        }
        let (_, grads) = forward.backward(model, &value, step)?;
        accumulator.accumulate(model, grads);
    }
    let (present, grads) = flatten_grads(model, &accumulator.grads()).await?;
    Ok(StepPart {
        step,
        part,
        losses,
        present,
        grads,
    })
}

/// The update of a step split between workers, from all its parts in
/// order (see [`train_step_part_async`]): their gradients summed, then one
/// optimiser step, as [`train_step`] takes it. A NaN or infinite loss in
/// any part returns [`EngineError::NonFiniteLoss`] (on every worker).
pub fn apply_parts(
    model: LlamaForCausalLM,
    optim: &mut ModuleOptimizer,
    batches: &[Batch],
    lr: f64,
    step: usize,
    parts: &[StepPart],
    device: &Device,
) -> Result<(LlamaForCausalLM, StepResult)> {
    // The uncut plan: each part reports a loss per pass it ran.
    let plan = StepPlan::new(&model, batches, step, parts.len(), false, None);
    for (i, p) in parts.iter().enumerate() {
        if p.part != i || p.step != step {
            return Err(EngineError::Input(format!(
                "step {step} got part {} of step {} where it wanted part {i}",
                p.part, p.step
            )));
        }
    }
    let mut loss_sum = 0.0f32;
    for &(loss, share) in parts.iter().flat_map(|p| &p.losses) {
        if !loss.is_finite() {
            return Err(EngineError::NonFiniteLoss {
                step,
                loss: loss / share,
            });
        }
        loss_sum += loss;
    }
    let (present, flat) = sum_parts(parts, &param_numels(&model))?;
    let grads = unflatten_grads(&model, &present, &flat, &device.clone().inner())?;
    let model = optim.step(lr, model, grads);
    Ok((
        model,
        StepResult {
            loss: loss_sum,
            trained_tokens: plan.total,
            tokens: plan.tokens,
            extra_passes: parts
                .iter()
                .map(|p| p.losses.len())
                .sum::<usize>()
                .saturating_sub(plan.shards.len()),
        },
    ))
}

/// Rows of one micro-batch that one thread trains on.
struct Shard {
    /// Index of the micro-batch in the step.
    micro: u64,
    /// Index of the shard's first row in its micro-batch.
    first_row: u64,
    /// Which of its micro-batch's shards it is (its pieces share it).
    index: usize,
    batch: Batch,
}

/// One step's shards and the totals their losses are weighted by.
struct StepPlan {
    shards: Vec<Shard>,
    /// Shards run at once: the threads, or 1 where their activations
    /// together would pass the budget.
    together: usize,
    /// Shards run concurrently, each on its own copy of the leaves.
    concurrent: bool,
    /// Trained tokens of the whole step.
    total: usize,
    /// Input tokens of the batches with trained tokens.
    tokens: usize,
    /// Passes the activation budget added (see [`StepResult::extra_passes`]).
    extra_passes: usize,
    dropout: bool,
    step_seed: u64,
}

/// `split`'s shards, each cut into as few row groups as keep it within
/// `budget` (see [`memory::pieces`]), dropping those with no trained token;
/// and whether every group fits (a single row may not).
fn cut_to(
    split: &[(u64, usize, Batch)],
    budget: Option<u64>,
    config: &LlamaConfig,
) -> (Vec<Shard>, bool) {
    let (mut shards, mut fits) = (Vec::new(), true);
    let (mut seen, mut first_row) = (u64::MAX, 0u64);
    for (micro, index, shard) in split {
        if *micro != seen {
            (seen, first_row) = (*micro, 0);
        }
        let n = budget.map_or(1, |b| memory::pieces(shard, config, b));
        let pieces = if n > 1 {
            shard.split_rows(n)
        } else {
            vec![shard.clone()]
        };
        for batch in pieces {
            fits &= budget.is_none_or(|b| memory::activation_bytes(&batch, config) <= b);
            let at = first_row;
            first_row += batch.rows as u64;
            if batch.trained_tokens() > 0 {
                shards.push(Shard {
                    micro: *micro,
                    first_row: at,
                    index: *index,
                    batch,
                });
            }
        }
    }
    (shards, fits)
}

/// A shard's weighted loss, before its read and backward.
struct ShardForward {
    /// The shard's own copy of the model, when it needs one.
    local: Option<LlamaForCausalLM>,
    loss: Tensor<1>,
    share: f32,
}

impl StepPlan {
    fn new(
        model: &LlamaForCausalLM,
        batches: &[Batch],
        step: usize,
        threads: usize,
        concurrent: bool,
        budget: Option<u64>,
    ) -> Self {
        let config = &model.config;
        let split: Vec<(u64, usize, Batch)> = batches
            .iter()
            .enumerate()
            .flat_map(|(micro, b)| {
                let shards = b.split_rows(threads).into_iter().enumerate();
                shards.map(move |(index, shard)| (micro as u64, index, shard))
            })
            .collect();
        // Shards that run at once share the budget. A shard over its share
        // is cut into row groups, which costs little where its rows share
        // a short prefix or none. Where they share much (a system prompt
        // and catalogue), each group would run it again; there, and where
        // even one row is over the share, the shards run one after another
        // instead, each with the whole budget (and cut only if over it).
        let threads_at_once = if concurrent { threads } else { 1 };
        let share = budget.map(|b| b / threads_at_once as u64);
        let prefixed_over = |shard: &Batch| {
            4 * shard.prefix > shard.len
                && share.is_some_and(|s| memory::activation_bytes(shard, config) > s)
        };
        let (mut together, mut shards) = (threads_at_once, None);
        if !split.iter().any(|(_, _, shard)| prefixed_over(shard)) {
            let (cut, fits) = cut_to(&split, share, config);
            if fits {
                shards = Some(cut);
            }
        }
        let shards = match shards {
            Some(shards) => shards,
            None => {
                together = 1;
                cut_to(&split, budget, config).0
            }
        };
        // A cut shard's pieces share its micro-batch and index.
        let uncut: std::collections::BTreeSet<(u64, usize)> =
            shards.iter().map(|s| (s.micro, s.index)).collect();
        Self {
            extra_passes: shards.len() - uncut.len(),
            total: shards.iter().map(|s| s.batch.trained_tokens()).sum(),
            tokens: batches
                .iter()
                .filter(|b| b.trained_tokens() > 0)
                .map(|b| b.inputs.len())
                .sum(),
            shards,
            together,
            concurrent: concurrent && together > 1,
            dropout: has_lora_dropout(model),
            step_seed: derive_seed(model.dropout_seed, step as u64),
        }
    }

    /// The shard's forward pass and loss, weighted by its share of the
    /// step's trained tokens.
    fn forward(&self, model: &LlamaForCausalLM, shard: &Shard, device: &Device) -> ShardForward {
        // Each concurrent shard needs its own copy of the trainable leaves
        // (same parameter ids, fresh autodiff nodes): Burn files every
        // operation on a shared leaf into that leaf's graph, so shards using
        // the same leaves share one tape, and one shard's backward consumed
        // nodes the other still needed.
        let mut local = self.concurrent.then(|| model.valid().train());
        if self.dropout {
            let copy = local.unwrap_or_else(|| model.clone());
            let seed = derive_seed(self.step_seed, shard.micro);
            local = Some(seed_lora_dropout(copy, seed, shard.first_row));
        }
        let share = shard.batch.trained_tokens() as f32 / self.total as f32;
        let loss = masked_loss(local.as_ref().unwrap_or(model), &shard.batch, device);
        ShardForward {
            local,
            loss: loss.mul_scalar(share),
            share,
        }
    }

    /// Takes the optimiser step on the shards' summed gradients.
    fn update(
        self,
        model: LlamaForCausalLM,
        optim: &mut ModuleOptimizer,
        lr: f64,
        mut sum: Sum,
    ) -> Result<(LlamaForCausalLM, StepResult)> {
        let model = optim.step(lr, model, sum.grads.grads());
        Ok((
            model,
            StepResult {
                loss: sum.loss,
                trained_tokens: self.total,
                tokens: self.tokens,
                extra_passes: self.extra_passes,
            },
        ))
    }
}

/// The shards' weighted losses and gradients, summed in shard order.
struct Sum {
    grads: GradientsAccumulator<LlamaForCausalLM>,
    loss: f32,
}

impl Default for Sum {
    fn default() -> Self {
        Self {
            grads: GradientsAccumulator::new(),
            loss: 0.0,
        }
    }
}

impl Sum {
    /// Adds one shard's result; its error (a NaN or infinite loss) ends the
    /// step.
    fn add(
        &mut self,
        model: &LlamaForCausalLM,
        result: Result<(f32, GradientsParams)>,
    ) -> Result<()> {
        let (value, grads) = result?;
        self.loss += value;
        self.grads.accumulate(model, grads);
        Ok(())
    }
}

impl ShardForward {
    /// Backward from the read loss `value`, unless it is NaN or infinite.
    fn backward(
        self,
        model: &LlamaForCausalLM,
        value: &[f32],
        step: usize,
    ) -> Result<(f32, GradientsParams)> {
        let value = value.first().copied().unwrap_or(f32::NAN);
        if !value.is_finite() {
            return Err(EngineError::NonFiniteLoss {
                step,
                loss: value / self.share,
            });
        }
        let model = self.local.as_ref().unwrap_or(model);
        Ok((
            value,
            GradientsParams::from_grads(self.loss.backward(), model),
        ))
    }
}

/// Shards per micro-batch: the rayon pool's threads on burn-flex, else 1.
fn parallel_shards(device: &Device) -> usize {
    #[cfg(feature = "cpu")]
    if device.clone().inner() == Device::flex() {
        return rayon::current_num_threads();
    }
    let _ = device;
    1
}

/// `items.map(f)` in order, concurrently on the rayon pool when there is one.
fn map_parallel<T: Sync, R: Send>(items: &[T], f: &(impl Fn(&T) -> R + Sync)) -> Vec<R> {
    #[cfg(feature = "cpu")]
    {
        use rayon::prelude::*;
        if items.len() > 1 {
            return items.par_iter().map(f).collect();
        }
    }
    items.iter().map(f).collect()
}
