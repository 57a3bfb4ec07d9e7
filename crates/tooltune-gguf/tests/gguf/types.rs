//! Every supported ggml type dequantises to gguf-py's `quants.dequantize`
//! values: bit-exact for F32/F16/BF16, within 1e-6 relative for the block
//! formats (they come out bit-exact too, since the arithmetic order matches).

use tooltune_gguf::{GgmlType, Gguf};

use crate::common::{assert_close, f32s, read};

fn check(ty: &str, rel: f32) {
    let bytes = read(&format!("types/{ty}.gguf"));
    let want = f32s(&read(&format!("types/{ty}.f32")));
    let g = Gguf::parse(&bytes).unwrap();
    let t = g.tensor("t").unwrap();
    assert_eq!(t.ty.name(), ty);
    assert_eq!(t.dims, [256, 4], "GGUF order: ne[0] first");
    assert_eq!(t.shape(), [4, 256], "row-major shape: reversed");
    let got = g.dequantize("t").unwrap();
    assert_eq!(got.len(), 1024);
    assert_close(ty, &got, &want, rel);
}

#[test]
fn f32_is_exact() {
    check("F32", 0.0);
}

#[test]
fn f16_is_exact() {
    check("F16", 0.0);
}

#[test]
fn bf16_is_exact() {
    check("BF16", 0.0);
}

#[test]
fn q8_0_matches_gguf_py() {
    check("Q8_0", 1e-6);
}

#[test]
fn q4_0_matches_gguf_py() {
    check("Q4_0", 1e-6);
}

#[test]
fn q4_1_matches_gguf_py() {
    check("Q4_1", 1e-6);
}

#[test]
fn q4_k_matches_gguf_py() {
    check("Q4_K", 1e-6);
}

#[test]
fn q5_k_matches_gguf_py() {
    check("Q5_K", 1e-6);
}

#[test]
fn q6_k_matches_gguf_py() {
    check("Q6_K", 1e-6);
}

#[test]
fn raw_dequantize_checks_the_byte_count() {
    let bytes = read("types/Q8_0.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    let t = g.tensor("t").unwrap();
    let data = g.tensor_bytes(t).unwrap();
    assert_eq!(
        tooltune_gguf::dequantize(GgmlType::Q8_0, data, 1024).unwrap(),
        g.dequantize("t").unwrap()
    );
    let err = tooltune_gguf::dequantize(GgmlType::Q8_0, &data[1..], 1024).unwrap_err();
    assert!(
        matches!(
            err,
            tooltune_gguf::GgufError::WrongDataSize {
                expected: 1088,
                got: 1087,
                ..
            }
        ),
        "{err}"
    );
}
