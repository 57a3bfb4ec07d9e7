//! Loading Hugging Face safetensors checkpoints from bytes (single file or
//! sharded with `model.safetensors.index.json`), converting f32 / f16 /
//! bf16 / f64 to f32, and placing every tensor into the module parameter of
//! the same path.
//!
//! Module paths already equal checkpoint keys, so the only rule is one of
//! layout, in [`is_linear_weight`]: PyTorch `nn.Linear` stores `[out, in]`,
//! Burn's `Linear` `[in, out]`.

use std::collections::{BTreeMap, HashMap, HashSet};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};
use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;

use crate::config::LlamaConfig;
use crate::error::{EngineError, Result, parse_json};
use crate::llama::{LlamaForCausalLM, read_f32};

/// Checkpoint keys that carry no weights of ours and are skipped if present.
const IGNORED_SUFFIXES: &[&str] = &["rotary_emb.inv_freq"];

/// Whether the tensor at `key` is an `nn.Linear` weight (stored transposed).
pub fn is_linear_weight(key: &str) -> bool {
    key.ends_with("_proj.weight") || key == "lm_head.weight"
}

/// A tensor copied to the host as f32.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    /// Shape as stored.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<f32>,
}

/// The tensors of one checkpoint, borrowed from the caller's bytes.
pub struct SafetensorsWeights<'a> {
    files: Vec<(String, SafeTensors<'a>)>,
    location: HashMap<String, usize>,
}

#[derive(Deserialize)]
struct ShardIndex {
    weight_map: BTreeMap<String, String>,
}

impl<'a> SafetensorsWeights<'a> {
    /// Parses a single `model.safetensors`.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self> {
        Self::from_named_bytes("model.safetensors", bytes)
    }

    /// Parses one safetensors buffer; `name` is used in error messages.
    pub fn from_named_bytes(name: &str, bytes: &'a [u8]) -> Result<Self> {
        let file = parse(name, bytes)?;
        let location = file
            .names()
            .into_iter()
            .map(|k| (k.to_string(), 0))
            .collect();
        Ok(Self {
            files: vec![(name.to_string(), file)],
            location,
        })
    }

    /// A sharded checkpoint: the bytes of `model.safetensors.index.json` and
    /// every shard it names, keyed by shard file name.
    pub fn from_sharded(index_json: &[u8], shards: &'a HashMap<String, Vec<u8>>) -> Result<Self> {
        const INDEX: &str = "model.safetensors.index.json";
        let index: ShardIndex = parse_json(INDEX, index_json)?;
        let mut files = Vec::new();
        let mut shard_pos: HashMap<&str, usize> = HashMap::new();
        let mut location = HashMap::new();
        for (key, shard) in &index.weight_map {
            let pos = match shard_pos.get(shard.as_str()) {
                Some(&pos) => pos,
                None => {
                    let bytes = shards.get(shard).ok_or_else(|| EngineError::MissingShard {
                        file: INDEX.into(),
                        shard: shard.clone(),
                        key: key.clone(),
                    })?;
                    files.push((shard.clone(), parse(shard, bytes)?));
                    shard_pos.insert(shard, files.len() - 1);
                    files.len() - 1
                }
            };
            if !files[pos].1.names().contains(&key.as_str()) {
                return Err(EngineError::MissingTensor {
                    file: shard.clone(),
                    key: key.clone(),
                });
            }
            location.insert(key.clone(), pos);
        }
        Ok(Self { files, location })
    }

    /// All tensor keys, sorted.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.location.keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.location.contains_key(key)
    }

    /// A description of where tensors come from, for error messages.
    pub fn source_name(&self) -> String {
        match self.files.as_slice() {
            [(name, _)] => name.clone(),
            _ => "model.safetensors.index.json".into(),
        }
    }

    /// The tensor at `key`, converted to f32.
    pub fn get(&self, key: &str) -> Result<HostTensor> {
        let missing = || EngineError::MissingTensor {
            file: self.source_name(),
            key: key.into(),
        };
        let &pos = self.location.get(key).ok_or_else(missing)?;
        let (file, st) = &self.files[pos];
        let view = st.tensor(key).map_err(|_| missing())?;
        let bytes = view.data();
        let data: Vec<f32> = match view.dtype() {
            Dtype::F32 => bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Dtype::F16 => bytes
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Dtype::BF16 => bytes
                .chunks_exact(2)
                .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Dtype::F64 => bytes
                .chunks_exact(8)
                .map(|b| {
                    f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
                })
                .collect(),
            other => {
                return Err(EngineError::UnsupportedDtype {
                    file: file.clone(),
                    key: key.into(),
                    dtype: format!("{other:?}"),
                });
            }
        };
        Ok(HostTensor {
            shape: view.shape().to_vec(),
            data,
        })
    }
}

fn parse<'a>(name: &str, bytes: &'a [u8]) -> Result<SafeTensors<'a>> {
    SafeTensors::deserialize(bytes).map_err(|e| EngineError::Safetensors {
        file: name.into(),
        message: e.to_string(),
    })
}

/// `[rows, cols]` row-major -> `[cols, rows]` row-major.
pub(crate) fn transpose(data: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; data.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = data[r * cols + c];
        }
    }
    out
}

/// Replaces every float parameter by the checkpoint tensor of the same path.
struct Loader<'w, 'a> {
    weights: &'w SafetensorsWeights<'a>,
    device: Device,
    path: Vec<String>,
    used: HashSet<String>,
    error: Option<EngineError>,
}

