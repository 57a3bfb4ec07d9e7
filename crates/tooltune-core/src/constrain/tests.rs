use super::*;
use crate::error::Location;
use serde_json::json;

/// The lesson's customer-support catalogue.
fn support() -> Arc<Catalogue> {
    let tools = json!([
        {"type": "function", "function": {"name": "track_order", "description": "Status of an order.",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"], "additionalProperties": false}}},
        {"type": "function", "function": {"name": "request_refund", "description": "File a refund.",
            "parameters": {"type": "object", "properties": {
                "order_id": {"type": "string"},
                "reason": {"type": "string", "enum": ["damaged", "late", "wrong_item", "other"]}},
                "required": ["order_id", "reason"], "additionalProperties": false}}},
        {"type": "function", "function": {"name": "renew", "description": "Renew loans.",
            "parameters": {"type": "object", "properties": {
                "weeks": {"type": "integer", "minimum": 1, "maximum": 4}},
                "required": ["weeks"], "additionalProperties": false}}}
    ]);
    Arc::new(Catalogue::from_value(&Location::whole("test"), &tools).unwrap())
}

fn chat(parallel: bool) -> Grammar {
    Grammar::new(support(), Mode::Chat, parallel)
}

fn verdict(g: &Grammar, text: &str) -> Verdict {
    g.check(text.as_bytes())
}

const TRACK: &str = "<tool_call>\n{\"name\": \"track_order\", \"arguments\": {\"order_id\": \"ORD-4417\"}}\n</tool_call>";

#[test]
fn every_prefix_of_a_valid_answer_stays_open_and_the_whole_is_complete() {
    let g = chat(true);
    let answers = [
        TRACK.to_string(),
        format!("{TRACK}\n{TRACK}"),
        r#"<tool_call>{"name":"request_refund","arguments":{"reason":"late","order_id":"A\"1"}}</tool_call>"#.into(),
        r#"<tool_call>{"name": "renew", "arguments": {"weeks": 4}}</tool_call>"#.into(),
        r#"{"name": "renew", "parameters": {"weeks": 2}}"#.into(),
        r#"[{"name": "renew", "arguments": {"weeks": 2}}, {"name": "track_order", "arguments": {"order_id": "x"}}]"#.into(),
        r#"{"tool": "no_tool", "reason": "chit-chat"}"#.into(),
        "Sorry, I can only help with orders.".into(),
        format!("Let me look that up. {TRACK}"),
    ];
    for a in &answers {
        let bytes = a.as_bytes();
        for n in 0..bytes.len() {
            assert_ne!(g.check(&bytes[..n]), Verdict::Dead, "prefix {n} of {a}");
        }
        assert_eq!(g.check(bytes), Verdict::Complete, "{a}");
        assert!(validate(a, Mode::Chat, true, &g.catalogue).is_ok(), "{a}");
    }
}

#[test]
fn what_the_scorer_would_refuse_dies_as_soon_as_it_is_written() {
    let g = chat(false);
    let dead = [
        // An unknown tool, from its first wrong letter.
        "<tool_call>\n{\"name\": \"track_orders",
        "<tool_call>\n{\"name\": \"x",
        // An argument of another tool.
        "<tool_call>\n{\"name\": \"track_order\", \"arguments\": {\"order_id\": \"A\", \"r",
        // A required argument left out.
        "<tool_call>\n{\"name\": \"request_refund\", \"arguments\": {\"order_id\": \"A\"}",
        // Free text where the schema wants an enum value.
        "<tool_call>\n{\"name\": \"request_refund\", \"arguments\": {\"order_id\": \"A\", \"reason\": \"arrived b",
        // A number past the maximum.
        "<tool_call>{\"name\": \"renew\", \"arguments\": {\"weeks\": 6",
        // Arguments as a JSON string.
        "<tool_call>{\"name\": \"renew\", \"arguments\": \"",
        // A second call where parallel calls are not allowed.
        &format!("{TRACK}\n<"),
        // Text after the block.
        &format!("{TRACK} thanks"),
        // Prose that attempts a call.
        "Sure: ```",
        // The router's no_tool only in a router object.
        "<tool_call>{\"name\": \"no_tool",
    ];
    for d in dead {
        assert_eq!(verdict(&g, d), Verdict::Dead, "{d}");
    }
    assert_eq!(verdict(&g, TRACK), Verdict::Complete);
    assert_eq!(verdict(&g, ""), Verdict::Open);
    assert_eq!(verdict(&g, "  <tool_"), Verdict::Open);
    assert_eq!(verdict(&g, "<tool_call>"), Verdict::Open);
}

#[test]
fn router_mode_takes_one_router_object_only() {
    let g = Grammar::new(support(), Mode::Json, false);
    let ok = r#"{"tool": "track_order", "arguments": {"order_id": "ORD-1"}}"#;
    let decline = r#"{"tool":"no_tool","reason":"greeting"}"#;
    for a in [ok, decline] {
        for n in 0..a.len() {
            assert_ne!(
                g.check(&a.as_bytes()[..n]),
                Verdict::Dead,
                "prefix {n} of {a}"
            );
        }
        assert_eq!(verdict(&g, a), Verdict::Complete, "{a}");
    }
    assert_eq!(verdict(&g, "Sorry"), Verdict::Dead);
    assert_eq!(verdict(&g, r#"{"name""#), Verdict::Dead);
    assert_eq!(
        verdict(&g, r#"{"tool": "no_tool", "arguments""#),
        Verdict::Dead
    );
    assert_eq!(verdict(&g, TRACK), Verdict::Dead);
}

#[test]
fn a_character_cut_mid_token_is_open_not_dead() {
    let g = chat(false);
    let text = "<tool_call>{\"name\": \"track_order\", \"arguments\": {\"order_id\": \"café\"}}</tool_call>";
    let bytes = text.as_bytes();
    let cut = text.find('é').unwrap() + 1;
    assert_eq!(g.check(&bytes[..cut]), Verdict::Open);
    assert_eq!(g.check(bytes), Verdict::Complete);
    assert_eq!(g.check("Merci, c'est tout".as_bytes()), Verdict::Complete);
    // Found by fuzzing: whitespace the parser trims but JSON does not skip
    // (a vertical tab) is an empty answer so far, not a dead one.
    assert_eq!(g.check(b"\t\t\x0b"), Verdict::Open);
    assert_eq!(g.check(b"\t\t\x0b\tI"), Verdict::Complete);
    // And `f(x=` is a call attempt only until a second `=` makes it `==`.
    assert_eq!(g.check(b"Sorry, f(x="), Verdict::Open);
    assert_eq!(g.check(b"Sorry, f(x== y) is all"), Verdict::Complete);
    assert_eq!(g.check(b"Sorry, f(x=1"), Verdict::Dead);
    assert_eq!(g.check(&"é".as_bytes()[..1]), Verdict::Open);
}

#[test]
fn loops_are_spotted_short_repeats_are_not() {
    let g = chat(false);
    let is_loop = |t: &str| loops(t.as_bytes());
    let call = |id: &str| {
        format!("<tool_call>{{\"name\": \"track_order\", \"arguments\": {{\"order_id\": \"{id}")
    };
    assert!(!is_loop(&call("ORD-29797979")));
    assert!(is_loop(&call("ORD-2979797979797979797979797979797")));
    // A stray digit does not break a loop.
    assert!(is_loop(&call("ORD-297979797979797579797979797979797")));
    let mixed = format!("{}\n\n\n        \n\n\n        ", call("x\", "));
    assert!(is_loop(&mixed));
    assert!(!is_loop(&call("ORD-0000000000")));
    let spaces = format!("{}{}", call("x\"}"), " ".repeat(17));
    assert!(is_loop(&spaces));
    assert!(!is_loop(&format!("{}\n\n  ", call("x\"}"))));
    // Only the end counts: a loop left behind is no loop.
    let looping = call("ORD-2979797979797979797979797979797");
    assert!(!is_loop(&format!("{looping}\"}}}}</tool_call>")));
    // Another round keeps it going; closing the string does not.
    let more = |piece: &str| repeats(looping.as_bytes(), format!("{looping}{piece}").as_bytes());
    assert!(more("97"));
    assert!(more("9797"));
    assert!(!more("\""));
    assert!(!more("-X"));
    // A pretty-printed call (indented lines) is no loop.
    let pretty = "{\n    \"name\": \"track_order\",\n    \"arguments\": {\n        \"order_id\": \"ORD-1\"\n    }\n}";
    assert!(!loops(pretty.as_bytes()));
    assert_eq!(verdict(&g, pretty), Verdict::Complete);
}

#[test]
fn mutated_answers_never_panic_and_complete_ones_are_valid_with_live_prefixes() {
    // The fuzz target's property (fuzz/fuzz_targets/constrain.rs), on a
    // seeded sample: valid answers with bytes inserted, deleted, replaced
    // and cut.
    let seeds = [
        TRACK.to_string(),
        r#"{"tool": "request_refund", "arguments": {"order_id": "A1", "reason": "late"}}"#.into(),
        r#"[{"name": "renew", "arguments": {"weeks": 3}}]"#.into(),
        r#"{"tool": "no_tool", "reason": "hi"}"#.into(),
        "Happy to help, but no tool fits.".into(),
    ];
    let alphabet = b"{}[]\":, \n\\0123456789.-eEtrufalsnoxk<>/_ORD\xc3\xa9";
    let mut state: u64 = 7;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize % n.max(1)
    };
    let mut complete = 0;
    for case in 0..3000 {
        let mut text = seeds[case % seeds.len()].clone().into_bytes();
        for _ in 0..1 + next(3) {
            let at = next(text.len() + 1);
            match next(4) {
                0 => text.insert(at, alphabet[next(alphabet.len())]),
                1 if at < text.len() => {
                    text.remove(at);
                }
                2 if at < text.len() => text[at] = alphabet[next(alphabet.len())],
                _ => text.truncate(at),
            }
        }
        for (mode, parallel) in [(Mode::Chat, true), (Mode::Chat, false), (Mode::Json, false)] {
            let g = Grammar::new(support(), mode, parallel);
            if g.check(&text) != Verdict::Complete {
                continue;
            }
            complete += 1;
            let answer = std::str::from_utf8(&text).expect("a complete answer is UTF-8");
            assert!(
                validate(answer, mode, parallel, &g.catalogue).is_ok(),
                "{answer:?}"
            );
            for n in 0..text.len() {
                assert_ne!(
                    g.check(&text[..n]),
                    Verdict::Dead,
                    "prefix {n} of {answer:?}"
                );
            }
        }
    }
    assert!(
        complete > 100,
        "only {complete} complete answers: the sample tests little"
    );
}
