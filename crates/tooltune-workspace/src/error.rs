//! The crate's error type: every variant says what was wrong and where.

/// Result alias of this crate.
pub type Result<T, E = WorkspaceError> = core::result::Result<T, E>;

/// Why a workspace could not be read, written or shared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WorkspaceError {
    /// The text is not JSON, or not a workspace of this version's shape.
    #[error("not a tooltune workspace: at {path}: {message}")]
    Json {
        /// JSON path of the first problem (`$` for the whole value).
        path: String,
        /// What is wrong there.
        message: String,
    },
    /// The state has no `version` key.
    #[error("not a tooltune workspace: it has no \"version\"")]
    MissingVersion,
    /// A version this build does not read.
    #[error(
        "this workspace is version {found}, and this tooltune reads versions 1 to {current}{}",
        if *found > u64::from(*current) { " (it was saved by a newer tooltune: update this page)" } else { "" }
    )]
    UnsupportedVersion {
        /// The version in the state.
        found: u64,
        /// The newest version this build reads.
        current: u32,
    },
    /// A share link that is not `#w=...`.
    #[error("not a tooltune share link: {0}")]
    NotAShareLink(String),
    /// The link's payload is not base64url.
    #[error("the share link is damaged: not base64url at character {position}")]
    Base64 {
        /// 0-based offset into the payload.
        position: usize,
    },
    /// The payload does not inflate (truncated or altered).
    #[error("the share link is damaged: its data does not decompress ({0})")]
    Decompress(String),
    /// Too big to decode, or too big to put in a link.
    #[error("{what} is {size} bytes, over the limit of {limit}{hint}")]
    TooBig {
        /// What was measured.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
        /// Advice, e.g. use a file export.
        hint: &'static str,
    },
    /// A dataset line could not become a table row.
    #[error("{at}: {message}")]
    Row {
        /// `source:line`.
        at: String,
        /// Why.
        message: String,
    },
    /// The data layer's error (catalogue, dataset).
    #[error("{0}")]
    Core(String),
}

impl From<tooltune_core::Error> for WorkspaceError {
    fn from(e: tooltune_core::Error) -> Self {
        WorkspaceError::Core(e.to_string())
    }
}
