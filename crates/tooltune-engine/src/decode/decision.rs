//! The first step of an answer decided between a tool call and a plain
//! answer by the probability of each, not by the single likeliest token.
//!
//! Greedy decoding compares the call's opening token (`<tool_call>`, or `<`
//! where a tokenizer spells it in pieces) with *each* prose opening alone
//! ("Sure", "Sorry", "Yes", …). A plain answer's probability is spread over
//! many first words, a call's sits on one token, so greedy calls a tool when
//! the model itself gives a call less than even odds: SmolLM2 fine-tuned on
//! the support example gave its training rows' no-tool requests 25–46 % for
//! `<` and called `escalate` on 13 of 22. [`CallDecision`] takes the call
//! when its opening token has at least the threshold's probability (0.5: the
//! likelier of the two events) and forbids that token otherwise; every
//! later token is chosen as before.

use super::LogitsProcessor;

/// Decides an answer's first token between a call and prose (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct CallDecision {
    opening: u32,
    threshold: f32,
    decided: bool,
}

impl CallDecision {
    /// A call when the first token is `opening` with probability ≥
    /// `threshold`; prose (that token forbidden) otherwise.
    pub fn new(opening: u32, threshold: f32) -> Self {
        Self {
            opening,
            threshold,
            decided: false,
        }
    }

    /// The probability of `id` under `logits` (softmax; masked entries count
    /// as zero). `None` when every entry is masked or `id` is out of range.
    fn probability(logits: &[f32], id: usize) -> Option<f32> {
        let max = logits
            .iter()
            .copied()
            .filter(|l| !l.is_nan())
            .fold(f32::NEG_INFINITY, f32::max);
        if !max.is_finite() {
            return None;
        }
        let sum: f64 = logits
            .iter()
            .filter(|l| !l.is_nan())
            .map(|&l| f64::from((l - max).exp()))
            .sum();
        let own = f64::from((logits.get(id)? - max).exp());
        Some((own / sum) as f32)
    }
}

impl LogitsProcessor for CallDecision {
    fn process(&mut self, _tokens: &[u32], logits: &mut [f32]) {
        if std::mem::replace(&mut self.decided, true) {
            return;
        }
        let id = self.opening as usize;
        let Some(p) = Self::probability(logits, id) else {
            return;
        };
        logits[id] = if p >= self.threshold {
            f32::INFINITY
        } else {
            f32::NEG_INFINITY
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_choice(logits: &[f32], threshold: f32) -> Vec<f32> {
        let mut d = CallDecision::new(0, threshold);
        let mut l = logits.to_vec();
        d.process(&[], &mut l);
        l
    }

    #[test]
    fn the_call_is_taken_only_at_even_odds_or_better() {
        // The opening is the argmax (0.4) but prose holds 0.6 in all: prose.
        let spread = [0.4f32.ln(), 0.3f32.ln(), 0.2f32.ln(), 0.1f32.ln()];
        assert_eq!(first_choice(&spread, 0.5)[0], f32::NEG_INFINITY);
        // 0.6 for the call: forced, whatever else is there.
        let likely = [0.6f32.ln(), 0.4f32.ln(), f32::NEG_INFINITY, 0.0f32.ln()];
        assert_eq!(first_choice(&likely, 0.5)[0], f32::INFINITY);
        // A lower threshold calls more.
        assert_eq!(first_choice(&spread, 0.3)[0], f32::INFINITY);
    }

    #[test]
    fn only_the_first_step_is_touched() {
        let mut d = CallDecision::new(1, 0.5);
        let mut first = vec![0.0, 5.0, 0.0];
        d.process(&[], &mut first);
        assert_eq!(first[1], f32::INFINITY);
        let mut second = vec![0.0, 5.0, 0.0];
        d.process(&[], &mut second);
        assert_eq!(second, vec![0.0, 5.0, 0.0]);
    }

    #[test]
    fn masked_or_short_logits_are_left_alone() {
        let mut d = CallDecision::new(7, 0.5);
        let mut short = vec![1.0, 2.0];
        d.process(&[], &mut short);
        assert_eq!(short, vec![1.0, 2.0]);
        let mut d = CallDecision::new(0, 0.5);
        let mut masked = vec![f32::NEG_INFINITY; 3];
        d.process(&[], &mut masked);
        assert!(masked.iter().all(|l| *l == f32::NEG_INFINITY));
    }
}
