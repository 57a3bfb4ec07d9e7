//! Bad input gives a clear error naming the input, the line and what is wrong.

use serde_json::json;
use tooltune_core::dataset::{self, Format};
use tooltune_core::{Catalogue, Error};

fn first_error(bytes: &[u8]) -> Error {
    dataset::read(Format::OpenAi, "data.jsonl", bytes, None)
        .unwrap()
        .into_iter()
        .find_map(Result::err)
        .expect("an error")
}

#[test]
fn malformed_json_names_the_line() {
    let e = first_error(
        b"{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n\n{\"messages\": [\n",
    );
    assert!(matches!(e, Error::Json { .. }), "{e}");
    assert!(
        e.to_string().starts_with("data.jsonl:3: invalid JSON"),
        "{e}"
    );
}

#[test]
fn wrong_types_name_the_path() {
    let e = first_error(br#"{"messages": "hello"}"#);
    assert!(
        e.to_string()
            .starts_with("data.jsonl:1: messages: invalid type: string"),
        "{e}"
    );
    let e = first_error(br#"{"messages": [{"role": "user", "content": 5}]}"#);
    assert!(
        e.to_string()
            .starts_with("data.jsonl:1: messages[0].content:"),
        "{e}"
    );
    let e = first_error(br#"[1, 2]"#);
    assert!(
        e.to_string().contains("expected a conversation object"),
        "{e}"
    );
    let e = first_error(br#"{"messages": [{"role": "assistant", "content": "x", "weight": 3}]}"#);
    assert_eq!(
        e.to_string(),
        "data.jsonl:1: messages[0].weight: must be 0 or 1, found 3"
    );
}

#[test]
fn unknown_role_names_it() {
    let e = first_error(
        br#"{"messages": [{"role": "user", "content": "a"}, {"role": "robot", "content": "b"}]}"#,
    );
    let text = e.to_string();
    assert!(
        text.starts_with("data.jsonl:1: messages[1].role: unknown variant `robot`"),
        "{text}"
    );
}

#[test]
fn twelve_megabyte_line_is_refused() {
    let big = format!(
        "{{\"messages\": [{{\"role\": \"user\", \"content\": \"{}\"}}]}}",
        "a".repeat(12 * 1024 * 1024)
    );
    let e = first_error(big.as_bytes());
    assert!(matches!(e, Error::LineTooLong { .. }));
    assert!(
        e.to_string().starts_with("data.jsonl:1: line is 12582"),
        "{e}"
    );
}

#[test]
fn non_utf8_bytes_are_located() {
    let e = first_error(b"{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n{\"messages\": [{\"role\": \"user\", \"content\": \"caf\xe9\"}]}");
    assert_eq!(
        e.to_string(),
        "data.jsonl:2: not valid UTF-8 (first bad byte at offset 46)"
    );
}

#[test]
fn deep_nesting_is_an_error() {
    let deep = format!("{{\"messages\": {}{}}}", "[".repeat(5000), "]".repeat(5000));
    let e = first_error(deep.as_bytes());
    assert!(e.to_string().contains("nested too deeply"), "{e}");
    let catalogue = Catalogue::from_bytes("tools.json", "[".repeat(5000).as_bytes()).unwrap_err();
    assert!(
        catalogue.to_string().contains("nested too deeply"),
        "{catalogue}"
    );
}

#[test]
fn catalogue_problems_name_tool_and_path() {
    let tools = json!([
        {"type": "function", "function": {"name": "get weather", "parameters": {"type": "object", "properties": {}}}},
        {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "b"]}}},
        {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}},
        {"name": "g", "parameters": {"type": "array"}},
        {"type": "function", "function": {"name": "h", "parameters": {"type": "object", "properties": {"x": {"type": "strin"}}}}},
        {"type": "function", "function": {"description": "nameless"}}
    ]);
    let Err(Error::Catalogue { problems, .. }) =
        Catalogue::from_value(&tooltune_core::Location::whole("tools.json"), &tools)
    else {
        panic!("expected catalogue problems");
    };
    let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        shown[0],
        "tool `get weather` at [0].function.name: name \"get weather\" is not identifier-like (a letter or _ first, then letters, digits, _ - or ., at most 64)"
    );
    assert_eq!(
        shown[1],
        "tool `f` at [1].function.parameters.required[1]: required \"b\" is not in properties"
    );
    assert_eq!(
        shown[2],
        "tool `f` at [2].function.name: duplicate tool name"
    );
    assert_eq!(
        shown[3],
        "tool `g` at [3].parameters.type: parameters must have type \"object\", found \"array\""
    );
    assert!(
        shown[4].starts_with("tool `h` at [4].function.parameters: not a valid JSON Schema"),
        "{}",
        shown[4]
    );
    assert_eq!(shown[5], "at [5].function.name: missing tool name");
    assert_eq!(problems.len(), 6);
}

