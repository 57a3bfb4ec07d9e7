//! Causal multi-head self-attention with grouped key/value heads (GQA,
//! Ainslie et al. 2023), rotary positions and optional q/k/v/o bias, as in
//! HF transformers `LlamaAttention` / `Qwen2Attention`
//! (`modeling_llama.py`).

use burn::config::Config;
use burn::module::{Initializer, Module};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{Device, Tensor, TensorData};

use crate::cache::LayerCache;
use crate::lora::{Dropout, SHARED_PREFIX_ROW, project};
use crate::rope::{RopeTables, apply_rotary};

/// Query row blocks of [`Attention::attend_causal_blocks`]; more blocks
/// skip more of the masked half but add ops (and slices in backward).
const CAUSAL_BLOCKS: usize = 4;

/// Configuration of an [`Attention`] layer.
#[derive(Config, Debug)]
pub struct AttentionConfig {
    /// Model width.
    pub d_model: usize,
    /// Query heads.
    pub n_heads: usize,
    /// Key/value heads (divides `n_heads`).
    pub n_kv_heads: usize,
    /// Per-head width.
    pub head_dim: usize,
    /// Bias on q/k/v projections.
    #[config(default = false)]
    pub qkv_bias: bool,
    /// Bias on the output projection.
    #[config(default = false)]
    pub o_bias: bool,
    /// Standard deviation of the random initial weights.
    #[config(default = 0.02)]
    pub init_std: f64,
}

impl AttentionConfig {
    /// A randomly initialised layer (N(0, init_std), as HF's `_init_weights`).
    pub fn init(&self, device: &Device) -> Attention {
        let linear = |d_in: usize, d_out: usize, bias: bool| {
            LinearConfig::new(d_in, d_out)
                .with_bias(bias)
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: self.init_std,
                })
                .init(device)
        };
        let q = self.n_heads * self.head_dim;
        let kv = self.n_kv_heads * self.head_dim;
        Attention {
            q_proj: linear(self.d_model, q, self.qkv_bias),
            k_proj: linear(self.d_model, kv, self.qkv_bias),
            v_proj: linear(self.d_model, kv, self.qkv_bias),
            o_proj: linear(q, self.d_model, self.o_bias),
            n_heads: self.n_heads,
            n_kv_heads: self.n_kv_heads,
            head_dim: self.head_dim,
            lora_dropout: 0.0,
            dropout_seed: 0,
            dropout_first_row: 0,
        }
    }
}

/// `softmax(q k^T / sqrt(d) + causal) v`, with `q, k` rotated and each
/// key/value head shared by `n_heads / n_kv_heads` query heads.
///
/// # Shapes
/// - input: `[batch, seq_len, d_model]`
/// - output: `[batch, seq_len, d_model]`
#[derive(Module, Debug)]
pub struct Attention {
    /// Query projection, `d_model -> n_heads * head_dim`.
    pub q_proj: Linear,
    /// Key projection, `d_model -> n_kv_heads * head_dim`.
    pub k_proj: Linear,
    /// Value projection, `d_model -> n_kv_heads * head_dim`.
    pub v_proj: Linear,
    /// Output projection, `n_heads * head_dim -> d_model`.
    pub o_proj: Linear,
    /// Query heads.
    pub n_heads: usize,
    /// Key/value heads.
    pub n_kv_heads: usize,
    /// Per-head width.
    pub head_dim: usize,
    /// Dropout on LoRA adapters' input while training (see `lora::dropout`).
    pub lora_dropout: f64,
    /// Seed of this forward pass's dropout masks (see `lora::seed_lora_dropout`).
    pub dropout_seed: u64,
    /// The input's first row in its micro-batch (see `lora::seed_lora_dropout`).
    pub dropout_first_row: u64,
}

impl Attention {
    /// Attends over the sequence (and over `cache`, if given, which is then
    /// extended with this call's keys and values). `rope` must cover the
    /// positions of `x`, i.e. start at the cache length.
    pub fn forward(
        &self,
        x: Tensor<3>,
        rope: &RopeTables,
        cache: Option<&mut LayerCache>,
    ) -> Tensor<3> {
        let [batch, seq_len, _] = x.dims();
        let (q, k, v) = self.qkv(x, rope, self.dropout_first_row);
        let (k, v, padding) = match cache {
            Some(cache) => {
                let (k, v) = cache.append(k, v);
                let padding = cache.padding_bias(seq_len, &k.device());
                (k, v, padding)
            }
            None => (k, v, None),
        };
        let autodiff = q.device().is_autodiff();
        let out = if seq_len == 1 && !autodiff {
            self.attend_one(q, k, v, padding)
        } else if let Some(bias) = padding {
            self.attend_biased(q, k, v, bias)
        } else if autodiff && k.dims()[2] == seq_len {
            self.attend_causal_blocks(q, k, v, 0)
        } else {
            let (k, v) = (self.repeat_kv(k), self.repeat_kv(v));
            // Causal masking is aligned bottom-right, so queries at the end
            // of a longer cached key sequence see every earlier key.
            let options = AttentionModuleOptions {
                scale: None,
                softcap: None,
                is_causal: true,
            };
            attention(q, k, v, None, None, options)
        };
        self.output(out, batch, seq_len, self.dropout_first_row)
    }

