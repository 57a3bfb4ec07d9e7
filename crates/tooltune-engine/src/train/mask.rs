//! The loss mask: which tokens of a rendered conversation are trained.
//!
//! Only assistant turns are trained — their tool calls or answer text and the
//! end-of-turn token that closes them — never system, user or tool-result
//! text, and never template scaffolding such as the `<|im_start|>assistant\n`
//! header (the header is part of the prompt at inference, so the model is
//! never asked to produce it). Assistant messages with `weight: 0` are not
//! trained. This is TRL's `assistant_only_loss`, found without
//! `{% generation %}` markers in the template.
//!
//! How the spans are found (works for any template that renders
//! incrementally): for the assistant message `i`,
//! - `prompt = render(messages[..i], add_generation_prompt=true)`,
//! - `turn = render(messages[..=i], add_generation_prompt=false)`,
//! - the trained span is `turn[prompt.len()..]`, cut right after the last
//!   end-of-turn token string in it ([`ChatTemplate::end_of_turn`], e.g.
//!   `<|im_end|>`), which drops the newline some templates add after it.
//!
//! `turn` must start with `prompt` and the full rendering must start with
//! `turn`; a template that rewrites earlier turns (e.g. one that strips
//! reasoning from past answers) is reported as an error naming the example.
//! A token is trained when its byte range overlaps a trained span.

use std::ops::Range;

use tooltune_core::dataset::{Example, Role};

use crate::chat::ChatTemplate;
use crate::error::{EngineError, Result};
use crate::tokenizer::Tokenizer;

/// A tokenized conversation with its loss mask.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskedExample {
    /// `file:line` of the example.
    pub at: String,
    /// The rendered text.
    pub text: String,
    /// Token ids of `text`.
    pub ids: Vec<u32>,
    /// Byte range of each token in `text`.
    pub offsets: Vec<(usize, usize)>,
    /// Whether each token is a training target.
    pub trained: Vec<bool>,
}

impl MaskedExample {
    /// Number of trained tokens.
    pub fn trained_count(&self) -> usize {
        self.trained.iter().filter(|t| **t).count()
    }

    /// The text of the trained tokens, concatenated.
    pub fn trained_text(&self) -> String {
        self.offsets
            .iter()
            .zip(&self.trained)
            .filter(|(_, t)| **t)
            .map(|(&(s, e), _)| self.text.get(s..e).unwrap_or_default())
            .collect()
    }
}

/// Byte ranges of the rendered conversation that are trained, and the text.
pub fn trained_spans(
    template: &ChatTemplate,
    example: &Example,
) -> Result<(String, Vec<Range<usize>>)> {
    let conv = &example.conversation;
    let at = example.at.to_string();
    let full = template.render_conversation(conv, conv.messages.len(), false)?;
    let eot = template.end_of_turn();
    let mut spans = Vec::new();
    for (i, m) in conv.messages.iter().enumerate() {
        if m.role != Role::Assistant || m.weight == Some(0) {
            continue;
        }
        let prompt = template.render_conversation(conv, i, true)?;
        let turn = template.render_conversation(conv, i + 1, false)?;
        if !turn.starts_with(&prompt) || !full.starts_with(&turn) {
            return Err(EngineError::Example {
                at,
                message: format!(
                    "the chat template does not render messages[{i}] incrementally \
                     (earlier text changes when later turns are added), so its tokens \
                     cannot be masked"
                ),
            });
        }
        let mut end = turn.len();
        if let Some(pos) = eot.and_then(|e| turn[prompt.len()..].rfind(e).map(|p| p + e.len())) {
            end = prompt.len() + pos;
        }
        if end > prompt.len() {
            spans.push(prompt.len()..end);
        }
    }
    if spans.is_empty() {
        return Err(EngineError::Example {
            at,
            message: "no assistant message to train on (none, or all have weight 0)".into(),
        });
    }
    Ok((full, spans))
}

/// Renders, tokenizes and masks one example.
pub fn mask_example(
    template: &ChatTemplate,
    tokenizer: &Tokenizer,
    example: &Example,
) -> Result<MaskedExample> {
    let (text, spans) = trained_spans(template, example)?;
    let enc = tokenizer.encode(&text)?;
    let trained = enc
        .offsets
        .iter()
        .map(|&(s, e)| e > s && spans.iter().any(|r| s < r.end && e > r.start))
        .collect();
    Ok(MaskedExample {
        at: example.at.to_string(),
        text,
        ids: enc.ids,
        offsets: enc.offsets,
        trained,
    })
}

/// Shows a masked example: trained tokens inside `[[` `]]` (or, with
/// `colour`, in green), the rest as written.
pub fn show_mask(example: &MaskedExample, colour: bool) -> String {
    let (open, close) = if colour {
        ("\x1b[1;32m", "\x1b[0m")
    } else {
        ("[[", "]]")
    };
    let mut out = String::new();
    let mut inside = false;
    let mut last = 0;
    for (&(s, e), &t) in example.offsets.iter().zip(&example.trained) {
        if s > last && !inside {
            out.push_str(example.text.get(last..s).unwrap_or_default());
        }
        last = last.max(e);
        if t != inside {
            out.push_str(if t { open } else { close });
            inside = t;
        }
        out.push_str(example.text.get(s..e).unwrap_or_default());
    }
    if inside {
        out.push_str(close);
    }
    out
}
