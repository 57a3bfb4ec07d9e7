//! The built-in model's tokenizer: a byte-level BPE (GPT-2's byte alphabet,
//! so any text encodes) trained with Hugging Face `tokenizers` on corpus
//! text. Digits are split before BPE, one by one (as Qwen2 does) or in
//! groups of up to three (as Llama 3 does; the shipped base), and every space
//! is a token of its own (no `Ġword` tokens), so a word or a
//! number in a request and the same word in a call are the same tokens:
//! `put Emma` and `"Emma"` both end in `Em`, `ma`, where GPT-2's rule gives
//! `ĠE m ma` and `E m ma`. A small model copies same tokens far more easily
//! than it learns a `Ġword` → `word` map for every word (MODEL.md).

use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, PreTokenizerWrapper, SplitDelimiterBehavior, TokenizerBuilder};

use crate::error::{EngineError, Result};

/// Special tokens, ids 0, 1, 2.
pub const SPECIAL_TOKENS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

/// Ordinary added tokens (one id each, decoded as text): the Hermes tags.
pub const ADDED_TOKENS: [&str; 4] = [
    "<tool_call>",
    "</tool_call>",
    "<tool_response>",
    "</tool_response>",
];

/// Trains a byte-level BPE of `vocab_size` tokens in all on `texts`.
/// Returns `tokenizer.json` bytes. Deterministic for the same texts.
///
/// `digit_group` 1 splits digits one by one (the bases before the shipped
/// one); N > 1 cuts
/// each run of digits into groups of up to N from the left (`59898` →
/// `598`, `98`, as Llama 3 does with 3), which BPE may merge whole, so an
/// ID or a date repeats fewer token pairs (MODEL.md; the shipped base: 3).
pub fn train_tokenizer<S: AsRef<str> + Send>(
    texts: impl Iterator<Item = S> + Send,
    vocab_size: usize,
    digit_group: usize,
) -> Result<Vec<u8>> {
    let err = |e: tokenizers::Error| EngineError::Tokenizer(format!("training the tokenizer: {e}"));
    let spaces = Split::new(" ", SplitDelimiterBehavior::Isolated, false).map_err(err)?;
    let digits = if digit_group <= 1 {
        PreTokenizerWrapper::Digits(Digits::new(true))
    } else {
        let groups = SplitPattern::Regex(format!("[0-9]{{1,{digit_group}}}"));
        PreTokenizerWrapper::Split(
            Split::new(groups, SplitDelimiterBehavior::Isolated, false).map_err(err)?,
        )
    };
    let pre = Sequence::new(vec![
        digits,
        PreTokenizerWrapper::Split(spaces),
        PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, true)),
    ]);
    let mut tokenizer = TokenizerBuilder::new()
        .with_model(BPE::default())
        .with_normalizer(None::<tokenizers::NormalizerWrapper>)
        .with_pre_tokenizer(Some(pre))
        .with_post_processor(Some(ByteLevel::new(false, false, false)))
        .with_decoder(Some(ByteLevelDecoder::default()))
        .build()
        .map_err(err)?;
    let mut trainer = BpeTrainerBuilder::new()
        .show_progress(false)
        .vocab_size(vocab_size - ADDED_TOKENS.len())
        .min_frequency(2)
        .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
        .special_tokens(
            SPECIAL_TOKENS
                .iter()
                .map(|t| AddedToken::from(*t, true))
                .collect(),
        )
        .build();
    tokenizer.train(&mut trainer, texts).map_err(err)?;
    tokenizer.add_tokens(
        &ADDED_TOKENS
            .iter()
            .map(|t| AddedToken::from(*t, false))
            .collect::<Vec<_>>(),
    );
    let json = tokenizer.to_string(true).map_err(err)?;
    Ok(json.into_bytes())
}
