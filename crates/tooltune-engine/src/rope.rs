//! Rotary position embedding (Su et al. 2021, RoFormer) in the layout of HF
//! transformers `modeling_llama.py`: `rotate_half` pairs dimension `i` with
//! `i + d/2` (not adjacent pairs as in Burn's `RotaryEncoding`, which would
//! need the checkpoint's q/k rows permuted), and `inv_freq = theta^(-2i/d)`
//! optionally rescaled by Llama 3 / linear `rope_scaling`.
//!
//! Angles are computed on the host in f64, then uploaded as f32 tables, so
//! the same numbers reach every backend.

use burn::tensor::{Device, Tensor, TensorData};

use crate::config::{LlamaConfig, RopeScaling};

/// Inverse frequencies of one model; builds cos/sin tables for a position range.
#[derive(Debug, Clone, PartialEq)]
pub struct RotaryEmbedding {
    inv_freq: Vec<f64>,
}

/// cos and sin tables for a run of positions.
///
/// # Shapes
/// - `cos`, `sin`: `[1, 1, seq_len, head_dim]`, or `[rows, 1, 1, head_dim]`
///   for [`RotaryEmbedding::shift_tables`]
#[derive(Debug, Clone)]
pub struct RopeTables {
    /// cos of every angle, each half-row repeated (`[f, f]`).
    pub cos: Tensor<4>,
    /// sin of every angle, same layout as `cos`.
    pub sin: Tensor<4>,
}

impl RotaryEmbedding {
    /// Frequencies for `config.head_dim`, `rope_theta` and `rope_scaling`.
    pub fn new(config: &LlamaConfig) -> Self {
        let d = config.head_dim;
        let base: Vec<f64> = (0..d / 2)
            .map(|i| config.rope_theta.powf(-((2 * i) as f64) / d as f64))
            .collect();
        let inv_freq = match &config.rope_scaling {
            None => base,
            Some(RopeScaling::Linear { factor }) => base.iter().map(|f| f / factor).collect(),
            Some(RopeScaling::Llama3 {
                factor,
                low_freq_factor,
                high_freq_factor,
                original_max_position_embeddings,
            }) => {
                let old = *original_max_position_embeddings as f64;
                let low_wavelen = old / low_freq_factor;
                let high_wavelen = old / high_freq_factor;
                base.iter()
                    .map(|&f| {
                        let wavelen = 2.0 * std::f64::consts::PI / f;
                        if wavelen < high_wavelen {
                            f
                        } else if wavelen > low_wavelen {
                            f / factor
                        } else {
                            let smooth = (old / wavelen - low_freq_factor)
                                / (high_freq_factor - low_freq_factor);
                            (1.0 - smooth) * f / factor + smooth * f
                        }
                    })
                    .collect()
            }
        };
        Self { inv_freq }
    }

    /// The inverse frequencies, `head_dim / 2` of them.
    pub fn inv_freq(&self) -> &[f64] {
        &self.inv_freq
    }

    /// Tables for positions `offset .. offset + len`.
    pub fn tables(&self, offset: usize, len: usize, device: &Device) -> RopeTables {
        self.angles(offset..offset + len, [1, 1, len], device)
    }

    /// Tables that turn each batch row by its own number of positions,
    /// `[rows, 1, 1, head_dim]`: rotating keys already rotated at their
    /// positions moves them `shifts[b]` positions later.
    pub fn shift_tables(&self, shifts: &[usize], device: &Device) -> RopeTables {
        self.angles(shifts.iter().copied(), [shifts.len(), 1, 1], device)
    }

    /// cos/sin of `positions` (in order) laid out as `[lead.., head_dim]`.
    fn angles(
        &self,
        positions: impl Iterator<Item = usize>,
        lead: [usize; 3],
        device: &Device,
    ) -> RopeTables {
        let half = self.inv_freq.len();
        let d = 2 * half;
        let n = lead.iter().product::<usize>();
        let mut cos = Vec::with_capacity(n * d);
        let mut sin = Vec::with_capacity(n * d);
        for p in positions {
            for _ in 0..2 {
                for f in &self.inv_freq {
                    let angle = p as f64 * f;
                    cos.push(angle.cos() as f32);
                    sin.push(angle.sin() as f32);
                }
            }
        }
        let shape = [lead[0], lead[1], lead[2], d];
        let make = |v: Vec<f32>| Tensor::<4>::from_data(TensorData::new(v, shape), device);
        RopeTables {
            cos: make(cos),
            sin: make(sin),
        }
    }
}