impl Loader<'_, '_> {
    fn load<const D: usize>(
        &mut self,
        key: &str,
        expected: [usize; D],
    ) -> Result<Param<Tensor<D>>> {
        let t = self.weights.get(key)?;
        let (found, data) = if is_linear_weight(key) && t.shape.len() == 2 {
            // Report and compare in Burn's [in, out] layout after transposing.
            let (rows, cols) = (t.shape[0], t.shape[1]);
            (vec![cols, rows], transpose(&t.data, rows, cols))
        } else {
            (t.shape, t.data)
        };
        if found != expected {
            let flip = |mut s: Vec<usize>| {
                if is_linear_weight(key) {
                    s.reverse();
                }
                s
            };
            return Err(EngineError::ShapeMismatch {
                file: self.weights.source_name(),
                key: key.into(),
                expected: flip(expected.to_vec()),
                found: flip(found),
            });
        }
        Ok(Param::from_data(TensorData::new(data, found), &self.device))
    }
}

impl ModuleMapper for Loader<'_, '_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.error.is_some() {
            return param;
        }
        let key = self.path.join(".");
        let expected: [usize; D] = param.lazy_shape().dims();
        match self.load(&key, expected) {
            Ok(loaded) => {
                self.used.insert(key);
                loaded
            }
            Err(e) => {
                self.error = Some(e);
                param
            }
        }
    }
}

impl LlamaForCausalLM {
    /// Builds the architecture of `config` with the checkpoint's weights.
    ///
    /// Every parameter must be present with the right shape; checkpoint
    /// tensors the architecture does not use are an error too (they mean the
    /// config and the checkpoint disagree, e.g. biases the config omits),
    /// except a duplicated `lm_head.weight` of a tied model.
    pub fn from_safetensors(
        config: &LlamaConfig,
        weights: &SafetensorsWeights<'_>,
        device: &Device,
    ) -> Result<Self> {
        let mut loader = Loader {
            weights,
            device: device.clone(),
            path: Vec::new(),
            used: HashSet::new(),
            error: None,
        };
        let model = config.init(device).map(&mut loader);
        if let Some(e) = loader.error {
            return Err(e);
        }
        let unused = weights.keys().into_iter().find(|k| {
            !loader.used.contains(*k)
                && !IGNORED_SUFFIXES.iter().any(|s| k.ends_with(s))
                && (!config.tie_word_embeddings || *k != "lm_head.weight")
        });
        if let Some(key) = unused {
            return Err(EngineError::Config {
                file: weights.source_name(),
                key: key.into(),
                message: "tensor is not part of the architecture described by config.json".into(),
            });
        }
        Ok(model)
    }

    /// Loads `config.json` and `model.safetensors` given as bytes.
    pub fn from_hf_bytes(config_json: &[u8], safetensors: &[u8], device: &Device) -> Result<Self> {
        let config = LlamaConfig::from_hf_json(config_json)?;
        Self::from_safetensors(
            &config,
            &SafetensorsWeights::from_bytes(safetensors)?,
            device,
        )
    }
}

/// Collects every float parameter in checkpoint layout.
#[derive(Default)]
struct Saver {
    path: Vec<String>,
    tensors: Vec<(String, Vec<usize>, Vec<u8>)>,
    error: Option<EngineError>,
}

impl ModuleVisitor for Saver {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self.error.is_some() {
            return;
        }
        let key = self.path.join(".");
        if key.contains(".lora.") {
            self.error = Some(EngineError::Input(format!(
                "`{key}`: the model carries LoRA adapters; merge them (lora::merge_lora) or save them with lora::save_peft_adapter"
            )));
            return;
        }
        let t = param.val();
        let mut shape = t.dims().to_vec();
        let data = match read_f32(t) {
            Ok(d) => d,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let data = if is_linear_weight(&key) && D == 2 {
            shape.reverse();
            transpose(&data, shape[1], shape[0])
        } else {
            data
        };
        let bytes = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.tensors.push((key, shape, bytes));
    }
}

impl LlamaForCausalLM {
    /// The weights as `model.safetensors` bytes (f32, Hugging Face keys and
    /// layout; no `lm_head.weight` when tied), loadable by transformers'
    /// `from_pretrained` with the matching `config.json`. Models with LoRA
    /// adapters must be merged first.
    pub fn to_safetensors(&self) -> Result<Vec<u8>> {
        const FILE: &str = "model.safetensors";
        let mut saver = Saver::default();
        self.visit(&mut saver);
        if let Some(e) = saver.error {
            return Err(e);
        }
        let err = |e: safetensors::SafeTensorError| EngineError::Safetensors {
            file: FILE.into(),
            message: e.to_string(),
        };
        let mut views = Vec::with_capacity(saver.tensors.len());
        for (key, shape, bytes) in &saver.tensors {
            views.push((
                key.clone(),
                safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), bytes)
                    .map_err(err)?,
            ));
        }
        // transformers wants `format: pt`; the map type is safetensors' own
        // (hashbrown without its `std` feature), hence the inferred default.
        let mut metadata = Default::default();
        safetensors_metadata(&mut metadata);
        safetensors::serialize(views, Some(metadata)).map_err(err)
    }
}

fn safetensors_metadata<M: Extend<(String, String)>>(metadata: &mut M) {
    metadata.extend([("format".to_string(), "pt".to_string())]);
}
