//! Greedy decoding with a KV cache (or full recompute, for checking),
//! with synchronous reads natively and asynchronous ones in the browser.

use burn::tensor::{Int, Tensor, TensorData};

use crate::cache::KvCache;
use crate::decode::LogitsProcessor;
use crate::decode::prefix::{self, shared_prefix_len};
use crate::error::{EngineError, Result};
use crate::llama::{LlamaForCausalLM, read_f32};
use crate::readback::read_f32_async;

/// Settings of one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateConfig {
    /// Upper bound on generated tokens.
    pub max_new_tokens: usize,
    /// Generation stops after emitting any of these (the id is kept).
    pub eos_token_ids: Vec<u32>,
    /// Reuse keys/values of earlier positions; `false` recomputes the whole
    /// sequence every step (slow; the reference the cache is tested against).
    pub use_cache: bool,
    /// Prefill a prefix that every prompt of a batch shares once for the
    /// batch (with the cache only; see [`super::prefix`]).
    pub share_prefix: bool,
}

impl GenerateConfig {
    /// Greedy, cached, `max_new_tokens` tokens, no EOS stop.
    pub fn greedy(max_new_tokens: usize) -> Self {
        Self {
            max_new_tokens,
            eos_token_ids: Vec::new(),
            use_cache: true,
            share_prefix: true,
        }
    }

    /// Stops at any of `ids`.
    pub fn with_eos(mut self, ids: &[u32]) -> Self {
        self.eos_token_ids = ids.to_vec();
        self
    }

    /// Turns the shared-prefix prefill on or off.
    pub fn with_shared_prefix(mut self, share: bool) -> Self {
        self.share_prefix = share;
        self
    }

    /// Turns the KV cache on or off.
    pub fn with_cache(mut self, use_cache: bool) -> Self {
        self.use_cache = use_cache;
        self
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// An EOS id was generated (it is the last of `tokens`).
    Eos(u32),
    /// `max_new_tokens` were generated.
    MaxNewTokens,
}

/// The result of [`generate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// Generated ids (prompt excluded).
    pub tokens: Vec<u32>,
    /// Why it stopped.
    pub stop: StopReason,
}

/// What a prompt's prefill leaves behind: its KV cache and the logits of
/// its last position, kept by [`generate_keeping_prefill`] so that other
/// continuations of the same prompt can be scored without a second prefill
/// (the odds of each call, [`crate::choices::CallPaths`]).
#[derive(Debug, Clone)]
pub struct Prefill {
    /// The prompt's token ids.
    pub prompt: Vec<u32>,
    /// Keys and values of every prompt position (batch 1).
    pub cache: KvCache,
    /// The logits after the prompt, `[1, vocab]` (before any processor).
    pub last: Tensor<2>,
}

