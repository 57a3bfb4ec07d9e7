//! Placing checkpoint tensors into the module parameters of the same path.

use std::collections::HashSet;

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Device, Tensor, TensorData};

use super::{SafetensorsWeights, is_linear_weight, transpose};
use crate::config::LlamaConfig;
use crate::error::{EngineError, Result};
use crate::llama::LlamaForCausalLM;

/// Checkpoint keys that carry no weights of ours and are skipped if present.
const IGNORED_SUFFIXES: &[&str] = &["rotary_emb.inv_freq"];

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
