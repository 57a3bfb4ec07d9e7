//! Catalogue reading and argument validation must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tooltune_core::Catalogue;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Catalogue::from_bytes("fuzz", data) {
        for t in c.tools() {
            let _ = t.check_arguments(&serde_json::Map::new());
        }
    }
});
