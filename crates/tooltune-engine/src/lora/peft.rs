//! Reading and writing PEFT's `adapter_model.safetensors`, attaching the
//! factors as Burn `LoraAdapter`s.

use std::collections::HashMap;

use burn::module::{LoraAdapter, Module, Param, Reparameterizer};
use burn::tensor::{Tensor, TensorData};
use safetensors::{Dtype, tensor::TensorView};

use super::settings::adapter_err;
use super::{LoraSettings, parse_peft_config, projections};
use crate::error::{EngineError, Result};
use crate::llama::{LlamaForCausalLM, read_f32};
use crate::readback::read_f32_async;
use crate::weights::{SafetensorsWeights, transpose};

const WEIGHTS_FILE: &str = "adapter_model.safetensors";

/// PEFT prefixes every key with the wrapper's path.
const PEFT_PREFIX: &str = "base_model.model.";

/// Burn-layout factors `(a [in, r], b [r, out])` by weight path.
type Factors = HashMap<String, (HostMatrix, HostMatrix)>;

#[derive(Debug)]
struct HostMatrix {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

/// Attaches given factors as Burn `LoraAdapter`s and freezes every base
/// parameter, like Burn's `Lora` does for fresh ones.
struct Inject<'f> {
    factors: &'f mut Factors,
    scale: f64,
    error: Option<EngineError>,
}

impl Reparameterizer for &mut Inject<'_> {
    type Reparam = LoraAdapter;

    fn reparameterize<const D: usize>(
        &mut self,
        path: &str,
        param: Param<Tensor<D>>,
    ) -> (Param<Tensor<D>>, Option<LoraAdapter>) {
        let base = param.set_require_grad(false);
        let Some((a, b)) = self.factors.remove(path) else {
            return (base, None);
        };
        let shape = base.lazy_shape().dims::<D>().to_vec();
        // Compared in PEFT's layout: A is [r, in], B is [out, r].
        let (d_in, d_out) = match shape.as_slice() {
            &[d_in, d_out] => (d_in, d_out),
            _ => (0, 0),
        };
        let mismatch = if a.rows != d_in {
            Some(("A", vec![a.cols, d_in], vec![a.cols, a.rows]))
        } else if b.cols != d_out {
            Some(("B", vec![d_out, b.rows], vec![b.cols, b.rows]))
        } else {
            None
        };
        if let Some((factor, expected, found)) = mismatch {
            self.error.get_or_insert(EngineError::ShapeMismatch {
                file: WEIGHTS_FILE.into(),
                key: peft_key(path, factor),
                expected,
                found,
            });
            return (base, None);
        }
        let device = base.lazy_device();
        let to_param = |m: HostMatrix| {
            Param::from_tensor(Tensor::<2>::from_data(
                TensorData::new(m.data, [m.rows, m.cols]),
                &device,
            ))
        };
        let adapter = LoraAdapter {
            a: to_param(a),
            b: to_param(b),
            scale: self.scale,
        };
        (base, Some(adapter))
    }
}

/// PEFT's key for factor `A` or `B` of the weight at `path`.
fn peft_key(path: &str, factor: &str) -> String {
    let module = path.strip_suffix(".weight").unwrap_or(path);
    format!("{PEFT_PREFIX}{module}.lora_{factor}.weight")
}

/// Reads the PEFT factor tensors into Burn layout, keyed by weight path.
fn read_factors(weights: &SafetensorsWeights<'_>, r: usize) -> Result<Factors> {
    let mut a_of = HashMap::new();
    let mut b_of = HashMap::new();
    for key in weights.keys() {
        let (module, factor) = key
            .strip_prefix(PEFT_PREFIX)
            .and_then(|k| {
                let k = k.replace(".default.weight", ".weight");
                let module = k
                    .strip_suffix(".lora_A.weight")
                    .map(|m| (m.to_string(), 'A'));
                module.or_else(|| {
                    k.strip_suffix(".lora_B.weight")
                        .map(|m| (m.to_string(), 'B'))
                })
            })
            .ok_or_else(|| {
                adapter_err(
                    WEIGHTS_FILE,
                    format!("unexpected tensor `{key}` (only lora_A/lora_B)"),
                )
            })?;
        let t = weights.get(key)?;
        let (rows, cols) = match t.shape.as_slice() {
            &[rows, cols] if (factor == 'A' && rows == r) || (factor == 'B' && cols == r) => {
                (rows, cols)
            }
            _ => {
                let expected = if factor == 'A' {
                    vec![r, 0]
                } else {
                    vec![0, r]
                };
                return Err(adapter_err(
                    WEIGHTS_FILE,
                    format!(
                        "tensor `{key}` has shape {:?}, expected rank {r} ({expected:?} with 0 = any)",
                        t.shape
                    ),
                ));
            }
        };
        // Burn's factors are the transposes of PEFT's.
        let m = HostMatrix {
            rows: cols,
            cols: rows,
            data: transpose(&t.data, rows, cols),
        };
        let map = if factor == 'A' { &mut a_of } else { &mut b_of };
        map.insert(format!("{module}.weight"), m);
    }
    let mut factors = Factors::new();
    for (path, a) in a_of {
        let b = b_of
            .remove(&path)
            .ok_or_else(|| EngineError::MissingTensor {
                file: WEIGHTS_FILE.into(),
                key: peft_key(&path, "B"),
            })?;
        factors.insert(path, (a, b));
    }
    if let Some(path) = b_of.keys().next() {
        return Err(EngineError::MissingTensor {
            file: WEIGHTS_FILE.into(),
            key: peft_key(path, "A"),
        });
    }
    Ok(factors)
}

