//! Seeded initial weights, drawn on the host (SplitMix64 + Box–Muller) so a
//! pretraining run starts from the same weights on every backend and thread
//! count, and the f16 export of a checkpoint.

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

use crate::config::LlamaConfig;
use crate::error::{EngineError, Result};
use crate::train::batch::SplitMix64;

use super::circuit;
use super::route::{self, RouteTokens};
use crate::weights::HostTensor;

const STD: f64 = 0.02;

fn st_err(file: &str) -> impl Fn(safetensors::SafeTensorError) -> EngineError + '_ {
    move |e| EngineError::Safetensors {
        file: file.into(),
        message: e.to_string(),
    }
}

/// A standard normal draw (Box–Muller).
pub(super) fn standard_normal(rng: &mut SplitMix64) -> f64 {
    let (u1, u2) = (rng.next_f64().max(1e-300), rng.next_f64());
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// How the initial weights are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    /// transformers' `_init_weights`, nothing else.
    Random,
    /// The same, with a hand-built copy (induction) circuit in layers 0 and 1
    /// (see `circuit.rs`) that matches the current and the previous token.
    CopyCircuit,
    /// The copy circuit matching the last three tokens, not two, so a value
    /// whose pairs repeat (`29797`) has one place to continue from.
    CopyCircuit3,
    /// The two-token copy circuit and a routing circuit in the heads it
    /// leaves free (see `route.rs`), which reads the tool's name from the
    /// catalogue line whose words the request repeats (an experiment).
    CopyRoute(RouteTokens),
}

impl Init {
    /// Tokens the copy circuit matches, if there is one.
    fn circuit_order(self) -> Option<usize> {
        match self {
            Init::Random => None,
            Init::CopyCircuit | Init::CopyRoute(_) => Some(2),
            Init::CopyCircuit3 => Some(3),
        }
    }

    /// The `--init` value naming it (`copy-route` takes its tokens from
    /// `tokenizer`), if any.
    pub fn parse(name: &str, tokenizer: &crate::Tokenizer) -> Result<Option<Self>> {
        Ok(match name {
            "random" => Some(Init::Random),
            "copy-circuit" => Some(Init::CopyCircuit),
            "copy-circuit-3" => Some(Init::CopyCircuit3),
            "copy-route" => Some(Init::CopyRoute(RouteTokens::from_tokenizer(tokenizer)?)),
            _ => None,
        })
    }
}

/// `model.safetensors` (f32, Hugging Face keys, `[out, in]` linear weights)
/// of a freshly initialised model: N(0, 0.02) everywhere, residual output
/// projections (`o_proj`, `down_proj`) N(0, 0.02 / sqrt(2 L)), norms 1; with
/// [`Init::CopyCircuit`], the circuit written over that.
pub fn init_safetensors(config: &LlamaConfig, seed: u64, init: Init) -> Result<Vec<u8>> {
    let mut rng = SplitMix64::new(seed);
    let (h, i, v) = (
        config.hidden_size,
        config.intermediate_size,
        config.vocab_size,
    );
    let q = config.num_attention_heads * config.head_dim;
    let kv = config.num_key_value_heads * config.head_dim;
    let residual = STD / (2.0 * config.num_hidden_layers as f64).sqrt();
    let mut tensors: Vec<(String, HostTensor)> = Vec::new();
    let mut normal = |name: String, shape: Vec<usize>, std: f64| {
        let n: usize = shape.iter().product();
        let data = (0..n)
            .map(|_| (standard_normal(&mut rng) * std) as f32)
            .collect();
        (name, HostTensor { shape, data })
    };
    tensors.push(normal("model.embed_tokens.weight".into(), vec![v, h], STD));
    for l in 0..config.num_hidden_layers {
        let p = format!("model.layers.{l}");
        tensors.push(normal(
            format!("{p}.self_attn.q_proj.weight"),
            vec![q, h],
            STD,
        ));
        tensors.push(normal(
            format!("{p}.self_attn.k_proj.weight"),
            vec![kv, h],
            STD,
        ));
        tensors.push(normal(
            format!("{p}.self_attn.v_proj.weight"),
            vec![kv, h],
            STD,
        ));
        tensors.push(normal(
            format!("{p}.self_attn.o_proj.weight"),
            vec![h, q],
            residual,
        ));
        tensors.push(normal(format!("{p}.mlp.gate_proj.weight"), vec![i, h], STD));
        tensors.push(normal(format!("{p}.mlp.up_proj.weight"), vec![i, h], STD));
        tensors.push(normal(
            format!("{p}.mlp.down_proj.weight"),
            vec![h, i],
            residual,
        ));
    }
    if !config.tie_word_embeddings {
        tensors.push(normal("lm_head.weight".into(), vec![v, h], STD));
    }
    let ones = |name: String| {
        let t = HostTensor {
            shape: vec![h],
            data: vec![1.0; h],
        };
        (name, t)
    };
    for l in 0..config.num_hidden_layers {
        for norm in ["input_layernorm", "post_attention_layernorm"] {
            tensors.push(ones(format!("model.layers.{l}.{norm}.weight")));
        }
    }
    tensors.push(ones("model.norm.weight".into()));
    if let Some(order) = init.circuit_order() {
        if let Some(why) = circuit::unsupported(config, order) {
            return Err(EngineError::Config {
                file: "config.json".into(),
                key: "hidden_size".into(),
                message: format!("the copy circuit needs {why}"),
            });
        }
        circuit::write(&mut tensors, config, &mut rng, order);
        if let Init::CopyRoute(tokens) = init {
            if let Some(why) = route::unsupported(config) {
                return Err(EngineError::Config {
                    file: "config.json".into(),
                    key: "hidden_size".into(),
                    message: format!("the routing circuit needs {why}"),
                });
            }
            route::write(&mut tensors, config, &mut rng, tokens);
        }
    }
    let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .into_iter()
        .map(|(name, t)| {
            let bytes = t.data.iter().flat_map(|x| x.to_le_bytes()).collect();
            (name, t.shape, bytes)
        })
        .collect();
    serialize(&tensors, Dtype::F32, "initial weights")
}

