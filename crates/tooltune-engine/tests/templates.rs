//! Chat templates against transformers' `apply_chat_template`: every case of
//! `tests/fixtures/templates/goldens.json` (made by `make_goldens.py` there)
//! must render to the same text, byte for byte, or fail with the template's
//! own exception message.

use serde::Deserialize;
use serde_json::Value;
use tooltune_engine::chat::{BUILTIN_TEMPLATE, ChatTemplate};

use crate::common::templates_dir;

#[derive(Deserialize)]
struct Case {
    name: String,
    template: String,
    messages: Vec<Value>,
    tools: Option<Value>,
    add_generation_prompt: bool,
    special_tokens: serde_json::Map<String, Value>,
    expected: Option<String>,
    expected_error: Option<String>,
}

#[derive(Deserialize)]
struct Goldens {
    cases: Vec<Case>,
}

fn goldens() -> Vec<Case> {
    let bytes = std::fs::read(templates_dir().join("goldens.json")).expect("goldens.json");
    serde_json::from_slice::<Goldens>(&bytes)
        .expect("parses")
        .cases
}

fn compile(case: &Case) -> ChatTemplate {
    let source = std::fs::read_to_string(templates_dir().join(&case.template)).expect("template");
    let mut t = ChatTemplate::new(&source).expect("compiles");
    for (k, v) in &case.special_tokens {
        if let Some(v) = v.as_str() {
            t = t.with_token(k, v);
        }
    }
    t
}

#[test]
fn every_golden_renders_like_transformers() {
    let cases = goldens();
    assert_eq!(cases.len(), 11);
    for case in &cases {
        let got = compile(case).render(
            &case.messages,
            case.tools.as_ref(),
            case.add_generation_prompt,
        );
        match (&case.expected, &case.expected_error) {
            (Some(want), _) => {
                let got = got.unwrap_or_else(|e| panic!("{}: {e}", case.name));
                assert_eq!(&got, want, "{}", case.name);
            }
            (None, Some(want)) => {
                let err = got.expect_err(&case.name).to_string();
                assert!(err.contains(want.as_str()), "{}: {err}", case.name);
            }
            (None, None) => panic!("{}: golden has neither text nor error", case.name),
        }
    }
}

#[test]
fn builtin_template_is_the_golden_file() {
    let file = std::fs::read_to_string(templates_dir().join("chatml-tools.jinja")).expect("file");
    assert_eq!(file, BUILTIN_TEMPLATE);
    let t = ChatTemplate::builtin();
    assert!(t.is_builtin());
    assert_eq!(t.token("eos_token"), Some("<|im_end|>"));
}

#[test]
fn tokenizer_config_gives_template_and_tokens() {
    let qwen = std::fs::read_to_string(templates_dir().join("qwen2.5.jinja")).expect("file");
    let config = serde_json::json!({
        "chat_template": qwen,
        "eos_token": {"content": "<|im_end|>", "special": true},
        "bos_token": null,
    });
    let t = ChatTemplate::from_tokenizer_config(config.to_string().as_bytes()).expect("loads");
    assert!(!t.is_builtin());
    assert_eq!(t.token("eos_token"), Some("<|im_end|>"));
    assert_eq!(t.token("bos_token"), None);
    assert_eq!(t.end_of_turn(), Some("<|im_end|>"));
    // A base model's eos (<|endoftext|>) is not what ends a Qwen turn.
    let base = ChatTemplate::new(&qwen)
        .expect("compiles")
        .with_token("eos_token", "<|endoftext|>");
    assert_eq!(base.end_of_turn(), Some("<|im_end|>"));
    let llama = std::fs::read_to_string(templates_dir().join("llama3.1.jinja")).expect("file");
    let llama = ChatTemplate::new(&llama).expect("compiles");
    assert_eq!(llama.end_of_turn(), Some("<|eot_id|>"));
    // The fixture models ship no template: the built-in one is used.
    let fixture = crate::common::read("llama-gqa", "tokenizer_config.json");
    let t = ChatTemplate::from_tokenizer_config(&fixture).expect("loads");
    assert!(t.is_builtin());
    assert_eq!(t.token("eos_token"), Some("<|im_end|>"));
    assert_eq!(t.token("bos_token"), Some("<|endoftext|>"));
    let broken = ChatTemplate::new("{% if %}").expect_err("syntax error");
    assert!(
        broken
            .to_string()
            .starts_with("chat template: syntax error"),
        "{broken}"
    );
}
