//! The hook between the model's logits and token selection.

/// Edits next-token logits before selection, and hears which token was
/// chosen. Set a logit to `f32::NEG_INFINITY` to forbid a token.
pub trait LogitsProcessor {
    /// `tokens` is the sequence so far (prompt and generated); `logits` the
    /// next-token logits, one per vocabulary entry.
    fn process(&mut self, tokens: &[u32], logits: &mut [f32]);

    /// Called with the token that was selected (before the stop check), so
    /// stateful processors can advance.
    fn on_token(&mut self, _token: u32) {}
}

/// No processing.
impl LogitsProcessor for () {
    fn process(&mut self, _tokens: &[u32], _logits: &mut [f32]) {}
}

/// A processor where there is one, none where there is not.
impl<P: LogitsProcessor> LogitsProcessor for Option<P> {
    fn process(&mut self, tokens: &[u32], logits: &mut [f32]) {
        if let Some(p) = self {
            p.process(tokens, logits);
        }
    }

    fn on_token(&mut self, token: u32) {
        if let Some(p) = self {
            p.on_token(token);
        }
    }
}

/// Two processors in turn: `A` edits the logits first, then `B`; both hear
/// the chosen token.
impl<A: LogitsProcessor, B: LogitsProcessor> LogitsProcessor for (A, B) {
    fn process(&mut self, tokens: &[u32], logits: &mut [f32]) {
        self.0.process(tokens, logits);
        self.1.process(tokens, logits);
    }

    fn on_token(&mut self, token: u32) {
        self.0.on_token(token);
        self.1.on_token(token);
    }
}

/// Forbids a fixed set of token ids (ids outside the vocabulary are ignored).
#[derive(Debug, Clone, Default)]
pub struct SuppressTokens(pub Vec<u32>);

impl LogitsProcessor for SuppressTokens {
    fn process(&mut self, _tokens: &[u32], logits: &mut [f32]) {
        for &id in &self.0 {
            if let Some(l) = logits.get_mut(id as usize) {
                *l = f32::NEG_INFINITY;
            }
        }
    }
}
