//! A string's JSON Schema `pattern`, read a byte at a time: whether a
//! string that starts with these bytes can still match it, and whether it
//! matches as it stands. A dense DFA (regex-automata) walks the bytes; a
//! dead state means no continuation can match (`^ORD-[0-9]+$` after
//! `ORD-C`), so a decoder learns it before the string closes.
//!
//! JSON Schema patterns are ECMA-262 regexes, searched for anywhere in the
//! string; the common ones read the same as Rust's syntax. A pattern Rust's
//! syntax refuses, or whose DFA would be too big, is not checked here (the
//! finished arguments' validation still is).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use regex_automata::dfa::{Automaton, dense};
use regex_automata::util::primitives::StateID;
use regex_automata::{Input, MatchKind};

/// The most memory one pattern's DFA may take.
const DFA_LIMIT: usize = 1 << 20;

/// A compiled `pattern`.
#[derive(Debug)]
pub struct Pattern {
    dfa: dense::DFA<Vec<u32>>,
}

/// The compiled `pattern`, kept for the next call (patterns are few, checks
/// are many); `None` when it can't be compiled here.
pub fn compiled(pattern: &str) -> Option<Arc<Pattern>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Arc<Pattern>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(pattern.to_string())
        .or_insert_with(|| Pattern::new(pattern).map(Arc::new))
        .clone()
}

impl Pattern {
    fn new(pattern: &str) -> Option<Self> {
        let config = dense::Config::new()
            .match_kind(MatchKind::All)
            .dfa_size_limit(Some(DFA_LIMIT))
            .determinize_size_limit(Some(DFA_LIMIT));
        let dfa = dense::Builder::new()
            .configure(config)
            .build(pattern)
            .ok()?;
        Some(Self { dfa })
    }

    /// Whether a string whose content starts with `content` can match
    /// (`closed`: whether `content`, the whole string, matches).
    pub fn allows(&self, content: &[u8], closed: bool) -> bool {
        let Ok(mut state) = self.dfa.start_state_forward(&Input::new(content)) else {
            return true;
        };
        // A match state says a match ended just before the byte that led to
        // it; once one has, the string matches whatever comes next.
        let mut matched = false;
        for &b in content {
            state = self.dfa.next_state(state, b);
            matched |= self.dfa.is_match_state(state);
            if self.dfa.is_dead_state(state) {
                return matched;
            }
            if self.dfa.is_quit_state(state) {
                return true;
            }
        }
        if !closed {
            return true;
        }
        let end: StateID = self.dfa.next_eoi_state(state);
        matched || self.dfa.is_match_state(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pattern: &str) -> Arc<Pattern> {
        compiled(pattern).expect("compiles")
    }

    #[test]
    fn anchored_patterns_die_at_the_first_wrong_byte() {
        let id = p("^ORD-[0-9]+$");
        assert!(id.allows(b"ORD-", false));
        assert!(id.allows(b"ORD-12", false));
        assert!(id.allows(b"ORD-12", true));
        assert!(!id.allows(b"ORD-", true));
        assert!(!id.allows(b"ORD-C", false));
        assert!(!id.allows(b"ord", false));
        assert!(!id.allows(b"ORD-12x", false));
    }

    #[test]
    fn unanchored_patterns_match_anywhere() {
        let digit = p("[0-9]");
        assert!(digit.allows(b"abc", false));
        assert!(!digit.allows(b"abc", true));
        assert!(digit.allows(b"ab1c", true));
        let time = p("^[0-9]{2}:[0-9]{2}");
        assert!(time.allows(b"07:45 tomorrow", true));
        assert!(!time.allows(b"7:45", false));
    }

    #[test]
    fn what_rust_cannot_read_is_left_to_the_final_check() {
        // A look-ahead: ECMA-262 has it, Rust's syntax does not.
        assert!(compiled("^(?=a)a$").is_none());
    }
}