    /// Attention of a batch whose rows all open with the same `prefix`
    /// (`[1, P, d_model]`, positions `0..P`), followed by each row's own
    /// `suffix` (`[rows, S, d_model]`, positions `P..P+S`): the prefix's
    /// queries, keys and values are computed once, and every suffix
    /// position attends to the prefix and to its own row up to itself,
    /// exactly as in the unshared `[rows, P+S]` batch. Returns the
    /// prefix's output (when `prefix_out`; the last layer does not need it)
    /// and the suffixes'. Under LoRA dropout the prefix has one mask for the
    /// whole batch ([`SHARED_PREFIX_ROW`]'s), where unshared rows would each
    /// draw their own.
    pub fn forward_shared(
        &self,
        prefix: Tensor<3>,
        suffix: Tensor<3>,
        rope_prefix: &RopeTables,
        rope_suffix: &RopeTables,
        prefix_out: bool,
    ) -> (Option<Tensor<3>>, Tensor<3>) {
        let [rows, s, _] = suffix.dims();
        let p = prefix.dims()[1];
        let (qp, kp, vp) = self.qkv(prefix, rope_prefix, SHARED_PREFIX_ROW);
        let (qs, ks, vs) = self.qkv(suffix, rope_suffix, self.dropout_first_row);
        let out_prefix = prefix_out.then(|| {
            let out = self.attend_causal_blocks(qp, kp.clone(), vp.clone(), 0);
            self.output(out, 1, p, SHARED_PREFIX_ROW)
        });
        let shape = [rows, self.n_kv_heads, p, self.head_dim];
        let k = Tensor::cat(vec![kp.expand(shape), ks], 2);
        let v = Tensor::cat(vec![vp.expand(shape), vs], 2);
        let out = self.attend_causal_blocks(qs, k, v, p);
        (
            out_prefix,
            self.output(out, rows, s, self.dropout_first_row),
        )
    }

    /// Queries, keys (both rotated) and values, `[batch, heads, seq,
    /// head_dim]`, of rows whose dropout masks are rows `first_row..`'s.
    fn qkv(
        &self,
        x: Tensor<3>,
        rope: &RopeTables,
        first_row: u64,
    ) -> (Tensor<4>, Tensor<4>, Tensor<4>) {
        let [batch, seq_len, _] = x.dims();
        let heads = |t: Tensor<3>, n: usize| {
            t.reshape([batch, seq_len, n, self.head_dim])
                .swap_dims(1, 2)
        };
        let q = apply_rotary(
            heads(
                project(&self.q_proj, x.clone(), self.dropout(0, first_row)),
                self.n_heads,
            ),
            rope,
        );
        let k = apply_rotary(
            heads(
                project(&self.k_proj, x.clone(), self.dropout(1, first_row)),
                self.n_kv_heads,
            ),
            rope,
        );
        let v = heads(
            project(&self.v_proj, x, self.dropout(2, first_row)),
            self.n_kv_heads,
        );
        (q, k, v)
    }

    /// The heads' outputs `[batch, heads, seq, head_dim]` merged and projected.
    fn output(&self, out: Tensor<4>, batch: usize, seq_len: usize, first_row: u64) -> Tensor<3> {
        let out = out
            .swap_dims(1, 2)
            .reshape([batch, seq_len, self.n_heads * self.head_dim]);
        project(&self.o_proj, out, self.dropout(3, first_row))
    }

    /// The LoRA dropout of projection `i` (q, k, v, o) for rows `first_row..`.
    fn dropout(&self, i: u64, first_row: u64) -> Dropout {
        Dropout::new(self.lora_dropout, self.dropout_seed, first_row, i)
    }

