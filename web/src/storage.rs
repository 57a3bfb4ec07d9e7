//! Autosave to `localStorage`, one record per browser profile:
//! `{tab, stamp, workspace}`. Each tab has an id (in `sessionStorage`, so a
//! reload keeps it). A tab saves only over its own record or over one it
//! has already seen; when another tab saved since, it stops and asks
//! (keep mine / load theirs) instead of overwriting silently. The
//! `storage` event tells a tab at once when another one saves.

use serde::{Deserialize, Serialize};
use tooltune_workspace::Workspace;

/// The `localStorage` key.
const KEY: &str = "tooltune.workspace";
/// The `sessionStorage` key of this tab's id.
const TAB_KEY: &str = "tooltune.tab";

/// What is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The tab that saved it.
    pub tab: String,
    /// A counter bumped on each save (any tab).
    pub stamp: u64,
    /// The workspace's JSON.
    pub workspace: String,
}

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// A per-browser switch (`localStorage[key]` set to `on` or `off`), else
/// whether the browser has `min_cores` cores or more
/// (`navigator.hardwareConcurrency`): whether to start an extra worker.
pub fn switch_or_cores(key: &str, min_cores: f64) -> bool {
    match local()
        .and_then(|s| s.get_item(key).ok().flatten())
        .as_deref()
    {
        Some("on") => true,
        Some("off") => false,
        _ => web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency()) >= min_cores,
    }
}

/// Sets a [`switch_or_cores`] switch.
pub fn set_switch(key: &str, on: bool) {
    if let Some(s) = local() {
        let _ = s.set_item(key, if on { "on" } else { "off" });
    }
}

/// This tab's id, made on first use.
pub fn tab_id() -> String {
    let session = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
    if let Some(id) = session
        .as_ref()
        .and_then(|s| s.get_item(TAB_KEY).ok().flatten())
    {
        return id;
    }
    let id = format!("{:x}", (js_sys::Math::random() * 2f64.powi(48)) as u64);
    if let Some(s) = session {
        let _ = s.set_item(TAB_KEY, &id);
    }
    id
}

/// The stored record, if any and readable.
pub fn load() -> Option<Record> {
    let text = local()?.get_item(KEY).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// The stored workspace: `Ok(None)` when nothing is stored, an error
/// message when what is stored does not read (e.g. a newer version).
pub fn load_workspace(record: &Record) -> Result<Workspace, String> {
    Workspace::from_json(&record.workspace).map_err(|e| e.to_string())
}

/// What [`save`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Saved {
    /// Written, with this stamp.
    Written(u64),
    /// Not written: another tab saved (stamp) since this tab last synced.
    Conflict(Record),
    /// Storage is unavailable or full.
    Failed(String),
}

/// Saves `workspace` unless another tab has saved since `seen` (the stamp
/// this tab last wrote or loaded); `force` overwrites anyway.
pub fn save(workspace: &Workspace, tab: &str, seen: u64, force: bool) -> Saved {
    let Some(storage) = local() else {
        return Saved::Failed("browser storage is not available".into());
    };
    let current = load();
    if let Some(r) = &current
        && !force
        && r.tab != tab
        && r.stamp > seen
    {
        return Saved::Conflict(r.clone());
    }
    let stamp = current.map(|r| r.stamp).unwrap_or(0) + 1;
    let record = Record {
        tab: tab.to_string(),
        stamp,
        workspace: workspace.to_json(),
    };
    match storage.set_item(KEY, &serde_json::to_string(&record).unwrap_or_default()) {
        Ok(()) => Saved::Written(stamp),
        Err(_) => Saved::Failed("browser storage refused the save (full?)".into()),
    }
}

/// Whether a `storage` event is about the autosave record.
pub fn is_ours(key: Option<String>) -> bool {
    key.as_deref() == Some(KEY)
}
