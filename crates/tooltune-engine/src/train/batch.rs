//! Micro-batches for causal-LM training.
//!
//! Each example gives inputs `ids[..n-1]` and targets `ids[1..]`; a target
//! is trained when its token is (see [`mask`](super::mask)). Rows are padded
//! on the right to the longest row of the batch. Padding needs no attention
//! mask: attention is causal, so a real token never sees the pads after it,
//! and positions start at 0 in every row; pad positions are never targets.
//! Order is a seeded Fisher–Yates shuffle per epoch (SplitMix64), so the
//! same seed gives the same batches.
//!
//! Tool-calling rows open alike (system prompt and catalogue, often hundreds
//! of tokens) and differ only after. A batch records how many leading
//! input tokens all its rows share, before any trained one
//! ([`Batch::prefix`]): the model can run them once for the whole batch and
//! let every row attend to them (`LlamaForCausalLM::forward_hidden_shared`),
//! with the same loss and gradients, since a causal prefix never sees what
//! follows it.

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::mask::MaskedExample;
use crate::error::{EngineError, Result};

/// One padded micro-batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// `[rows, len]` input ids, row-major.
    pub inputs: Vec<i64>,
    /// Rows in the batch.
    pub rows: usize,
    /// Padded length.
    pub len: usize,
    /// Flat positions (`row * len + t`) whose next token is trained.
    pub positions: Vec<i64>,
    /// The trained next tokens, one per position.
    pub targets: Vec<i64>,
    /// Leading input tokens every row has alike, none of them a trained
    /// position: 0 for a batch of one row or when the rows differ at once.
    pub prefix: usize,
    /// Label smoothing of the loss (Szegedy et al. 2016, as Burn's and
    /// PyTorch's cross-entropy take it): 0 trains on the targets alone.
    pub label_smoothing: f32,
}

/// Shorter shared prefixes are not worth a second attention path.
const MIN_SHARED_PREFIX: usize = 4;

impl Batch {
    /// Pads `examples` (already within the length limit) into one batch.
    pub fn new(examples: &[&MaskedExample], pad_id: u32) -> Self {
        let len = examples
            .iter()
            .map(|e| e.ids.len().saturating_sub(1))
            .max()
            .unwrap_or(0)
            .max(1);
        let mut inputs = vec![i64::from(pad_id); examples.len() * len];
        let (mut positions, mut targets) = (Vec::new(), Vec::new());
        for (row, ex) in examples.iter().enumerate() {
            for t in 0..ex.ids.len().saturating_sub(1) {
                inputs[row * len + t] = i64::from(ex.ids[t]);
                if ex.trained[t + 1] {
                    positions.push((row * len + t) as i64);
                    targets.push(i64::from(ex.ids[t + 1]));
                }
            }
        }
        let prefix = shared_prefix(examples, len, &positions);
        Self {
            inputs,
            rows: examples.len(),
            len,
            positions,
            targets,
            prefix,
            label_smoothing: 0.0,
        }
    }

    /// The same batch with its loss label-smoothed by `epsilon`.
    pub fn with_label_smoothing(mut self, epsilon: f32) -> Self {
        self.label_smoothing = epsilon;
        self
    }

    /// The same batch with nothing shared: each row runs its whole input.
    pub fn unshared(mut self) -> Self {
        self.prefix = 0;
        self
    }

    /// `(prefix [1, P], suffixes [rows, len - P], positions [n], targets
    /// [n])` on `device`, positions counted in the suffixes (`row * (len -
    /// P) + t - P`), for [`Batch::prefix`] `P > 0`.
    pub fn shared_tensors(
        &self,
        device: &Device,
    ) -> (
        Tensor<2, Int>,
        Tensor<2, Int>,
        Tensor<1, Int>,
        Tensor<1, Int>,
    ) {
        let (p, len) = (self.prefix, self.len);
        let rest = len - p;
        let suffixes: Vec<i64> = self
            .inputs
            .chunks(len)
            .flat_map(|row| row[p..].iter().copied())
            .collect();
        let positions: Vec<i64> = self
            .positions
            .iter()
            .map(|&f| {
                let (row, t) = (f as usize / len, f as usize % len);
                (row * rest + t - p) as i64
            })
            .collect();
        let n = positions.len();
        (
            Tensor::from_data(TensorData::new(self.inputs[..p].to_vec(), [1, p]), device),
            Tensor::from_data(TensorData::new(suffixes, [self.rows, rest]), device),
            Tensor::from_data(TensorData::new(positions, [n]), device),
            Tensor::from_data(TensorData::new(self.targets.clone(), [n]), device),
        )
    }

