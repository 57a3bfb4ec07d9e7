//! Bad input gives a typed error, never a panic: truncation at every cut
//! point, bad magic, unsupported versions, unknown and unsupported tensor
//! types, bad metadata types, lying counts, deep nesting, and a few thousand
//! random byte flips of a real fixture.

use tooltune_gguf::{Gguf, GgufError, llama, tokenizer};

use crate::common::{Kv, read, write_gguf};

#[test]
fn every_truncation_is_a_typed_error() {
    for file in ["metadata.gguf", "types/Q4_K.gguf", "tiny-llama/model.gguf"] {
        let bytes = read(file);
        // Writers pad after the last tensor; a cut there loses nothing.
        let g = Gguf::parse(&bytes).unwrap();
        let end = g
            .tensors()
            .iter()
            .map(|t| g.data_offset() + t.offset + t.n_bytes)
            .max()
            .unwrap() as usize;
        // Every cut of the small files; about 400 spread over the model.
        let step = (end / 400).max(1);
        for cut in (0..end).step_by(step).chain([end - 1]) {
            match Gguf::parse(&bytes[..cut]) {
                Err(GgufError::BadMagic { .. }) => assert!(cut < 4, "{file} cut at {cut}"),
                Err(GgufError::Truncated {
                    offset,
                    needed,
                    available,
                    ..
                }) => {
                    assert!(needed > available, "{file} cut at {cut}");
                    assert!(offset <= bytes.len() as u64);
                }
                Ok(_) => panic!("{file} cut at {cut}: parsed"),
                Err(other) => panic!("{file} cut at {cut}: {other}"),
            }
        }
    }
}

#[test]
fn truncated_data_names_the_tensor_and_offset() {
    let bytes = read("types/Q8_0.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    let start = g.data_offset() + g.tensor("t").unwrap().offset;
    let err = Gguf::parse(&bytes[..bytes.len() - 10]).unwrap_err();
    assert_eq!(
        err,
        GgufError::Truncated {
            what: "data of tensor `t`".into(),
            offset: start,
            needed: 1088,
            available: bytes.len() as u64 - 10 - start,
        }
    );
    assert!(
        err.to_string().contains(&format!("byte offset {start}")),
        "{err}"
    );
}

#[test]
fn truncated_metadata_names_the_key() {
    let bytes = read("metadata.gguf");
    let at = bytes.windows(8).position(|w| w == b"t.string").unwrap() + 8 + 4 + 8 + 2;
    let err = Gguf::parse(&bytes[..at]).unwrap_err();
    assert!(err.to_string().contains("`t.string`"), "{err}");
}

#[test]
fn bad_magic_and_versions() {
    assert!(matches!(Gguf::parse(b""), Err(GgufError::BadMagic { .. })));
    assert!(matches!(
        Gguf::parse(b"GGML\x03\0\0\0"),
        Err(GgufError::BadMagic { .. })
    ));
    let mut bytes = read("metadata.gguf");
    for (version, hint) in [
        (1u32, "version 1"),
        (4, ""),
        (3u32.swap_bytes(), "big-endian"),
    ] {
        bytes[4..8].copy_from_slice(&version.to_le_bytes());
        let err = Gguf::parse(&bytes).unwrap_err();
        assert!(matches!(err, GgufError::UnsupportedVersion { version: v, .. } if v == version));
        assert!(err.to_string().contains(hint), "{err}");
    }
}

#[test]
fn unsupported_tensor_types_are_named() {
    // Q5_0 (id 6) is a known ggml type this reader does not dequantise.
    let bytes = write_gguf(
        &[("general.architecture", Kv::string("llama"))],
        &[("w", &[32, 2], 6, vec![0; 44])],
    );
    let g = Gguf::parse(&bytes).unwrap();
    let err = g.dequantize("w").unwrap_err();
    assert_eq!(
        err,
        GgufError::UnsupportedTensorType {
            name: "w".into(),
            ty: "Q5_0".into()
        }
    );
    // An id ggml does not define fails at parse time, naming the tensor.
    let bytes = write_gguf(&[], &[("x", &[4], 99, vec![0; 16])]);
    assert_eq!(
        Gguf::parse(&bytes).unwrap_err(),
        GgufError::UnknownTensorType {
            name: "x".into(),
            type_id: 99
        }
    );
    // A row that is not a whole number of blocks.
    let bytes = write_gguf(&[], &[("y", &[16], 8, vec![0; 34])]);
    assert!(
        matches!(Gguf::parse(&bytes), Err(GgufError::InvalidTensor { name, .. }) if name == "y")
    );
}

#[test]
fn bad_metadata_types_lying_counts_and_deep_nesting() {
    let bytes = write_gguf(&[("k", Kv(13, vec![0; 8]))], &[]);
    assert!(matches!(
        Gguf::parse(&bytes),
        Err(GgufError::BadMetadataType { key, type_id: 13, .. }) if key == "k"
    ));
    // An array claiming u64::MAX strings: refused before any allocation.
    let mut arr = 8u32.to_le_bytes().to_vec();
    arr.extend(u64::MAX.to_le_bytes());
    let bytes = write_gguf(&[("tokens", Kv(9, arr))], &[]);
    assert!(matches!(
        Gguf::parse(&bytes),
        Err(GgufError::Truncated { .. })
    ));
    // A header claiming u64::MAX tensors and keys.
    let mut bytes = write_gguf(&[], &[]);
    bytes[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        Gguf::parse(&bytes),
        Err(GgufError::Truncated { .. })
    ));
    // Arrays of arrays 100 deep.
    let mut nested = Vec::new();
    for _ in 0..100 {
        nested.extend(9u32.to_le_bytes());
        nested.extend(1u64.to_le_bytes());
    }
    nested.extend(4u32.to_le_bytes());
    nested.extend(0u64.to_le_bytes());
    let bytes = write_gguf(&[("deep", Kv(9, nested))], &[]);
    assert!(matches!(
        Gguf::parse(&bytes),
        Err(GgufError::NestingTooDeep { .. })
    ));
    // A tensor whose dims overflow u64 when multiplied.
    let bytes = write_gguf(&[], &[("big", &[1 << 40, 1 << 40], 0, vec![])]);
    assert!(matches!(
        Gguf::parse(&bytes),
        Err(GgufError::InvalidTensor { .. })
    ));
    // A tensor whose data lies past the end.
    let bytes = write_gguf(&[], &[("far", &[1 << 30], 0, vec![])]);
    assert!(matches!(
        Gguf::parse(&bytes),
        Err(GgufError::Truncated { .. })
    ));
}