/// Index of the largest value (first one on ties); `None` if every value is
/// NaN or negative infinity.
pub fn argmax(values: &[f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, &v) in values.iter().enumerate() {
        if v.is_nan() || v == f32::NEG_INFINITY {
            continue;
        }
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// Greedily extends `prompt` (batch 1) until an EOS id or `max_new_tokens`.
pub fn generate(
    model: &LlamaForCausalLM,
    prompt: &[u32],
    config: &GenerateConfig,
    processor: &mut impl LogitsProcessor,
) -> Result<Generation> {
    let mut out = generate_batch(model, &[prompt], config, std::slice::from_mut(processor))?;
    Ok(out.remove(0))
}

/// [`generate`] with asynchronous reads of the logits, for the browser
/// (a synchronous read panics on WebGPU); the same tokens on every backend.
pub async fn generate_async(
    model: &LlamaForCausalLM,
    prompt: &[u32],
    config: &GenerateConfig,
    processor: &mut impl LogitsProcessor,
) -> Result<Generation> {
    let processors = std::slice::from_mut(processor);
    let mut out = generate_batch_async(model, &[prompt], config, processors).await?;
    Ok(out.remove(0))
}

/// [`generate`] that also hands back the prompt's [`Prefill`] (`None`
/// without the cache).
pub fn generate_keeping_prefill(
    model: &LlamaForCausalLM,
    prompt: &[u32],
    config: &GenerateConfig,
    processor: &mut impl LogitsProcessor,
) -> Result<(Generation, Option<Prefill>)> {
    let mut state = BatchGreedy::keeping_prefill(model, prompt, config)?;
    let processors = std::slice::from_mut(processor);
    while let Some(logits) = state.next_logits()? {
        state.accept(&read_f32(logits)?, processors)?;
    }
    Ok(state.finish_keeping())
}

/// [`generate_keeping_prefill`] with asynchronous reads, for the browser.
pub async fn generate_keeping_prefill_async(
    model: &LlamaForCausalLM,
    prompt: &[u32],
    config: &GenerateConfig,
    processor: &mut impl LogitsProcessor,
) -> Result<(Generation, Option<Prefill>)> {
    let mut state = BatchGreedy::keeping_prefill(model, prompt, config)?;
    let processors = std::slice::from_mut(processor);
    while let Some(logits) = state.next_logits()? {
        state.accept(&read_f32_async(logits).await?, processors)?;
    }
    Ok(state.finish_keeping())
}

/// Greedily extends every prompt at once, each until its own EOS id or
/// `max_new_tokens`: the same tokens as [`generate`] on each prompt alone
/// (up to float rounding deciding a near tie), in one forward pass per step
/// for the whole batch. `processors[i]` serves `prompts[i]`.
///
/// Prompts are left-padded to the longest (pad positions are masked out of
/// attention; rotary positions are relative, so the shift is harmless); a
/// prefix that all of them share is prefilled once, each row's padding then
/// sitting between it and the row's own tokens (see [`super::prefix`]);
/// finished rows leave the batch once they are half of it.
pub fn generate_batch<P: LogitsProcessor>(
    model: &LlamaForCausalLM,
    prompts: &[&[u32]],
    config: &GenerateConfig,
    processors: &mut [P],
) -> Result<Vec<Generation>> {
    let mut state = BatchGreedy::new(model, prompts, config, processors.len())?;
    while let Some(logits) = state.next_logits()? {
        state.accept(&read_f32(logits)?, processors)?;
    }
    Ok(state.finish())
}

/// [`generate_batch`] with asynchronous reads, for the browser.
pub async fn generate_batch_async<P: LogitsProcessor>(
    model: &LlamaForCausalLM,
    prompts: &[&[u32]],
    config: &GenerateConfig,
    processors: &mut [P],
) -> Result<Vec<Generation>> {
    let mut state = BatchGreedy::new(model, prompts, config, processors.len())?;
    while let Some(logits) = state.next_logits()? {
        state.accept(&read_f32_async(logits).await?, processors)?;
    }
    Ok(state.finish())
}

/// One row of a batch: its sequence so far and how it ended.
struct Row {
    tokens: Vec<u32>,
    generated: Vec<u32>,
    stop: Option<StopReason>,
}

/// A batch of greedy generations between reads: the sync and async entry
/// points differ only in how they read the logits.
struct BatchGreedy<'a> {
    model: &'a LlamaForCausalLM,
    config: &'a GenerateConfig,
    rows: Vec<Row>,
    /// The row each batch position of the cache (and of the logits) holds;
    /// finished rows stay until they are half of the batch.
    batch: Vec<usize>,
    cache: KvCache,
    /// Input of the next cached step, `[batch.len(), new positions]`.
    pending: Tensor<2, Int>,
    steps: usize,
    /// Keep the first step's cache and logits (batch 1, cached only).
    keep_prefill: bool,
    kept: Option<Prefill>,
}

impl<'a> BatchGreedy<'a> {
    fn new(
        model: &'a LlamaForCausalLM,
        prompts: &[&[u32]],
        config: &'a GenerateConfig,
        processors: usize,
    ) -> Result<Self> {
        if processors != prompts.len() {
            return Err(EngineError::Input(format!(
                "{} prompts but {processors} logits processors",
                prompts.len()
            )));
        }
        let prefix = if config.use_cache && config.share_prefix {
            shared_prefix_len(prompts)
        } else {
            0
        };
        let (pending, cache) = prefix::start(model, prompts, prefix)?;
        Ok(Self {
            model,
            config,
            rows: prompts
                .iter()
                .map(|p| Row {
                    tokens: p.to_vec(),
                    generated: Vec::new(),
                    stop: None,
                })
                .collect(),
            batch: (0..prompts.len()).collect(),
            cache,
            pending,
            steps: 0,
            keep_prefill: false,
            kept: None,
        })
    }

    /// One prompt's generation that keeps its [`Prefill`].
    fn keeping_prefill(
        model: &'a LlamaForCausalLM,
        prompt: &[u32],
        config: &'a GenerateConfig,
    ) -> Result<Self> {
        let mut state = Self::new(model, &[prompt], config, 1)?;
        state.keep_prefill = true;
        Ok(state)
    }

    /// The one generation of [`Self::keeping_prefill`] and its prefill.
    fn finish_keeping(mut self) -> (Generation, Option<Prefill>) {
        let prefill = self.kept.take();
        (self.finish().remove(0), prefill)
    }

    /// The last position's logits of every batch row, `[batch, vocab]`, or
    /// `None` once every row has stopped.
    fn next_logits(&mut self) -> Result<Option<Tensor<2>>> {
        if self.steps >= self.config.max_new_tokens || self.rows.iter().all(|r| r.stop.is_some()) {
            return Ok(None);
        }
        let logits = if self.config.use_cache {
            let logits = self
                .model
                .forward_last(self.pending.clone(), Some(&mut self.cache));
            if self.steps == 0 && self.keep_prefill && self.rows.len() == 1 {
                self.kept = Some(Prefill {
                    prompt: self.rows[0].tokens.clone(),
                    cache: self.cache.clone(),
                    last: logits.clone(),
                });
            }
            logits
        } else {
            // The reference: the whole (padded) sequences again, with a
            // fresh cache that carries only the padding mask.
            let seqs: Vec<&[u32]> = self
                .batch
                .iter()
                .map(|&r| &self.rows[r].tokens[..])
                .collect();
            let (ids, pad) = self.model.padded_token_tensor(&seqs)?;
            let mut fresh = KvCache::with_left_padding(self.cache.num_layers(), pad);
            self.model.forward_last(ids, Some(&mut fresh))
        };
        Ok(Some(logits))
    }

    /// Picks each live row's next token from the read logits (`[batch *
    /// vocab]`), stops rows at EOS, and prepares the next step's input.
    fn accept(&mut self, logits: &[f32], processors: &mut [impl LogitsProcessor]) -> Result<()> {
        let vocab = logits.len() / self.batch.len();
        let mut next = Vec::with_capacity(self.batch.len());
        for (i, &r) in self.batch.iter().enumerate() {
            let row = &mut self.rows[r];
            if row.stop.is_some() {
                next.push(0);
                continue;
            }
            let mut last = logits[i * vocab..(i + 1) * vocab].to_vec();
            let processor = &mut processors[r];
            processor.process(&row.tokens, &mut last);
            let token = argmax(&last)
                .ok_or_else(|| EngineError::Input("every token was masked".into()))?
                as u32;
            processor.on_token(token);
            row.tokens.push(token);
            row.generated.push(token);
            if self.config.eos_token_ids.contains(&token) {
                row.stop = Some(StopReason::Eos(token));
            }
            next.push(i64::from(token));
        }
        self.steps += 1;
        let live: Vec<usize> = (0..self.batch.len())
            .filter(|&i| self.rows[self.batch[i]].stop.is_none())
            .collect();
        if live.is_empty() {
            return Ok(());
        }
        if 2 * live.len() <= self.batch.len() && live.len() < self.batch.len() {
            if self.config.use_cache {
                self.cache.select_rows(&live);
            }
            next = live.iter().map(|&i| next[i]).collect();
            self.batch = live.iter().map(|&i| self.batch[i]).collect();
        }
        let device = self.model.device();
        self.pending = Tensor::from_data(TensorData::new(next, [self.batch.len(), 1]), &device);
        Ok(())
    }

    /// Every row's generation, in prompt order.
    fn finish(self) -> Vec<Generation> {
        self.rows
            .into_iter()
            .map(|r| Generation {
                tokens: r.generated,
                stop: r.stop.unwrap_or(StopReason::MaxNewTokens),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_skips_masked_and_prefers_first() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0, -2.0]), Some(1));
        assert_eq!(argmax(&[f32::NEG_INFINITY, f32::NAN, -5.0]), Some(2));
        assert_eq!(argmax(&[f32::NEG_INFINITY; 3]), None);
    }
}
