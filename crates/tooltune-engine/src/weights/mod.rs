//! Loading Hugging Face safetensors checkpoints from bytes (single file or
//! sharded with `model.safetensors.index.json`), converting f32 / f16 /
//! bf16 / f64 to f32, and placing every tensor into the module parameter of
//! the same path.
//!
//! Module paths already equal checkpoint keys, so the only rule is one of
//! layout, in [`is_linear_weight`]: PyTorch `nn.Linear` stores `[out, in]`,
//! Burn's `Linear` `[in, out]`.

pub mod gguf;
mod load;
mod save;

use std::collections::{BTreeMap, HashMap};

use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;

use crate::error::{EngineError, Result, parse_json};

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
