//! The output parser must never panic, and a parse must be stable: what it reads
//! as calls re-parses to the same calls when written back as OpenAI-style JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tooltune_core::Target;
use tooltune_core::parse::{Mode, Parsed, parse_output};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for mode in [Mode::Json, Mode::Chat] {
        if let Parsed::Target(Target::Calls(calls)) = parse_output(text, mode) {
            let json: Vec<serde_json::Value> = calls
                .iter()
                .map(|c| serde_json::json!({"name": c.name, "arguments": c.arguments}))
                .collect();
            let again = parse_output(&serde_json::Value::Array(json).to_string(), Mode::Json);
            assert_eq!(again, Parsed::Target(Target::Calls(calls)));
        }
    }
});
