//! Models named by URL (`--model https://…/model.gguf`, or a Hugging Face
//! folder's URL such as `https://huggingface.co/ORG/NAME/resolve/main/`),
//! read as the page reads them (`tooltune_workspace::model_url`): fetched
//! once into `$TOOLTUNE_CACHE/models/` and loaded from there afterwards, with
//! no network, as the page keeps fetched models in the Cache API.
//!
//! A file is written beside its final name and renamed only once whole, and a
//! folder counts as fetched only once its `.complete` marker is written, so an
//! interrupted download is fetched again rather than loaded half.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tooltune_workspace::model_url::{self, MODEL_FILES, REQUIRED};

/// What went wrong fetching a model.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server answered with an error status.
    #[error("fetching {url}: HTTP {status}")]
    Status { url: String, status: u16 },
    /// A folder URL without one of the files a model needs.
    #[error(
        "{base} is not a model folder: {file} is missing ({url}: HTTP 404); a folder URL must hold \
         config.json, model.safetensors (or model.safetensors.index.json and its shards) and \
         tokenizer.json, or name a .gguf file"
    )]
    Missing {
        base: String,
        file: String,
        url: String,
    },
    /// No answer: the host is unknown or unreachable, the connection broke.
    #[error("fetching {url}: no answer from the server")]
    Transport {
        url: String,
        #[source]
        source: Box<ureq::Error>,
    },
    /// The body ended early or could not be read.
    #[error("fetching {url}: the download broke off")]
    Body {
        url: String,
        #[source]
        source: std::io::Error,
    },
    /// The shard index is not one.
    #[error("{url}: not a safetensors shard index: {why}")]
    BadIndex { url: String, why: String },
    /// The cache could not be written.
    #[error("cannot write the model cache at {}", path.display())]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The result of this module's functions.
pub type Result<T> = std::result::Result<T, FetchError>;

/// tooltune's cache: `$TOOLTUNE_CACHE`, else `~/.cache/tooltune`.
pub fn cache_root() -> PathBuf {
    std::env::var_os("TOOLTUNE_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/tooltune")))
        .unwrap_or_else(|| PathBuf::from(".cache/tooltune"))
}

/// The local copy of the model at `url` (a .gguf file or a folder), fetched
/// into `cache` unless it is there already.
pub fn model(url: &str, cache: &Path) -> Result<PathBuf> {
    let base = model_url::model_base(url);
    let dir = cache.join("models").join(cache_key(&base));
    if model_url::is_gguf_url(&base) {
        let file = dir.join(safe_name(model_url::url_file_name(&base)));
        if !file.is_file() {
            create_dir(&dir)?;
            fetch_to(&agent(), &base, &file)?;
        }
        return Ok(file);
    }
    let done = dir.join(".complete");
    if done.is_file() {
        return Ok(dir);
    }
    create_dir(&dir)?;
    let agent = agent();
    let missing = |file: &str, url: String| FetchError::Missing {
        base: base.clone(),
        file: file.to_string(),
        url,
    };
    for name in MODEL_FILES {
        let url = format!("{base}{name}");
        let path = dir.join(name);
        if path.is_file() {
            continue;
        }
        match fetch_to(&agent, &url, &path) {
            Err(FetchError::Status { status: 404, .. }) if name == "model.safetensors" => {
                fetch_shards(&agent, &base, &dir).map_err(|e| match e {
                    FetchError::Status { url, status: 404 } if url.ends_with(".index.json") => {
                        missing(name, format!("{base}{name}"))
                    }
                    e => e,
                })?
            }
            Err(FetchError::Status { status: 404, .. }) if REQUIRED.contains(&name) => {
                return Err(missing(name, url));
            }
            Err(FetchError::Status { status: 404, .. }) | Ok(()) => {}
            Err(e) => return Err(e),
        }
    }
    std::fs::write(&done, base.as_bytes()).map_err(|source| FetchError::Cache {
        path: done.clone(),
        source,
    })?;
    Ok(dir)
}

/// A sharded checkpoint: `model.safetensors.index.json` and every shard its
/// `weight_map` names.
fn fetch_shards(agent: &ureq::Agent, base: &str, dir: &Path) -> Result<()> {
    const INDEX: &str = "model.safetensors.index.json";
    let url = format!("{base}{INDEX}");
    let index = dir.join(INDEX);
    if !index.is_file() {
        fetch_to(agent, &url, &index)?;
    }
    let bad = |why: String| FetchError::BadIndex {
        url: url.clone(),
        why,
    };
    let bytes = std::fs::read(&index).map_err(|source| FetchError::Cache {
        path: index.clone(),
        source,
    })?;
    let map: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
    let files = map["weight_map"]
        .as_object()
        .ok_or_else(|| bad("no \"weight_map\" object".into()))?;
    let mut shards: Vec<&str> = files.values().filter_map(|v| v.as_str()).collect();
    shards.sort_unstable();
    shards.dedup();
    for shard in shards {
        if safe_name(shard) != shard {
            return Err(bad(format!("shard {shard:?} is not a plain file name")));
        }
        let path = dir.join(shard);
        if path.is_file() {
            continue;
        }
        let url = format!("{base}{shard}");
        fetch_to(agent, &url, &path)?;
    }
    Ok(())
}