/// Rotates `x` by the tables: `x * cos + rotate_half(x) * sin`,
/// `rotate_half([x1, x2]) = [-x2, x1]`.
///
/// # Shapes
/// - x: `[batch, heads, seq_len, head_dim]`
/// - output: same as `x`
pub fn apply_rotary(x: Tensor<4>, tables: &RopeTables) -> Tensor<4> {
    let [_, _, _, d] = x.dims();
    let half = d / 2;
    let x1 = x.clone().narrow(3, 0, half);
    let x2 = x.clone().narrow(3, half, half);
    let rotated = Tensor::cat(vec![x2.neg(), x1], 3);
    x.mul(tables.cos.clone()) + rotated.mul(tables.sin.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HfConfig;

    fn config(scaling: &str) -> LlamaConfig {
        let json = format!(
            r#"{{"vocab_size":8,"hidden_size":16,"intermediate_size":8,"num_hidden_layers":1,
            "num_attention_heads":1,"rope_theta":10000.0,"rope_scaling":{scaling}}}"#
        );
        HfConfig::from_json_bytes(json.as_bytes())
            .and_then(HfConfig::into_config)
            .expect("config")
    }

    #[test]
    fn default_frequencies() {
        let rope = RotaryEmbedding::new(&config("null"));
        // theta^(-2i/d) for d = 16: 1, 10000^-0.125, ...
        assert_eq!(rope.inv_freq().len(), 8);
        assert!((rope.inv_freq()[0] - 1.0).abs() < 1e-12);
        assert!((rope.inv_freq()[1] - 0.316_227_766_016_837_9).abs() < 1e-12);
    }

    #[test]
    fn rotation_matches_rotate_half_formula() {
        // d = 4, theta 1e4: inv_freq [1, 0.01]; x = [1, 2, 3, 4] at positions 0 and 1.
        let c = config("null");
        let c = LlamaConfig { head_dim: 4, ..c };
        let device = crate::default_device();
        let x = Tensor::<4>::from_data(
            TensorData::new(
                vec![1.0f32, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0],
                [1, 1, 2, 4],
            ),
            &device,
        );
        let y = crate::llama::read_f32(apply_rotary(
            x,
            &RotaryEmbedding::new(&c).tables(0, 2, &device),
        ))
        .expect("read");
        // Position 1: [x1 cos - x3 sin, x2 cos' - x4 sin', x3 cos + x1 sin, x4 cos' + x2 sin'].
        let want = [
            1.0,
            2.0,
            3.0,
            4.0,
            -1.984_110_6,
            1.959_900_7,
            2.462_378,
            4.019_799_7,
        ];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{y:?}");
        }
    }

    #[test]
    fn llama3_frequencies_match_transformers() {
        // transformers `_compute_llama3_parameters` with d=16, theta=1e4,
        // factor 8, low 1, high 4, original 64 (value computed in Python):
        // high frequencies untouched, the lowest divided by the factor, the
        // middle ones smoothed.
        let rope = RotaryEmbedding::new(&config(
            r#"{"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":64}"#,
        ));
        let base = RotaryEmbedding::new(&config("null"));
        let f = rope.inv_freq();
        let b = base.inv_freq();
        assert_eq!(f[0], b[0]); // wavelen 6.28 < 16: kept
        assert!((f[7] - b[7] / 8.0).abs() < 1e-15); // wavelen ~2.1e4 > 64: divided
        // i = 2: base 0.1, wavelen 62.83 lies between 16 and 64: smoothed.
        assert!((f[2] - 0.013_042_256_043_820_465).abs() < 1e-12, "{}", f[2]);
        assert!(f[2] < b[2] && f[2] > b[2] / 8.0);
    }
}
