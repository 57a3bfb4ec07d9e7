//! Key/value cache for incremental decoding: each layer keeps the rotated
//! keys and the values of every position seen so far, as HF transformers'
//! `DynamicCache` does. A batch of prompts of different lengths is
//! left-padded to one length; the cache then remembers each row's padding
//! so attention never looks at the pad positions.

use burn::tensor::{Int, Tensor, TensorData};

/// Keys and values of one attention layer, in buffers with room to grow.
///
/// Appending writes the new positions into the buffers in place (a
/// uniquely owned tensor's `slice_assign` does not copy on burn-flex), and
/// the buffers double when full, instead of concatenating the whole cache
/// into a fresh tensor per token (7 % of tiny's decode time).
///
/// # Shapes
/// - buffers: `[batch, kv_heads, capacity, head_dim]`, the first `len`
///   positions valid
#[derive(Debug, Clone, Default)]
pub struct LayerCache {
    kv: Option<(Tensor<4>, Tensor<4>)>,
    len: usize,
    /// Padding of each batch row (positions `gap_start..gap_start + pad[b]`
    /// are not real tokens); empty when no row is padded.
    pad: Vec<usize>,
    /// Where the padding starts: 0 for left padding; a shared prefix's
    /// length when each row's padding sits between the prefix and the row's
    /// own tokens (see [`KvCache::from_shared_prefix`]).
    gap_start: usize,
}

/// Smallest buffer, in positions.
const MIN_CAPACITY: usize = 64;

impl LayerCache {
    /// Number of cached positions.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is cached yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Padding of each batch row; empty when no row is padded.
    pub fn padding(&self) -> &[usize] {
        &self.pad
    }

    /// The additive attention bias of `queries` new positions (the last
    /// `queries` of the `len()` cached ones) over every cached key, when some
    /// row is padded: `-inf` where the key lies in the future of the query
    /// (causal) or is a pad position of the row (`gap_start..gap_start +
    /// pad[b]`), 0 elsewhere. A pad query
    /// still sees itself, so no row of scores is all `-inf` (a NaN there
    /// would reach real rows through `0 * NaN` in `probs @ values`).
    /// `None` when no row is padded.
    ///
    /// # Shapes
    /// - output: `[batch, 1, queries, len]`
    pub fn padding_bias(&self, queries: usize, device: &burn::tensor::Device) -> Option<Tensor<4>> {
        if self.pad.iter().all(|&p| p == 0) {
            return None;
        }
        let keys = self.len;
        let first = keys - queries;
        let mut bias = Vec::with_capacity(self.pad.len() * queries * keys);
        for &pad in &self.pad {
            let gap = self.gap_start..self.gap_start + pad;
            for r in first..keys {
                bias.extend((0..keys).map(|c| {
                    if c > r || (gap.contains(&c) && c != r) {
                        f32::NEG_INFINITY
                    } else {
                        0.0
                    }
                }));
            }
        }
        let shape = [self.pad.len(), 1, queries, keys];
        Some(Tensor::from_data(TensorData::new(bias, shape), device))
    }

    /// Keeps only the batch rows `rows` (in that order): decoding drops the
    /// rows that have finished.
    pub fn select_rows(&mut self, rows: &[usize]) {
        if let Some((k, v)) = self.kv.take() {
            let index = row_index(rows, &k.device());
            self.kv = Some((k.select(0, index.clone()), v.select(0, index)));
        }
        if !self.pad.is_empty() {
            self.pad = rows.iter().map(|&r| self.pad[r]).collect();
        }
    }

    /// Appends new keys/values along the sequence axis and returns the full
    /// keys and values (cached + new), as views into the buffers.
    pub fn append(&mut self, key: Tensor<4>, value: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let [batch, heads, new, dim] = key.dims();
        let end = self.len + new;
        let (mut k, mut v) = match self.kv.take() {
            Some((k, v)) if k.dims()[2] >= end => (k, v),
            old => {
                let capacity = end.next_power_of_two().max(MIN_CAPACITY);
                let grow = |t: Option<Tensor<4>>, like: &Tensor<4>| {
                    let fresh = Tensor::<4>::zeros([batch, heads, capacity, dim], &like.device());
                    match t {
                        Some(t) if self.len > 0 => fresh.slice_assign(
                            [0..batch, 0..heads, 0..self.len, 0..dim],
                            t.narrow(2, 0, self.len),
                        ),
                        _ => fresh,
                    }
                };
                match old {
                    Some((k, v)) => (grow(Some(k), &key), grow(Some(v), &value)),
                    None => (grow(None, &key), grow(None, &value)),
                }
            }
        };
        let range = [0..batch, 0..heads, self.len..end, 0..dim];
        k = k.slice_assign(range.clone(), key);
        v = v.slice_assign(range, value);
        self.len = end;
        let views = (k.clone().narrow(2, 0, end), v.clone().narrow(2, 0, end));
        self.kv = Some((k, v));
        views
    }
}

