//! The Llama-family causal language model, HF transformers
//! `LlamaForCausalLM` / `Qwen2ForCausalLM` (`modeling_llama.py`):
//! token embedding, a stack of [`DecoderLayer`]s, a final RMSNorm and the
//! vocabulary head (its own weight, or the embedding's when tied).
//!
//! Module paths equal checkpoint keys: `model.embed_tokens.weight`,
//! `model.layers.0.self_attn.q_proj.weight`, `model.norm.weight`,
//! `lm_head.weight`.

use burn::module::{Initializer, Module};
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::module::linear;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::attention::AttentionConfig;
use crate::block::{DecoderLayer, DecoderLayerConfig};
use crate::cache::KvCache;
use crate::config::LlamaConfig;
use crate::error::{EngineError, Result};
use crate::mlp::MlpConfig;
use crate::norm::{RmsNorm, RmsNormConfig};
use crate::rope::RotaryEmbedding;

/// Standard deviation of random initial weights (HF `initializer_range`).
const INIT_STD: f64 = 0.02;

/// The decoder body (`model.*` in checkpoints).
#[derive(Module, Debug)]
pub struct LlamaModel {
    /// Token embedding, `[vocab, d_model]`.
    pub embed_tokens: Embedding,
    /// Decoder layers.
    pub layers: Vec<DecoderLayer>,
    /// Final norm.
    pub norm: RmsNorm,
}

/// A causal LM: [`LlamaModel`] plus the vocabulary head.
///
/// # Shapes
/// - input ids: `[batch, seq_len]`
/// - logits: `[batch, seq_len, vocab]`
#[derive(Module, Debug)]
pub struct LlamaForCausalLM {
    /// The decoder body.
    pub model: LlamaModel,
    /// Vocabulary head; `None` when tied to `model.embed_tokens`.
    pub lm_head: Option<Linear>,
    /// The configuration the model was built from.
    #[module(skip)]
    pub config: LlamaConfig,
    #[module(skip)]
    rope: RotaryEmbedding,
    /// The run's seed of LoRA dropout masks (see `lora::seed_lora_dropout`).
    #[module(skip)]
    pub dropout_seed: u64,
}

impl LlamaConfig {
    /// A randomly initialised model (weights N(0, 0.02), norms 1), whose
    /// parameters stay lazy until used, so loading over it is cheap.
    pub fn init(&self, device: &Device) -> LlamaForCausalLM {
        let attention = AttentionConfig::new(
            self.hidden_size,
            self.num_attention_heads,
            self.num_key_value_heads,
            self.head_dim,
        )
        .with_qkv_bias(self.qkv_bias)
        .with_o_bias(self.o_bias)
        .with_init_std(INIT_STD);
        let mlp = MlpConfig::new(self.hidden_size, self.intermediate_size)
            .with_bias(self.mlp_bias)
            .with_init_std(INIT_STD);
        let layer = DecoderLayerConfig::new(attention, mlp, self.rms_norm_eps);
        let normal = Initializer::Normal {
            mean: 0.0,
            std: INIT_STD,
        };
        let model = LlamaModel {
            embed_tokens: EmbeddingConfig::new(self.vocab_size, self.hidden_size)
                .with_initializer(normal.clone())
                .init(device),
            layers: (0..self.num_hidden_layers)
                .map(|_| layer.init(device))
                .collect(),
            norm: RmsNormConfig::new(self.hidden_size)
                .with_eps(self.rms_norm_eps)
                .init(device),
        };
        let lm_head = (!self.tie_word_embeddings).then(|| {
            LinearConfig::new(self.hidden_size, self.vocab_size)
                .with_bias(false)
                .with_initializer(normal)
                .init(device)
        });
        LlamaForCausalLM {
            model,
            lm_head,
            config: self.clone(),
            rope: RotaryEmbedding::new(self),
            dropout_seed: 0,
        }
    }
}

impl LlamaForCausalLM {
    /// Logits for every position of `input_ids` (no cache).
    pub fn forward(&self, input_ids: Tensor<2, Int>) -> Tensor<3> {
        self.run(input_ids, None)
    }

