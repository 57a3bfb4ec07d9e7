//! LoRA adapters (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large
//! Language Models") in Hugging Face PEFT's file format, on top of Burn's
//! built-in LoRA reparameterisation (`LoraAdapter`: `W + scale * a @ b`).
//!
//! PEFT stores, per target module, `lora_A.weight` `[r, in]` and
//! `lora_B.weight` `[out, r]` with `W_eff = W + scale * B @ A` and
//! `scale = lora_alpha / r` (or `lora_alpha / sqrt(r)` with `use_rslora`).
//! Burn's `Linear` keeps `[in, out]`, so Burn's `a = A^T`, `b = B^T`.
//! Burn's `Lora` reparameteriser only creates *fresh* factors with
//! `scale = alpha / rank`; loading given factors uses the same
//! `LoraAdapter` through a small [`Reparameterizer`] below.

use std::collections::HashMap;

use burn::module::{LoraAdapter, Module, Param, ParamGroup, Reparameterizer};
use burn::nn::Linear;
use burn::tensor::{Tensor, TensorData};
use safetensors::{Dtype, tensor::TensorView};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result, parse_json};
use crate::llama::{LlamaForCausalLM, read_f32};
use crate::weights::{SafetensorsWeights, transpose};

const CONFIG_FILE: &str = "adapter_config.json";
const WEIGHTS_FILE: &str = "adapter_model.safetensors";
/// PEFT prefixes every key with the wrapper's path.
const PEFT_PREFIX: &str = "base_model.model.";

/// The projections a LoRA adapter may target, in checkpoint naming.
pub const PROJECTIONS: [&str; 7] = [
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
];

/// The LoRA hyper-parameters that define an adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoraSettings {
    /// Rank.
    pub r: usize,
    /// Scaling numerator.
    pub lora_alpha: f64,
    /// Scale by `alpha / sqrt(r)` instead of `alpha / r` (Kalajdzievski 2023).
    pub use_rslora: bool,
    /// Targeted projections, e.g. `["q_proj", "v_proj"]`.
    pub target_modules: Vec<String>,
}