#[test]
fn schema_validation_covers_the_keywords() {
    let tools = json!([{"type": "function", "function": {"name": "book", "parameters": {
    "type": "object", "additionalProperties": false, "required": ["city", "nights"],
    "properties": {
        "city": {"type": "string", "enum": ["Paris", "Rome"]},
        "nights": {"type": "integer", "minimum": 1, "maximum": 14},
        "guests": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}
    }}}}]);
    let c = Catalogue::from_value(&tooltune_core::Location::whole("t"), &tools).unwrap();
    let check = |args: serde_json::Value| {
        c.check_call(&tooltune_core::ToolCall::new(
            "book",
            args.as_object().unwrap().clone(),
        ))
        .map_err(|e| e.to_string())
    };
    assert!(check(json!({"city": "Paris", "nights": 2, "guests": [{"name": "Ada"}]})).is_ok());
    for (bad, needle) in [
        (json!({"city": "Oslo", "nights": 2}), "/city"),
        (json!({"city": "Paris", "nights": "2"}), "/nights"),
        (json!({"city": "Paris", "nights": 20}), "/nights"),
        (json!({"city": "Paris", "nights": 0}), "/nights"),
        (
            json!({"city": "Paris"}),
            "\"nights\" is a required property",
        ),
        (json!({"city": "Paris", "nights": 2, "pets": 1}), "pets"),
        (
            json!({"city": "Paris", "nights": 2, "guests": [{"age": 3}]}),
            "/guests/0",
        ),
        (
            json!({"city": "Paris", "nights": 2, "guests": "Ada"}),
            "/guests",
        ),
    ] {
        let err = check(bad.clone()).expect_err(&bad.to_string());
        assert!(err.contains(needle), "{bad}: {err}");
    }
    let unknown = c
        .check_call(&tooltune_core::ToolCall::new("fly", Default::default()))
        .unwrap_err();
    assert_eq!(unknown.to_string(), "unknown tool `fly`");
}

#[test]
fn router_data_is_checked_as_router_data() {
    use tooltune_core::dataset::{Format, read};
    let line = |content: &str| {
        serde_json::json!({"messages": [{"role": "user", "content": "hi"},
            {"role": "assistant", "content": content}]})
        .to_string()
    };
    let good = line(r#"{"tool": "no_tool", "reason": "greeting"}"#);
    let prose = line("Hello there!");
    let broken = line(r#"{"tool": "track_order", "arguments": {"order_id": 1"#);
    let bytes = format!("{good}\n{prose}\n{broken}\n");
    let rows = read(Format::Router, "r.jsonl", bytes.as_bytes(), None).unwrap();
    assert!(rows[0].is_ok());
    for (i, row) in rows.iter().enumerate().skip(1) {
        match row {
            Err(tooltune_core::Error::Gold { at, path, .. }) => {
                assert_eq!(
                    (at.line, path.as_str()),
                    (Some(i + 1), "messages[1].content")
                );
            }
            other => panic!("line {}: {other:?}", i + 1),
        }
    }
    // The same prose in chat data is a decline.
    let rows = read(Format::OpenAi, "c.jsonl", prose.as_bytes(), None).unwrap();
    assert!(rows[0].is_ok());
}

#[test]
fn bfcl_question_missing_from_answers_is_an_error_not_a_no_call() {
    use tooltune_core::dataset::{Format, ReadOptions, read, read_with};
    let q = r#"{"id": "simple_9", "question": [[{"role": "user", "content": "x"}]], "function": [{"name": "f", "parameters": {"type": "dict", "properties": {}}}]}"#;
    let answers = br#"{"id": "simple_1", "ground_truth": [{"f": {}}]}"#;
    let rows = read(
        Format::Bfcl,
        "simple.json",
        q.as_bytes(),
        Some(("ans.json", answers)),
    )
    .unwrap();
    let err = rows[0].as_ref().unwrap_err().to_string();
    assert!(
        err.contains("simple.json:1") && err.contains("not in the possible-answer file"),
        "{err}"
    );
    let opts = ReadOptions {
        missing_answer_is_no_call: true,
    };
    let rows = read_with(
        Format::Bfcl,
        "simple.json",
        q.as_bytes(),
        Some(("ans.json", answers)),
        opts,
    )
    .unwrap();
    assert!(rows[0].is_ok());
    // An irrelevance file, by name, needs no answers.
    let rows = read(
        Format::Bfcl,
        "BFCL_v4_irrelevance.json",
        q.as_bytes(),
        Some(("ans.json", answers)),
    )
    .unwrap();
    assert!(rows[0].is_ok());
}
