//! GGUF files in the CLI: `--model FILE.gguf` generates transformers' greedy
//! tokens, `tooltune import` writes a Hugging Face folder that generates the
//! same, and damaged files or a missing `smollm2` setup are clear errors.

use super::{fixtures, s, text, tmp, tooltune};
use serde_json::Value;

fn greedy(model: &str, prompt: &str, n: usize) -> Value {
    let o = tooltune(&[
        "generate",
        "--model",
        model,
        "--prompt",
        prompt,
        "--max-new-tokens",
        &n.to_string(),
        "--ignore-eos",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    serde_json::from_slice::<Value>(&o.stdout).unwrap()["new_ids"].clone()
}

#[test]
fn gguf_generates_and_imports() {
    let gguf = fixtures().join("gguf/tiny-llama/model.gguf");
    let reference: Value = serde_json::from_slice(
        &std::fs::read(fixtures().join("gguf/tiny-llama/expected-logits.json")).unwrap(),
    )
    .unwrap();
    let p = &reference["prompts"][0];
    let want = &p["greedy_new_ids"];
    let text_prompt = p["text"].as_str().unwrap();
    assert_eq!(&greedy(s(&gguf), text_prompt, 8), want);

    let out = tmp("imported-tiny");
    let o = tooltune(&["import", s(&gguf), "--out", s(&out), "--dtype", "f32"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for f in [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    assert_eq!(&greedy(s(&out), text_prompt, 8), want);
}

#[test]
fn bad_gguf_files_are_clear_errors() {
    let bytes = std::fs::read(fixtures().join("gguf/tiny-llama/model.gguf")).unwrap();
    let cut = tmp("cut.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let o = tooltune(&["import", s(&cut), "--out", s(&tmp("cut-out"))]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cut.gguf: "), "{}", text(&o));
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
    let o = tooltune(&["generate", "--model", s(&cut), "--prompt", "hi"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cut.gguf: "), "{}", text(&o));

    let o = std::process::Command::new(env!("CARGO_BIN_EXE_tooltune"))
        .args(["generate", "--model", "smollm2", "--prompt", "hi"])
        .env("TOOLTUNE_CACHE", tmp("empty-cache"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("bash scripts/setup.sh smollm2"),
        "{}",
        text(&o)
    );
}
