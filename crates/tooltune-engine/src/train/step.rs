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
use crate::error::{EngineError, Result};
use crate::llama::{LlamaForCausalLM, read_f32};
use crate::lora::{derive_seed, has_lora_dropout, seed_lora_dropout};

/// Mean cross-entropy of the batch's trained next tokens.
///
/// # Shapes
/// - output: `[1]`
pub fn masked_loss(model: &LlamaForCausalLM, batch: &Batch, device: &Device) -> Tensor<1> {
    let (inputs, positions, targets) = batch.tensors(device);
    let hidden = model.forward_hidden(inputs);
    let [rows, len, width] = hidden.dims();
    let picked = hidden.reshape([rows * len, width]).select(0, positions);
    let logits = model.head(picked);
    CrossEntropyLossConfig::new()
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
    /// All input tokens in the step (padding excluded).
    pub tokens: usize,
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
    device: &Device,
) -> Result<(LlamaForCausalLM, StepResult)> {
    let dropout = has_lora_dropout(&model);
    let step_seed = derive_seed(model.dropout_seed, step as u64);
    let threads = parallel_shards(device);
    // (micro-batch index, first row in it, shard)
    let shards: Vec<(u64, u64, Batch)> = batches
        .iter()
        .enumerate()
        .flat_map(|(micro, b)| {
            let mut first_row = 0;
            b.split_rows(threads).into_iter().map(move |shard| {
                let at = first_row;
                first_row += shard.rows as u64;
                (micro as u64, at, shard)
            })
        })
        .filter(|(_, _, b)| b.trained_tokens() > 0)
        .collect();
    let total: usize = shards.iter().map(|(_, _, b)| b.trained_tokens()).sum();
    let run = |(micro, first_row, batch): &(u64, u64, Batch)| -> Result<(f32, GradientsParams)> {
        // Each concurrent shard needs its own copy of the trainable leaves
        // (same parameter ids, fresh autodiff nodes): Burn files every
        // operation on a shared leaf into that leaf's graph, so shards using
        // the same leaves share one tape, and one shard's backward consumed
        // nodes the other still needed.
        let mut local = (threads > 1).then(|| model.valid().train());
        if dropout {
            let local_model = local.unwrap_or_else(|| model.clone());
            let seed = derive_seed(step_seed, *micro);
            local = Some(seed_lora_dropout(local_model, seed, *first_row));
        }
        let model = local.as_ref().unwrap_or(&model);
        let share = batch.trained_tokens() as f32 / total as f32;
        let loss = masked_loss(model, batch, device).mul_scalar(share);
        let value = read_f32(loss.clone())?.first().copied().unwrap_or(f32::NAN);
        if !value.is_finite() {
            return Err(EngineError::NonFiniteLoss {
                step,
                loss: value / share,
            });
        }
        Ok((value, GradientsParams::from_grads(loss.backward(), model)))
    };
    let mut accumulator = GradientsAccumulator::<LlamaForCausalLM>::new();
    let mut loss_sum = 0.0f32;
    for group in shards.chunks(threads) {
        for result in map_parallel(group, &run) {
            let (value, grads) = result?;
            loss_sum += value;
            accumulator.accumulate(&model, grads);
        }
    }
    let tokens = batches
        .iter()
        .filter(|b| b.trained_tokens() > 0)
        .map(|b| b.inputs.len())
        .sum();
    let model = optim.step(lr, model, accumulator.grads());
    Ok((
        model,
        StepResult {
            loss: loss_sum,
            trained_tokens: total,
            tokens,
        },
    ))
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