    /// Logits for `input_ids`, which continue the sequence held in `cache`;
    /// the cache is extended with them.
    pub fn forward_cached(&self, input_ids: Tensor<2, Int>, cache: &mut KvCache) -> Tensor<3> {
        self.run(input_ids, Some(cache))
    }

    /// Logits of the last position only, `[batch, vocab]`, for `input_ids`
    /// continuing the sequence in `cache` (or starting it, with `None`):
    /// what greedy decoding needs. The vocabulary head runs on one position
    /// instead of all of them: for a 128-token prompt that is a fifth to a
    /// quarter of the prefill's multiply-adds (tiny, smol135).
    pub fn forward_last(
        &self,
        input_ids: Tensor<2, Int>,
        cache: Option<&mut KvCache>,
    ) -> Tensor<2> {
        let hidden = self.hidden(input_ids, cache);
        let [batch, seq_len, width] = hidden.dims();
        self.head(hidden.narrow(1, seq_len - 1, 1).reshape([batch, width]))
    }

    /// Tables that turn cached keys of batch row `b` (already rotated) on by
    /// `shifts[b]` positions ([`crate::rope::apply_rotary`]): see
    /// [`KvCache::from_shared_prefix`].
    pub fn key_shift_tables(&self, shifts: &[usize]) -> crate::rope::RopeTables {
        self.rope.shift_tables(shifts, &self.device())
    }

    /// An empty KV cache sized for this model.
    pub fn new_cache(&self) -> KvCache {
        KvCache::new(self.model.layers.len())
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        self.model.embed_tokens.weight.lazy_device()
    }

    /// Checks ids against the vocabulary and makes a `[1, len]` tensor.
    pub fn token_tensor(&self, ids: &[u32]) -> Result<Tensor<2, Int>> {
        self.check_ids(ids)?;
        let data: Vec<i64> = ids.iter().map(|&id| i64::from(id)).collect();
        Ok(Tensor::from_data(
            TensorData::new(data, [1, ids.len()]),
            &self.device(),
        ))
    }

    /// A sequence must be non-empty and inside the vocabulary.
    fn check_ids(&self, ids: &[u32]) -> Result<()> {
        if ids.is_empty() {
            return Err(EngineError::Input("empty token sequence".into()));
        }
        if let Some(bad) = ids
            .iter()
            .find(|&&id| id as usize >= self.config.vocab_size)
        {
            return Err(EngineError::Input(format!(
                "token id {bad} is outside the vocabulary (size {})",
                self.config.vocab_size
            )));
        }
        Ok(())
    }

    /// Checks every row's ids and makes a `[rows, longest]` tensor, each row
    /// left-padded (with id 0) to the longest; returns the padding of each
    /// row, for [`KvCache::with_left_padding`].
    pub fn padded_token_tensor(&self, rows: &[&[u32]]) -> Result<(Tensor<2, Int>, Vec<usize>)> {
        if rows.is_empty() {
            return Err(EngineError::Input("no sequences to batch".into()));
        }
        let longest = rows.iter().map(|r| r.len()).max().unwrap_or(0);
        let mut data = Vec::with_capacity(rows.len() * longest);
        let mut pad = Vec::with_capacity(rows.len());
        for row in rows {
            self.check_ids(row)?;
            pad.push(longest - row.len());
            data.extend(std::iter::repeat_n(0i64, longest - row.len()));
            data.extend(row.iter().map(|&id| i64::from(id)));
        }
        let tensor =
            Tensor::from_data(TensorData::new(data, [rows.len(), longest]), &self.device());
        Ok((tensor, pad))
    }

    /// Convenience: logits of one sequence as `[seq_len][vocab]` host vectors.
    pub fn logits(&self, ids: &[u32]) -> Result<Vec<Vec<f32>>> {
        let logits = self.forward(self.token_tensor(ids)?);
        let [_, seq_len, vocab] = logits.dims();
        let flat = read_f32(logits)?;
        Ok((0..seq_len)
            .map(|p| flat[p * vocab..(p + 1) * vocab].to_vec())
            .collect())
    }

