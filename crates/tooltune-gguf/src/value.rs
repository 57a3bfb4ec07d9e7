//! GGUF metadata values: the thirteen value types of the spec, read with
//! bounded nesting and counts capped by the bytes left.

use crate::error::{GgufError, Result};
use crate::reader::Reader;

/// Arrays of arrays deeper than this are refused (each level costs stack).
pub const MAX_ARRAY_NESTING: usize = 8;

/// One metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Type 0.
    U8(u8),
    /// Type 1.
    I8(i8),
    /// Type 2.
    U16(u16),
    /// Type 3.
    I16(i16),
    /// Type 4.
    U32(u32),
    /// Type 5.
    I32(i32),
    /// Type 6.
    F32(f32),
    /// Type 7 (any non-zero byte reads as true).
    Bool(bool),
    /// Type 8.
    String(String),
    /// Type 9: elements all of one type.
    Array(Vec<Value>),
    /// Type 10.
    U64(u64),
    /// Type 11.
    I64(i64),
    /// Type 12.
    F64(f64),
}

impl Value {
    /// The spec's name of this value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::U8(_) => "uint8",
            Self::I8(_) => "int8",
            Self::U16(_) => "uint16",
            Self::I16(_) => "int16",
            Self::U32(_) => "uint32",
            Self::I32(_) => "int32",
            Self::F32(_) => "float32",
            Self::Bool(_) => "bool",
            Self::String(_) => "string",
            Self::Array(_) => "array",
            Self::U64(_) => "uint64",
            Self::I64(_) => "int64",
            Self::F64(_) => "float64",
        }
    }

    /// Any integer type as u64 (negative values give `None`).
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Self::U8(v) => Some(v.into()),
            Self::U16(v) => Some(v.into()),
            Self::U32(v) => Some(v.into()),
            Self::U64(v) => Some(v),
            Self::I8(v) => u64::try_from(v).ok(),
            Self::I16(v) => u64::try_from(v).ok(),
            Self::I32(v) => u64::try_from(v).ok(),
            Self::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// Any integer type as i64 (u64 above i64::MAX gives `None`).
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Self::U8(v) => Some(v.into()),
            Self::U16(v) => Some(v.into()),
            Self::U32(v) => Some(v.into()),
            Self::U64(v) => i64::try_from(v).ok(),
            Self::I8(v) => Some(v.into()),
            Self::I16(v) => Some(v.into()),
            Self::I32(v) => Some(v.into()),
            Self::I64(v) => Some(v),
            _ => None,
        }
    }

    /// Any float or integer type as f64.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Self::F32(v) => Some(v.into()),
            Self::F64(v) => Some(v),
            _ => self.as_i64().map(|v| v as f64),
        }
    }

    /// A bool (integers 0/1 are not accepted: the spec has a bool type).
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Self::Bool(v) => Some(v),
            _ => None,
        }
    }

    /// A string's text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// An array's elements.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Self::Array(v) => Some(v),
            _ => None,
        }
    }

    /// Reads a value of type `type_id` for `key`. `depth` counts enclosing arrays.
    pub(crate) fn read(r: &mut Reader<'_>, type_id: u32, key: &str, depth: usize) -> Result<Value> {
        let what = || format!("value of metadata key `{key}`");
        Ok(match type_id {
            0 => Self::U8(r.u8(what)?),
            1 => Self::I8(r.i8(what)?),
            2 => Self::U16(r.u16(what)?),
            3 => Self::I16(r.i16(what)?),
            4 => Self::U32(r.u32(what)?),
            5 => Self::I32(r.i32(what)?),
            6 => Self::F32(r.f32(what)?),
            7 => Self::Bool(r.u8(what)? != 0),
            8 => Self::String(r.string(what)?),
            9 => Self::read_array(r, key, depth)?,
            10 => Self::U64(r.u64(what)?),
            11 => Self::I64(r.i64(what)?),
            12 => Self::F64(r.f64(what)?),
            _ => {
                return Err(GgufError::BadMetadataType {
                    key: key.to_owned(),
                    type_id,
                    offset: r.pos().saturating_sub(4) as u64,
                });
            }
        })
    }

    fn read_array(r: &mut Reader<'_>, key: &str, depth: usize) -> Result<Value> {
        let header = r.pos() as u64;
        if depth >= MAX_ARRAY_NESTING {
            return Err(GgufError::NestingTooDeep {
                key: key.to_owned(),
                offset: header,
                limit: MAX_ARRAY_NESTING,
            });
        }
        let what = || format!("array header of metadata key `{key}`");
        let elem_type = r.u32(what)?;
        let count = r.u64(what)?;
        let min_size = match elem_type {
            0 | 1 | 7 => 1,
            2 | 3 => 2,
            4..=6 => 4,
            8 | 10..=12 => 8,
            9 => 12,
            _ => {
                return Err(GgufError::BadMetadataType {
                    key: key.to_owned(),
                    type_id: elem_type,
                    offset: header,
                });
            }
        };
        let count = r.check_count(count, min_size, || {
            format!("{count} array elements of metadata key `{key}`")
        })?;
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            items.push(Self::read(r, elem_type, key, depth + 1)?);
        }
        Ok(Self::Array(items))
    }

    /// A JSON view of the value (for printing metadata).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Self::U8(v) => J::from(*v),
            Self::I8(v) => J::from(*v),
            Self::U16(v) => J::from(*v),
            Self::I16(v) => J::from(*v),
            Self::U32(v) => J::from(*v),
            Self::I32(v) => J::from(*v),
            Self::F32(v) => J::from(f64::from(*v)),
            Self::Bool(v) => J::from(*v),
            Self::String(v) => J::from(v.as_str()),
            Self::Array(v) => J::Array(v.iter().map(Self::to_json).collect()),
            Self::U64(v) => J::from(*v),
            Self::I64(v) => J::from(*v),
            Self::F64(v) => J::from(*v),
        }
    }
}
