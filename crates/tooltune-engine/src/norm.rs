//! Root-mean-square layer norm as in HF transformers `LlamaRMSNorm`
//! (Zhang & Sennrich 2019, "Root Mean Square Layer Normalization").
//!
//! Burn has `RmsNorm` too, but names its scale `gamma`; this one names it
//! `weight`, so module paths equal the checkpoint keys
//! (`model.layers.N.input_layernorm.weight`) and loading needs no renames.

use burn::config::Config;
use burn::module::{Initializer, Module, Param};
use burn::tensor::{Device, Tensor};

/// Configuration of an [`RmsNorm`].
#[derive(Config, Debug)]
pub struct RmsNormConfig {
    /// Width of the normalised (last) axis.
    pub d_model: usize,
    /// Added to the mean square before the square root.
    #[config(default = 1e-6)]
    pub eps: f64,
}

impl RmsNormConfig {
    /// A norm with its scale set to ones.
    pub fn init(&self, device: &Device) -> RmsNorm {
        RmsNorm {
            weight: Initializer::Ones.init([self.d_model], device),
            eps: self.eps,
        }
    }
}

/// `y = weight * x / sqrt(mean(x^2) + eps)` over the last axis.
///
/// # Shapes
/// - input: `[..., d_model]`
/// - output: `[..., d_model]`
#[derive(Module, Debug)]
pub struct RmsNorm {
    /// Per-channel scale, `[d_model]`.
    pub weight: Param<Tensor<1>>,
    /// Epsilon inside the square root.
    pub eps: f64,
}

impl RmsNorm {
    /// Normalises `x` over its last axis.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let inv_rms = x
            .clone()
            .powi_scalar(2)
            .mean_dim(D - 1)
            .add_scalar(self.eps)
            .sqrt()
            .recip();
        let weight = self.weight.val().unsqueeze::<D>();
        x.mul(inv_rms).mul(weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    #[test]
    fn matches_hand_computed_values() {
        let device = crate::default_device();
        let norm = RmsNorm {
            weight: Param::from_data(TensorData::new(vec![1.0f32, 0.5, 2.0, 1.0], [4]), &device),
            eps: 0.0,
        };
        let x = Tensor::<2>::from_data(
            TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0], [1, 4]),
            &device,
        );
        let y = crate::llama::read_f32(norm.forward(x)).expect("read");
        // rms = sqrt(30 / 4); y = w * x / rms. Tolerance 1e-6 (f32).
        let want = [0.365_148_37, 0.365_148_37, 2.190_890_2, 1.460_593_5];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{y:?}");
        }
    }
}
