//! English rows: windows of ordinary text trained on every token, beside the
//! tool-calling corpus. A tokenizer trained on English the model never
//! reads (`tooltune pretrain --tokenizer-glosses`, `--tokenizer-text`) keeps
//! tokens that never occur in the corpus, so pretraining never moves their
//! embeddings, and a value made of them (a book title) is noise the copy
//! circuit never learned to copy (docs/model-history.md, "the 8,192-token English
//! vocabulary alone"). English rows make the model read those tokens.

use crate::error::Result;
use crate::tokenizer::Tokenizer;
use crate::train::batch::SplitMix64;
use crate::train::mask::MaskedExample;

/// Tokens in one English row.
pub const ROW_TOKENS: usize = 128;

/// The English texts as one token stream, each text followed by a newline.
#[derive(Debug, Clone)]
pub struct EnglishStream {
    ids: Vec<u32>,
}

impl EnglishStream {
    /// Encodes `texts` in order.
    pub fn new<S: AsRef<str>>(tokenizer: &Tokenizer, texts: &[S]) -> Result<Self> {
        let mut ids = Vec::new();
        for text in texts {
            let mut text = text.as_ref().trim_end().to_owned();
            text.push('\n');
            ids.extend(tokenizer.encode(&text)?.ids);
        }
        Ok(Self { ids })
    }

    /// Tokens in the stream.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the stream is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Row `row` of `seed`: a window of `len` tokens (the whole stream if it
    /// is shorter) from a seeded offset, every token trained but the first.
    /// `None` for a stream of fewer than two tokens.
    pub fn row(&self, seed: u64, row: u64, len: usize) -> Option<MaskedExample> {
        if self.ids.len() < 2 {
            return None;
        }
        let len = len.clamp(2, self.ids.len());
        let starts = (self.ids.len() - len + 1) as u64;
        let mut rng = SplitMix64::new(seed ^ row.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xE6_1154);
        let start = (rng.next_u64() % starts) as usize;
        let ids = self.ids[start..start + len].to_vec();
        Some(MaskedExample {
            at: format!("english:{row}"),
            text: String::new(),
            offsets: vec![(0, 0); len],
            trained: (0..len).map(|i| i > 0).collect(),
            ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A word-level tokenizer over a few words, enough to check windows.
    fn tokenizer() -> Tokenizer {
        let json = serde_json::json!({
            "version": "1.0",
            "truncation": null, "padding": null, "added_tokens": [],
            "normalizer": null,
            "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": null, "decoder": null,
            "model": {"type": "WordLevel", "unk_token": "?",
                      "vocab": {"?": 0, "a": 1, "b": 2, "c": 3, "d": 4, "e": 5}}
        });
        Tokenizer::from_bytes(json.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn rows_are_seeded_windows_of_the_stream_trained_after_the_first_token() {
        let texts = ["a b c d e", "e d c b a", "a a b b c c"];
        let stream = EnglishStream::new(&tokenizer(), &texts).unwrap();
        assert_eq!(stream.len(), 16, "every word a token; the newlines unknown");
        let mut starts = std::collections::BTreeSet::new();
        for row in 0..50 {
            let r = stream.row(7, row, 4).unwrap();
            assert_eq!(r.ids.len(), 4);
            let start = (0..=stream.ids.len() - 4)
                .find(|&s| stream.ids[s..s + 4] == r.ids[..])
                .expect("a window of the stream");
            starts.insert(start);
            assert_eq!(r.trained, [false, true, true, true]);
            assert_eq!(r.ids, stream.row(7, row, 4).unwrap().ids, "seeded");
        }
        assert!(starts.len() > 6, "the offset varies: {starts:?}");
        let whole = stream.row(7, 0, 1000).unwrap();
        assert_eq!(whole.ids, stream.ids, "a short stream is taken whole");
        let empty = EnglishStream::new(&tokenizer(), &[""; 0]).unwrap();
        assert!(empty.is_empty() && empty.row(7, 0, 4).is_none());
    }
}