impl LoraSettings {
    /// `r`, `alpha`, targets; `alpha / r` scaling.
    pub fn new(r: usize, lora_alpha: f64, target_modules: &[&str]) -> Self {
        Self {
            r,
            lora_alpha,
            use_rslora: false,
            target_modules: target_modules.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The factor applied to `B @ A`.
    pub fn scale(&self) -> f64 {
        if self.use_rslora {
            self.lora_alpha / (self.r as f64).sqrt()
        } else {
            self.lora_alpha / self.r as f64
        }
    }

    fn check(&self) -> Result<()> {
        if self.r == 0 {
            return Err(adapter_err(CONFIG_FILE, "`r` must be positive"));
        }
        if self.target_modules.is_empty() {
            return Err(adapter_err(CONFIG_FILE, "`target_modules` is empty"));
        }
        match self
            .target_modules
            .iter()
            .find(|t| !PROJECTIONS.contains(&t.as_str()))
        {
            Some(t) => Err(adapter_err(
                CONFIG_FILE,
                format!("target module `{t}` is not one of {PROJECTIONS:?}"),
            )),
            None => Ok(()),
        }
    }

    /// `adapter_config.json` as PEFT writes it, loadable by
    /// `PeftModel.from_pretrained`.
    pub fn to_peft_config_json(&self, base_model_name_or_path: Option<&str>) -> Vec<u8> {
        let json = serde_json::json!({
            "peft_type": "LORA",
            "task_type": "CAUSAL_LM",
            "base_model_name_or_path": base_model_name_or_path,
            "r": self.r,
            "lora_alpha": self.lora_alpha,
            "use_rslora": self.use_rslora,
            "target_modules": self.target_modules,
            "lora_dropout": 0.0,
            "bias": "none",
            "fan_in_fan_out": false,
            "use_dora": false,
            "inference_mode": true,
            "init_lora_weights": true,
            "modules_to_save": null,
            "rank_pattern": {},
            "alpha_pattern": {},
        });
        let mut bytes = serde_json::to_vec_pretty(&json).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

/// `adapter_config.json`: the subset of PEFT's `LoraConfig` that matters here.
#[derive(Debug, Deserialize)]
struct PeftConfigJson {
    peft_type: Option<String>,
    r: usize,
    lora_alpha: f64,
    #[serde(default)]
    use_rslora: bool,
    #[serde(default)]
    use_dora: bool,
    bias: Option<String>,
    target_modules: Option<TargetModules>,
    rank_pattern: Option<HashMap<String, serde_json::Value>>,
    alpha_pattern: Option<HashMap<String, serde_json::Value>>,
    modules_to_save: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TargetModules {
    List(Vec<String>),
    One(String),
}

/// Parses and checks PEFT's `adapter_config.json`.
pub fn parse_peft_config(bytes: &[u8]) -> Result<LoraSettings> {
    let c: PeftConfigJson = parse_json(CONFIG_FILE, bytes)?;
    let unsupported =
        |what: &str| Err(adapter_err(CONFIG_FILE, format!("{what} is not supported")));
    if c.peft_type.as_deref().is_some_and(|t| t != "LORA") {
        return unsupported("peft_type other than LORA");
    }
    if c.use_dora {
        return unsupported("use_dora");
    }
    if c.bias.as_deref().is_some_and(|b| b != "none") {
        return unsupported("bias other than \"none\"");
    }
    if c.rank_pattern.is_some_and(|p| !p.is_empty())
        || c.alpha_pattern.is_some_and(|p| !p.is_empty())
    {
        return unsupported("rank_pattern / alpha_pattern");
    }
    if c.modules_to_save.is_some_and(|m| !m.is_empty()) {
        return unsupported("modules_to_save");
    }
    let target_modules = match c.target_modules {
        Some(TargetModules::List(list)) => list,
        Some(TargetModules::One(s)) if s == "all-linear" => {
            PROJECTIONS.iter().map(|s| s.to_string()).collect()
        }
        Some(TargetModules::One(s)) => return unsupported(&format!("target_modules regex `{s}`")),
        None => return Err(adapter_err(CONFIG_FILE, "`target_modules` is missing")),
    };
    let settings = LoraSettings {
        r: c.r,
        lora_alpha: c.lora_alpha,
        use_rslora: c.use_rslora,
        target_modules,
    };
    settings.check()?;
    Ok(settings)
}

fn adapter_err(file: &str, message: impl Into<String>) -> EngineError {
    EngineError::Adapter {
        file: file.into(),
        message: message.into(),
    }
}

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

/// Attaches fresh trainable adapters (Burn's `Lora`: `a ~ N(0, 1/r)`,
/// `b = 0`, so the output is unchanged at first) to the targeted projections
/// of every layer, freezing all other parameters.
pub fn add_lora(model: LlamaForCausalLM, settings: &LoraSettings) -> Result<LlamaForCausalLM> {
    settings.check()?;
    let paths: Vec<String> = projections(&model)
        .into_iter()
        .filter(|(path, _)| {
            settings
                .target_modules
                .iter()
                .any(|t| path.ends_with(&format!(".{t}")))
        })
        .map(|(path, _)| format!("{path}.weight"))
        .collect();
    // Burn scales by alpha / rank; pick its alpha so the scale is PEFT's.
    let burn_alpha = settings.scale() * settings.r as f64;
    let lora = burn::module::Lora::new(settings.r, burn_alpha)
        .set_param_group(ParamGroup::from_paths(paths));
    Ok(model.apply_lora(lora))
}

/// Every projection of the model with its module path
/// (`model.layers.N.self_attn.q_proj`, ...).
pub fn projections(model: &LlamaForCausalLM) -> Vec<(String, &Linear)> {
    let mut out = Vec::new();
    for (i, layer) in model.model.layers.iter().enumerate() {
        let a = &layer.self_attn;
        let m = &layer.mlp;
        let named = [
            ("self_attn.q_proj", &a.q_proj),
            ("self_attn.k_proj", &a.k_proj),
            ("self_attn.v_proj", &a.v_proj),
            ("self_attn.o_proj", &a.o_proj),
            ("mlp.gate_proj", &m.gate_proj),
            ("mlp.up_proj", &m.up_proj),
            ("mlp.down_proj", &m.down_proj),
        ];
        out.extend(
            named
                .into_iter()
                .map(|(n, l)| (format!("model.layers.{i}.{n}"), l)),
        );
    }
    out
}

/// `adapter_model.safetensors` bytes (f32, PEFT keys and layout) of the
/// model's adapters.
pub fn save_peft_adapter(model: &LlamaForCausalLM) -> Result<Vec<u8>> {
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (path, linear) in projections(model) {
        let Some(adapter) = linear.weight.adapter() else {
            continue;
        };
        for (factor, param) in [("A", &adapter.a), ("B", &adapter.b)] {
            let t = param.val();
            let [rows, cols] = t.dims();
            let data = transpose(&read_f32(t)?, rows, cols);
            let bytes = data.iter().flat_map(|v| v.to_le_bytes()).collect();
            tensors.push((
                peft_key(&format!("{path}.weight"), factor),
                vec![cols, rows],
                bytes,
            ));
        }
    }
    if tensors.is_empty() {
        return Err(adapter_err(
            WEIGHTS_FILE,
            "the model has no LoRA adapters to save",
        ));
    }
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

/// Folds every adapter into its base weight (`W + scale * B @ A`) and drops
/// the adapters; PEFT's `merge_and_unload`.
pub fn merge_lora(model: LlamaForCausalLM) -> LlamaForCausalLM {
    model.materialize()
}
