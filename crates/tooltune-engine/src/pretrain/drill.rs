//! Induction drills: rows of random tokens said twice, trained on the second
//! saying. Copying a value from the request into a call needs an induction
//! circuit (find the earlier occurrence of the current token, copy what
//! followed it); the tool-calling corpus alone gives it a few copied tokens
//! per example, too little for the circuit to form in a CPU budget, while a
//! drill row gives one copy target per token.

use crate::train::batch::SplitMix64;
use crate::train::mask::MaskedExample;

/// Drill row `row` of `seed`: between `max_len / 4` and `max_len` token ids
/// drawn at random from `alphabet`, then the same ids again. The second
/// saying is trained, except its first token (nothing yet says which
/// sequence repeats). The length varies so that no fixed-offset attention
/// solves it: only matching content does (an induction head), as copying a
/// value from a request needs. A small alphabet (the ten digits) makes the
/// current token alone ambiguous, so the model must match on longer
/// contexts, as it must to copy `ORD-4417`.
pub fn induction_row(seed: u64, row: u64, max_len: usize, alphabet: &[u32]) -> MaskedExample {
    let mut rng = SplitMix64::new(seed ^ row.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B0);
    let shortest = (max_len / 4).max(1);
    let len = shortest + (rng.next_u64() % (max_len - shortest + 1) as u64) as usize;
    let n = alphabet.len().max(1) as u64;
    let first: Vec<u32> = (0..len)
        .map(|_| alphabet[(rng.next_u64() % n) as usize])
        .collect();
    let ids: Vec<u32> = first.iter().chain(&first).copied().collect();
    let trained = (0..ids.len()).map(|i| i > len).collect();
    MaskedExample {
        at: format!("drill:{row}"),
        text: String::new(),
        offsets: vec![(0, 0); ids.len()],
        ids,
        trained,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drill_row_repeats_itself_and_trains_the_repeat() {
        let alphabet: Vec<u32> = (10..20).collect();
        let mut lengths = std::collections::BTreeSet::new();
        for row in 0..40 {
            let r = induction_row(3, row, 40, &alphabet);
            let half = r.ids.len() / 2;
            assert!((10..=40).contains(&half), "{half}");
            lengths.insert(half);
            assert_eq!(r.ids[..half], r.ids[half..]);
            assert!(r.ids.iter().all(|&t| (10..20).contains(&t)));
            assert_eq!(r.trained.iter().filter(|&&t| t).count(), half - 1);
            assert!(!r.trained[half] && r.trained[half + 1] && r.trained[2 * half - 1]);
            assert_eq!(r.ids, induction_row(3, row, 40, &alphabet).ids);
        }
        assert!(lengths.len() > 10, "the length varies: {lengths:?}");
        assert_ne!(
            induction_row(3, 7, 40, &alphabet).ids,
            induction_row(3, 8, 40, &alphabet).ids
        );
    }
}
