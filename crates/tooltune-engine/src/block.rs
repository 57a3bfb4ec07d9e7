//! One pre-norm decoder layer, HF transformers `LlamaDecoderLayer`:
//! `x += attn(norm(x)); x += mlp(norm(x))`.

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::attention::{Attention, AttentionConfig};
use crate::cache::LayerCache;
use crate::lora::SHARED_PREFIX_ROW;
use crate::mlp::{Mlp, MlpConfig};
use crate::norm::{RmsNorm, RmsNormConfig};
use crate::rope::RopeTables;

/// Configuration of a [`DecoderLayer`].
#[derive(Config, Debug)]
pub struct DecoderLayerConfig {
    /// Attention settings.
    pub attention: AttentionConfig,
    /// MLP settings.
    pub mlp: MlpConfig,
    /// RMSNorm epsilon.
    pub rms_norm_eps: f64,
}

impl DecoderLayerConfig {
    /// A randomly initialised layer.
    pub fn init(&self, device: &Device) -> DecoderLayer {
        let norm = RmsNormConfig::new(self.attention.d_model).with_eps(self.rms_norm_eps);
        DecoderLayer {
            self_attn: self.attention.init(device),
            mlp: self.mlp.init(device),
            input_layernorm: norm.init(device),
            post_attention_layernorm: norm.init(device),
        }
    }
}

/// A decoder layer; field names equal the checkpoint's
/// (`model.layers.N.self_attn`, `.mlp`, `.input_layernorm`, ...).
///
/// # Shapes
/// - input: `[batch, seq_len, d_model]`
/// - output: `[batch, seq_len, d_model]`
#[derive(Module, Debug)]
pub struct DecoderLayer {
    /// Causal self-attention.
    pub self_attn: Attention,
    /// SwiGLU feed-forward block.
    pub mlp: Mlp,
    /// Norm before attention.
    pub input_layernorm: RmsNorm,
    /// Norm before the MLP.
    pub post_attention_layernorm: RmsNorm,
}

impl DecoderLayer {
    /// Applies the layer (extending `cache` when given).
    pub fn forward(
        &self,
        x: Tensor<3>,
        rope: &RopeTables,
        cache: Option<&mut LayerCache>,
    ) -> Tensor<3> {
        let h = self
            .self_attn
            .forward(self.input_layernorm.forward(x.clone()), rope, cache);
        let x = x + h;
        let h = self
            .mlp
            .forward(self.post_attention_layernorm.forward(x.clone()));
        x + h
    }

    /// The layer on a shared prefix and the rows' suffixes (see
    /// [`Attention::forward_shared`]); the prefix's own output only when
    /// `prefix_out` (the next layer needs it, the last does not).
    pub fn forward_shared(
        &self,
        prefix: Tensor<3>,
        suffix: Tensor<3>,
        rope_prefix: &RopeTables,
        rope_suffix: &RopeTables,
        prefix_out: bool,
    ) -> (Option<Tensor<3>>, Tensor<3>) {
        let (hp, hs) = self.self_attn.forward_shared(
            self.input_layernorm.forward(prefix.clone()),
            self.input_layernorm.forward(suffix.clone()),
            rope_prefix,
            rope_suffix,
            prefix_out,
        );
        let mlp = |x: Tensor<3>, first_row: u64| {
            let h = self
                .mlp
                .forward_from_row(self.post_attention_layernorm.forward(x.clone()), first_row);
            x + h
        };
        (
            hp.map(|h| mlp(prefix + h, SHARED_PREFIX_ROW)),
            mlp(suffix + hs, self.mlp.dropout_first_row),
        )
    }
}