    /// One new position attending over every cached one (decoding), with no
    /// copy of the cache: the query heads that share a key/value head become
    /// the rows of one product (GQA by reshape instead of `repeat_kv`), and
    /// the keys and values are read in place from the cache's buffers. No
    /// causal mask: the last position sees all, except the pad positions of
    /// a left-padded batch row (`padding`, from the cache). Burn's
    /// `attention` would make the strided cache views contiguous first, and
    /// `repeat_kv` copies them `group` times.
    ///
    /// # Shapes
    /// - q: `[batch, n_heads, 1, head_dim]`; k, v: `[batch, n_kv_heads, len, head_dim]`
    /// - padding: `[batch, 1, 1, len]`
    /// - output: `[batch, n_heads, 1, head_dim]`
    fn attend_one(
        &self,
        q: Tensor<4>,
        k: Tensor<4>,
        v: Tensor<4>,
        padding: Option<Tensor<4>>,
    ) -> Tensor<4> {
        let [batch, heads, _, dim] = q.dims();
        let group = heads / self.n_kv_heads;
        let q = q
            .reshape([batch, self.n_kv_heads, group, dim])
            .mul_scalar(1.0 / (dim as f64).sqrt());
        let scores = q.matmul(k.swap_dims(2, 3));
        let scores = match padding {
            Some(bias) => scores + bias,
            None => scores,
        };
        softmax(scores, 3).matmul(v).reshape([batch, heads, 1, dim])
    }

    /// Attention with an explicit additive bias (causal and padding, from
    /// [`LayerCache::padding_bias`]): the prefill of a left-padded batch.
    ///
    /// # Shapes
    /// - q: `[batch, n_heads, seq, head_dim]`; k, v: `[batch, n_kv_heads, len, head_dim]`
    /// - bias: `[batch, 1, seq, len]`
    /// - output: `[batch, n_heads, seq, head_dim]`
    fn attend_biased(
        &self,
        q: Tensor<4>,
        k: Tensor<4>,
        v: Tensor<4>,
        bias: Tensor<4>,
    ) -> Tensor<4> {
        let dim = q.dims()[3];
        let (k, v) = (self.repeat_kv(k), self.repeat_kv(v));
        let scores = q
            .mul_scalar(1.0 / (dim as f64).sqrt())
            .matmul(k.swap_dims(2, 3));
        softmax(scores + bias, 3).matmul(v)
    }

    /// Causal attention for training, from differentiable tensor ops. Burn's
    /// `attention` under autodiff scores every query against every key, then
    /// masks the upper half. Here the queries are taken in [`CAUSAL_BLOCKS`]
    /// row blocks, block `i` scored only against the keys up to its last
    /// row (37.5 % fewer scores, exps and their backward with 4 blocks), the
    /// scale is applied to `q` (`head_dim` wide) rather than the scores, and
    /// grouped heads share their key/value head by reshape (no `repeat_kv`
    /// copies, nor the sum over copies in backward). With an `offset`, the
    /// queries are positions `offset..offset+seq` and the keys begin with
    /// `offset` earlier ones (a shared prefix) that every query sees.
    ///
    /// # Shapes
    /// - q: `[batch, n_heads, seq, head_dim]`
    /// - k, v: `[batch, n_kv_heads, offset + seq, head_dim]`
    /// - output: `[batch, n_heads, seq, head_dim]`
    fn attend_causal_blocks(
        &self,
        q: Tensor<4>,
        k: Tensor<4>,
        v: Tensor<4>,
        offset: usize,
    ) -> Tensor<4> {
        let [batch, heads, seq, dim] = q.dims();
        let (kv, group) = (self.n_kv_heads, heads / self.n_kv_heads);
        let device = q.device();
        let q = q.mul_scalar(1.0 / (dim as f64).sqrt());
        let block = seq.div_ceil(CAUSAL_BLOCKS);
        let mut outs = Vec::with_capacity(CAUSAL_BLOCKS);
        for start in (0..seq).step_by(block) {
            let len = block.min(seq - start);
            let end = start + len;
            // Rows `(g, i)`: query head `j * group + g`, position `start + i`.
            let qb = q
                .clone()
                .narrow(2, start, len)
                .reshape([batch, kv, group * len, dim]);
            let keys = offset + end;
            let scores = qb.matmul(k.clone().narrow(2, 0, keys).swap_dims(2, 3));
            let bias: Vec<f32> = (0..group * len)
                .flat_map(|r| {
                    let pos = offset + start + r % len;
                    (0..keys).map(move |c| if c > pos { f32::NEG_INFINITY } else { 0.0 })
                })
                .collect();
            let bias =
                Tensor::<4>::from_data(TensorData::new(bias, [1, 1, group * len, keys]), &device);
            let probs = softmax(scores + bias, 3);
            let out = probs.matmul(v.clone().narrow(2, 0, keys));
            outs.push(out.reshape([batch, heads, len, dim]));
        }
        Tensor::cat(outs, 2)
    }

    /// `[b, kv, s, d] -> [b, kv * group, s, d]`, kv head `j` serving query
    /// heads `j*group .. (j+1)*group` (transformers `repeat_kv`).
    fn repeat_kv(&self, x: Tensor<4>) -> Tensor<4> {
        let group = self.n_heads / self.n_kv_heads;
        if group == 1 {
            return x;
        }
        let [b, kv, s, d] = x.dims();
        x.unsqueeze_dim::<5>(2)
            .expand([b, kv, group, s, d])
            .reshape([b, kv * group, s, d])
    }
}
