//! A batch's shared prefix, prefilled once: evaluation prompts open with
//! the same system prompt and catalogue (~160 of ~180 tokens of a
//! `datasets/support` row under the built-in template), so computing it for
//! every row repeats most of the prefill.

use burn::tensor::{Int, Tensor};

use crate::cache::KvCache;
use crate::error::Result;
use crate::llama::LlamaForCausalLM;
use crate::rope::apply_rotary;

/// Shorter shared prefixes are prefilled with each row, as before.
pub const MIN_SHARED_PREFIX: usize = 8;

/// Length of the prefix every prompt shares, leaving each prompt at least
/// one token of its own; 0 for a single prompt or a prefix shorter than
/// [`MIN_SHARED_PREFIX`].
pub fn shared_prefix_len(prompts: &[&[u32]]) -> usize {
    let Some((first, rest)) = prompts.split_first() else {
        return 0;
    };
    if rest.is_empty() {
        return 0;
    }
    let shortest = prompts.iter().map(|p| p.len()).min().unwrap_or(0);
    let mut len = 0;
    while len + 1 < shortest && rest.iter().all(|p| p[len] == first[len]) {
        len += 1;
    }
    if len < MIN_SHARED_PREFIX { 0 } else { len }
}

/// The first step's input and cache of a batch: the prompts left-padded
/// whole, or (`prefix` > 0) their first `prefix` tokens prefilled once and
/// the rest left-padded after it, each row's padding masked between the
/// prefix and its own tokens ([`KvCache::from_shared_prefix`]).
pub fn start(
    model: &LlamaForCausalLM,
    prompts: &[&[u32]],
    prefix: usize,
) -> Result<(Tensor<2, Int>, KvCache)> {
    if prefix == 0 {
        let (ids, pad) = model.padded_token_tensor(prompts)?;
        return Ok((
            ids,
            KvCache::with_left_padding(model.config.num_hidden_layers, pad),
        ));
    }
    let shared = prefill(model, &prompts[0][..prefix])?;
    after(model, &shared, prompts, prefix)
}

/// The cache of `prefix` alone (batch 1).
pub fn prefill(model: &LlamaForCausalLM, prefix: &[u32]) -> Result<KvCache> {
    let mut shared = model.new_cache();
    // Only the cache is wanted; the one position's logits are cheap.
    let _ = model.forward_last(model.token_tensor(prefix)?, Some(&mut shared));
    Ok(shared)
}

/// [`start`] after the first `prefix` tokens every prompt shares, already
/// in `shared` ([`prefill`]): several batches can go after one prefill.
pub fn after(
    model: &LlamaForCausalLM,
    shared: &KvCache,
    prompts: &[&[u32]],
    prefix: usize,
) -> Result<(Tensor<2, Int>, KvCache)> {
    let suffixes: Vec<&[u32]> = prompts.iter().map(|p| &p[prefix..]).collect();
    let (ids, gaps) = model.padded_token_tensor(&suffixes)?;
    let shift = model.key_shift_tables(&gaps);
    let cache = KvCache::from_shared_prefix(shared, gaps, |k| apply_rotary(k, &shift));
    Ok((ids, cache))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_prefix_leaves_every_prompt_a_token() {
        let long: Vec<u32> = (0..20).collect();
        let mut other = long.clone();
        other[12] = 99;
        assert_eq!(shared_prefix_len(&[&long, &other]), 12);
        assert_eq!(shared_prefix_len(&[&long, &long[..10]]), 9);
        assert_eq!(
            shared_prefix_len(&[&long, &long[..5]]),
            0,
            "too short to share"
        );
        assert_eq!(shared_prefix_len(&[&long]), 0, "one prompt");
        assert_eq!(shared_prefix_len(&[]), 0);
    }
}
