//! Dequantisation of ggml block formats to f32, following gguf-py's
//! `gguf/quants.py` (the reference the golden tests compare against) and
//! llama.cpp's `ggml-quants.c` block layouts. Each kernel does its f32
//! arithmetic in the same order as gguf-py (`d * sc` first, then `* q`, then
//! `- dmin * m`), so results match it bit for bit.

use half::{bf16, f16};

use crate::error::{GgufError, Result};
use crate::types::GgmlType;

/// Dequantises `n_elements` values of type `ty` from `bytes`, which must hold
/// exactly that many (`ty.bytes_for(n_elements)` bytes).
pub fn dequantize(ty: GgmlType, bytes: &[u8], n_elements: u64) -> Result<Vec<f32>> {
    dequantize_named("<bytes>", ty, bytes, n_elements)
}

/// [`dequantize`] with the tensor's name for errors.
pub(crate) fn dequantize_named(
    name: &str,
    ty: GgmlType,
    bytes: &[u8],
    n_elements: u64,
) -> Result<Vec<f32>> {
    if !ty.can_dequantize() {
        return Err(GgufError::UnsupportedTensorType {
            name: name.into(),
            ty: ty.name().into(),
        });
    }
    let expected = ty.bytes_for(n_elements);
    if expected != Some(bytes.len() as u64) {
        return Err(GgufError::WrongDataSize {
            ty: ty.name().into(),
            n_elements,
            expected: expected.unwrap_or(u64::MAX),
            got: bytes.len() as u64,
        });
    }
    // `bytes` holds the whole tensor, so the element count is bounded by
    // its length times the block expansion: this allocation is safe.
    let mut out = Vec::with_capacity(n_elements as usize);
    let blocks = bytes.chunks_exact(ty.type_size() as usize);
    match ty {
        GgmlType::F32 => out.extend(blocks.map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
        GgmlType::F16 => out.extend(blocks.map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())),
        GgmlType::BF16 => out.extend(blocks.map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32())),
        GgmlType::Q8_0 => blocks.for_each(|b| q8_0(b, &mut out)),
        GgmlType::Q4_0 => blocks.for_each(|b| q4_0(b, &mut out)),
        GgmlType::Q4_1 => blocks.for_each(|b| q4_1(b, &mut out)),
        GgmlType::Q4_K => blocks.for_each(|b| q4_k(b, &mut out)),
        GgmlType::Q5_K => blocks.for_each(|b| q5_k(b, &mut out)),
        GgmlType::Q6_K => blocks.for_each(|b| q6_k(b, &mut out)),
        _ => unreachable!("can_dequantize lists the types handled here"),
    }
    Ok(out)
}

fn half(b: &[u8], at: usize) -> f32 {
    f16::from_le_bytes([b[at], b[at + 1]]).to_f32()
}

/// Q8_0: f16 scale `d`, 32 × i8; `x = d * q`.
fn q8_0(b: &[u8], out: &mut Vec<f32>) {
    let d = half(b, 0);
    out.extend(b[2..34].iter().map(|&q| f32::from(q as i8) * d));
}

/// Q4_0: f16 `d`, 16 bytes of nibbles; byte j holds element j (low) and
/// j + 16 (high); `x = d * (q - 8)`.
fn q4_0(b: &[u8], out: &mut Vec<f32>) {
    let d = half(b, 0);
    let qs = &b[2..18];
    out.extend(qs.iter().map(|&q| d * f32::from((q & 0x0F) as i8 - 8)));
    out.extend(qs.iter().map(|&q| d * f32::from((q >> 4) as i8 - 8)));
}

/// Q4_1: f16 `d`, f16 `m`, nibbles as Q4_0; `x = d * q + m`.
fn q4_1(b: &[u8], out: &mut Vec<f32>) {
    let (d, m) = (half(b, 0), half(b, 2));
    let qs = &b[4..20];
    out.extend(qs.iter().map(|&q| d * f32::from(q & 0x0F) + m));
    out.extend(qs.iter().map(|&q| d * f32::from(q >> 4) + m));
}

