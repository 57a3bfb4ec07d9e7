//! GGUF files (llama.cpp, Ollama, LM Studio) as a Hugging Face folder, in
//! memory: `config.json`, `model.safetensors`, `tokenizer.json` and
//! `tokenizer_config.json` (with the chat template), built from the file's
//! metadata and its tensors dequantised by `tooltune-gguf` (llama.cpp's
//! names mapped to Hugging Face's, its Q/K row permutation undone). Every
//! loader of the engine then reads it as it reads any Hugging Face folder,
//! and `tooltune import` writes it out.

use safetensors::Dtype;
use safetensors::tensor::TensorView;
use tooltune_gguf::Gguf;
use tooltune_gguf::llama::{hf_tensors, llama_config};
use tooltune_gguf::tokenizer::{tokenizer_config_json, tokenizer_json};

use crate::error::{EngineError, Result};

/// A Hugging Face model folder's files.
#[derive(Debug, Clone)]
pub struct HfFolder {
    /// `config.json`.
    pub config_json: Vec<u8>,
    /// `model.safetensors`.
    pub model_safetensors: Vec<u8>,
    /// `tokenizer.json`.
    pub tokenizer_json: Vec<u8>,
    /// `tokenizer_config.json`.
    pub tokenizer_config_json: Vec<u8>,
}

impl HfFolder {
    /// The files by name, as a folder holds them.
    pub fn files(&self) -> [(&'static str, &[u8]); 4] {
        [
            ("config.json", &self.config_json),
            ("model.safetensors", &self.model_safetensors),
            ("tokenizer.json", &self.tokenizer_json),
            ("tokenizer_config.json", &self.tokenizer_config_json),
        ]
    }
}

/// How weights are stored in the folder (compute is f32 either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreAs {
    /// 4 bytes a value: exactly the dequantised values.
    F32,
    /// 2 bytes a value (round to nearest): half the size.
    F16,
}

/// Converts a GGUF file's bytes (`name` for messages) into a Hugging Face
/// folder. Architectures other than Llama, tensor types the reader does not
/// dequantise, tokenizers other than byte-level BPE and damaged files are
/// errors that name what and where.
pub fn gguf_to_hf(name: &str, bytes: &[u8], store: StoreAs) -> Result<HfFolder> {
    let err = |e: tooltune_gguf::GgufError| EngineError::Gguf {
        file: name.to_string(),
        message: e.to_string(),
    };
    let g = Gguf::parse(bytes).map_err(err)?;
    let mut config = llama_config(&g).map_err(err)?;
    if let Some(obj) = config.as_object_mut() {
        obj.insert(
            "torch_dtype".into(),
            match store {
                StoreAs::F32 => "float32",
                StoreAs::F16 => "float16",
            }
            .into(),
        );
    }
    let mut tensors = Vec::new();
    for t in hf_tensors(&g).map_err(err)? {
        let t = t.map_err(err)?;
        let data: Vec<u8> = match store {
            StoreAs::F32 => t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
            StoreAs::F16 => t
                .data
                .iter()
                .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
                .collect(),
        };
        tensors.push((t.name, t.shape, data));
    }
    let dtype = match store {
        StoreAs::F32 => Dtype::F32,
        StoreAs::F16 => Dtype::F16,
    };
    let st_err = |e: safetensors::SafeTensorError| EngineError::Safetensors {
        file: format!("{name} (as model.safetensors)"),
        message: e.to_string(),
    };
    let mut views = Vec::with_capacity(tensors.len());
    for (key, shape, data) in &tensors {
        views.push((
            key.clone(),
            TensorView::new(dtype, shape.clone(), data).map_err(st_err)?,
        ));
    }
    let mut metadata = Default::default();
    super::save::safetensors_metadata(&mut metadata);
    let model_safetensors = safetensors::serialize(views, Some(metadata)).map_err(st_err)?;
    let json = |v: &serde_json::Value| serde_json::to_vec_pretty(v).unwrap_or_default();
    Ok(HfFolder {
        config_json: json(&config),
        model_safetensors,
        tokenizer_json: json(&tokenizer_json(&g).map_err(err)?),
        tokenizer_config_json: json(&tokenizer_config_json(&g).map_err(err)?),
    })
}
