//! A training step split between several workers (data parallelism across
//! processes, as the page's two engine workers run it): each worker holds
//! the same model, data and optimiser, runs the forward and backward passes
//! of its own shards of the step's micro-batches ([`StepPart`]), sends the
//! part to the others as bytes, and every worker applies the same update
//! from all the parts, summed in part order. Each therefore ends the step
//! with the same weights, bit for bit, and with the weights
//! [`super::step::train_step`] gives splitting each micro-batch into as many
//! shards on as many threads (up to summation order when a step has several
//! micro-batches: a part sums its own shards first).
//!
//! Gradients travel as one flat `f32` vector over the model's trainable
//! parameters in the module's visiting order, which two copies of one
//! architecture share.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};

use crate::error::{EngineError, Result};
use crate::llama::LlamaForCausalLM;
use crate::readback::read_f32_async;

/// Tags the bytes of a [`StepPart`] (and its layout's version).
const MAGIC: &[u8; 4] = b"TTP1";

/// One worker's share of a training step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepPart {
    /// The 1-based step it belongs to.
    pub step: usize,
    /// Which part (0-based) of how many.
    pub part: usize,
    /// Each of its shards' loss, already weighted by the shard's share of
    /// the step's trained tokens, and that share; a non-finite loss means
    /// the shard skipped its backward pass.
    pub losses: Vec<(f32, f32)>,
    /// For each trainable parameter, in visiting order: whether this part
    /// has a gradient for it.
    pub present: Vec<bool>,
    /// The present gradients, flattened and concatenated.
    pub grads: Vec<f32>,
}

impl StepPart {
    /// The part as bytes (little-endian), to send to the other workers.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }

    /// Appends [`Self::to_bytes`]'s bytes to `out` (after a message's own
    /// header, say), without a copy of the gradients in between.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.reserve(44 + 8 * self.losses.len() + self.present.len() + 4 * self.grads.len());
        out.extend_from_slice(MAGIC);
        for n in [
            self.step,
            self.part,
            self.losses.len(),
            self.present.len(),
            self.grads.len(),
        ] {
            out.extend_from_slice(&(n as u64).to_le_bytes());
        }
        for (loss, share) in &self.losses {
            out.extend_from_slice(&loss.to_le_bytes());
            out.extend_from_slice(&share.to_le_bytes());
        }
        out.extend(self.present.iter().map(|&p| u8::from(p)));
        let start = out.len();
        out.resize(start + 4 * self.grads.len(), 0);
        for (chunk, g) in out[start..].chunks_exact_mut(4).zip(&self.grads) {
            chunk.copy_from_slice(&g.to_le_bytes());
        }
    }

    /// Reads [`Self::to_bytes`]'s output.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = |what: &str| EngineError::Input(format!("a training step part: {what}"));
        let rest = bytes.strip_prefix(MAGIC).ok_or_else(|| bad("not one"))?;
        let mut at = 0usize;
        let mut word = |rest: &[u8]| -> Result<usize> {
            let b = rest.get(at..at + 8).ok_or_else(|| bad("truncated"))?;
            at += 8;
            usize::try_from(u64::from_le_bytes(b.try_into().expect("8 bytes")))
                .map_err(|_| bad("a count out of range"))
        };
        let step = word(rest)?;
        let part = word(rest)?;
        let (n_losses, n_params, n_grads) = (word(rest)?, word(rest)?, word(rest)?);
        let need = n_losses
            .checked_mul(8)
            .and_then(|l| l.checked_add(n_params))
            .and_then(|l| n_grads.checked_mul(4).and_then(|g| l.checked_add(g)))
            .ok_or_else(|| bad("counts out of range"))?;
        let body = &rest[at..];
        if body.len() != need {
            return Err(bad(&format!(
                "{} bytes where its counts say {need}",
                body.len()
            )));
        }
        let f32_at = |i: usize| f32::from_le_bytes(body[i..i + 4].try_into().expect("4 bytes"));
        let losses = (0..n_losses)
            .map(|i| (f32_at(8 * i), f32_at(8 * i + 4)))
            .collect();
        let flags = &body[8 * n_losses..8 * n_losses + n_params];
        let start = 8 * n_losses + n_params;
        Ok(Self {
            step,
            part,
            losses,
            present: flags.iter().map(|&b| b != 0).collect(),
            grads: body[start..]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        })
    }
}

