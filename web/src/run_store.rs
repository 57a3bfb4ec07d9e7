//! Keeps the training run across a reload: the run (its settings, data,
//! charts and metrics so far: [`Training`]) in `localStorage`, and its last
//! checkpoint's adapter in the Cache API, written there by the engine worker
//! (an adapter of a real model is megabytes, past what `localStorage`
//! holds; a full fine-tune's is the whole model). After a reload the page
//! shows the run as it was, loads the checkpoint as the fine-tuned model,
//! and offers to go on from it.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::state::Training;

/// The `localStorage` key of the run.
const KEY: &str = "tooltune.run";
/// The Cache API store and the key of the checkpoint's adapter (the engine
/// worker writes it: `web/worker/src/store.rs`).
const CACHE: &str = tooltune_workspace::protocol::CHECKPOINT_CACHE;
const ADAPTER_URL: &str = tooltune_workspace::protocol::CHECKPOINT_URL;
const PREVIOUS_URL: &str = tooltune_workspace::protocol::PREVIOUS_CHECKPOINT_URL;
const STEP_HEADER: &str = tooltune_workspace::protocol::CHECKPOINT_STEP_HEADER;

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

async fn cache() -> Result<web_sys::Cache, String> {
    let caches = web_sys::window()
        .ok_or("no window")?
        .caches()
        .map_err(|_| "the Cache API is not available here".to_string())?;
    JsFuture::from(caches.open(CACHE))
        .await
        .map_err(|_| "the Cache API refused to open".to_string())?
        .dyn_into()
        .map_err(|_| "the Cache API returned no cache".to_string())
}

/// Saves the run's record (not its adapter).
pub fn save(training: &Training) -> Result<(), String> {
    let storage = local().ok_or("browser storage is not available")?;
    let text = serde_json::to_string(training).map_err(|e| e.to_string())?;
    storage
        .set_item(KEY, &text)
        .map_err(|_| "browser storage refused the run (full?)".to_string())
}

/// The stored run, if any and readable.
pub fn load() -> Option<Training> {
    let text = local()?.get_item(KEY).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// The stored checkpoint's adapter bytes, if it is the one of `step`: the
/// newest, or the one before it (the worker stores each checkpoint before
/// the page hears of it, so a page reloaded, or a worker lost, at that
/// moment has a record one checkpoint behind the newest).
pub async fn load_adapter(step: usize) -> Result<Uint8Array, String> {
    let cache = cache().await?;
    let want = step.to_string();
    let Some(newest) = stored(&cache, ADAPTER_URL).await? else {
        return Err("the checkpoint's adapter is no longer in the cache".into());
    };
    let response = if step_of(&newest).as_deref() == Some(want.as_str()) {
        newest
    } else {
        match stored(&cache, PREVIOUS_URL).await? {
            Some(previous) if step_of(&previous).as_deref() == Some(want.as_str()) => previous,
            _ => {
                return Err(format!(
                    "the stored checkpoint is of step {}, not of step {step} where the run's record ends",
                    step_of(&newest).unwrap_or_else(|| "(unknown)".into())
                ));
            }
        }
    };
    let buffer = JsFuture::from(
        response
            .array_buffer()
            .map_err(|_| "the checkpoint could not be read".to_string())?,
    )
    .await
    .map_err(|_| "the checkpoint could not be read".to_string())?;
    Ok(Uint8Array::new(&buffer))
}

/// The cache's entry under `url`, if any.
async fn stored(cache: &web_sys::Cache, url: &str) -> Result<Option<web_sys::Response>, String> {
    let hit = JsFuture::from(cache.match_with_str(url))
        .await
        .map_err(|_| "the cache could not be read".to_string())?;
    Ok(hit.dyn_into().ok())
}

/// The step a stored checkpoint names.
fn step_of(response: &web_sys::Response) -> Option<String> {
    response.headers().get(STEP_HEADER).ok().flatten()
}

/// What a reloaded page shows of a stored run: a run that was under way
/// is interrupted, its charts cut back to its checkpoint (the steps after
/// it are lost with the worker); `None` if it has no checkpoint to load.
pub fn restored(mut t: Training) -> Option<Training> {
    let step = t.checkpoint_step?;
    if t.busy() || t.phase == crate::state::Phase::Paused {
        t.phase = crate::state::Phase::Interrupted;
    }
    t.cut_back_to(step);
    Some(t)
}
