//! `generate` on the fixture model against transformers' and PEFT's greedy
//! ids, and bad generate input that must fail with a clear message.

use super::{fixtures, text, tooltune};
use serde_json::Value;

pub fn hf(name: &str) -> String {
    fixtures().join("hf").join(name).display().to_string()
}

fn expected(name: &str) -> Value {
    let path = fixtures().join("hf").join(name).join("expected.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn ids(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

#[test]
fn generate_gives_transformers_greedy_ids() {
    let model = hf("llama-gqa");
    for p in expected("llama-gqa")["prompts"].as_array().unwrap() {
        let prompt: Vec<String> = ids(&p["input_ids"]).iter().map(u64::to_string).collect();
        let o = tooltune(&[
            "generate",
            "--model",
            &model,
            "--prompt-ids",
            &prompt.join(","),
            "--max-new-tokens",
            "8",
            "--ignore-eos",
            "--json",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let out: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(ids(&out["new_ids"]), ids(&p["greedy_new_ids"]));
        assert_eq!(out["text"], p["greedy_text"]);
        // The prompt's text tokenizes to the same ids.
        let o = tooltune(&[
            "generate",
            "--model",
            &model,
            "--prompt",
            p["text"].as_str().unwrap(),
            "--max-new-tokens",
            "8",
            "--ignore-eos",
            "--json",
        ]);
        let out: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            ids(&out["new_ids"]),
            ids(&p["greedy_new_ids"]),
            "{}",
            text(&o)
        );
    }
}

#[test]
fn generate_with_peft_adapter_gives_peft_greedy_ids() {
    let p = &expected("llama-gqa-lora")["prompts"][0];
    let prompt: Vec<String> = ids(&p["input_ids"]).iter().map(u64::to_string).collect();
    let o = tooltune(&[
        "generate",
        "--model",
        &hf("llama-gqa"),
        "--adapter",
        &hf("llama-gqa-lora"),
        "--prompt-ids",
        &prompt.join(","),
        "--max-new-tokens",
        "8",
        "--ignore-eos",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(ids(&out["new_ids"]), ids(&p["greedy_new_ids"]));
}

#[test]
fn generate_rejects_bad_input_clearly() {
    let model = hf("llama-gqa");
    let o = tooltune(&["generate", "--model", &model, "--prompt-ids", "1,99999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("token id 99999 is outside the vocabulary (size 512)"),
        "{}",
        text(&o)
    );
    let o = tooltune(&["generate", "--model", &model, "--prompt-ids", "1,x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("invalid value 'x'"), "{}", text(&o));
    let o = tooltune(&[
        "generate",
        "--model",
        "/nonexistent/model",
        "--prompt",
        "hi",
    ]);
    assert!(
        text(&o).contains("model folder /nonexistent/model does not exist"),
        "{}",
        text(&o)
    );
    let o = tooltune(&[
        "generate",
        "--model",
        &model,
        "--prompt",
        "hi",
        "--backend",
        "tpu",
    ]);
    assert!(text(&o).contains("unknown backend `tpu`"), "{}", text(&o));
    assert!(!text(&o).contains("panicked"));
}

/// `generate --backend wgpu` (lavapipe where there is no GPU) gives
/// transformers' greedy ids too.
#[cfg(feature = "wgpu")]
#[test]
fn generate_on_wgpu_gives_transformers_greedy_ids() {
    let p = &expected("llama-gqa")["prompts"][0];
    let prompt: Vec<String> = ids(&p["input_ids"]).iter().map(u64::to_string).collect();
    let o = tooltune(&[
        "generate",
        "--backend",
        "wgpu",
        "--model",
        &hf("llama-gqa"),
        "--prompt-ids",
        &prompt.join(","),
        "--max-new-tokens",
        "8",
        "--ignore-eos",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(ids(&out["new_ids"]), ids(&p["greedy_new_ids"]));
}

/// With no usable adapter, `--backend wgpu` is an error naming the backend
/// and the drivers it needs, not a panic. The Vulkan loader and glvnd's EGL
/// are pointed at no drivers (wgpu falls back from Vulkan to OpenGL).
#[cfg(all(feature = "wgpu", target_os = "linux"))]
#[test]
fn wgpu_without_a_driver_is_a_clear_error() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_tooltune"))
        .args(["generate", "--backend", "wgpu", "--model", &hf("llama-gqa")])
        .args(["--prompt-ids", "1,2,3", "--max-new-tokens", "2"])
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .env("__EGL_VENDOR_LIBRARY_FILENAMES", "/nonexistent/egl.json")
        .output()
        .expect("run tooltune");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("error: backend `wgpu`: cannot start"), "{t}");
    assert!(t.contains("Vulkan, Metal or DirectX 12"), "{t}");
    assert!(t.contains("mesa-vulkan-drivers"), "{t}");
    assert!(!t.contains("panicked"), "{t}");
}
