//! Keeps a training run's checkpoint in the Cache API from the worker, so
//! that the page's thread never copies or stores the weights (a full
//! fine-tune's are the whole model: 22 MB for the built-in one, which held
//! the page's event loop ~70 ms per checkpoint). The page reads it back
//! after a reload (`web/src/run_store.rs`), under the same names.

use js_sys::Object;
use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use tooltune_workspace::protocol::{
    CHECKPOINT_CACHE, CHECKPOINT_STEP_HEADER, CHECKPOINT_URL, PREVIOUS_CHECKPOINT_URL,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Stores `bytes` as the run's checkpoint after `step` steps (in its
/// [`CHECKPOINT_STEP_HEADER`]); the one before moves to
/// [`PREVIOUS_CHECKPOINT_URL`], for a page that had not yet heard of this one.
pub async fn keep_checkpoint(step: usize, bytes: &[u8]) -> Result<(), String> {
    let caches = property(&js_sys::global(), "caches")
        .ok_or("the Cache API is not available in this browser's workers")?;
    let cache = await_call(&caches, "open", &[CHECKPOINT_CACHE.into()])
        .await
        .map_err(|_| "the Cache API refused to open".to_string())?;
    let response_type: Function = property(&js_sys::global(), "Response")
        .and_then(|r| r.dyn_into().ok())
        .ok_or("this browser's workers have no Response")?;
    let body = Uint8Array::from(bytes);
    let headers = Object::new();
    let init = Object::new();
    let wrap = |_| "cannot wrap the checkpoint for the cache".to_string();
    Reflect::set(
        &headers,
        &CHECKPOINT_STEP_HEADER.into(),
        &step.to_string().into(),
    )
    .map_err(wrap)?;
    Reflect::set(&init, &"headers".into(), &headers).map_err(wrap)?;
    let response = Reflect::construct(&response_type, &Array::of2(&body, &init)).map_err(wrap)?;
    let before = await_call(&cache, "match", &[CHECKPOINT_URL.into()])
        .await
        .map_err(|_| "the Cache API could not be read".to_string())?;
    if !before.is_undefined() && !before.is_null() {
        await_call(&cache, "put", &[PREVIOUS_CHECKPOINT_URL.into(), before])
            .await
            .map_err(|_| "the Cache API refused the checkpoint (full?)".to_string())?;
    }
    await_call(&cache, "put", &[CHECKPOINT_URL.into(), response])
        .await
        .map(|_| ())
        .map_err(|_| "the Cache API refused the checkpoint (full?)".to_string())
}

/// `target[key]`, unless undefined or null.
fn property(target: &JsValue, key: &str) -> Option<JsValue> {
    Some(crate::backend::get(target, key)).filter(|v| !v.is_undefined() && !v.is_null())
}

/// Calls `target[method](...args)` and awaits the promise it returns.
async fn await_call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = property(target, method)
        .ok_or_else(|| JsValue::from_str(method))?
        .dyn_into()?;
    let promise: Promise = f
        .apply(target, &args.iter().collect::<Array>())?
        .dyn_into()?;
    JsFuture::from(promise).await
}
