//! The GGUF container: header, metadata, tensor infos, alignment and the data
//! section, read from a byte slice (GGUF spec, ggml `docs/gguf.md`; gguf-py
//! `gguf_reader.py` is the reference reader).

use std::collections::HashMap;

use crate::dequant;
use crate::error::{GgufError, Result};
use crate::reader::Reader;
use crate::tensor::{TensorInfo, data_range, read_tensor_info};
use crate::value::Value;

/// `GGUF` as the first four bytes.
pub const MAGIC: &[u8; 4] = b"GGUF";
/// The data section's alignment when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;

/// A parsed GGUF file borrowing its bytes.
#[derive(Debug, Clone)]
pub struct Gguf<'a> {
    bytes: &'a [u8],
    version: u32,
    metadata: Vec<(String, Value)>,
    tensors: Vec<TensorInfo>,
    by_name: HashMap<String, usize>,
    alignment: u64,
    data_offset: u64,
}

impl<'a> Gguf<'a> {
    /// Parses the header, metadata and tensor infos, and checks that every
    /// tensor's data lies inside `bytes`. Tensor data is read on demand.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if bytes.len() < 4 || &bytes[..4] != MAGIC {
            return Err(GgufError::BadMagic {
                found: bytes.iter().take(4).copied().collect(),
            });
        }
        r.take(4, || "magic".into())?;
        let version = r.u32(|| "version".into())?;
        if version != 2 && version != 3 {
            let hint = if matches!(version.swap_bytes(), 2 | 3) {
                " (the file looks big-endian; only little-endian files are read)"
            } else if version == 1 {
                " (version 1 used 32-bit counts; re-convert the model with a current llama.cpp)"
            } else {
                ""
            };
            return Err(GgufError::UnsupportedVersion {
                version,
                hint: hint.into(),
            });
        }
        let n_tensors = r.u64(|| "tensor count".into())?;
        let n_kv = r.u64(|| "metadata count".into())?;
        // A key-value pair takes at least 8 (key length) + 4 (type) + 1 bytes.
        let n_kv = r.check_count(n_kv, 13, || format!("{n_kv} metadata entries"))?;
        let mut metadata = Vec::with_capacity(n_kv);
        for i in 0..n_kv {
            let key = r.string(|| format!("metadata key #{i}"))?;
            let type_id = r.u32(|| format!("type of metadata key `{key}`"))?;
            let value = Value::read(&mut r, type_id, &key, 0)?;
            metadata.push((key, value));
        }
        let alignment = alignment(&metadata)?;

        // A tensor info takes at least 8 (name length) + 4 + 4 + 8 bytes.
        let n_tensors = r.check_count(n_tensors, 24, || format!("{n_tensors} tensor infos"))?;
        let mut tensors = Vec::with_capacity(n_tensors);
        let mut by_name = HashMap::with_capacity(n_tensors);
        for i in 0..n_tensors {
            let info = read_tensor_info(&mut r, i)?;
            if by_name.insert(info.name.clone(), i).is_some() {
                return Err(GgufError::InvalidTensor {
                    name: info.name,
                    reason: "a second tensor has the same name".into(),
                });
            }
            tensors.push(info);
        }

        let data_offset =
            align_up(r.pos() as u64, alignment).ok_or_else(|| GgufError::BadAlignment {
                value: alignment.to_string(),
            })?;
        for t in &tensors {
            if t.offset % alignment != 0 {
                return Err(GgufError::InvalidTensor {
                    name: t.name.clone(),
                    reason: format!(
                        "data offset {} is not a multiple of the alignment {alignment}",
                        t.offset
                    ),
                });
            }
            data_range(bytes, data_offset, t)?;
        }
        Ok(Self {
            bytes,
            version,
            metadata,
            tensors,
            by_name,
            alignment,
            data_offset,
        })
    }

    /// The GGUF version (2 or 3).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// All metadata in file order.
    pub fn metadata(&self) -> &[(String, Value)] {
        &self.metadata
    }

    /// The value of a metadata key (the first, should a file repeat one).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A required metadata value.
    pub fn require(&self, key: &str) -> Result<&Value> {
        self.get(key)
            .ok_or_else(|| GgufError::MissingKey { key: key.into() })
    }

    /// A required string value.
    pub fn get_str(&self, key: &str) -> Result<&str> {
        let v = self.require(key)?;
        v.as_str().ok_or_else(|| wrong_type(key, "a string", v))
    }

    /// A required non-negative integer value (any integer type).
    pub fn get_u64(&self, key: &str) -> Result<u64> {
        let v = self.require(key)?;
        v.as_u64()
            .ok_or_else(|| wrong_type(key, "a non-negative integer", v))
    }

    /// A required number (any float or integer type).
    pub fn get_f64(&self, key: &str) -> Result<f64> {
        let v = self.require(key)?;
        v.as_f64().ok_or_else(|| wrong_type(key, "a number", v))
    }

    /// A required array value.
    pub fn get_array(&self, key: &str) -> Result<&[Value]> {
        let v = self.require(key)?;
        v.as_array().ok_or_else(|| wrong_type(key, "an array", v))
    }

    /// `general.architecture`, e.g. `llama`.
    pub fn architecture(&self) -> Result<&str> {
        self.get_str("general.architecture")
    }

    /// Tensor infos in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// The tensor info of that name.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.by_name.get(name).map(|&i| &self.tensors[i])
    }

    /// The data section's alignment (`general.alignment`, default 32).
    pub fn alignment(&self) -> u64 {
        self.alignment
    }

    /// Byte offset of the data section in the file.
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }

    /// The raw bytes of a tensor's data.
    pub fn tensor_bytes(&self, info: &TensorInfo) -> Result<&'a [u8]> {
        data_range(self.bytes, self.data_offset, info)
    }

    /// A tensor's values as f32, in GGUF element order (row-major for
    /// [`TensorInfo::shape`]).
    pub fn dequantize(&self, name: &str) -> Result<Vec<f32>> {
        let info = self
            .tensor(name)
            .ok_or_else(|| GgufError::NoSuchTensor { name: name.into() })?;
        self.dequantize_info(info)
    }

    /// [`Gguf::dequantize`] for a tensor info in hand.
    pub fn dequantize_info(&self, info: &TensorInfo) -> Result<Vec<f32>> {
        let bytes = self.tensor_bytes(info)?;
        dequant::dequantize_named(&info.name, info.ty, bytes, info.n_elements)
    }
}

fn wrong_type(key: &str, expected: &str, found: &Value) -> GgufError {
    GgufError::WrongKeyType {
        key: key.into(),
        expected: expected.into(),
        found: format!("{} {}", found.type_name(), short(found)),
    }
}

/// A value shortened for an error message.
fn short(v: &Value) -> String {
    let s = v.to_json().to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

fn alignment(metadata: &[(String, Value)]) -> Result<u64> {
    let Some((_, v)) = metadata.iter().find(|(k, _)| k == "general.alignment") else {
        return Ok(DEFAULT_ALIGNMENT);
    };
    match v.as_u64() {
        Some(a) if a.is_power_of_two() => Ok(a),
        _ => Err(GgufError::BadAlignment { value: short(v) }),
    }
}

fn align_up(pos: u64, alignment: u64) -> Option<u64> {
    pos.checked_add(alignment - 1)
        .map(|p| p / alignment * alignment)
}