/// `grads` of `model`'s trainable parameters as presence flags and one
/// flat vector (awaited read, so it works on every backend).
pub async fn flatten_grads(
    model: &LlamaForCausalLM,
    grads: &GradientsParams,
) -> Result<(Vec<bool>, Vec<f32>)> {
    let mut visitor = Flatten {
        grads,
        present: Vec::new(),
        tensors: Vec::new(),
    };
    model.visit(&mut visitor);
    let flat = match visitor.tensors.len() {
        0 => Vec::new(),
        _ => read_f32_async(Tensor::cat(visitor.tensors, 0)).await?,
    };
    Ok((visitor.present, flat))
}

/// The gradients that `present` and `flat` ([`flatten_grads`]) describe,
/// as tensors on `device` (the model's inner, non-autodiff device).
pub fn unflatten_grads(
    model: &LlamaForCausalLM,
    present: &[bool],
    flat: &[f32],
    device: &Device,
) -> Result<GradientsParams> {
    let mut visitor = Unflatten {
        present,
        flat,
        param: 0,
        at: 0,
        device,
        grads: GradientsParams::new(),
        error: None,
    };
    model.visit(&mut visitor);
    if let Some(e) = visitor.error {
        return Err(EngineError::Input(format!("a training step part: {e}")));
    }
    if visitor.param != present.len() || visitor.at != flat.len() {
        return Err(EngineError::Input(format!(
            "a training step part: {} parameters and {} values where the model has {} and takes {}",
            present.len(),
            flat.len(),
            visitor.param,
            visitor.at
        )));
    }
    Ok(visitor.grads)
}

/// The parts' gradients summed in part order (a part without a gradient
/// for a parameter adds nothing to it), laid out as [`flatten_grads`] lays
/// them out. `sizes` is each trainable parameter's element count
/// ([`param_numels`]).
pub fn sum_parts(parts: &[StepPart], sizes: &[usize]) -> Result<(Vec<bool>, Vec<f32>)> {
    for part in parts {
        let want: usize = sizes
            .iter()
            .zip(&part.present)
            .filter(|(_, p)| **p)
            .map(|(s, _)| s)
            .sum();
        if part.present.len() != sizes.len() || part.grads.len() != want {
            return Err(EngineError::Input(format!(
                "training step part {} has {} parameters and {} values where the model has {} and they take {want}",
                part.part,
                part.present.len(),
                part.grads.len(),
                sizes.len()
            )));
        }
    }
    let mut offsets = vec![0usize; parts.len()];
    let mut present = Vec::with_capacity(sizes.len());
    let mut out = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let mut sum: Option<Vec<f32>> = None;
        for (p, part) in parts.iter().enumerate() {
            if !part.present[i] {
                continue;
            }
            let slice = &part.grads[offsets[p]..offsets[p] + size];
            offsets[p] += size;
            match &mut sum {
                None => sum = Some(slice.to_vec()),
                Some(acc) => acc.iter_mut().zip(slice).for_each(|(a, b)| *a += b),
            }
        }
        present.push(sum.is_some());
        out.extend(sum.unwrap_or_default());
    }
    Ok((present, out))
}

/// Each trainable parameter's element count, in visiting order.
pub fn param_numels(model: &LlamaForCausalLM) -> Vec<usize> {
    let mut v = Numels(Vec::new());
    model.visit(&mut v);
    v.0
}

struct Numels(Vec<usize>);

impl ModuleVisitor for Numels {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if param.is_require_grad() {
            self.0.push(param.val().shape().num_elements());
        }
    }
}

struct Flatten<'a> {
    grads: &'a GradientsParams,
    present: Vec<bool>,
    tensors: Vec<Tensor<1>>,
}

impl ModuleVisitor for Flatten<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if !param.is_require_grad() {
            return;
        }
        let grad = self.grads.get::<D>(param.id);
        self.present.push(grad.is_some());
        if let Some(g) = grad {
            let n = g.shape().num_elements();
            self.tensors.push(g.reshape([n]));
        }
    }
}

struct Unflatten<'a> {
    present: &'a [bool],
    flat: &'a [f32],
    param: usize,
    at: usize,
    device: &'a Device,
    grads: GradientsParams,
    error: Option<String>,
}

impl ModuleVisitor for Unflatten<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if !param.is_require_grad() || self.error.is_some() {
            return;
        }
        let i = self.param;
        self.param += 1;
        match self.present.get(i) {
            Some(true) => {}
            Some(false) => return,
            None => {
                self.error = Some("fewer parameters than the model's".into());
                return;
            }
        }
        let shape = param.val().shape();
        let n = shape.num_elements();
        let Some(values) = self.flat.get(self.at..self.at + n) else {
            self.error = Some("fewer values than the model's parameters take".into());
            return;
        };
        self.at += n;
        let tensor = Tensor::<D>::from_data(TensorData::new(values.to_vec(), shape), self.device);
        self.grads.register(param.id, tensor);
    }
}
