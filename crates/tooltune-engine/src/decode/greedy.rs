//! Greedy decoding with a KV cache (or full recompute, for checking).

use crate::decode::LogitsProcessor;
use crate::error::{EngineError, Result};
use crate::llama::{LlamaForCausalLM, read_f32};

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
    let mut tokens = prompt.to_vec();
    let mut cache = model.new_cache();
    let mut pending = model.token_tensor(prompt)?;
    let mut generated = Vec::new();
    while generated.len() < config.max_new_tokens {
        let logits = if config.use_cache {
            model.forward_cached(pending, &mut cache)
        } else {
            model.forward(model.token_tensor(&tokens)?)
        };
        let [_, seq_len, vocab] = logits.dims();
        let mut last = read_f32(logits.narrow(1, seq_len - 1, 1).reshape([vocab]))?;
        processor.process(&tokens, &mut last);
        let next = argmax(&last)
            .ok_or_else(|| EngineError::Input("every token was masked".into()))?
            as u32;
        processor.on_token(next);
        tokens.push(next);
        generated.push(next);
        if config.eos_token_ids.contains(&next) {
            return Ok(Generation {
                tokens: generated,
                stop: StopReason::Eos(next),
            });
        }
        pending = model.token_tensor(&[next])?;
    }
    Ok(Generation {
        tokens: generated,
        stop: StopReason::MaxNewTokens,
    })
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
