//! Errors of the data layer. Every variant says what was wrong and where: the
//! input's name, the line, and the JSON path inside the line where one applies.

use std::fmt;

/// Where in the user's input something was found: a source name (a file path,
/// "pasted catalogue", ...) and, for line-based formats, the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Location {
    /// The input's name as the user knows it (usually the file path).
    pub source: String,
    /// 1-based line number for JSONL inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Location {
    /// A whole input, no line.
    pub fn whole(source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            line: None,
        }
    }

    /// One line of a line-based input.
    pub fn line(source: impl Into<String>, line: usize) -> Self {
        Self {
            source: source.into(),
            line: Some(line),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.source, line),
            None => write!(f, "{}", self.source),
        }
    }
}

/// The data layer's error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not valid JSON (syntax, nesting too deep, ...).
    #[error("{at}: invalid JSON: {detail}")]
    Json { at: Location, detail: String },
    /// The bytes are not UTF-8.
    #[error("{at}: not valid UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 { at: Location, offset: usize },
    /// A line is longer than the reader accepts.
    #[error("{at}: line is {bytes} bytes, over the {limit}-byte limit for one example")]
    LineTooLong {
        at: Location,
        bytes: usize,
        limit: usize,
    },
    /// Valid JSON of the wrong shape: a missing field, a wrong type, an unknown role.
    #[error("{at}: {path}: {message}")]
    Shape {
        at: Location,
        path: String,
        message: String,
    },
    /// A tool catalogue with problems; each names the tool and the JSON path.
    #[error("{at}: tool catalogue has {} problem(s):\n{}", problems.len(), problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Catalogue {
        at: Location,
        problems: Vec<crate::catalogue::Problem>,
    },
    /// Something the requested conversion cannot express.
    #[error("{at}: cannot convert: {message}")]
    Convert { at: Location, message: String },
    /// A gold assistant turn that cannot be read as calls or the no-tool
    /// path (broken router JSON, a call in a syntax gold does not use).
    #[error("{at}: {path}: gold turn cannot be read: {error}")]
    Gold {
        at: Location,
        path: String,
        error: crate::parse::ParseError,
    },
    /// A usage error: an argument combination that makes no sense.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// A shape error at `path` of the value found at `at`.
    pub fn shape(at: &Location, path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Shape {
            at: at.clone(),
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Result alias of the data layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;
