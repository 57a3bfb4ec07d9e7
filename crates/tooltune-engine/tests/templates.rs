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

/// Every template's own call syntax round-trips: render an assistant turn
/// with one call and with parallel calls, cut the assistant text out of the
/// rendering, parse it: the same calls come back. SmolLM2's template renders
/// no tools, so tooltune adapts the conversation to Hermes blocks first.
#[test]
fn every_templates_call_syntax_round_trips_through_the_parser() {
    use serde_json::json;
    use tooltune_core::call::{Target, ToolCall};
    use tooltune_core::parse::{Mode, parse};

    let tools = json!([{"type": "function", "function": {"name": "get_weather",
        "description": "Weather.", "parameters": {"type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}}}}]);
    let call = |i: usize, city: &str, days: i64| {
        json!({"id": format!("c{i}"), "type": "function",
               "function": {"name": "get_weather", "arguments": {"city": city, "days": days}}})
    };
    let as_call = |c: &Value| {
        ToolCall::new(
            "get_weather",
            c["function"]["arguments"].as_object().unwrap().clone(),
        )
    };
    let dir = templates_dir();
    let templates: Vec<(&str, ChatTemplate)> = vec![
        ("builtin", ChatTemplate::builtin()),
        (
            "qwen2.5",
            ChatTemplate::new(&std::fs::read_to_string(dir.join("qwen2.5.jinja")).unwrap())
                .unwrap(),
        ),
        (
            "llama3.1",
            ChatTemplate::new(&std::fs::read_to_string(dir.join("llama3.1.jinja")).unwrap())
                .unwrap()
                .with_token("bos_token", "<|begin_of_text|>"),
        ),
        (
            "smollm2",
            ChatTemplate::new(&std::fs::read_to_string(dir.join("smollm2.jinja")).unwrap())
                .unwrap(),
        ),
    ];
    let ends = ["<|im_end|>", "<|eot_id|>", "<|eom_id|>"];
    for (name, t) in &templates {
        for calls in [
            vec![call(1, "Zürich", 3)],
            vec![call(1, "Paris", 1), call(2, "Rome", 2)],
        ] {
            let prompt = vec![
                json!({"role": "system", "content": "Route requests."}),
                json!({"role": "user", "content": "Weather?"}),
            ];
            let mut full = prompt.clone();
            full.push(json!({"role": "assistant", "tool_calls": calls}));
            let rendered = t.render(&full, Some(&tools), false);
            if *name == "llama3.1" && calls.len() > 1 {
                // Llama 3.1's template refuses parallel calls itself.
                let err = rendered.unwrap_err().to_string();
                assert!(err.contains("single tool-calls"), "{err}");
                continue;
            }
            let rendered = rendered.unwrap_or_else(|e| panic!("{name}: {e}"));
            let head = t.render(&prompt, Some(&tools), true).unwrap();
            assert!(
                rendered.starts_with(&head),
                "{name}: the prompt is a prefix"
            );
            let mut answer = rendered[head.len()..].trim_end().to_string();
            for end in ends {
                if let Some(a) = answer.strip_suffix(end) {
                    answer = a.to_string();
                }
            }
            let want: Vec<ToolCall> = calls.iter().map(as_call).collect();
            assert_eq!(
                parse(&answer, Mode::Chat),
                Ok(Target::Calls(want)),
                "{name}: {answer:?}"
            );
        }
    }
}
