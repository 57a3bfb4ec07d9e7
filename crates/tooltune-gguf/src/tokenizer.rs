//! A Hugging Face `tokenizer.json` and `tokenizer_config.json` built from a
//! GGUF's `tokenizer.ggml.*` metadata (the keys llama.cpp's
//! `convert_hf_to_gguf.py` writes).
//!
//! Supported: byte-level BPE (`tokenizer.ggml.model = "gpt2"`) with the
//! pre-tokenizers llama.cpp names `gpt-2` / `default` (or no
//! `tokenizer.ggml.pre`), `smollm`, `qwen2` and `llama-bpe`; their split rules
//! follow llama.cpp's `llama-vocab.cpp` and the models' own `tokenizer.json`.
//! Control tokens (type 3) become special added tokens and user-defined ones
//! (type 4) plain added tokens, as transformers' GGUF loader does. Not
//! supported (refused by name): SentencePiece (`llama`), WordPiece, Unigram
//! and other `tokenizer.ggml.pre` values.

use serde_json::{Map, Value as Json, json};

use crate::error::{GgufError, Result};
use crate::file::Gguf;
use crate::value::Value;

/// Llama 3's split rule (`llama-bpe`).
const LLAMA3_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Qwen2's split rule: as Llama 3 but single digits.
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// GGUF token types (llama.cpp `llama_token_type`).
const CONTROL: i64 = 3;
const USER_DEFINED: i64 = 4;

/// The pre-tokenizer (and normalizer) for a `tokenizer.ggml.pre` value.
fn pre_tokenizer(pre: &str) -> Result<(Json, Json, bool)> {
    let byte_level = |use_regex: bool| json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": use_regex});
    let split = |pattern: &str| json!({"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": false});
    // (normalizer, pre_tokenizer, ignore_merges)
    Ok(match pre {
        "gpt-2" | "gpt2" | "default" => (Json::Null, byte_level(true), false),
        // llama.cpp: "\p{N}" then the GPT-2 rule; SmolLM's tokenizer.json:
        // Digits(individual_digits) then ByteLevel.
        "smollm" => (
            Json::Null,
            json!({"type": "Sequence", "pretokenizers": [
                {"type": "Digits", "individual_digits": true},
                byte_level(true),
            ]}),
            false,
        ),
        "qwen2" => (
            json!({"type": "NFC"}),
            json!({"type": "Sequence", "pretokenizers": [split(QWEN2_SPLIT), byte_level(false)]}),
            false,
        ),
        "llama-bpe" | "llama3" | "llama-v3" => (
            Json::Null,
            json!({"type": "Sequence", "pretokenizers": [split(LLAMA3_SPLIT), byte_level(false)]}),
            true,
        ),
        other => {
            return Err(GgufError::UnsupportedTokenizer {
                what: "tokenizer.ggml.pre".into(),
                value: other.into(),
                reason: "supported: gpt-2, default, smollm, qwen2, llama-bpe".into(),
            });
        }
    })
}

/// GPT-2's byte-to-character table (`bytes_to_unicode`): the characters a
/// byte-level vocabulary is spelled in.
fn byte_alphabet() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut extra = 0u32;
    for b in 0..=255u8 {
        let printable = matches!(b, 33..=126 | 161..=172 | 174..=255);
        table[b as usize] = if printable {
            char::from(b)
        } else {
            extra += 1;
            char::from_u32(255 + extra).unwrap_or('\u{fffd}')
        };
    }
    table
}

fn strings<'g>(g: &'g Gguf<'_>, key: &str) -> Result<Vec<&'g str>> {
    g.get_array(key)?
        .iter()
        .map(|v| {
            v.as_str().ok_or_else(|| GgufError::WrongKeyType {
                key: key.into(),
                expected: "an array of strings".into(),
                found: format!("an array holding {}", v.type_name()),
            })
        })
        .collect()
}

fn token_types(g: &Gguf<'_>, n: usize) -> Result<Vec<i64>> {
    let Some(_) = g.get("tokenizer.ggml.token_type") else {
        return Ok(vec![1; n]);
    };
    g.get_array("tokenizer.ggml.token_type")?
        .iter()
        .map(|v| {
            v.as_i64().ok_or_else(|| GgufError::WrongKeyType {
                key: "tokenizer.ggml.token_type".into(),
                expected: "an array of integers".into(),
                found: format!("an array holding {}", v.type_name()),
            })
        })
        .collect()
}

fn optional_u64(g: &Gguf<'_>, key: &str) -> Result<Option<u64>> {
    g.get(key).map(|_| g.get_u64(key)).transpose()
}

fn optional_bool(g: &Gguf<'_>, key: &str) -> Result<Option<bool>> {
    match g.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(GgufError::WrongKeyType {
            key: key.into(),
            expected: "a bool".into(),
            found: v.type_name().into(),
        }),
    }
}

/// The token text of a special-token id key, if the key is present.
fn special_token(g: &Gguf<'_>, tokens: &[&str], key: &str) -> Result<Option<String>> {
    let Some(id) = optional_u64(g, key)? else {
        return Ok(None);
    };
    match usize::try_from(id).ok().and_then(|i| tokens.get(i)) {
        Some(t) => Ok(Some((*t).to_owned())),
        None => Err(GgufError::WrongKeyType {
            key: key.into(),
            expected: format!("a token id below {}", tokens.len()),
            found: id.to_string(),
        }),
    }
}