    /// The final-norm hidden states of every position (no cache), before the
    /// vocabulary head; training picks the trained positions from these so
    /// the head runs only where a loss is taken.
    ///
    /// # Shapes
    /// - input ids: `[batch, seq_len]`
    /// - output: `[batch, seq_len, d_model]`
    pub fn forward_hidden(&self, input_ids: Tensor<2, Int>) -> Tensor<3> {
        self.hidden(input_ids, None)
    }

    /// Final hidden states of the rows' suffixes `[rows, S, d_model]`, for a
    /// batch whose rows all open with `prefix_ids` (`[1, P]`) and go on
    /// with `suffix_ids` (`[rows, S]`): the prefix runs once, and each
    /// suffix attends to it. Equal to the matching positions of
    /// [`forward_hidden`](Self::forward_hidden) on the `[rows, P + S]`
    /// batch, gradients included, for a fraction of the work when the
    /// prefix is long (a system prompt and a catalogue).
    pub fn forward_hidden_shared(
        &self,
        prefix_ids: Tensor<2, Int>,
        suffix_ids: Tensor<2, Int>,
    ) -> Tensor<3> {
        let (p, s) = (prefix_ids.dims()[1], suffix_ids.dims()[1]);
        let device = self.device();
        let rope_prefix = self.rope.tables(0, p, &device);
        let rope_suffix = self.rope.tables(p, s, &device);
        let mut prefix = Some(self.model.embed_tokens.forward(prefix_ids));
        let mut x = self.model.embed_tokens.forward(suffix_ids);
        let last = self.model.layers.len().saturating_sub(1);
        for (i, layer) in self.model.layers.iter().enumerate() {
            let Some(px) = prefix.take() else { break };
            let (next, out) = layer.forward_shared(px, x, &rope_prefix, &rope_suffix, i < last);
            (prefix, x) = (next, out);
        }
        self.model.norm.forward(x)
    }

    /// Applies the vocabulary head (tied or not) to hidden states.
    pub fn head<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match &self.lm_head {
            Some(head) => head.forward(x),
            None => {
                // Rows flattened to 2-D first: for a 3-D input Burn's `linear`
                // reshapes the weight to `[1, d, vocab]`, and on burn-flex a
                // reshape of the transposed (strided) embedding copies it,
                // every call (4 MB per decoded token for tiny, 113 MB for
                // smol135: 61 % of tiny's decode time). A 2-D matmul reads the
                // transposed weight in place.
                let dims = x.dims();
                let (d_model, vocab) = (dims[D - 1], self.config.vocab_size);
                let rows = x.shape().num_elements() / d_model;
                let mut out_dims = dims;
                out_dims[D - 1] = vocab;
                let weight = self.model.embed_tokens.weight.val().transpose();
                linear(x.reshape([rows, d_model]), weight, None).reshape(out_dims)
            }
        }
    }

    fn run(&self, input_ids: Tensor<2, Int>, cache: Option<&mut KvCache>) -> Tensor<3> {
        self.head(self.hidden(input_ids, cache))
    }

    fn hidden(&self, input_ids: Tensor<2, Int>, mut cache: Option<&mut KvCache>) -> Tensor<3> {
        let [_, seq_len] = input_ids.dims();
        let offset = cache.as_ref().map_or(0, |c| c.seq_len());
        let rope = self.rope.tables(offset, seq_len, &self.device());
        let mut x = self.model.embed_tokens.forward(input_ids);
        for (i, layer) in self.model.layers.iter().enumerate() {
            let layer_cache = cache.as_deref_mut().and_then(|c| c.layers_mut().get_mut(i));
            x = layer.forward(x, &rope, layer_cache);
        }
        self.model.norm.forward(x)
    }
}

/// Reads a float tensor back to the host as f32.
pub fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.try_into_data()
        .map_err(|e| EngineError::TensorRead(format!("{e:?}")))?
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| EngineError::TensorRead(format!("{e:?}")))
}
