//! Train/test splitting.

use crate::common::*;
use tooltune_core::dataset::{Format, split};

#[test]
fn split_is_stratified_deterministic_and_drops_duplicates() {
    let bytes = read(&fixtures().join("support/train.jsonl"));
    let mut text = String::from_utf8(bytes).unwrap();
    let first = text.lines().next().unwrap().to_string();
    text.push_str(&first);
    text.push('\n');
    let ex = examples(Format::OpenAi, "train", text.as_bytes(), None);
    let a = split::split(&ex, 0.2, 42);
    let b = split::split(&ex, 0.2, 42);
    assert_eq!(a, b, "same seed, same split");
    assert_ne!(
        a.test,
        split::split(&ex, 0.2, 7).test,
        "another seed, another split"
    );
    assert_eq!(a.duplicates, vec![(40, 0)]);
    assert_eq!(a.train.len() + a.test.len(), 40);
    // Each stratum sends round(20%) of its members to test.
    for (label, (train, test)) in &a.strata {
        assert_eq!(
            *test,
            ((train + test) as f64 * 0.2).round() as usize,
            "{label}"
        );
    }
    assert_eq!(a.strata["no_tool"], (4, 1));
    assert_eq!(a.strata["track_order"], (12, 3));
    // Templated prompts that differ only in order ids are near-duplicates.
    assert!(!a.near_duplicates.is_empty());
    for &(t, r) in &a.near_duplicates {
        assert!(a.test.contains(&t) && a.train.contains(&r));
    }
}