    /// Splits the rows into at most `n` consecutive groups of near-equal
    /// size (positions rebased), for data-parallel shards of one micro-batch.
    /// Each group is cut after its last trained position: the columns after
    /// it are padding or tokens no trained position sees (attention is
    /// causal), so the shard's loss and gradients are the same, computed on
    /// fewer tokens (pretraining rows run from 77 to 512 tokens, and the
    /// longest row of a batch set every shard's length).
    pub fn split_rows(&self, n: usize) -> Vec<Batch> {
        let n = n.clamp(1, self.rows.max(1));
        let mut out = Vec::with_capacity(n);
        let mut start = 0;
        for i in 0..n {
            let rows = self.rows / n + usize::from(i < self.rows % n);
            let (lo, hi) = (
                (start * self.len) as i64,
                ((start + rows) * self.len) as i64,
            );
            let (kept, targets): (Vec<i64>, Vec<i64>) = self
                .positions
                .iter()
                .zip(&self.targets)
                .filter(|(p, _)| (lo..hi).contains(*p))
                .map(|(p, t)| (p - lo, *t))
                .unzip();
            let len = kept
                .iter()
                .map(|&p| p as usize % self.len + 1)
                .max()
                .unwrap_or(self.len)
                .max(self.prefix + 1)
                .min(self.len);
            let positions = kept
                .iter()
                .map(|&p| {
                    let (row, t) = (p as usize / self.len, p as usize % self.len);
                    (row * len + t) as i64
                })
                .collect();
            let inputs = self.inputs[lo as usize..hi as usize]
                .chunks(self.len)
                .flat_map(|row| row[..len].iter().copied())
                .collect();
            out.push(Batch {
                inputs,
                rows,
                len,
                positions,
                targets,
                // Rows of a subset share at least what the set shares; a
                // one-row shard keeps it too, so that under LoRA dropout
                // the prefix has the same mask however the rows are split.
                prefix: self.prefix,
                label_smoothing: self.label_smoothing,
            });
            start += rows;
        }
        out
    }

    /// Number of trained target tokens.
    pub fn trained_tokens(&self) -> usize {
        self.targets.len()
    }

    /// `(inputs [rows, len], positions [n], targets [n])` on `device`.
    pub fn tensors(&self, device: &Device) -> (Tensor<2, Int>, Tensor<1, Int>, Tensor<1, Int>) {
        let n = self.targets.len();
        (
            Tensor::from_data(
                TensorData::new(self.inputs.clone(), [self.rows, self.len]),
                device,
            ),
            Tensor::from_data(TensorData::new(self.positions.clone(), [n]), device),
            Tensor::from_data(TensorData::new(self.targets.clone(), [n]), device),
        )
    }
}

/// How many leading input tokens all `examples` share, stopping before the
/// first trained position (flat `positions` of a batch `len` wide) and
/// leaving every row at least one token of its own.
fn shared_prefix(examples: &[&MaskedExample], len: usize, positions: &[i64]) -> usize {
    let [first, rest @ ..] = examples else {
        return 0;
    };
    if rest.is_empty() {
        return 0;
    }
    let inputs = |e: &MaskedExample| e.ids.len().saturating_sub(1);
    let shortest = examples.iter().map(|e| inputs(e)).min().unwrap_or(0);
    let first_trained = positions
        .iter()
        .map(|&f| f as usize % len.max(1))
        .min()
        .unwrap_or(0);
    let mut p = 0;
    while p < shortest.saturating_sub(1).min(first_trained)
        && rest.iter().all(|e| e.ids[p] == first.ids[p])
    {
        p += 1;
    }
    if p < MIN_SHARED_PREFIX { 0 } else { p }
}

