//! Byte spans and PowerTrack positions (1-based UTF-16 offsets).

use core::fmt;

/// A half-open byte range `start..end` into a rule's text.
///
/// Spans are byte offsets so that `&rule[span.range()]` is the text they cover. PowerTrack itself
/// reports 1-based UTF-16 positions; [`position`] converts.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte covered.
    pub start: usize,
    /// One past the last byte covered.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The span as a range, for slicing the rule text.
    pub const fn range(self) -> core::ops::Range<usize> {
        self.start..self.end
    }

    /// Number of bytes covered.
    pub const fn len(self) -> usize {
        self.end - self.start
    }

    /// True when the span covers no byte.
    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Number of UTF-16 code units needed to encode `s`: PowerTrack counts rule length, tag length and
/// positions in these units, so an emoji outside the Basic Multilingual Plane counts as 2.
///
/// ```
/// assert_eq!(powertrack::syntax::utf16_len("Pizza 🍕"), 8);
/// ```
pub fn utf16_len(s: &str) -> usize {
    // A char is one unit, or two when it needs four UTF-8 bytes: count lead bytes, plus one more
    // for each four-byte lead.
    s.bytes()
        .map(|b| usize::from((b & 0xC0) != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

/// The PowerTrack position of byte offset `offset` in `rule`: 1 + the number of UTF-16 code units
/// before it. An offset inside a character counts that character as before it; an offset past
/// the end is clamped to the end.
///
/// ```
/// use powertrack::syntax::position;
/// assert_eq!(position("fish AND bird", 5), 6);
/// assert_eq!(position("🍕 OR x", 5), 4); // the pizza counts twice
/// ```
pub fn position(rule: &str, offset: usize) -> usize {
    let offset = offset.min(rule.len());
    1 + utf16_len_bytes(&rule.as_bytes()[..offset])
}

fn utf16_len_bytes(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .map(|&b| usize::from((b & 0xC0) != 0x80) + usize::from(b >= 0xF0))
        .sum()
}
