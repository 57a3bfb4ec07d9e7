//! Schema-guided greedy decoding: the highest-scoring token that keeps the
//! answer one the scorer can accept ([`tooltune_core::constrain`]).

use std::sync::Arc;

use tooltune_core::constrain::{Grammar, Verdict, repeats};

use super::LogitsProcessor;

/// Candidates checked before the rest of the vocabulary is sorted.
const FIRST_LOOK: usize = 32;

/// Keeps one answer within its [`Grammar`]: the best token whose text keeps
/// the answer alive, a stop token only once the answer is complete; among
/// those, one that does not keep a loop going ([`repeats`]) where there is
/// one.
/// Where no token keeps the answer alive (the grammar asks for something
/// the vocabulary can't write), the step goes unconstrained.
#[derive(Debug, Clone)]
pub struct Constrained {
    grammar: Grammar,
    bytes: Arc<Vec<Vec<u8>>>,
    stop: Vec<u32>,
    /// The answer so far.
    text: Vec<u8>,
}

impl Constrained {
    /// Decoding within `grammar`; `bytes` are the tokenizer's
    /// ([`crate::Tokenizer::token_bytes`]), `stop` the ids that end the
    /// answer.
    pub fn new(grammar: Grammar, bytes: Arc<Vec<Vec<u8>>>, stop: &[u32]) -> Self {
        Self {
            grammar,
            bytes,
            stop: stop.to_vec(),
            text: Vec::new(),
        }
    }

    /// Whether `id` may come next; with `fresh`, only if it does not keep a
    /// loop going.
    fn allows(&self, id: usize, fresh: bool) -> bool {
        if self.stop.contains(&(id as u32)) {
            return self.grammar.check(&self.text) == Verdict::Complete;
        }
        let Some(piece) = self.bytes.get(id).filter(|b| !b.is_empty()) else {
            return false;
        };
        let mut next = self.text.clone();
        next.extend_from_slice(piece);
        !(fresh && repeats(&self.text, &next)) && self.grammar.check(&next) != Verdict::Dead
    }

    /// The best allowed id, if any: one that does not loop, else any.
    fn choose(&self, logits: &[f32]) -> Option<usize> {
        let mut order: Vec<usize> = (0..logits.len())
            .filter(|&i| logits[i].is_finite() || logits[i] == f32::INFINITY)
            .collect();
        let by_logit = |a: &usize, b: &usize| logits[*b].total_cmp(&logits[*a]);
        let first = FIRST_LOOK.min(order.len());
        if first < order.len() {
            order.select_nth_unstable_by(first, by_logit);
        }
        order[..first].sort_by(by_logit);
        if let Some(&id) = order[..first].iter().find(|&&i| self.allows(i, true)) {
            return Some(id);
        }
        // The rest of the vocabulary, less the tokens whose first byte
        // already kills the answer (an extension of a dead answer is dead):
        // 256 checks spare most of a large vocabulary's.
        let opens = self.first_bytes();
        let mut rest: Vec<usize> = order[first..]
            .iter()
            .copied()
            .filter(|&i| {
                self.stop.contains(&(i as u32))
                    || self
                        .bytes
                        .get(i)
                        .and_then(|b| b.first())
                        .is_some_and(|&b| opens[b as usize])
            })
            .collect();
        rest.sort_by(by_logit);
        let candidates = || order[..first].iter().chain(&rest).copied();
        candidates()
            .find(|&i| self.allows(i, true))
            .or_else(|| candidates().find(|&i| self.allows(i, false)))
    }

    /// Which bytes may come next.
    fn first_bytes(&self) -> [bool; 256] {
        let mut next = self.text.clone();
        next.push(0);
        let mut opens = [false; 256];
        for (b, open) in opens.iter_mut().enumerate() {
            *next.last_mut().expect("pushed") = b as u8;
            *open = self.grammar.check(&next) != Verdict::Dead;
        }
        opens
    }
}

impl LogitsProcessor for Constrained {
    fn process(&mut self, _tokens: &[u32], logits: &mut [f32]) {
        if let Some(id) = self.choose(logits) {
            logits[id] = f32::INFINITY;
        }
    }

    fn on_token(&mut self, token: u32) {
        if !self.stop.contains(&token)
            && let Some(piece) = self.bytes.get(token as usize)
        {
            self.text.extend_from_slice(piece);
        }
    }
}
