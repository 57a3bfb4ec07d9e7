//! Train/test splitting for the distillation workflow: stratified by what the
//! first assistant turn does (its tools, or no_tool), exact duplicates dropped,
//! near-duplicates across the split reported.
//!
//! Near-duplicates: two examples whose user text has the same set of words once
//! lowercased, with punctuation and numbers removed ("Where is order ORD-12?" and
//! "where is order ORD-99" collide). Deterministic for a seed on every platform
//! (SplitMix64 + Fisher–Yates).

use super::{Example, Role};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The outcome of a split: indices into the input, in input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Split {
    /// Examples for training.
    pub train: Vec<usize>,
    /// Examples for testing.
    pub test: Vec<usize>,
    /// Dropped exact duplicates: (dropped index, index of the kept copy).
    pub duplicates: Vec<(usize, usize)>,
    /// Test examples with a near-duplicate in train: (test index, train index).
    pub near_duplicates: Vec<(usize, usize)>,
    /// Per stratum label: (train count, test count).
    pub strata: BTreeMap<String, (usize, usize)>,
}

/// Splits examples, putting about `test_fraction` of each stratum in test.
pub fn split(examples: &[Example], test_fraction: f64, seed: u64) -> Split {
    let mut out = Split::default();
    let mut first_of: HashMap<u128, usize> = HashMap::new();
    let mut strata: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, ex) in examples.iter().enumerate() {
        let key = ex.fingerprint;
        if let Some(&first) = first_of.get(&key) {
            out.duplicates.push((i, first));
            continue;
        }
        first_of.insert(key, i);
        strata.entry(label(ex)).or_default().push(i);
    }
    let mut rng = SplitMix64(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (label, mut members) in strata {
        shuffle(&mut members, &mut rng);
        let n_test = (members.len() as f64 * test_fraction).round() as usize;
        out.strata.insert(label, (members.len() - n_test, n_test));
        test.extend_from_slice(&members[..n_test]);
        train.extend_from_slice(&members[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    let mut by_words: HashMap<String, usize> = HashMap::new();
    for &i in &train {
        by_words.entry(word_key(&examples[i])).or_insert(i);
    }
    for &i in &test {
        if let Some(&j) = by_words.get(&word_key(&examples[i])) {
            out.near_duplicates.push((i, j));
        }
    }
    out.train = train;
    out.test = test;
    out
}

/// The stratum: the first assistant turn's label (tools joined by `+`, or no_tool).
pub fn label(ex: &Example) -> String {
    let conv = &ex.conversation;
    conv.assistant_turns()
        .next()
        .and_then(|t| conv.messages[t].target().ok())
        .map_or_else(|| "(unreadable)".to_string(), |t| t.label())
}

fn word_key(ex: &Example) -> String {
    let words: BTreeSet<String> = ex
        .conversation
        .messages
        .iter()
        .filter(|m| m.role == Role::User)
        .flat_map(|m| {
            m.text()
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty() && !w.chars().any(|c| c.is_numeric()))
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .collect();
    words.into_iter().collect::<Vec<_>>().join(" ")
}

/// SplitMix64: a tiny, well-known generator with the same output everywhere.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn shuffle(items: &mut [usize], rng: &mut SplitMix64) {
    for i in (1..items.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}
