//! The dataset reader, the linter and the evaluator must never panic on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tooltune_core::dataset::{self, Format};
use tooltune_core::eval::{self, CatalogueCache, MatchMode};

fuzz_target!(|data: &[u8]| {
    for format in [Format::OpenAi, Format::RouterGold, Format::Bfcl] {
        let Ok(rows) = dataset::read(format, "fuzz", data, None) else { continue };
        let examples: Vec<_> = rows.into_iter().filter_map(Result::ok).collect();
        for ex in &examples {
            let _ = dataset::write(Format::OpenAi, std::slice::from_ref(ex));
            let _ = dataset::write(Format::Router, std::slice::from_ref(ex));
        }
        if let Ok(items) = eval::items(&examples, None, &mut CatalogueCache::default()) {
            let preds = eval::read_predictions("p", data).unwrap_or_default();
            let _ = eval::evaluate(&items, &preds, MatchMode::Bfcl);
        }
    }
    let _ = tooltune_core::lint::lint("fuzz", data, None, &Default::default());
});
