//! Writing the model back as a Hugging Face `model.safetensors`.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use safetensors::Dtype;

use super::{is_linear_weight, transpose};
use crate::error::{EngineError, Result};
use crate::llama::{LlamaForCausalLM, read_f32};
use crate::readback::read_f32_async;

const FILE: &str = "model.safetensors";

/// One parameter to write: its checkpoint key and the model's tensor,
/// flattened, with the model's shape.
struct Pending {
    key: String,
    shape: Vec<usize>,
    values: Tensor<1>,
}

/// Collects every float parameter under its checkpoint key.
#[derive(Default)]
struct Collector {
    path: Vec<String>,
    pending: Vec<Pending>,
    error: Option<EngineError>,
}

impl ModuleVisitor for Collector {
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
        let shape = t.dims().to_vec();
        let values = t.reshape([shape.iter().product::<usize>()]);
        self.pending.push(Pending { key, shape, values });
    }
}

impl LlamaForCausalLM {
    /// The weights as `model.safetensors` bytes (f32, Hugging Face keys and
    /// layout; no `lm_head.weight` when tied), loadable by transformers'
    /// `from_pretrained` with the matching `config.json`. Models with LoRA
    /// adapters must be merged first.
    pub fn to_safetensors(&self) -> Result<Vec<u8>> {
        let mut read = Vec::new();
        for p in self.pending_params()? {
            let data = read_f32(p.values)?;
            read.push((p.key, p.shape, data));
        }
        serialize(read)
    }

    /// [`LlamaForCausalLM::to_safetensors`] with awaited reads, as WebGPU
    /// needs (a synchronous read panics there); the same bytes on any device.
    pub async fn to_safetensors_async(&self) -> Result<Vec<u8>> {
        let mut read = Vec::new();
        for p in self.pending_params()? {
            let data = read_f32_async(p.values).await?;
            read.push((p.key, p.shape, data));
        }
        serialize(read)
    }

    fn pending_params(&self) -> Result<Vec<Pending>> {
        let mut collector = Collector::default();
        self.visit(&mut collector);
        match collector.error {
            Some(e) => Err(e),
            None => Ok(collector.pending),
        }
    }
}

/// The parameters read to the host, linear weights transposed to the
/// checkpoint's `[out, in]`, as safetensors bytes.
fn serialize(read: Vec<(String, Vec<usize>, Vec<f32>)>) -> Result<Vec<u8>> {
    let err = |e: safetensors::SafeTensorError| EngineError::Safetensors {
        file: FILE.into(),
        message: e.to_string(),
    };
    let mut tensors = Vec::with_capacity(read.len());
    for (key, mut shape, data) in read {
        let data = if is_linear_weight(&key) && shape.len() == 2 {
            shape.reverse();
            transpose(&data, shape[1], shape[0])
        } else {
            data
        };
        let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        tensors.push((key, shape, bytes));
    }
    let mut views = Vec::with_capacity(tensors.len());
    for (key, shape, bytes) in &tensors {
        views.push((
            key.clone(),
            safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), bytes).map_err(err)?,
        ));
    }
    // transformers wants `format: pt`; the map type is safetensors' own
    // (hashbrown without its `std` feature), hence the inferred default.
    let mut metadata = Default::default();
    safetensors_metadata(&mut metadata);
    safetensors::serialize(views, Some(metadata)).map_err(err)
}

pub(super) fn safetensors_metadata<M: Extend<(String, String)>>(metadata: &mut M) {
    metadata.extend([("format".to_string(), "pt".to_string())]);
}
