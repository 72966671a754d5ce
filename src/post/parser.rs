//! The reusable parser: copies a line into a padded buffer, builds a simd-json tape, classifies
//! the line and extracts the post view, reusing every buffer from one line to the next.

use simd_json::{Buffers, INPUT_PADDING, Tape, fill_tape_padded};

use super::classify::{Class, SkipKind, classify, is_blank};
use super::error::{IngestError, IngestErrorKind};
use super::scratch::Home;
use super::tape::is_object;
use super::values::Format;
use super::view::Post;
use super::{activity, native, v2};

/// What a line turned out to be.
#[derive(Debug)]
pub enum Line<'p> {
    /// A post.
    Post(Post<'p>),
    /// A line that is not a post (a keep-alive or a stream message), to be skipped and counted.
    Skipped(SkipKind),
}

/// A reusable post parser. Keep one per thread: it owns the padded input copy, simd-json's
/// buffers, the tape and the view's scratch space, so that parsing a typical post allocates
/// nothing once they have grown.
///
/// ```
/// use powertrack::post::{Kind, Line, Parser};
///
/// let mut parser = Parser::new();
/// let line = br#"{"id_str":"20","text":"just setting up my twttr","user":{"id_str":"12","screen_name":"jack"},"lang":"en"}"#;
/// match parser.parse(line)? {
///     Line::Post(post) => {
///         assert_eq!(post.id(), 20);
///         assert_eq!(post.kind(), Kind::Original);
///         assert_eq!(post.root().text(), "just setting up my twttr");
///         assert_eq!(post.user().screen_name(), Some("jack"));
///         assert_eq!(post.lang(), Some("en"));
///     }
///     Line::Skipped(kind) => unreachable!("{kind:?}"),
/// }
/// assert!(matches!(parser.parse(b"\r\n")?, Line::Skipped(_)));
/// # Ok::<(), powertrack::post::IngestError>(())
/// ```
pub struct Parser {
    input: Vec<u8>,
    buffers: Buffers,
    home: Home,
    max_line_len: usize,
}

impl std::fmt::Debug for Parser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parser")
            .field("max_line_len", &self.max_line_len)
            .finish_non_exhaustive()
    }
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// The default maximum line length: 1 MiB (1,048,576 bytes).
    pub const DEFAULT_MAX_LINE_LEN: usize = 1 << 20;

    /// A parser with the default maximum line length.
    pub fn new() -> Self {
        Self::with_max_line_len(Self::DEFAULT_MAX_LINE_LEN)
    }

    /// A parser that rejects lines longer than `max` bytes.
    pub fn with_max_line_len(max: usize) -> Self {
        let typical = 16 * 1024;
        Self {
            input: Vec::with_capacity(typical + INPUT_PADDING),
            buffers: Buffers::new(typical),
            home: Home::default(),
            max_line_len: max,
        }
    }

    /// The maximum line length. A reader should stop buffering a line once it is longer than
    /// this and report [`IngestError::line_too_long`] (or call [`Parser::check_line_len`]).
    pub fn max_line_len(&self) -> usize {
        self.max_line_len
    }

    /// `Ok` when a line of `len` bytes is within the maximum.
    ///
    /// # Errors
    ///
    /// [`IngestErrorKind::LineTooLong`] when `len` is over the maximum.
    pub fn check_line_len(&self, len: usize) -> Result<(), IngestError> {
        if len > self.max_line_len {
            Err(IngestError::line_too_long(len, self.max_line_len))
        } else {
            Ok(())
        }
    }

    /// Parses one line (without or with its `\n` / `\r\n`). The line itself is not changed:
    /// it is copied into the parser's buffer, which simd-json rewrites in place.
    ///
    /// # Errors
    ///
    /// An [`IngestError`] with the byte offset in the line when the line is too long, is not
    /// JSON, is not an object, is a v2 page, or is a post without id, text or user.
    pub fn parse<'p>(&'p mut self, line: &[u8]) -> Result<Line<'p>, IngestError> {
        self.check_line_len(line.len())?;
        if is_blank(line) {
            return Ok(Line::Skipped(SkipKind::Blank));
        }
        let Self {
            input,
            buffers,
            home,
            ..
        } = self;
        let len = line.len();
        input.clear();
        input.extend_from_slice(line);
        input.resize(len + INPUT_PADDING, b' ');
        let mut tape: Tape<'p> = home.tape.take().unwrap_or_else(|| Tape(Vec::new())).reset();
        if let Err(e) = fill_tape_padded(input.as_mut_slice(), len, buffers, &mut tape) {
            home.tape = Some(tape.reset());
            return Err(IngestError::new(
                IngestErrorKind::Json {
                    message: format!("{:?}", e.error()),
                },
                e.index().min(len),
            ));
        }
        if !is_object(&tape.0, 0) {
            home.tape = Some(tape.reset());
            return Err(IngestError::new(
                IngestErrorKind::NotAnObject,
                first_non_blank(line),
            ));
        }
        let format = match classify(&tape.0) {
            Class::Post(format) => format,
            Class::Skip(kind) => {
                home.tape = Some(tape.reset());
                return Ok(Line::Skipped(kind));
            }
            Class::V2Page => {
                home.tape = Some(tape.reset());
                return Err(IngestError::new(IngestErrorKind::V2Page, 0));
            }
        };
        let post = Post { tape, home, format };
        // The post gives the tape back when dropped, on the error path too.
        let scratch = &mut post.home.scratch;
        scratch.clear();
        let nodes = &post.tape.0;
        let result = match format {
            Format::Native => native::extract(nodes, scratch),
            Format::ActivityStreams => activity::extract(nodes, scratch),
            Format::V2 => v2::extract(nodes, scratch),
        };
        match result {
            Ok(()) => Ok(Line::Post(post)),
            Err(kind) => Err(IngestError::new(kind, first_non_blank(line))),
        }
    }
}

fn first_non_blank(line: &[u8]) -> usize {
    line.iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .unwrap_or(0)
}
