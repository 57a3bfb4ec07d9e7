//! Where the worker runs a model: WebGPU (burn-wgpu on `navigator.gpu`) or
//! the CPU path (burn-flex in wasm). `auto` asks the browser for an adapter
//! and takes WebGPU only on a hardware one: on a software adapter
//! (SwiftShader, llvmpipe/lavapipe, or one the browser calls a fallback)
//! the CPU path is faster.

use js_sys::{Function, Promise, Reflect};
use tooltune_engine::burn::tensor::Device;
use tooltune_workspace::protocol::BackendChoice;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// How the CPU path is shown: with "relaxed SIMD" when web/worker.js loaded
/// the module whose matrix kernels use fused multiply-adds (it sets
/// `self.tooltune_simd`).
fn cpu() -> String {
    let relaxed = get(&js_sys::global(), "tooltune_simd").as_string();
    match relaxed.as_deref() {
        Some("relaxed") => "CPU (burn-flex in wasm, 1 thread, relaxed SIMD)".into(),
        _ => "CPU (burn-flex in wasm, 1 thread)".into(),
    }
}

/// Whether `shown` (a loaded model's backend, in words) is the CPU path.
pub fn is_cpu(shown: &str) -> bool {
    shown.starts_with("CPU")
}

/// The browser's WebGPU adapter, in words.
struct Adapter {
    name: String,
    software: bool,
}

pub(crate) fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Asks `navigator.gpu` for an adapter (`None`: no WebGPU here).
async fn adapter() -> Option<Adapter> {
    let gpu = get(&get(&js_sys::global(), "navigator"), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return None;
    }
    let request: Function = get(&gpu, "requestAdapter").dyn_into().ok()?;
    let promise: Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    let adapter = JsFuture::from(promise).await.ok()?;
    if adapter.is_null() || adapter.is_undefined() {
        return None;
    }
    let info = get(&adapter, "info");
    let text = |k: &str| get(&info, k).as_string().unwrap_or_default();
    let parts: Vec<String> = ["vendor", "architecture", "device", "description"]
        .iter()
        .map(|k| text(k))
        .filter(|s| !s.is_empty())
        .collect();
    let name = if parts.is_empty() {
        "unnamed adapter".to_string()
    } else {
        parts.join(" ")
    };
    let fallback = get(&info, "isFallbackAdapter").as_bool().unwrap_or(false)
        || get(&adapter, "isFallbackAdapter")
            .as_bool()
            .unwrap_or(false);
    let lower = name.to_lowercase();
    let software = fallback
        || ["swiftshader", "llvmpipe", "lavapipe", "software"]
            .iter()
            .any(|s| lower.contains(s));
    Some(Adapter { name, software })
}

async fn webgpu(name: &str) -> Result<(Device, String), String> {
    let device = tooltune_engine_browser::webgpu()
        .await
        .map_err(|e| format!("WebGPU did not start: {e}"))?;
    Ok((device, format!("WebGPU ({name})")))
}

/// The device for `choice`, and how to show it.
pub async fn choose(choice: BackendChoice) -> Result<(Device, String), String> {
    match choice {
        BackendChoice::Cpu => Ok((Device::flex(), cpu())),
        BackendChoice::Webgpu => match adapter().await {
            Some(a) => webgpu(&a.name).await,
            None => Err("this browser offers no WebGPU adapter: choose CPU or auto".into()),
        },
        BackendChoice::Auto => match adapter().await {
            Some(a) if !a.software => match webgpu(&a.name).await {
                Ok(d) => Ok(d),
                Err(e) => Ok((Device::flex(), format!("{}; {e}", cpu()))),
            },
            Some(a) => Ok((
                Device::flex(),
                format!(
                    "{}; auto: the WebGPU adapter ({}) is software, slower here",
                    cpu(),
                    a.name
                ),
            )),
            None => Ok((
                Device::flex(),
                format!("{}; auto: no WebGPU adapter", cpu()),
            )),
        },
    }
}