/// An agent that waits at most 30 s for a connection (a download itself may
/// take as long as it takes) and hands error statuses back as values.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// `$HF_TOKEN` for a Hugging Face URL (gated models such as Llama need it),
/// as Hugging Face's own tools send it; never to another host (and ureq drops
/// it on a redirect to another host, such as the hub's file store).
fn hub_token(url: &str, token: Option<String>) -> Option<String> {
    let host = url.split("://").nth(1)?.split(['/', '?', '#']).next()?;
    let host = host
        .rsplit('@')
        .next()?
        .split(':')
        .next()?
        .to_ascii_lowercase();
    let hub = host == "huggingface.co" || host.ends_with(".huggingface.co") || host == "hf.co";
    token.filter(|t| hub && !t.is_empty())
}

/// Downloads `url` into `to` (through `to.part`, renamed when whole), with a
/// progress bar on a terminal. [`FetchError::Status`] when the server answered
/// with an error status.
fn fetch_to(agent: &ureq::Agent, url: &str, to: &Path) -> Result<()> {
    let transport = |source| FetchError::Transport {
        url: url.to_string(),
        source: Box::new(source),
    };
    let mut request = agent.get(url);
    if let Some(token) = hub_token(url, std::env::var("HF_TOKEN").ok()) {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let response = request.call().map_err(transport)?;
    let status = response.status().as_u16();
    if status >= 400 {
        return Err(FetchError::Status {
            url: url.to_string(),
            status,
        });
    }
    let length: Option<u64> = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let bar = match length {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::no_length(),
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes}  {bytes_per_sec}  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(model_url::url_file_name(url).to_string());
    let part = to.with_file_name(format!(
        "{}.part",
        to.file_name().unwrap_or_default().to_string_lossy()
    ));
    let cache = |source| FetchError::Cache {
        path: part.clone(),
        source,
    };
    let mut file = std::fs::File::create(&part).map_err(cache)?;
    let mut reader = bar.wrap_read(response.into_body().into_reader());
    let copied = copy(&mut reader, &mut file, url, &part);
    bar.finish_and_clear();
    let written = match copied {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    if let Some(n) = length.filter(|&n| n != written) {
        let _ = std::fs::remove_file(&part);
        return Err(FetchError::Body {
            url: url.to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("{written} of {n} bytes"),
            ),
        });
    }
    drop(file);
    std::fs::rename(&part, to).map_err(|source| FetchError::Cache {
        path: to.to_path_buf(),
        source,
    })?;
    eprintln!("fetched {url} ({:.1} MB)", written as f64 / 1e6);
    Ok(())
}

/// Copies the body into the file, telling a broken body from a full disk.
fn copy(reader: &mut impl Read, file: &mut std::fs::File, url: &str, part: &Path) -> Result<u64> {
    use std::io::Write;
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(FetchError::Body {
                    url: url.to_string(),
                    source,
                });
            }
        };
        file.write_all(&buf[..n])
            .map_err(|source| FetchError::Cache {
                path: part.to_path_buf(),
                source,
            })?;
        total += n as u64;
    }
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| FetchError::Cache {
        path: dir.to_path_buf(),
        source,
    })
}

/// A file name that stays inside its folder (no separators, no `..`).
fn safe_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if clean.is_empty() || clean.starts_with('.') {
        format!("_{clean}")
    } else {
        clean
    }
}

/// The cache folder of a model URL: its readable tail and a hash of the
/// whole URL (FNV-1a, stable across builds), so that two URLs never share one.
fn cache_key(base: &str) -> String {
    let hash = base.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let path = model_url::url_path(base);
    let tail: String = path
        .trim_end_matches('/')
        .rsplit('/')
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("-")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(60)
        .collect();
    format!("{}-{hash:016x}", tail.trim_start_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keys_are_readable_and_distinct() {
        let a = cache_key("https://huggingface.co/HuggingFaceTB/SmolLM2-135M/resolve/main/");
        assert!(a.starts_with("SmolLM2-135M-resolve-main-"), "{a}");
        let b = cache_key("https://huggingface.co/HuggingFaceTB/SmolLM2-360M/resolve/main/");
        assert_ne!(a, b);
        assert_eq!(
            a,
            cache_key("https://huggingface.co/HuggingFaceTB/SmolLM2-135M/resolve/main/")
        );
        assert!(!cache_key("http://h/../..").contains('/'));
    }

    #[test]
    fn the_hub_token_goes_to_the_hub_only() {
        let token = || Some("hf_x".to_string());
        let hub = "https://huggingface.co/meta-llama/L/resolve/main/config.json";
        assert_eq!(hub_token(hub, token()).as_deref(), Some("hf_x"));
        assert_eq!(hub_token(hub, Some(String::new())), None);
        assert_eq!(
            hub_token("https://HF.co/x/y/resolve/main/", token()).as_deref(),
            Some("hf_x")
        );
        assert_eq!(
            hub_token("https://huggingface.co.evil.example/x", token()),
            None
        );
        assert_eq!(
            hub_token("https://evil.example/huggingface.co/x", token()),
            None
        );
        assert_eq!(
            hub_token("https://huggingface.co@evil.example/x", token()),
            None
        );
        assert_eq!(hub_token("http://127.0.0.1:8080/m.gguf", token()), None);
    }

    #[test]
    fn names_stay_in_their_folder() {
        assert_eq!(
            safe_name("model-00001-of-00002.safetensors"),
            "model-00001-of-00002.safetensors"
        );
        assert_eq!(safe_name("../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name(""), "_");
    }
}