/// The length limit when none is asked for.
pub const DEFAULT_MAX_SEQ_LEN: usize = 1024;

/// The longest a training row may be: `requested` (the user's
/// `--max-seq-len`) or [`DEFAULT_MAX_SEQ_LEN`], within the model's
/// `context` (`max_position_embeddings`), past which it has learnt no
/// position.
pub fn length_limit(requested: Option<usize>, context: usize) -> Result<usize> {
    match requested {
        Some(n) if n > context => Err(EngineError::Input(format!(
            "--max-seq-len {n} is more than the model's context of {context} positions \
             (max_position_embeddings)"
        ))),
        Some(n) => Ok(n),
        None => Ok(DEFAULT_MAX_SEQ_LEN.min(context)),
    }
}

/// Applies the length limit: truncates (`truncate`) or fails naming the
/// example's line. Examples left with no trained token are an error too.
pub fn fit_length(ex: &mut MaskedExample, max_seq_len: usize, truncate: bool) -> Result<()> {
    let tokens = ex.ids.len();
    if tokens > max_seq_len {
        if !truncate {
            return Err(EngineError::Example {
                at: ex.at.clone(),
                message: format!(
                    "{} tokens, more than --max-seq-len {max_seq_len} (raise it, up to the \
                     model's context, or pass --truncate to cut the end off)",
                    ex.ids.len()
                ),
            });
        }
        ex.ids.truncate(max_seq_len);
        ex.offsets.truncate(max_seq_len);
        ex.trained.truncate(max_seq_len);
    }
    if !ex.trained.iter().skip(1).any(|t| *t) {
        let message = if tokens > max_seq_len {
            format!(
                "{tokens} tokens, cut to the first {max_seq_len}, which hold none of its \
                 answer: a shorter system prompt or catalogue makes room"
            )
        } else {
            "no trained token: it has no assistant answer to learn".into()
        };
        return Err(EngineError::Example {
            at: ex.at.clone(),
            message,
        });
    }
    Ok(())
}