fn check_model(g: &Gguf<'_>) -> Result<()> {
    match g.get_str("tokenizer.ggml.model")? {
        "gpt2" => Ok(()),
        "llama" => Err(GgufError::UnsupportedTokenizer {
            what: "tokenizer.ggml.model".into(),
            value: "llama".into(),
            reason: "SentencePiece vocabularies are not converted yet; only byte-level BPE (\"gpt2\") is"
                .into(),
        }),
        other => Err(GgufError::UnsupportedTokenizer {
            what: "tokenizer.ggml.model".into(),
            value: other.into(),
            reason: "only byte-level BPE (\"gpt2\") is converted".into(),
        }),
    }
}

/// Builds a Hugging Face `tokenizer.json` (load it with
/// `tokenizers::Tokenizer::from_bytes`).
pub fn tokenizer_json(g: &Gguf<'_>) -> Result<Json> {
    check_model(g)?;
    let pre = match g.get("tokenizer.ggml.pre") {
        Some(_) => g.get_str("tokenizer.ggml.pre")?,
        None => "gpt-2",
    };
    let (normalizer, pre_tokenizer, ignore_merges) = pre_tokenizer(pre)?;
    let tokens = strings(g, "tokenizer.ggml.tokens")?;
    let types = token_types(g, tokens.len())?;
    let merges = strings(g, "tokenizer.ggml.merges")?;

    let alphabet = byte_alphabet();
    let spelled = |t: &str| t.chars().all(|c| alphabet.contains(&c));
    let mut vocab = Map::with_capacity(tokens.len());
    let mut added = Vec::new();
    for (id, (&token, &ty)) in tokens
        .iter()
        .zip(types.iter().chain(std::iter::repeat(&1)))
        .enumerate()
    {
        // A token not in the byte alphabet is respelled byte by byte, as
        // transformers does; one marked control is a llama.cpp mislabel then
        // and is not made special (it would grow the vocabulary).
        let in_alphabet = spelled(token);
        let key = if in_alphabet {
            token.to_owned()
        } else {
            token.bytes().map(|b| alphabet[b as usize]).collect()
        };
        vocab.insert(key, json!(id));
        if (ty == CONTROL && in_alphabet) || ty == USER_DEFINED {
            added.push(json!({
                "id": id,
                "content": token,
                "single_word": false,
                "lstrip": false,
                "rstrip": false,
                "normalized": false,
                "special": ty == CONTROL,
            }));
        }
    }

    let add_bos = optional_bool(g, "tokenizer.ggml.add_bos_token")?.unwrap_or(false);
    let bos = special_token(g, &tokens, "tokenizer.ggml.bos_token_id")?;
    let post_processor = match (
        add_bos,
        &bos,
        optional_u64(g, "tokenizer.ggml.bos_token_id")?,
    ) {
        (true, Some(bos), Some(bos_id)) => json!({
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [
                {"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}},
            ],
            "special_tokens": {bos.clone(): {"id": bos, "ids": [bos_id], "tokens": [bos]}},
        }),
        _ => {
            json!({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true})
        }
    };

    Ok(json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": normalizer,
        "pre_tokenizer": pre_tokenizer,
        "post_processor": post_processor,
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {
            "type": "BPE",
            "dropout": null,
            "unk_token": null,
            "continuing_subword_prefix": null,
            "end_of_word_suffix": null,
            "fuse_unk": false,
            "byte_fallback": false,
            "ignore_merges": ignore_merges,
            "vocab": vocab,
            "merges": merges,
        },
    }))
}

/// Builds a Hugging Face `tokenizer_config.json`: the chat template
/// (`tokenizer.chat_template`), bos/eos/pad/unk token texts and the
/// add-bos/eos flags.
pub fn tokenizer_config_json(g: &Gguf<'_>) -> Result<Json> {
    check_model(g)?;
    let tokens = strings(g, "tokenizer.ggml.tokens")?;
    let chat_template = match g.get("tokenizer.chat_template") {
        Some(_) => json!(g.get_str("tokenizer.chat_template")?),
        None => Json::Null,
    };
    Ok(json!({
        "tokenizer_class": "PreTrainedTokenizerFast",
        "add_bos_token": optional_bool(g, "tokenizer.ggml.add_bos_token")?.unwrap_or(false),
        "add_eos_token": optional_bool(g, "tokenizer.ggml.add_eos_token")?.unwrap_or(false),
        "bos_token": special_token(g, &tokens, "tokenizer.ggml.bos_token_id")?,
        "eos_token": special_token(g, &tokens, "tokenizer.ggml.eos_token_id")?,
        "pad_token": special_token(g, &tokens, "tokenizer.ggml.padding_token_id")?,
        "unk_token": special_token(g, &tokens, "tokenizer.ggml.unknown_token_id")?,
        "chat_template": chat_template,
        "clean_up_tokenization_spaces": false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_alphabet_matches_gpt2() {
        let a = byte_alphabet();
        assert_eq!(a[b' ' as usize], 'Ġ');
        assert_eq!(a[b'\n' as usize], 'Ċ');
        assert_eq!(a[b'a' as usize], 'a');
        assert_eq!(a[0], 'Ā');
    }

    #[test]
    fn unknown_pre_tokenizer_is_refused_by_name() {
        let err = pre_tokenizer("deepseek-coder").unwrap_err();
        assert!(err.to_string().contains("deepseek-coder"), "{err}");
    }
}
