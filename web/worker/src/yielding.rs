//! Giving the worker's event loop a turn between long steps, so a stop or
//! pause request gets through.

use wasm_bindgen::{JsCast, JsValue};

/// Lets the worker's event loop run (a stop request, say) before going on.
pub async fn yield_now() {
    sleep_ms(0).await;
}

/// Waits `ms` milliseconds without holding the worker's event loop.
pub async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout = js_sys::Reflect::get(&global, &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(f) => {
                let _ = f.call2(&global, &resolve, &JsValue::from_f64(ms as f64));
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
