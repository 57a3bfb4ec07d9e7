//! Models named by URL: `--model http://…/folder` and `--model http://…/x.gguf`
//! generate what the local files generate, are fetched once into the cache
//! (a second command makes no request, even with the server gone), and a
//! missing file, a closed port or a download that breaks off are clear
//! errors that leave nothing half-fetched to load.

use super::{fixtures, s, text, tmp};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A static file server on 127.0.0.1 for the fixtures folder, counting the
/// requests it answers. Paths under `/cut/` answer with the full
/// Content-Length but only half the body, as a dropped connection does.
struct Server {
    port: u16,
    requests: Arc<AtomicUsize>,
}

impl Server {
    fn start(root: PathBuf) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let count = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                serve(stream, &root);
            }
        });
        Self { port, requests }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, root: &Path) {
    let mut reader = BufReader::new(&stream);
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let path = request.split(' ').nth(1).unwrap_or("/").to_string();
    let (cut, rel) = match path.strip_prefix("/cut/") {
        Some(rest) => (true, rest),
        None => (false, path.trim_start_matches('/')),
    };
    let mut out = &stream;
    match std::fs::read(root.join(rel))
        .ok()
        .filter(|_| !rel.contains(".."))
    {
        Some(body) => {
            let sent = if cut {
                &body[..body.len() / 2]
            } else {
                &body[..]
            };
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = out.write_all(sent);
        }
        None => {
            let _ = write!(
                out,
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    }
}

/// `tooltune` with its cache in `cache`.
fn tooltune_cached(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tooltune"))
        .args(args)
        .env("TOOLTUNE_CACHE", cache)
        .output()
        .expect("run tooltune")
}

fn greedy(cache: &Path, model: &str) -> Output {
    tooltune_cached(
        cache,
        &[
            "generate",
            "--model",
            model,
            "--prompt",
            "Hello, world",
            "--max-new-tokens",
            "6",
            "--ignore-eos",
            "--json",
        ],
    )
}

fn new_ids(o: &Output) -> Value {
    assert_eq!(o.status.code(), Some(0), "{}", text(o));
    serde_json::from_slice::<Value>(&o.stdout).unwrap()["new_ids"].clone()
}

#[test]
fn url_models_load_as_their_files_and_are_fetched_once() {
    let server = Server::start(fixtures());
    let cache = tmp("url-cache");
    let folder = fixtures().join("hf/llama-gqa");
    let want = new_ids(&greedy(&cache, s(&folder)));
    assert_eq!(server.requests(), 0);

    // A folder URL, without its slash: config, weights, tokenizer, template.
    let url = server.url("hf/llama-gqa");
    assert_eq!(new_ids(&greedy(&cache, &url)), want);
    assert_eq!(server.requests(), 4);
    // Fetched once: the next command reads the cache only.
    assert_eq!(new_ids(&greedy(&cache, &format!("{url}/"))), want);
    assert_eq!(server.requests(), 4);
    let cached: Vec<PathBuf> = std::fs::read_dir(cache.join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
    let copy = std::fs::read(cached[0].join("model.safetensors")).unwrap();
    assert_eq!(
        copy,
        std::fs::read(folder.join("model.safetensors")).unwrap()
    );

    // A GGUF file's URL, and `import` of it.
    let gguf = fixtures().join("gguf/tiny-llama/model.gguf");
    let want = new_ids(&greedy(&cache, s(&gguf)));
    let url = server.url("gguf/tiny-llama/model.gguf");
    assert_eq!(new_ids(&greedy(&cache, &url)), want);
    assert_eq!(server.requests(), 5);
    let out = tmp("url-imported");
    let o = tooltune_cached(&cache, &["import", &url, "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.requests(), 5);
    assert_eq!(new_ids(&greedy(&cache, s(&out))), want);

    // `import` of a folder URL says what to do instead.
    let o = tooltune_cached(
        &cache,
        &["import", &server.url("hf/llama-gqa/"), "--out", s(&out)],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("names a model folder"), "{}", text(&o));
}

/// Asks for `url` and checks the command fails with exit 2, says `said`,
/// and does not panic; returns everything it printed.
fn refused(cache: &Path, url: &str, said: &str) -> String {
    let o = greedy(cache, url);
    let msg = text(&o);
    assert_eq!(o.status.code(), Some(2), "{msg}");
    assert!(msg.contains(said), "{msg}");
    assert!(!msg.contains("panicked"), "{msg}");
    msg
}

#[test]
fn bad_model_urls_are_clear_errors() {
    let server = Server::start(fixtures());
    let cache = tmp("url-cache-bad");

    // A folder without config.json: named, with the URL that answered 404.
    let url = server.url("support/");
    let msg = refused(
        &cache,
        &url,
        &format!("{url} is not a model folder: config.json is missing"),
    );
    assert!(msg.contains("HTTP 404"), "{msg}");

    // A GGUF file that is not there.
    let url = server.url("gguf/tiny-llama/none.gguf");
    refused(&cache, &url, &format!("fetching {url}: HTTP 404"));

    // A download that breaks off is not kept: asked again, it is fetched again.
    let url = server.url("cut/gguf/tiny-llama/model.gguf");
    for _ in 0..2 {
        refused(
            &cache,
            &url,
            &format!("fetching {url}: the download broke off"),
        );
    }
    let before = server.requests();
    let url = server.url("cut/hf/llama-gqa/");
    refused(&cache, &url, "the download broke off");
    assert_eq!(
        server.requests(),
        before + 1,
        "stops at the first broken file"
    );
    let leftovers: Vec<String> = walk(&cache.join("models"))
        .into_iter()
        .filter(|p| p.ends_with(".part") || p.ends_with(".gguf") || p.ends_with(".complete"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Nobody listening.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("http://127.0.0.1:{port}/m.gguf");
    refused(
        &cache,
        &url,
        &format!("fetching {url}: no answer from the server"),
    );
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}
