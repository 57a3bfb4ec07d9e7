//! Reading and writing every format, round-trip.

use crate::common::*;
use serde_json::json;
use tooltune_core::Target;
use tooltune_core::dataset::{self, Arguments, Format, Role};

fn support_bytes() -> Vec<u8> {
    read(&fixtures().join("support/train.jsonl"))
}

fn targets(ex: &[dataset::Example]) -> Vec<Vec<Target>> {
    ex.iter()
        .map(|e| {
            e.conversation
                .assistant_turns()
                .map(|t| e.conversation.messages[t].target().unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn openai_round_trip_is_lossless() {
    let ex = examples(Format::OpenAi, "train", &support_bytes(), None);
    let written = dataset::write(Format::OpenAi, &ex).unwrap().main;
    let again = examples(Format::OpenAi, "again", written.as_bytes(), None);
    let convs =
        |e: &[dataset::Example]| e.iter().map(|x| x.conversation.clone()).collect::<Vec<_>>();
    assert_eq!(convs(&ex), convs(&again));
}

#[test]
fn arguments_as_object_or_string_are_normalised_and_written_as_string() {
    let line = json!({"messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "f", "arguments": {"x": 1}}},
            {"id": "b", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 2}"}}]}],
        "id": "keep-me", "metadata": {"source": "o3"}});
    let ex = examples(Format::OpenAi, "t", line.to_string().as_bytes(), None);
    let calls = ex[0].conversation.messages[1].tool_calls.as_ref().unwrap();
    assert_eq!(
        calls[0].function.arguments,
        Arguments::Json(json!({"x": 1}))
    );
    assert_eq!(
        calls[1].function.arguments,
        Arguments::Json(json!({"x": 2}))
    );
    let out: serde_json::Value =
        serde_json::from_str(dataset::write(Format::OpenAi, &ex).unwrap().main.trim()).unwrap();
    assert_eq!(
        out["messages"][1]["tool_calls"][0]["function"]["arguments"],
        json!("{\"x\":1}")
    );
    assert_eq!(out["id"], json!("keep-me"), "unknown keys are kept");
    assert_eq!(out["metadata"], json!({"source": "o3"}));
}

#[test]
fn router_chat_round_trip() {
    // Only conversations without tool results fit the router format.
    let ex: Vec<_> = examples(Format::OpenAi, "train", &support_bytes(), None)
        .into_iter()
        .filter(|e| !e.conversation.messages.iter().any(|m| m.role == Role::Tool))
        .collect();
    let router = dataset::write(Format::Router, &ex).unwrap().main;
    let first: serde_json::Value = serde_json::from_str(router.lines().next().unwrap()).unwrap();
    let content: serde_json::Value =
        serde_json::from_str(first["messages"][2]["content"].as_str().unwrap()).unwrap();
    assert!(
        content.get("tool").is_some(),
        "assistant content is a router object: {content}"
    );
    let back = examples(Format::Router, "r", router.as_bytes(), None);
    assert_eq!(targets(&ex), targets(&back));
    let openai = dataset::write(Format::OpenAi, &back).unwrap().main;
    let again = examples(Format::OpenAi, "o", openai.as_bytes(), None);
    assert_eq!(targets(&ex), targets(&again));
    assert!(
        again[0].conversation.messages[2].tool_calls.is_some(),
        "router calls become tool_calls"
    );
}

#[test]
fn router_gold_round_trip() {
    let rows = concat!(
        r#"{"prompt": "Where's my order ORD-1234?", "target": {"tool": "track_order", "arguments": {"order_id": "ORD-1234"}}}"#,
        "\n",
        r#"{"prompt": "Hi!", "target": {"tool": "no_tool", "reason": "greeting"}, "id": "g2"}"#,
        "\n"
    );
    let ex = examples(Format::RouterGold, "gold", rows.as_bytes(), None);
    assert_eq!(ex[1].conversation.id().as_deref(), Some("g2"));
    let written = dataset::write(Format::RouterGold, &ex).unwrap().main;
    let again = examples(Format::RouterGold, "again", written.as_bytes(), None);
    assert_eq!(targets(&ex), targets(&again));
    let openai = dataset::write(Format::OpenAi, &ex).unwrap().main;
    let as_chat = examples(Format::OpenAi, "chat", openai.as_bytes(), None);
    assert_eq!(targets(&ex), targets(&as_chat));
}

#[test]
fn parallel_calls_cannot_be_router_and_the_error_names_the_line() {
    let ex = examples(Format::OpenAi, "train.jsonl", &support_bytes(), None);
    let err = dataset::write(Format::RouterGold, &ex)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("train.jsonl:5: cannot convert"), "{err}");
}

#[test]
fn bfcl_to_openai_and_back() {
    let dir = fixtures().join("bfcl");
    let q = read(&dir.join("BFCL_v4_parallel_multiple.json"));
    let a = read(&dir.join("possible_answer/BFCL_v4_parallel_multiple.json"));
    let ex = examples(Format::Bfcl, "q", &q, Some(("a", &a)));
    let openai = dataset::write(Format::OpenAi, &ex).unwrap().main;
    let chat = examples(Format::OpenAi, "chat", openai.as_bytes(), None);
    assert_eq!(targets(&ex), targets(&chat));
    let tools = chat[0].conversation.tools.as_ref().unwrap();
    assert_eq!(
        tools[0]["function"]["parameters"]["type"],
        json!("object"),
        "dict became object"
    );
    let bfcl = dataset::write(Format::Bfcl, &chat).unwrap();
    let answers = bfcl.answers.unwrap();
    let back = examples(
        Format::Bfcl,
        "q2",
        bfcl.main.as_bytes(),
        Some(("a2", answers.as_bytes())),
    );
    for (a, b) in targets(&ex).iter().zip(targets(&back)) {
        assert_eq!(a, &b);
    }
    assert_eq!(back[0].conversation.id(), ex[0].conversation.id());
}

#[test]
fn bfcl_irrelevance_reads_as_no_call() {
    let q = read(&fixtures().join("bfcl/BFCL_v4_irrelevance.json"));
    let ex = examples(Format::Bfcl, "irr", &q, None);
    assert_eq!(ex.len(), 240);
    assert!(
        targets(&ex)
            .iter()
            .all(|t| matches!(t[..], [Target::NoTool { .. }]))
    );
}

#[test]
fn detect_formats() {
    assert_eq!(dataset::detect(&support_bytes()), Some(Format::OpenAi));
    assert_eq!(
        dataset::detect(br#"{"prompt": "x", "target": {}}"#),
        Some(Format::RouterGold)
    );
    assert_eq!(
        dataset::detect(&read(&fixtures().join("bfcl/BFCL_v4_multiple.json"))),
        Some(Format::Bfcl)
    );
}

#[test]
fn an_unknown_format_says_why() {
    assert_eq!(
        dataset::detect_at("d.jsonl", &support_bytes()).unwrap(),
        Format::OpenAi
    );
    let message = |bytes: &[u8]| {
        dataset::detect_at("d.jsonl", bytes)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(message(b"\n  \n"), "d.jsonl: $: empty: no examples");
    // A broken first line is reported as such, at its line.
    let broken = message(b"\n{\"messages\": [\n");
    assert!(broken.starts_with("d.jsonl:2: invalid JSON"), "{broken}");
    // JSON of no known format: what it has, and what each format needs.
    let other = message(br#"{"input": "hi", "output": "hello"}"#);
    assert!(
        other.starts_with("d.jsonl:1: $: cannot tell the dataset's format from its first line (keys `input`, `output`)"),
        "{other}"
    );
    assert!(other.contains("`messages`"), "{other}");
    assert!(message(b"[1, 2]").contains("(an array)"));
}
