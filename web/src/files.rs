//! File and network I/O at the page's edge: picked or dropped files read as
//! bytes, model folders fetched from a URL (kept in the Cache API, so a
//! second visit loads offline), and downloads.

use js_sys::Uint8Array;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::state::{AppState, Notice};

pub use tooltune_workspace::model_url::{
    MODEL_FILES, REQUIRED, is_gguf_name as is_gguf, url_model_name,
};
use tooltune_workspace::model_url::{is_gguf_url, url_file_name};

/// The Cache API store for fetched model files.
const CACHE: &str = "tooltune-models-v1";

fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// The named model files of a file list (names as picked; folders ignored),
/// with their sizes: `(name, size, file)`.
pub fn model_files(list: &web_sys::FileList) -> Vec<(String, f64, web_sys::File)> {
    (0..list.length())
        .filter_map(|i| list.get(i))
        .filter(|f| MODEL_FILES.contains(&f.name().as_str()) || is_gguf(&f.name()))
        .map(|f| (f.name(), f.size(), f))
        .collect()
}

/// Reads files into byte arrays.
pub async fn read_files(files: &[(String, f64, web_sys::File)]) -> Result<Vec<Uint8Array>, String> {
    let mut out = Vec::with_capacity(files.len());
    for (name, _, file) in files {
        let buffer = JsFuture::from(file.array_buffer())
            .await
            .map_err(|e| format!("reading {name}: {}", describe(&e)))?;
        out.push(Uint8Array::new(&buffer));
    }
    Ok(out)
}

/// Fetches a model from `base` through the Cache API: a GGUF file when
/// `base` names one, otherwise a folder's files (`base` ending in `/`).
/// `progress` is told each file. Missing optional files are skipped; a
/// missing required one is an error naming its URL.
pub async fn fetch_model(
    base: &str,
    progress: impl Fn(String),
) -> Result<(Vec<String>, Vec<Uint8Array>), String> {
    let window = web_sys::window().ok_or("no window")?;
    let cache: Option<web_sys::Cache> = match window.caches() {
        Ok(caches) => JsFuture::from(caches.open(CACHE))
            .await
            .ok()
            .and_then(|c| c.dyn_into().ok()),
        Err(_) => None,
    };
    if is_gguf_url(base) {
        let name = url_file_name(base).to_string();
        progress(format!("fetching {name}"));
        return match fetch_one(&window, cache.as_ref(), base).await? {
            Fetched::Bytes(bytes) => Ok((vec![name], vec![bytes])),
            Fetched::Status(status) => Err(format!("fetching {base}: HTTP {status}")),
        };
    }
    // All files at once (index.html has started the built-in model's already).
    progress(format!("fetching {}", MODEL_FILES.join(", ")));
    let fetches = MODEL_FILES.iter().map(|name| {
        let url = format!("{base}{name}");
        let (window, cache) = (&window, cache.as_ref());
        async move { (*name, fetch_one(window, cache, &url).await, url) }
    });
    let mut names = Vec::new();
    let mut bytes = Vec::new();
    for (name, fetched, url) in futures::future::join_all(fetches).await {
        match fetched? {
            Fetched::Bytes(b) => {
                names.push(name.to_string());
                bytes.push(b);
            }
            Fetched::Status(_) if !REQUIRED.contains(&name) => {}
            Fetched::Status(status) => return Err(format!("fetching {url}: HTTP {status}")),
        }
    }
    Ok((names, bytes))
}

/// What the server answered for one file.
enum Fetched {
    Bytes(Uint8Array),
    /// An error status (404, …).
    Status(u16),
}

/// One file through the cache; `Err` when the fetch itself fails.
async fn fetch_one(
    window: &web_sys::Window,
    cache: Option<&web_sys::Cache>,
    url: &str,
) -> Result<Fetched, String> {
    let mut response: Option<web_sys::Response> = None;
    if let Some(cache) = cache {
        let hit = JsFuture::from(cache.match_with_str(url)).await.ok();
        response = hit.and_then(|r| r.dyn_into().ok());
    }
    let cached = response.is_some();
    let response = match response {
        Some(r) => r,
        None => JsFuture::from(window.fetch_with_str(url))
            .await
            .map_err(|e| format!("fetching {url}: {}", describe(&e)))?
            .dyn_into::<web_sys::Response>()
            .map_err(|_| format!("fetching {url}: not a response"))?,
    };
    if !response.ok() {
        return Ok(Fetched::Status(response.status()));
    }
    if !cached
        && let Some(cache) = cache
        && let Ok(copy) = response.clone()
    {
        // Stored meanwhile: the model need not wait for the disk.
        let stored = JsFuture::from(cache.put_with_str(url, &copy));
        wasm_bindgen_futures::spawn_local(async move {
            // A full disk only means no offline copy.
            let _ = stored.await;
        });
    }
    let buffer = JsFuture::from(
        response
            .array_buffer()
            .map_err(|e| format!("reading {url}: {}", describe(&e)))?,
    )
    .await
    .map_err(|e| format!("reading {url}: {}", describe(&e)))?;
    Ok(Fetched::Bytes(Uint8Array::new(&buffer)))
}

/// Offers `text` as a download named `name`.
pub fn download(name: &str, text: &str, mime: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| describe(&e))?;
    click_link(name, &blob)
}

/// Clicks a download link for `blob`.
fn click_link(name: &str, blob: &web_sys::Blob) -> Result<(), String> {
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(|e| describe(&e))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| describe(&e))?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Offers `bytes` as a download named `name`.
pub fn download_bytes(name: &str, bytes: &[u8]) -> Result<(), String> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|e| describe(&e))?;
    click_link(name, &blob)
}

/// Reads the file picked in `node` as text (the picker cleared, so the same
/// file can be picked again) and shows, as the page's notice, what `then`
/// makes of its name and text, or why it could not be read. Nothing picked:
/// no notice.
pub fn import_picked(
    state: AppState,
    node: NodeRef<leptos::html::Input>,
    then: impl FnOnce(String, String) -> Notice + 'static,
) {
    let Some(input) = node.get() else {
        return;
    };
    let input: web_sys::HtmlInputElement = input.unchecked_into();
    wasm_bindgen_futures::spawn_local(async move {
        let read = read_text(&input).await;
        input.set_value("");
        let notice = match read {
            Ok(None) => return,
            Err(e) => Notice {
                error: true,
                text: e,
            },
            Ok(Some((name, text))) => then(name, text),
        };
        state.notice.set(Some(notice));
    });
}

/// Reads the first file of an `<input type=file>` as text.
async fn read_text(input: &web_sys::HtmlInputElement) -> Result<Option<(String, String)>, String> {
    let Some(file) = input.files().and_then(|l| l.get(0)) else {
        return Ok(None);
    };
    let text = JsFuture::from(file.text())
        .await
        .map_err(|e| format!("reading {}: {}", file.name(), describe(&e)))?;
    Ok(Some((file.name(), text.as_string().unwrap_or_default())))
}

/// Fetches a text file beside the page (e.g. a bundled example dataset).
pub async fn fetch_text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("fetching {url}: {}", describe(&e)))?
        .dyn_into()
        .map_err(|_| format!("fetching {url}: not a response"))?;
    if !response.ok() {
        return Err(format!("fetching {url}: HTTP {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|e| describe(&e))?)
        .await
        .map_err(|e| format!("reading {url}: {}", describe(&e)))?;
    Ok(text.as_string().unwrap_or_default())
}