#[test]
fn sentencepiece_vocabularies_are_refused_by_name() {
    let bytes = write_gguf(
        &[
            ("general.architecture", Kv::string("llama")),
            ("tokenizer.ggml.model", Kv::string("llama")),
        ],
        &[],
    );
    let g = Gguf::parse(&bytes).unwrap();
    let err = tokenizer::tokenizer_json(&g).unwrap_err();
    assert!(matches!(&err, GgufError::UnsupportedTokenizer { value, .. } if value == "llama"));
    assert!(err.to_string().contains("SentencePiece"), "{err}");
    let bytes = write_gguf(
        &[
            ("general.architecture", Kv::string("llama")),
            ("tokenizer.ggml.model", Kv::string("gpt2")),
            ("tokenizer.ggml.pre", Kv::string("deepseek-llm")),
        ],
        &[],
    );
    let g = Gguf::parse(&bytes).unwrap();
    let err = tokenizer::tokenizer_json(&g).unwrap_err();
    assert!(
        matches!(&err, GgufError::UnsupportedTokenizer { value, .. } if value == "deepseek-llm")
    );
}

#[test]
fn missing_llama_keys_are_named() {
    let bytes = write_gguf(
        &[
            ("general.architecture", Kv::string("llama")),
            ("llama.attention.head_count", Kv::u32(4)),
        ],
        &[],
    );
    let g = Gguf::parse(&bytes).unwrap();
    assert_eq!(
        llama::llama_config(&g).unwrap_err(),
        GgufError::MissingKey {
            key: "llama.embedding_length".into()
        }
    );
}

/// A deterministic xorshift, so failures reproduce.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn random_byte_flips_never_panic() {
    let original = read("tiny-llama/model.gguf");
    // Flips land in the header and metadata (the first 8 KiB) most of the time.
    // TOOLTUNE_GGUF_FLIPS=N runs N mutations instead of 1500 (a poor man's
    // fuzzer where cargo-fuzz is not installed).
    let runs: usize = std::env::var("TOOLTUNE_GGUF_FLIPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..runs {
        let mut bytes = original.clone();
        for _ in 0..1 + next(&mut state) % 4 {
            let span = if next(&mut state).is_multiple_of(4) {
                bytes.len()
            } else {
                8192
            };
            let at = (next(&mut state) as usize) % span;
            bytes[at] = next(&mut state) as u8;
        }
        let Ok(g) = Gguf::parse(&bytes) else { continue };
        for t in g.tensors() {
            let _ = g.dequantize_info(t);
        }
        let _ = llama::llama_config(&g);
        let _ = llama::hf_names(&g);
        let _ = tokenizer::tokenizer_json(&g);
        let _ = tokenizer::tokenizer_config_json(&g);
    }
}
