//! Ingest errors: why a line is malformed, and where.

use std::fmt;

/// Why a line could not be read as a post.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IngestErrorKind {
    /// The line is longer than the parser's maximum; it was not buffered.
    LineTooLong {
        /// The line's length, or as much of it as the reader saw before giving up.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// The line is not valid JSON.
    Json {
        /// simd-json's description of the error.
        message: String,
    },
    /// The line is JSON but not an object.
    NotAnObject,
    /// A v2 API page (`data` is an array of posts); only single posts are read.
    V2Page,
    /// The post has no id.
    MissingId,
    /// The post has no text.
    MissingText,
    /// The post has no user.
    MissingUser,
}

/// A malformed line: what is wrong and the byte offset in the line where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngestError {
    kind: IngestErrorKind,
    offset: usize,
}

impl IngestError {
    pub(crate) fn new(kind: IngestErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }

    /// The error for a line of `len` bytes over the maximum `max`; a reader that stops buffering
    /// a line at the maximum reports it with this (see
    /// [`Parser::max_line_len`](super::Parser::max_line_len)).
    pub fn line_too_long(len: usize, max: usize) -> Self {
        Self::new(IngestErrorKind::LineTooLong { len, max }, max)
    }

    /// What is wrong.
    pub fn kind(&self) -> &IngestErrorKind {
        &self.kind
    }

    /// The byte offset in the line where the problem was found (0 for a post missing a part).
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            IngestErrorKind::LineTooLong { len, max } => {
                write!(f, "line of {len} bytes is over the maximum of {max} bytes")?;
            }
            IngestErrorKind::Json { message } => write!(f, "invalid JSON: {message}")?,
            IngestErrorKind::NotAnObject => f.write_str("not a JSON object")?,
            IngestErrorKind::V2Page => {
                f.write_str("a v2 API page (`data` is an array) is not a single post")?;
            }
            IngestErrorKind::MissingId => f.write_str("post has no id")?,
            IngestErrorKind::MissingText => f.write_str("post has no text")?,
            IngestErrorKind::MissingUser => f.write_str("post has no user")?,
        }
        write!(f, " (at byte {})", self.offset)
    }
}

impl std::error::Error for IngestError {}
