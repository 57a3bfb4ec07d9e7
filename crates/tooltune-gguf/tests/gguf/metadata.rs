//! Header, every metadata value type (nested arrays included), a custom
//! `general.alignment`, tensor infos and data offsets, against gguf-py's
//! reader (`metadata.json`).

use tooltune_gguf::{Gguf, Value};

use crate::common::{json, read};

#[test]
fn every_value_type_reads_as_written() {
    let bytes = read("metadata.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    assert_eq!(g.version(), 3);
    assert_eq!(g.architecture().unwrap(), "test");
    let get = |k: &str| g.get(k).unwrap().clone();
    assert_eq!(get("t.u8"), Value::U8(200));
    assert_eq!(get("t.i8"), Value::I8(-100));
    assert_eq!(get("t.u16"), Value::U16(60000));
    assert_eq!(get("t.i16"), Value::I16(-30000));
    assert_eq!(get("t.u32"), Value::U32(4_000_000_000));
    assert_eq!(get("t.i32"), Value::I32(-2_000_000_000));
    assert_eq!(get("t.f32"), Value::F32(0.25));
    assert_eq!(get("t.u64"), Value::U64(18_000_000_000_000_000_000));
    assert_eq!(get("t.i64"), Value::I64(-9_000_000_000_000_000_000));
    assert_eq!(get("t.f64"), Value::F64(2.5e-300));
    assert_eq!(get("t.bool"), Value::Bool(true));
    assert_eq!(g.get_str("t.string").unwrap(), "héllo ✓");
    assert_eq!(
        get("t.array_i32"),
        Value::Array(vec![Value::I32(1), Value::I32(-2), Value::I32(3)])
    );
    assert_eq!(
        get("t.array_str").to_json(),
        serde_json::json!(["a", "", "ç"])
    );
    assert_eq!(get("t.nested").to_json(), serde_json::json!([[1, 2], [3]]));
    // Typed getters convert between integer widths and refuse wrong types.
    assert_eq!(g.get_u64("t.u8").unwrap(), 200);
    assert!(g.get_u64("t.i8").is_err());
    assert!(g.get_str("t.u8").is_err());
    assert!(matches!(
        g.get_str("no.such.key"),
        Err(tooltune_gguf::GgufError::MissingKey { .. })
    ));
}

#[test]
fn keys_alignment_and_tensor_offsets_match_gguf_py() {
    let want = json("metadata.json");
    let bytes = read("metadata.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    let keys: Vec<&str> = g.metadata().iter().map(|(k, _)| k.as_str()).collect();
    let want_keys: Vec<&str> = want["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(keys, want_keys);
    assert_eq!(g.alignment(), 64);
    assert_eq!(g.data_offset(), want["data_offset"].as_u64().unwrap());
    let tensors = want["tensors"].as_array().unwrap();
    assert_eq!(g.tensors().len(), tensors.len());
    for (t, w) in g.tensors().iter().zip(tensors) {
        assert_eq!(t.name, w["name"].as_str().unwrap());
        assert_eq!(t.ty.name(), w["type"].as_str().unwrap());
        assert_eq!(serde_json::json!(t.dims), w["dims"]);
        assert_eq!(t.offset, w["offset"].as_u64().unwrap());
        assert_eq!(t.n_bytes, w["n_bytes"].as_u64().unwrap());
    }
    assert_eq!(g.dequantize("a").unwrap(), [0.0, 1.0, 2.0]);
    assert_eq!(g.tensor("c").unwrap().shape(), [3, 2, 32]);
    assert!(g.dequantize("c").unwrap().iter().all(|&v| v == 1.0));
}

#[test]
fn version_2_files_read_the_same() {
    let mut bytes = read("metadata.gguf");
    bytes[4..8].copy_from_slice(&2u32.to_le_bytes());
    let g = Gguf::parse(&bytes).unwrap();
    assert_eq!(g.version(), 2);
    assert_eq!(g.get_u64("t.u32").unwrap(), 4_000_000_000);
    assert_eq!(g.dequantize("a").unwrap(), [0.0, 1.0, 2.0]);
}
