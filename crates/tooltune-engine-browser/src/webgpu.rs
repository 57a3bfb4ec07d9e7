//! The instance's WebGPU device.

use std::cell::RefCell;

use tooltune_engine::burn::tensor::Device;

use crate::error::{BrowserError, Result};

thread_local! {
    static DEVICE: RefCell<Option<Device>> = const { RefCell::new(None) };
}

/// This wasm instance's WebGPU device (burn-wgpu on `navigator.gpu`, in a
/// page or a dedicated worker), initialised on first use and cached: a
/// second initialisation in the same instance fails ("A server is still
/// registered for device"). Runs [`crate::init`] first.
///
/// Headless Chromium needs `--enable-unsafe-webgpu`; without a GPU it uses
/// SwiftShader.
pub async fn webgpu() -> Result<Device> {
    crate::init();
    if let Some(device) = DEVICE.with(|d| d.borrow().clone()) {
        return Ok(device);
    }
    let device = Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| BrowserError::WebGpu(e.to_string()))?;
    DEVICE.with(|d| *d.borrow_mut() = Some(device.clone()));
    Ok(device)
}