/// The first residual dimension the copy circuit of `init` leaves free (its
/// identity, "previous" and "two back" blocks come before it; the constant
/// dimension is the last).
fn free_from(config: &LlamaConfig, init: Init) -> usize {
    match init {
        Init::CopyRoute(_) => route::end(config),
        _ => config.hidden_size / 2 + init.circuit_order().unwrap_or(2) * (config.head_dim / 4),
    }
}

/// Initial weights (f32 `model.safetensors` from [`init_safetensors`]) with
/// `vectors` (one per token, from [`donor_vectors`](super::donor::donor_vectors))
/// written into the embedding's first free dimensions; a token without one
/// keeps its draw.
pub fn write_donor(
    weights: &[u8],
    config: &LlamaConfig,
    init: Init,
    vectors: &[Option<Vec<f32>>],
) -> Result<Vec<u8>> {
    const FILE: &str = "initial weights";
    const KEY: &str = "model.embed_tokens.weight";
    let (d, start) = (config.hidden_size, free_from(config, init));
    let dims = vectors.iter().flatten().map(Vec::len).max().unwrap_or(0);
    if vectors.len() != config.vocab_size || start + dims >= d {
        return Err(EngineError::Config {
            file: "config.json".into(),
            key: "hidden_size".into(),
            message: format!(
                "{} donor vectors of {dims} dimensions do not fit {} tokens with {} free dimensions",
                vectors.len(),
                config.vocab_size,
                d.saturating_sub(start + 1)
            ),
        });
    }
    let st = SafeTensors::deserialize(weights).map_err(st_err(FILE))?;
    let mut tensors = Vec::new();
    for name in st.names() {
        let view = st.tensor(name).map_err(st_err(FILE))?;
        let mut bytes = view.data().to_vec();
        if name == KEY {
            for (row, v) in vectors.iter().enumerate() {
                let Some(v) = v else { continue };
                for (j, x) in v.iter().enumerate() {
                    let at = (row * d + start + j) * 4;
                    bytes[at..at + 4].copy_from_slice(&x.to_le_bytes());
                }
            }
        }
        tensors.push((name.to_string(), view.shape().to_vec(), bytes));
    }
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    serialize(&tensors, Dtype::F32, FILE)
}

/// A `model.safetensors` with every f32 tensor stored as f16.
pub fn to_f16(bytes: &[u8]) -> Result<Vec<u8>> {
    const FILE: &str = "model.safetensors";
    let st = SafeTensors::deserialize(bytes).map_err(st_err(FILE))?;
    let mut names: Vec<&str> = st.names().into_iter().collect();
    names.sort_unstable();
    let mut tensors = Vec::with_capacity(names.len());
    for name in names {
        let view = st.tensor(name).map_err(st_err(FILE))?;
        let data = match view.dtype() {
            Dtype::F32 => view
                .data()
                .chunks_exact(4)
                .flat_map(|b| {
                    half::f16::from_f32(f32::from_le_bytes([b[0], b[1], b[2], b[3]])).to_le_bytes()
                })
                .collect(),
            Dtype::F16 => view.data().to_vec(),
            other => {
                return Err(EngineError::UnsupportedDtype {
                    file: FILE.into(),
                    key: name.into(),
                    dtype: format!("{other:?}"),
                });
            }
        };
        tensors.push((name.to_string(), view.shape().to_vec(), data));
    }
    serialize(&tensors, Dtype::F16, FILE)
}

fn serialize(
    tensors: &[(String, Vec<usize>, Vec<u8>)],
    dtype: Dtype,
    file: &str,
) -> Result<Vec<u8>> {
    let mut views = Vec::with_capacity(tensors.len());
    for (key, shape, bytes) in tensors {
        views.push((
            key.clone(),
            TensorView::new(dtype, shape.clone(), bytes).map_err(st_err(file))?,
        ));
    }
    // transformers wants `format: pt`; the map type is safetensors' own.
    let mut metadata = Default::default();
    pt_format(&mut metadata);
    safetensors::serialize(views, Some(metadata)).map_err(st_err(file))
}

fn pt_format<M: Extend<(String, String)>>(metadata: &mut M) {
    metadata.extend([("format".to_string(), "pt".to_string())]);
}