fn row_index(rows: &[usize], device: &burn::tensor::Device) -> Tensor<1, Int> {
    let data: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
    Tensor::from_data(TensorData::new(data, [rows.len()]), device)
}

/// Per-layer caches of a whole model.
#[derive(Debug, Clone, Default)]
pub struct KvCache {
    layers: Vec<LayerCache>,
}

impl KvCache {
    /// An empty cache for `num_layers` layers.
    pub fn new(num_layers: usize) -> Self {
        Self {
            layers: vec![LayerCache::default(); num_layers],
        }
    }

    /// An empty cache for a batch whose row `b` is left-padded by `pad[b]`
    /// positions (see [`LayerCache::padding_bias`]).
    pub fn with_left_padding(num_layers: usize, pad: Vec<usize>) -> Self {
        let layer = LayerCache {
            pad,
            ..LayerCache::default()
        };
        Self {
            layers: vec![layer; num_layers],
        }
    }

    /// A batch's cache after a prefix that all its rows share: `prefix`
    /// holds that prefix, computed once (batch 1, positions `0..P`), and row
    /// `b` will go on after a gap of `gaps[b]` masked positions (its
    /// padding), so its own tokens start at position `P + gaps[b]`. Rotary
    /// positions only matter relative to each other, so each row's prefix
    /// keys are turned on by its gap (`shift` on the keys repeated once per
    /// row, see `LlamaForCausalLM::key_shift_tables`): the row then sees the
    /// prefix right before its own tokens, as in a left-padded batch of whole
    /// prompts. Values carry no position and are shared as they are.
    pub fn from_shared_prefix(
        prefix: &KvCache,
        gaps: Vec<usize>,
        shift: impl Fn(Tensor<4>) -> Tensor<4>,
    ) -> Self {
        let layers = prefix
            .layers
            .iter()
            .map(|l| {
                let kv = l.kv.as_ref().map(|(k, v)| {
                    let (k, v) = (k.clone().narrow(2, 0, l.len), v.clone().narrow(2, 0, l.len));
                    let rows = gaps.len();
                    (shift(k.repeat_dim(0, rows)), v.repeat_dim(0, rows))
                });
                LayerCache {
                    kv,
                    len: l.len,
                    pad: gaps.clone(),
                    gap_start: l.len,
                }
            })
            .collect();
        Self { layers }
    }

    /// Keeps only the batch rows `rows`, in that order, in every layer.
    pub fn select_rows(&mut self, rows: &[usize]) {
        self.layers.iter_mut().for_each(|l| l.select_rows(rows));
    }

    /// Number of positions already processed (the next token's position).
    pub fn seq_len(&self) -> usize {
        self.layers.first().map_or(0, LayerCache::len)
    }

    /// Number of layers this cache serves.
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// Mutable access to every layer's cache, in order.
    pub fn layers_mut(&mut self) -> &mut [LayerCache] {
        &mut self.layers
    }

    /// Forgets everything (same layer count, no padding).
    pub fn clear(&mut self) {
        self.layers
            .iter_mut()
            .for_each(|l| *l = LayerCache::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llama::read_f32;

    /// The bias of every query over every key of row `row`, as `-inf`/`0`
    /// marks (`x` masked, `.` seen).
    fn marks(cache: &LayerCache, queries: usize, row: usize) -> Vec<String> {
        let device = burn::tensor::Device::default();
        let bias = read_f32(cache.padding_bias(queries, &device).expect("padded")).expect("read");
        let keys = cache.len;
        bias[row * queries * keys..(row + 1) * queries * keys]
            .chunks(keys)
            .map(|r| r.iter().map(|&b| if b < 0.0 { 'x' } else { '.' }).collect())
            .collect()
    }

    #[test]
    fn a_shared_prefix_masks_each_rows_gap_after_it() {
        let device = burn::tensor::Device::default();
        let prefix = KvCache {
            layers: vec![LayerCache {
                kv: Some((
                    Tensor::zeros([1, 1, 3, 2], &device),
                    Tensor::zeros([1, 1, 3, 2], &device),
                )),
                len: 3,
                ..LayerCache::default()
            }],
        };
        let mut cache = KvCache::from_shared_prefix(&prefix, vec![0, 2], |k| k);
        let layer = &mut cache.layers_mut()[0];
        let (k, _) = layer.append(
            Tensor::zeros([2, 1, 3, 2], &device),
            Tensor::zeros([2, 1, 3, 2], &device),
        );
        assert_eq!(k.dims(), [2, 1, 6, 2]);
        // Row 0 has no gap: causal only. Row 1's keys 3 and 4 are its gap,
        // seen by no query but themselves.
        assert_eq!(marks(layer, 3, 0), ["....xx", ".....x", "......"]);
        assert_eq!(marks(layer, 3, 1), ["....xx", "...x.x", "...xx."]);
    }
}
