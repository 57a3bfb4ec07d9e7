//! `tokenizer.json` through Hugging Face's `tokenizers` crate, loaded from
//! bytes. Encoding adds no special tokens (the chat template writes them),
//! as transformers' `apply_chat_template(tokenize=True)` does.

use std::sync::{Arc, OnceLock};

use tokenizers::DecoderWrapper;

use crate::error::{EngineError, Result};

/// A loaded tokenizer.
#[derive(Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    /// Each id's bytes, made on first use ([`Self::token_bytes`]).
    bytes: OnceLock<Arc<Vec<Vec<u8>>>>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokenizer(vocab {})", self.vocab_size())
    }
}

/// Token ids with the byte range of the text each one covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Token ids.
    pub ids: Vec<u32>,
    /// `(start, end)` byte offsets into the encoded text, one per id.
    pub offsets: Vec<(usize, usize)>,
}

impl Tokenizer {
    /// Parses `tokenizer.json` bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        tokenizers::Tokenizer::from_bytes(bytes)
            .map(|inner| Self {
                inner,
                bytes: OnceLock::new(),
            })
            .map_err(|e| EngineError::Tokenizer(format!("tokenizer.json: {e}")))
    }

    /// Encodes text (special-token strings in it become their ids).
    pub fn encode(&self, text: &str) -> Result<Encoded> {
        let enc = self
            .inner
            .encode(text, false)
            .map_err(|e| EngineError::Tokenizer(format!("encoding failed: {e}")))?;
        Ok(Encoded {
            ids: enc.get_ids().to_vec(),
            offsets: enc.get_offsets().to_vec(),
        })
    }

    /// Decodes ids to text, special tokens included.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner
            .decode(ids, false)
            .map_err(|e| EngineError::Tokenizer(format!("decoding failed: {e}")))
    }

    /// The id of a token string (e.g. `<|im_end|>`), if it is in the vocabulary.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// The token string of an id, if any.
    pub fn id_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// Vocabulary size, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The bytes each id stands for, by id (constrained decoding reads
    /// answers a token at a time): an added token's content; a byte-level
    /// BPE token's bytes through GPT-2's byte-to-character table; otherwise
    /// the token's text with SentencePiece's `▁` as a space and `<0xAB>` as
    /// that byte. A token may hold part of a multi-byte character.
    pub fn token_bytes(&self) -> Arc<Vec<Vec<u8>>> {
        self.bytes
            .get_or_init(|| Arc::new(self.make_token_bytes()))
            .clone()
    }

    fn make_token_bytes(&self) -> Vec<Vec<u8>> {
        let added = self.inner.get_added_tokens_decoder();
        let byte_level = self.inner.get_decoder().is_some_and(is_byte_level);
        let table = byte_level.then(unicode_to_byte);
        (0..self.vocab_size() as u32)
            .map(|id| {
                if let Some(t) = added.get(&id) {
                    return t.content.clone().into_bytes();
                }
                let Some(token) = self.inner.id_to_token(id) else {
                    return Vec::new();
                };
                match &table {
                    Some(table) => token
                        .chars()
                        .map(|c| table.get(&c).copied())
                        .collect::<Option<Vec<u8>>>()
                        .unwrap_or_else(|| token.into_bytes()),
                    None => sentencepiece_bytes(&token),
                }
            })
            .collect()
    }
}

/// Whether a decoder is (or holds) GPT-2's byte-level one.
fn is_byte_level(d: &DecoderWrapper) -> bool {
    match d {
        DecoderWrapper::ByteLevel(_) => true,
        DecoderWrapper::Sequence(seq) => seq.get_decoders().iter().any(is_byte_level),
        _ => false,
    }
}

/// GPT-2's table from the printable characters byte-level BPE writes back to
/// the bytes they stand for.
fn unicode_to_byte() -> std::collections::HashMap<char, u8> {
    let printable = |b: u8| matches!(b, 33..=126 | 161..=172 | 174..=255);
    let mut shifted = 0u32;
    (0..=255u8)
        .map(|b| {
            let c = if printable(b) {
                char::from(b)
            } else {
                shifted += 1;
                char::from_u32(255 + shifted).expect("below the surrogates")
            };
            (c, b)
        })
        .collect()
}

/// A SentencePiece token's bytes: `▁` is a space, `<0xAB>` the byte 0xAB.
fn sentencepiece_bytes(token: &str) -> Vec<u8> {
    if let Some(hex) = token.strip_prefix("<0x").and_then(|t| t.strip_suffix('>'))
        && let Ok(b) = u8::from_str_radix(hex, 16)
    {
        return vec![b];
    }
    token.replace('\u{2581}', " ").into_bytes()
}
