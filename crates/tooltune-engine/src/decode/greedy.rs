//! Greedy decoding with a KV cache (or full recompute, for checking),
//! with synchronous reads natively and asynchronous ones in the browser.

use burn::tensor::{Int, Tensor};

use crate::cache::KvCache;
use crate::decode::LogitsProcessor;
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
}

impl GenerateConfig {
    /// Greedy, cached, `max_new_tokens` tokens, no EOS stop.
    pub fn greedy(max_new_tokens: usize) -> Self {
        Self {
            max_new_tokens,
            eos_token_ids: Vec::new(),
            use_cache: true,
        }
    }

    /// Stops at any of `ids`.
    pub fn with_eos(mut self, ids: &[u32]) -> Self {
        self.eos_token_ids = ids.to_vec();
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
    let mut state = Greedy::new(model, prompt, config)?;
    while let Some(logits) = state.next_logits()? {
        if let Some(done) = state.accept(read_f32(logits)?, processor)? {
            return Ok(done);
        }
    }
    Ok(state.finish())
}

/// [`generate`] with asynchronous reads of the logits, for the browser
/// (a synchronous read panics on WebGPU); the same tokens on every backend.
pub async fn generate_async(
    model: &LlamaForCausalLM,
    prompt: &[u32],
    config: &GenerateConfig,
    processor: &mut impl LogitsProcessor,
) -> Result<Generation> {
    let mut state = Greedy::new(model, prompt, config)?;
    while let Some(logits) = state.next_logits()? {
        if let Some(done) = state.accept(read_f32_async(logits).await?, processor)? {
            return Ok(done);
        }
    }
    Ok(state.finish())
}

/// One greedy generation between reads: [`generate`] and
/// [`generate_async`] differ only in how they read the logits.
struct Greedy<'a> {
    model: &'a LlamaForCausalLM,
    config: &'a GenerateConfig,
    tokens: Vec<u32>,
    cache: KvCache,
    pending: Tensor<2, Int>,
    generated: Vec<u32>,
}

impl<'a> Greedy<'a> {
    fn new(
        model: &'a LlamaForCausalLM,
        prompt: &[u32],
        config: &'a GenerateConfig,
    ) -> Result<Self> {
        Ok(Self {
            model,
            config,
            tokens: prompt.to_vec(),
            cache: model.new_cache(),
            pending: model.token_tensor(prompt)?,
            generated: Vec::new(),
        })
    }

    /// The last position's logits `[vocab]`, or `None` once
    /// `max_new_tokens` are generated.
    fn next_logits(&mut self) -> Result<Option<Tensor<1>>> {
        if self.generated.len() >= self.config.max_new_tokens {
            return Ok(None);
        }
        let logits = if self.config.use_cache {
            self.model
                .forward_last(self.pending.clone(), Some(&mut self.cache))
        } else {
            self.model
                .forward_last(self.model.token_tensor(&self.tokens)?, None)
        };
        let [_, vocab] = logits.dims();
        Ok(Some(logits.reshape([vocab])))
    }

    /// Picks the next token from the read logits; the finished generation
    /// when it is an EOS id.
    fn accept(
        &mut self,
        mut last: Vec<f32>,
        processor: &mut impl LogitsProcessor,
    ) -> Result<Option<Generation>> {
        processor.process(&self.tokens, &mut last);
        let next = argmax(&last)
            .ok_or_else(|| EngineError::Input("every token was masked".into()))?
            as u32;
        processor.on_token(next);
        self.tokens.push(next);
        self.generated.push(next);
        if self.config.eos_token_ids.contains(&next) {
            return Ok(Some(Generation {
                tokens: std::mem::take(&mut self.generated),
                stop: StopReason::Eos(next),
            }));
        }
        self.pending = self.model.token_tensor(&[next])?;
        Ok(None)
    }

    /// The generation stopped by `max_new_tokens`.
    fn finish(self) -> Generation {
        Generation {
            tokens: self.generated,
            stop: StopReason::MaxNewTokens,
        }
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
