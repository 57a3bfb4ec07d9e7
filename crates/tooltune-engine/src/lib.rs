//! tooltune-engine: a Llama-family decoder (Llama, Qwen2, Mistral) on Burn
//! 0.22, loaded from Hugging Face checkpoints given as bytes, with PEFT LoRA
//! adapters and greedy decoding. The math follows HF transformers
//! `modeling_llama.py`; parity is tested against its outputs.
//!
//! ```no_run
//! # fn main() -> tooltune_engine::Result<()> {
//! # let (config_json, safetensors): (Vec<u8>, Vec<u8>) = (vec![], vec![]);
//! use tooltune_engine::{LlamaForCausalLM, decode::{GenerateConfig, generate}};
//! let device = tooltune_engine::default_device();
//! let model = LlamaForCausalLM::from_hf_bytes(&config_json, &safetensors, &device)?;
//! let out = generate(&model, &[1, 2, 3], &GenerateConfig::greedy(8), &mut ())?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod assistant;
pub mod attention;
pub mod block;
pub mod builtin;
pub mod cache;
pub mod chat;
pub mod choices;
pub mod config;
pub mod decode;
pub mod error;
pub mod llama;
pub mod lora;
pub mod mlp;
pub mod norm;
pub mod pretrain;
pub mod readback;
pub mod rope;
pub mod run;
pub mod tokenizer;
pub mod train;
pub mod weights;

pub use burn;
pub use cache::KvCache;
pub use chat::ChatTemplate;
pub use config::{HfConfig, LlamaConfig, RopeScaling};
pub use error::{EngineError, Result};
pub use llama::{LlamaForCausalLM, LlamaModel};
pub use tokenizer::Tokenizer;
pub use weights::SafetensorsWeights;

/// The device of the first enabled backend, in order: flex (CPU), wgpu,
/// ndarray. In the browser, initialise wgpu asynchronously instead
/// (`Device::wgpu_options().init_async()`).
pub fn default_device() -> burn::tensor::Device {
    #[cfg(feature = "flex")]
    {
        burn::tensor::Device::flex()
    }
    #[cfg(all(not(feature = "flex"), feature = "wgpu"))]
    {
        burn::tensor::Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)
    }
    #[cfg(all(not(feature = "flex"), not(feature = "wgpu")))]
    {
        burn::tensor::Device::default()
    }
}

/// Keeps large freed buffers in the process instead of handing them back to
/// the kernel (glibc `mallopt`; a no-op elsewhere). By default glibc serves
/// allocations above a dynamic mmap threshold with fresh `mmap`s, so every
/// activation of a training step was zero-filled page by page again. This
/// fixes the threshold at its largest allowed value, 32 MB (glibc refuses
/// more: half its 64 MB heap size), never trims the heap, and grows it
/// 512 MB at a time (untouched pages cost no memory). Call it once
/// at the start of a program that trains or decodes (the CLI and the
/// benchmarks do); the cost is that the process keeps its peak heap.
/// Returns whether glibc took all three settings (true elsewhere).
pub fn tune_allocator() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before the
    // heavy allocations, from one thread.
    unsafe {
        let mmap = libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX);
        let trim = libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        let pad = libc::mallopt(libc::M_TOP_PAD, TOP_PAD);
        return mmap == 1 && trim == 1 && pad == 1;
    }
    #[allow(unreachable_code)]
    true
}

/// glibc's largest accepted `M_MMAP_THRESHOLD` on 64-bit targets
/// (`HEAP_MAX_SIZE / 2`); a larger value is refused and leaves the
/// threshold dynamic.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD_MAX: i32 = 32 * 1024 * 1024;

/// How much more than asked the heap grows by (`M_TOP_PAD`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TOP_PAD: i32 = 512 * 1024 * 1024;

/// The device of a named backend: `cpu` (burn-flex) or `wgpu` (GPU, or a
/// Vulkan CPU driver such as Mesa's lavapipe), when this build has it.
///
/// The wgpu device is initialised here, once per process (Burn registers a
/// runtime only once), so a machine without a usable adapter gets an
/// [`EngineError::Backend`] instead of a panic at the first tensor.
pub fn backend_device(name: &str) -> Result<burn::tensor::Device> {
    match name {
        "cpu" => {
            #[cfg(feature = "flex")]
            return Ok(burn::tensor::Device::flex());
        }
        "wgpu" => {
            #[cfg(feature = "wgpu")]
            return wgpu_device();
        }
        other => {
            return Err(EngineError::Input(format!(
                "unknown backend `{other}`; expected cpu or wgpu"
            )));
        }
    }
    #[allow(unreachable_code)]
    Err(EngineError::Input(format!(
        "this build has no `{name}` backend (rebuild with the `{name}` feature)"
    )))
}

/// The process's wgpu device on the default adapter, initialised on first
/// use; later calls return the same device (or the same error).
#[cfg(all(feature = "wgpu", not(target_family = "wasm")))]
pub fn wgpu_device() -> Result<burn::tensor::Device> {
    static DEVICE: std::sync::OnceLock<core::result::Result<burn::tensor::Device, String>> =
        std::sync::OnceLock::new();
    DEVICE
        .get_or_init(|| {
            burn::tensor::Device::wgpu_options()
                .init()
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| EngineError::Backend {
            backend: "wgpu".into(),
            message: format!(
                "cannot start ({e}). wgpu needs a GPU driver for Vulkan, Metal or \
                 DirectX 12; on Linux without a GPU, Mesa's lavapipe runs Vulkan on \
                 the CPU (`apt-get install mesa-vulkan-drivers libvulkan1`). Or use \
                 the cpu backend."
            ),
        })
}

/// In the browser, initialise wgpu asynchronously instead
/// (`Device::wgpu_options().init_async()`).
#[cfg(all(feature = "wgpu", target_family = "wasm"))]
fn wgpu_device() -> Result<burn::tensor::Device> {
    Err(EngineError::Backend {
        backend: "wgpu".into(),
        message: "in the browser, initialise it with `Device::wgpu_options().init_async()`".into(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_allocator_takes_its_settings() {
        // glibc refuses an mmap threshold over 32 MB silently (mallopt
        // returns 0); an earlier version asked for 1 GB and ran untuned.
        assert!(super::tune_allocator());
    }
}
