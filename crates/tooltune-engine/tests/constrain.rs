//! Schema-constrained decoding: whatever the model would have said, the
//! answer decoded within a catalogue's grammar never leaves it, and one that
//! ends on a stop token is one the scorer accepts.

use std::sync::Arc;

use serde_json::json;
use tooltune_core::Catalogue;
use tooltune_core::constrain::{Grammar, Verdict};
use tooltune_core::error::Location;
use tooltune_core::eval::validate;
use tooltune_core::parse::Mode;
use tooltune_engine::assistant::stop_ids;
use tooltune_engine::builtin;
use tooltune_engine::decode::{Constrained, GenerateConfig, StopReason, generate};

use crate::common::device;

fn catalogue() -> Arc<Catalogue> {
    let tools = json!([
        {"type": "function", "function": {"name": "track_order", "description": "Where an order is.",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"], "additionalProperties": false}}},
        {"type": "function", "function": {"name": "renew_loans", "description": "Renew books.",
            "parameters": {"type": "object", "properties": {
                "weeks": {"type": "integer", "minimum": 1, "maximum": 4},
                "format": {"type": "string", "enum": ["paper", "ebook"]}},
                "required": ["weeks"], "additionalProperties": false}}}
    ]);
    Arc::new(Catalogue::from_value(&Location::whole("test"), &tools).unwrap())
}

#[test]
fn constrained_answers_stay_in_the_grammar_and_finished_ones_validate() {
    let device = device();
    let model = builtin::model(&device).unwrap();
    let tokenizer = builtin::tokenizer().unwrap();
    let bytes = tokenizer.token_bytes();
    let stop = stop_ids(&model, &tokenizer, &builtin::template().unwrap());
    // Prompts that do not ask for a call: left alone the model writes prose
    // or anything at all; the router grammar admits only a router object.
    let prompts = [
        "<|im_start|>user\nRenew my books for six weeks please<|im_end|>\n<|im_start|>assistant\n",
        "Once upon a time",
        "{\"weeks\": ",
    ];
    let mut finished = 0;
    for (mode, parallel) in [(Mode::Json, false), (Mode::Chat, true)] {
        for p in prompts {
            let grammar = Grammar::new(catalogue(), mode, parallel);
            let ids = tokenizer.encode(p).unwrap().ids;
            let mut processor = Constrained::new(grammar.clone(), bytes.clone(), &stop);
            let config = GenerateConfig::greedy(160).with_eos(&stop);
            let out = generate(&model, &ids, &config, &mut processor).unwrap();
            let answer: Vec<u8> = out
                .tokens
                .iter()
                .filter(|t| !stop.contains(t))
                .flat_map(|&t| bytes[t as usize].clone())
                .collect();
            let text = String::from_utf8_lossy(&answer);
            eprintln!("{mode:?} {p:?} -> {text:?} ({:?})", out.stop);
            assert_ne!(grammar.check(&answer), Verdict::Dead, "{text}");
            if matches!(out.stop, StopReason::Eos(_)) {
                finished += 1;
                assert_eq!(grammar.check(&answer), Verdict::Complete, "{text}");
                validate(&text, mode, parallel, &catalogue())
                    .unwrap_or_else(|e| panic!("{e}: {text}"));
            }
        }
    }
    assert!(
        finished > 0,
        "no constrained answer finished within 160 tokens"
    );
}