/// SplitMix64 (Steele et al. 2014): small, seedable, portable.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The example order of `epoch` (0-based) for `seed`.
pub fn epoch_order(n: usize, seed: u64, epoch: usize) -> Vec<usize> {
    let mut rng = SplitMix64::new(seed ^ (epoch as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(ids: &[u32], trained: &[bool]) -> MaskedExample {
        MaskedExample {
            at: "t:1".into(),
            text: String::new(),
            ids: ids.to_vec(),
            offsets: vec![(0, 0); ids.len()],
            trained: trained.to_vec(),
        }
    }

    #[test]
    fn pads_right_and_targets_only_trained_tokens() {
        let a = ex(&[5, 6, 7, 8], &[false, false, true, true]);
        let b = ex(&[9, 10], &[false, true]);
        let batch = Batch::new(&[&a, &b], 0);
        assert_eq!((batch.rows, batch.len), (2, 3));
        assert_eq!(batch.inputs, vec![5, 6, 7, 9, 0, 0]);
        assert_eq!(batch.positions, vec![1, 2, 3]);
        assert_eq!(batch.targets, vec![7, 8, 10]);
    }

    #[test]
    fn split_rows_rebases_positions() {
        let a = ex(&[5, 6, 7, 8], &[false, false, true, true]);
        let b = ex(&[9, 10], &[false, true]);
        let c = ex(&[1, 2, 3], &[false, true, false]);
        let batch = Batch::new(&[&a, &b, &c], 0);
        let parts = batch.split_rows(2);
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].rows, parts[1].rows), (2, 1));
        assert_eq!(parts[0].inputs, vec![5, 6, 7, 9, 0, 0]);
        assert_eq!(parts[0].positions, vec![1, 2, 3]);
        // Cut after its last trained position (t = 0): one column.
        assert_eq!((parts[1].inputs.clone(), parts[1].len), (vec![1], 1));
        assert_eq!(
            (parts[1].positions.clone(), parts[1].targets.clone()),
            (vec![0], vec![2])
        );
        assert_eq!(batch.split_rows(1), vec![batch.clone()]);
    }

    fn ints<const D: usize>(t: Tensor<D, Int>) -> Vec<i64> {
        t.into_data()
            .convert::<i64>()
            .try_to_vec::<i64>()
            .expect("integers")
    }

    #[test]
    fn the_shared_prefix_stops_before_a_difference_and_a_trained_token() {
        let f = false;
        let a = ex(&[1, 2, 3, 4, 5, 6, 7, 8], &[f, f, f, f, f, f, true, true]);
        let b = ex(&[1, 2, 3, 4, 5, 9, 9], &[f, f, f, f, f, f, true]);
        let batch = Batch::new(&[&a, &b], 0);
        assert_eq!(batch.prefix, 5);
        let (prefix, suffixes, positions, targets) = batch.shared_tensors(&Device::default());
        assert_eq!(ints(prefix), vec![1, 2, 3, 4, 5]);
        assert_eq!(ints(suffixes), vec![6, 7, 9, 0]);
        assert_eq!(ints(positions), vec![0, 1, 2]);
        assert_eq!(ints(targets), vec![7, 8, 9]);
        // A trained token inside the common part ends the prefix there.
        let c = ex(&[1, 2, 3, 4, 5, 6, 7], &[f, f, f, f, f, true, true]);
        assert_eq!(Batch::new(&[&a, &c], 0).prefix, 4);
        // Too short to share, or a single row (a shard of one keeps its batch's).
        let d = ex(&[1, 2, 7, 7, 7, 7, 7], &[f, f, f, f, f, f, true]);
        assert_eq!(Batch::new(&[&a, &d], 0).prefix, 0);
        assert_eq!(Batch::new(&[&a], 0).prefix, 0);
        assert!(batch.split_rows(2).iter().all(|s| s.prefix == 5));
        assert_eq!(Batch::new(&[&a, &b, &b], 0).split_rows(2)[0].prefix, 5);
    }

    #[test]
    fn too_long_is_an_error_unless_truncating() {
        let mut e = ex(&[1, 2, 3, 4], &[false, true, true, true]);
        let err = fit_length(&mut e, 3, false).unwrap_err().to_string();
        assert_eq!(
            err,
            "t:1: 4 tokens, more than --max-seq-len 3 (raise it, up to the model's context, or \
             pass --truncate to cut the end off)"
        );
        fit_length(&mut e, 3, true).expect("truncates");
        assert_eq!(e.ids, vec![1, 2, 3]);
    }

    #[test]
    fn a_row_without_a_trained_token_says_why() {
        // Cut before its answer: how long it was, and what makes room.
        let mut cut = ex(&[1, 2, 3, 4, 5], &[false, false, false, true, true]);
        assert_eq!(
            fit_length(&mut cut, 3, true).unwrap_err().to_string(),
            "t:1: 5 tokens, cut to the first 3, which hold none of its answer: a shorter \
             system prompt or catalogue makes room"
        );
        let mut none = ex(&[1, 2, 3], &[false, false, false]);
        assert_eq!(
            fit_length(&mut none, 8, true).unwrap_err().to_string(),
            "t:1: no trained token: it has no assistant answer to learn"
        );
    }

    #[test]
    fn the_length_limit_stays_within_the_models_context() {
        assert_eq!(length_limit(None, 8192).unwrap(), 1024);
        assert_eq!(length_limit(None, 256).unwrap(), 256);
        assert_eq!(length_limit(Some(2048), 8192).unwrap(), 2048);
        assert_eq!(length_limit(Some(256), 256).unwrap(), 256);
        assert_eq!(
            length_limit(Some(300), 256).unwrap_err().to_string(),
            "invalid input: --max-seq-len 300 is more than the model's context of 256 \
             positions (max_position_embeddings)"
        );
    }

    #[test]
    fn shuffle_is_seeded() {
        assert_eq!(epoch_order(6, 7, 0), epoch_order(6, 7, 0));
        assert_ne!(epoch_order(6, 7, 0), epoch_order(6, 7, 1));
        let mut o = epoch_order(50, 1, 0);
        o.sort_unstable();
        assert_eq!(o, (0..50).collect::<Vec<_>>());
    }
}
