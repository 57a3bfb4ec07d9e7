//! Fixture paths and readers shared by the test modules.

use std::path::PathBuf;

/// `tests/fixtures/gguf` at the repository root.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/gguf")
}

/// A fixture file's bytes.
pub fn read(rel: &str) -> Vec<u8> {
    let path = fixtures().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture JSON file.
pub fn json(rel: &str) -> serde_json::Value {
    serde_json::from_slice(&read(rel)).unwrap()
}

/// Raw little-endian f32 values.
pub fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Asserts `|a - b| <= rel * max(|a|, |b|)` (or bitwise equality when
/// `rel == 0`), naming the first index that differs.
pub fn assert_close(what: &str, got: &[f32], want: &[f32], rel: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = if rel == 0.0 {
            g.to_bits() == w.to_bits()
        } else {
            (g - w).abs() <= rel * g.abs().max(w.abs())
        };
        assert!(ok, "{what}[{i}]: got {g:e}, want {w:e}");
    }
}

/// A metadata value for [`write_gguf`]: its GGUF type id and encoded bytes.
pub struct Kv(pub u32, pub Vec<u8>);

impl Kv {
    /// A string value.
    pub fn string(s: &str) -> Self {
        let mut b = (s.len() as u64).to_le_bytes().to_vec();
        b.extend_from_slice(s.as_bytes());
        Kv(8, b)
    }
    /// A u32 value.
    pub fn u32(v: u32) -> Self {
        Kv(4, v.to_le_bytes().to_vec())
    }
}

/// A minimal GGUF v3 writer (alignment 32) for files gguf-py will not
/// write: unknown types, lying counts. `tensors` are (name, ne dims, ggml
/// type id, data).
pub fn write_gguf(kvs: &[(&str, Kv)], tensors: &[(&str, &[u64], u32, Vec<u8>)]) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend(3u32.to_le_bytes());
    b.extend((tensors.len() as u64).to_le_bytes());
    b.extend((kvs.len() as u64).to_le_bytes());
    let string = |b: &mut Vec<u8>, s: &str| {
        b.extend((s.len() as u64).to_le_bytes());
        b.extend(s.as_bytes());
    };
    for (k, Kv(ty, v)) in kvs {
        string(&mut b, k);
        b.extend(ty.to_le_bytes());
        b.extend(v);
    }
    let mut offset = 0u64;
    for (name, dims, ty, data) in tensors {
        string(&mut b, name);
        b.extend((dims.len() as u32).to_le_bytes());
        for d in *dims {
            b.extend(d.to_le_bytes());
        }
        b.extend(ty.to_le_bytes());
        b.extend(offset.to_le_bytes());
        offset += (data.len() as u64).div_ceil(32) * 32;
    }
    while !b.len().is_multiple_of(32) {
        b.push(0);
    }
    for (_, _, _, data) in tensors {
        b.extend(data);
        while !b.len().is_multiple_of(32) {
            b.push(0);
        }
    }
    b
}
