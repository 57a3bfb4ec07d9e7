//! Shared helpers for the core integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use tooltune_core::dataset::{self, Example, Format};
use tooltune_core::error::Location;
use tooltune_core::eval::{self, CatalogueCache, Item, Prediction};

/// The repository's `tests/fixtures` folder.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

pub fn read(path: &PathBuf) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads a dataset, failing the test on any bad line.
pub fn examples(
    format: Format,
    name: &str,
    bytes: &[u8],
    answers: Option<(&str, &[u8])>,
) -> Vec<Example> {
    dataset::read(format, name, bytes, answers)
        .expect("answers file")
        .into_iter()
        .map(|r| r.expect("line"))
        .collect()
}

pub fn items(examples: &[Example]) -> Vec<Item> {
    eval::items(examples, None, &mut CatalogueCache::default()).expect("items")
}

/// Predictions with ids, in item order.
pub fn predictions(pairs: &[(String, String)]) -> Vec<Prediction> {
    pairs
        .iter()
        .enumerate()
        .map(|(i, (id, output))| Prediction {
            id: Some(id.clone()),
            output: output.clone(),
            at: Location::line("pred", i + 1),
        })
        .collect()
}
