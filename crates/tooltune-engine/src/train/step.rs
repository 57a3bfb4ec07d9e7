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

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsAccumulator, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};

use super::batch::Batch;
use crate::error::{EngineError, Result};
use crate::llama::{LlamaForCausalLM, read_f32};

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
pub fn train_step(
    model: LlamaForCausalLM,
    optim: &mut ModuleOptimizer,
    batches: &[Batch],
    lr: f64,
    step: usize,
    device: &Device,
) -> Result<(LlamaForCausalLM, StepResult)> {
    let total: usize = batches.iter().map(Batch::trained_tokens).sum();
    let mut accumulator = GradientsAccumulator::<LlamaForCausalLM>::new();
    let mut loss_sum = 0.0f32;
    let mut tokens = 0;
    for batch in batches.iter().filter(|b| b.trained_tokens() > 0) {
        let share = batch.trained_tokens() as f32 / total as f32;
        let loss = masked_loss(&model, batch, device).mul_scalar(share);
        let value = read_f32(loss.clone())?.first().copied().unwrap_or(f32::NAN);
        if !value.is_finite() {
            return Err(EngineError::NonFiniteLoss {
                step,
                loss: value / share,
            });
        }
        loss_sum += value;
        tokens += batch.inputs.len();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        accumulator.accumulate(&model, grads);
    }
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
