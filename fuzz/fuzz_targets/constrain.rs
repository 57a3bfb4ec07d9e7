//! The constrained-decoding grammar reads any bytes a model may write: it
//! never panics, what it calls complete is what the scorer calls valid, and
//! no prefix of a complete answer is dead (a decoder can always get there).
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use tooltune_core::Catalogue;
use tooltune_core::constrain::{Grammar, Verdict};
use tooltune_core::eval::validate;
use tooltune_core::parse::Mode;

/// Tools with a pattern, an enum, integer bounds, a number, an array and a
/// nested object.
const TOOLS: &str = r#"[
 {"type": "function", "function": {"name": "track_order", "parameters": {"type": "object",
   "properties": {"order_id": {"type": "string", "pattern": "^ORD-[0-9]+$"}},
   "required": ["order_id"], "additionalProperties": false}}},
 {"type": "function", "function": {"name": "renew", "parameters": {"type": "object",
   "properties": {"weeks": {"type": "integer", "minimum": 1, "maximum": 4},
     "format": {"type": "string", "enum": ["paper", "ebook"]},
     "fee": {"type": "number"}, "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
     "where": {"type": "object", "properties": {"branch": {"type": "string"}}}},
   "required": ["weeks"], "additionalProperties": false}}}
]"#;

fn catalogue() -> Arc<Catalogue> {
    static C: OnceLock<Arc<Catalogue>> = OnceLock::new();
    C.get_or_init(|| Arc::new(Catalogue::from_bytes("fuzz", TOOLS.as_bytes()).expect("catalogue")))
        .clone()
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, text)) = data.split_first() else {
        return;
    };
    let mode = if flags & 1 == 0 { Mode::Chat } else { Mode::Json };
    let parallel = flags & 2 != 0;
    let grammar = Grammar::new(catalogue(), mode, parallel);
    if grammar.check(text) != Verdict::Complete {
        return;
    }
    let answer = std::str::from_utf8(text).expect("a complete answer is UTF-8");
    assert!(validate(answer, mode, parallel, &catalogue()).is_ok(), "{answer:?}");
    for n in 0..text.len() {
        assert_ne!(grammar.check(&text[..n]), Verdict::Dead, "prefix {n} of {answer:?}");
    }
});
