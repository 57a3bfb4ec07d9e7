//! Micro-batches for causal-LM training.
//!
//! Each example gives inputs `ids[..n-1]` and targets `ids[1..]`; a target
//! is trained when its token is (see [`mask`](super::mask)). Rows are padded
//! on the right to the longest row of the batch. Padding needs no attention
//! mask: attention is causal, so a real token never sees the pads after it,
//! and positions start at 0 in every row; pad positions are never targets.
//! Order is a seeded Fisher–Yates shuffle per epoch (SplitMix64), so the
//! same seed gives the same batches.

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
}

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
        Self {
            inputs,
            rows: examples.len(),
            len,
            positions,
            targets,
        }
    }

    /// Splits the rows into at most `n` consecutive groups of near-equal
    /// size (positions rebased), for data-parallel shards of one micro-batch.
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
            let (positions, targets) = self
                .positions
                .iter()
                .zip(&self.targets)
                .filter(|(p, _)| (lo..hi).contains(*p))
                .map(|(p, t)| (p - lo, *t))
                .unzip();
            out.push(Batch {
                inputs: self.inputs[lo as usize..hi as usize].to_vec(),
                rows,
                len: self.len,
                positions,
                targets,
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

/// Applies the length limit: truncates (`truncate`) or fails naming the
/// example's line. Examples left with no trained token are an error too.
pub fn fit_length(ex: &mut MaskedExample, max_seq_len: usize, truncate: bool) -> Result<()> {
    if ex.ids.len() > max_seq_len {
        if !truncate {
            return Err(EngineError::Example {
                at: ex.at.clone(),
                message: format!(
                    "{} tokens, more than --max-seq-len {max_seq_len} (raise it, or pass \
                     --truncate to cut the end off)",
                    ex.ids.len()
                ),
            });
        }
        ex.ids.truncate(max_seq_len);
        ex.offsets.truncate(max_seq_len);
        ex.trained.truncate(max_seq_len);
    }
    if !ex.trained.iter().skip(1).any(|t| *t) {
        return Err(EngineError::Example {
            at: ex.at.clone(),
            message: "no trained token left (truncated away?)".into(),
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
        assert_eq!(parts[1].inputs, vec![1, 2, 0]);
        assert_eq!(
            (parts[1].positions.clone(), parts[1].targets.clone()),
            (vec![0], vec![2])
        );
        assert_eq!(batch.split_rows(1), vec![batch.clone()]);
    }

    #[test]
    fn too_long_is_an_error_unless_truncating() {
        let mut e = ex(&[1, 2, 3, 4], &[false, true, true, true]);
        let err = fit_length(&mut e, 3, false).unwrap_err().to_string();
        assert_eq!(
            err,
            "t:1: 4 tokens, more than --max-seq-len 3 (raise it, or pass --truncate to cut the end off)"
        );
        fit_length(&mut e, 3, true).expect("truncates");
        assert_eq!(e.ids, vec![1, 2, 3]);
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
