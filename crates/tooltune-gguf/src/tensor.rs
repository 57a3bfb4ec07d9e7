//! Tensor infos: a tensor's name, dimensions, type and data offset, checked
//! as they are read (dimension count, element and byte counts without
//! overflow, whole blocks), and the bounds-checked slice of its data.

use crate::error::{GgufError, Result};
use crate::reader::Reader;
use crate::types::GgmlType;

/// ggml tensors have at most this many dimensions.
pub const MAX_DIMS: u32 = 4;

/// One tensor's header: where its data is and how to read it.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// The llama.cpp name, e.g. `blk.0.attn_q.weight`.
    pub name: String,
    /// Dimensions in GGUF order: `ne[0]` (the fastest-varying) first.
    pub dims: Vec<u64>,
    /// Element type.
    pub ty: GgmlType,
    /// Offset of the data from the start of the data section.
    pub offset: u64,
    /// Number of elements (product of `dims`).
    pub n_elements: u64,
    /// Bytes of data.
    pub n_bytes: u64,
}

impl TensorInfo {
    /// The row-major shape as PyTorch / Hugging Face see it: `dims` reversed.
    pub fn shape(&self) -> Vec<usize> {
        // `parse` checked that every dim fits in usize.
        self.dims.iter().rev().map(|&d| d as usize).collect()
    }
}

pub(crate) fn read_tensor_info(r: &mut Reader<'_>, index: usize) -> Result<TensorInfo> {
    let name = r.string(|| format!("name of tensor #{index}"))?;
    let n_dims = r.u32(|| format!("dimension count of tensor `{name}`"))?;
    let invalid = |reason: String| GgufError::InvalidTensor {
        name: name.clone(),
        reason,
    };
    if n_dims > MAX_DIMS {
        return Err(invalid(format!(
            "{n_dims} dimensions (ggml allows at most {MAX_DIMS})"
        )));
    }
    let mut dims = Vec::with_capacity(n_dims as usize);
    for _ in 0..n_dims {
        let d = r.u64(|| format!("dimensions of tensor `{name}`"))?;
        if usize::try_from(d).is_err() {
            return Err(invalid(format!("dimension {d} does not fit in memory")));
        }
        dims.push(d);
    }
    let type_id = r.u32(|| format!("type of tensor `{name}`"))?;
    let offset = r.u64(|| format!("data offset of tensor `{name}`"))?;
    let ty = GgmlType::from_id(type_id).ok_or_else(|| GgufError::UnknownTensorType {
        name: name.clone(),
        type_id,
    })?;
    let n_elements = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| invalid(format!("element count of dimensions {dims:?} overflows")))?;
    if dims.first().is_some_and(|&ne0| ne0 % ty.block_size() != 0) {
        return Err(invalid(format!(
            "first dimension {} is not a multiple of {ty}'s block size {}",
            dims[0],
            ty.block_size()
        )));
    }
    let n_bytes = ty.bytes_for(n_elements).ok_or_else(|| {
        invalid(format!(
            "{n_elements} elements are not whole {ty} blocks of {}, or their byte size overflows",
            ty.block_size()
        ))
    })?;
    Ok(TensorInfo {
        name,
        dims,
        ty,
        offset,
        n_elements,
        n_bytes,
    })
}

/// The tensor's data slice, or `Truncated` naming the tensor.
pub(crate) fn data_range<'a>(
    bytes: &'a [u8],
    data_offset: u64,
    t: &TensorInfo,
) -> Result<&'a [u8]> {
    let len = bytes.len() as u64;
    let truncated = |start: u64| GgufError::Truncated {
        what: format!("data of tensor `{}`", t.name),
        offset: start,
        needed: t.n_bytes,
        available: len.saturating_sub(start),
    };
    let start = data_offset
        .checked_add(t.offset)
        .ok_or_else(|| truncated(u64::MAX))?;
    let end = start
        .checked_add(t.n_bytes)
        .ok_or_else(|| truncated(start))?;
    if end > len {
        return Err(truncated(start));
    }
    // Both fit in the slice's length, so in usize.
    Ok(&bytes[start as usize..end as usize])
}
