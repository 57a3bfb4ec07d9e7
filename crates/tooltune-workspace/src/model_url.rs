//! Models named by URL, read the same way by the page's model picker and the
//! CLI's `--model`: a URL whose path ends in `.gguf` is one GGUF file; any
//! other is a Hugging Face folder holding [`MODEL_FILES`] side by side (a
//! Hugging Face repository's `https://huggingface.co/ORG/NAME/resolve/main/`).

/// The files a model folder may hold, in the order the worker gets them.
pub const MODEL_FILES: [&str; 4] = [
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
];

/// Files without which a model does not load.
pub const REQUIRED: [&str; 3] = ["config.json", "model.safetensors", "tokenizer.json"];

/// Whether `text` is an `http://` or `https://` URL (what `--model` fetches
/// rather than reads from disk).
pub fn is_url(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Whether a file name is a GGUF file's (llama.cpp, Ollama, LM Studio).
pub fn is_gguf_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".gguf")
}

/// Whether a URL names a GGUF file (its path, without query or fragment).
pub fn is_gguf_url(url: &str) -> bool {
    is_gguf_name(url_path(url))
}

/// A URL without its query or fragment.
pub fn url_path(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// The file name a URL ends with (`model.gguf` of `https://h/m/model.gguf?x`).
pub fn url_file_name(url: &str) -> &str {
    url_path(url).rsplit('/').next().unwrap_or_default()
}

/// A model URL ready to fetch from: a GGUF file's as it is, a folder's with
/// its trailing slash, so that `base + name` is the URL of a file in it.
pub fn model_base(url: &str) -> String {
    let url = url.trim();
    if is_gguf_url(url) || url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

/// What a model fetched from `url` is called: a GGUF file by its file name,
/// a folder by its URL.
pub fn url_model_name(url: &str) -> String {
    if is_gguf_url(url) {
        url_file_name(url).to_string()
    } else {
        url.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_apart() {
        assert!(is_url("https://huggingface.co/x/y/resolve/main/"));
        assert!(is_url("HTTP://127.0.0.1:8080/m.gguf"));
        assert!(!is_url("builtin"));
        assert!(!is_url("models/http"));
        assert!(!is_url("é"));
        assert!(is_gguf_url("https://h/m/SmolLM2.Q4_1.GGUF?download=true"));
        assert!(!is_gguf_url("https://h/m/?f=x.gguf"));
        assert_eq!(url_file_name("https://h/m/model.gguf?x#y"), "model.gguf");
        assert_eq!(model_base("https://h/m"), "https://h/m/");
        assert_eq!(model_base(" https://h/m/ "), "https://h/m/");
        assert_eq!(model_base("https://h/m.gguf"), "https://h/m.gguf");
        assert_eq!(url_model_name("https://h/a/m.gguf"), "m.gguf");
        assert_eq!(url_model_name("https://h/a/"), "https://h/a/");
    }
}
