//! Writing the model back as a Hugging Face `model.safetensors`.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use safetensors::Dtype;

use super::{is_linear_weight, transpose};
use crate::error::{EngineError, Result};
use crate::llama::{LlamaForCausalLM, read_f32};

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

pub(super) fn safetensors_metadata<M: Extend<(String, String)>>(metadata: &mut M) {
    metadata.extend([("format".to_string(), "pt".to_string())]);
}