/// Applies a PEFT adapter (`adapter_config.json` and
/// `adapter_model.safetensors` bytes) to `model`, unmerged: base weights are
/// frozen, the factors are trainable. Fails if the model already has adapters.
pub fn load_peft_adapter(
    model: LlamaForCausalLM,
    config_json: &[u8],
    safetensors: &[u8],
) -> Result<(LlamaForCausalLM, LoraSettings)> {
    let settings = parse_peft_config(config_json)?;
    let weights = SafetensorsWeights::from_named_bytes(WEIGHTS_FILE, safetensors)?;
    let mut factors = read_factors(&weights, settings.r)?;
    if factors.is_empty() {
        return Err(adapter_err(WEIGHTS_FILE, "holds no LoRA factors"));
    }
    if !projections(&model)
        .iter()
        .all(|(_, l)| l.weight.adapter().is_none())
    {
        return Err(adapter_err(
            WEIGHTS_FILE,
            "the model already carries LoRA adapters (merge them first)",
        ));
    }
    let mut inject = Inject {
        factors: &mut factors,
        scale: settings.scale(),
        error: None,
    };
    let model = model.apply_reparameterization(&mut inject);
    if let Some(e) = inject.error {
        return Err(e);
    }
    if let Some(path) = factors.keys().next() {
        return Err(adapter_err(
            WEIGHTS_FILE,
            format!("`{}` targets no weight of this model", peft_key(path, "A")),
        ));
    }
    Ok((model, settings))
}

/// `adapter_model.safetensors` bytes (f32, PEFT keys and layout) of the
/// model's adapters.
pub fn save_peft_adapter(model: &LlamaForCausalLM) -> Result<Vec<u8>> {
    let factors = adapter_factors(model)?;
    let mut tensors = Vec::with_capacity(factors.len());
    for (key, t) in factors {
        tensors.push((key, t.dims(), read_f32(t)?));
    }
    serialize_factors(tensors)
}

/// [`save_peft_adapter`] with awaited reads, as WebGPU needs (a synchronous
/// read panics there); the same bytes on any device.
pub async fn save_peft_adapter_async(model: &LlamaForCausalLM) -> Result<Vec<u8>> {
    let factors = adapter_factors(model)?;
    let mut tensors = Vec::with_capacity(factors.len());
    for (key, t) in factors {
        let dims = t.dims();
        tensors.push((key, dims, read_f32_async(t).await?));
    }
    serialize_factors(tensors)
}

/// Every adapter factor under its PEFT key, as the model holds it
/// (`[in, r]` and `[r, out]`).
fn adapter_factors(model: &LlamaForCausalLM) -> Result<Vec<(String, Tensor<2>)>> {
    let mut factors = Vec::new();
    for (path, linear) in projections(model) {
        let Some(adapter) = linear.weight.adapter() else {
            continue;
        };
        for (factor, param) in [("A", &adapter.a), ("B", &adapter.b)] {
            factors.push((peft_key(&format!("{path}.weight"), factor), param.val()));
        }
    }
    if factors.is_empty() {
        return Err(adapter_err(
            WEIGHTS_FILE,
            "the model has no LoRA adapters to save",
        ));
    }
    Ok(factors)
}

/// The safetensors file of factors read to the host, transposed to
/// PEFT's `[out, in]`.
fn serialize_factors(tensors: Vec<(String, [usize; 2], Vec<f32>)>) -> Result<Vec<u8>> {
    let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .into_iter()
        .map(|(key, [rows, cols], data)| {
            let bytes = transpose(&data, rows, cols)
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect();
            (key, vec![cols, rows], bytes)
        })
        .collect();
    let mut views = Vec::with_capacity(tensors.len());
    for (key, shape, bytes) in &tensors {
        let view = TensorView::new(Dtype::F32, shape.clone(), bytes).map_err(|e| {
            EngineError::Safetensors {
                file: WEIGHTS_FILE.into(),
                message: e.to_string(),
            }
        })?;
        views.push((key.clone(), view));
    }
    safetensors::serialize(views, None).map_err(|e| EngineError::Safetensors {
        file: WEIGHTS_FILE.into(),
        message: e.to_string(),
    })
}