/// The 6-bit scales and mins of the 8 sub-blocks of a Q4_K / Q5_K block,
/// packed in 12 bytes (llama.cpp `get_scale_min_k4`).
fn scale_min_k4(s: &[u8]) -> ([u8; 8], [u8; 8]) {
    let (mut sc, mut mn) = ([0u8; 8], [0u8; 8]);
    for j in 0..4 {
        sc[j] = s[j] & 0x3F;
        mn[j] = s[j + 4] & 0x3F;
        sc[j + 4] = (s[j + 8] & 0x0F) | ((s[j] >> 2) & 0x30);
        mn[j + 4] = (s[j + 8] >> 4) | ((s[j + 4] >> 2) & 0x30);
    }
    (sc, mn)
}

/// Q4_K: f16 `d`, f16 `dmin`, 12 bytes of scales/mins, 128 bytes of nibbles.
/// 8 sub-blocks of 32; each 32-byte run of `qs` holds sub-block 2i (low
/// nibbles) and 2i + 1 (high); `x = (d * sc) * q - dmin * m`.
fn q4_k(b: &[u8], out: &mut Vec<f32>) {
    let (d, dmin) = (half(b, 0), half(b, 2));
    let (sc, mn) = scale_min_k4(&b[4..16]);
    let qs = &b[16..144];
    for sub in 0..8 {
        let (dl, ml) = (d * f32::from(sc[sub]), dmin * f32::from(mn[sub]));
        let run = &qs[32 * (sub / 2)..32 * (sub / 2) + 32];
        let shift = 4 * (sub % 2);
        out.extend(
            run.iter()
                .map(|&q| dl * f32::from((q >> shift) & 0x0F) - ml),
        );
    }
}

/// Q5_K: as Q4_K plus 32 bytes `qh` whose bit `sub` of byte l is the fifth
/// bit of element l of sub-block `sub`.
fn q5_k(b: &[u8], out: &mut Vec<f32>) {
    let (d, dmin) = (half(b, 0), half(b, 2));
    let (sc, mn) = scale_min_k4(&b[4..16]);
    let qh = &b[16..48];
    let qs = &b[48..176];
    for sub in 0..8 {
        let (dl, ml) = (d * f32::from(sc[sub]), dmin * f32::from(mn[sub]));
        let run = &qs[32 * (sub / 2)..32 * (sub / 2) + 32];
        let shift = 4 * (sub % 2);
        out.extend(run.iter().zip(qh).map(|(&q, &h)| {
            let q = ((q >> shift) & 0x0F) | (((h >> sub) & 1) << 4);
            dl * f32::from(q) - ml
        }));
    }
}

/// Q6_K: 128 bytes `ql` (low 4 bits), 64 bytes `qh` (high 2 bits), 16 × i8
/// scales (one per 16 elements), f16 `d`; `x = (d * scale) * (q - 32)`.
/// Element e of half h = e / 128 (r = e % 128) takes nibble r / 64 of
/// `ql[64h + r % 64]` and bit pair r / 32 of `qh[32h + r % 32]`.
fn q6_k(b: &[u8], out: &mut Vec<f32>) {
    let (ql, qh, scales) = (&b[0..128], &b[128..192], &b[192..208]);
    let d = half(b, 208);
    for e in 0..256 {
        let (h, r) = (e / 128, e % 128);
        let lo = (ql[64 * h + r % 64] >> (4 * (r / 64))) & 0x0F;
        let hi = (qh[32 * h + r % 32] >> (2 * (r / 32))) & 0x03;
        let q = (lo | (hi << 4)) as i8 - 32;
        let dl = d * f32::from(scales[e / 16] as i8);
        out.push(dl * f32::from(q));
    }
}
